import { baseEnvironmentSchema, parseEnvironment } from '@credit/config';
import { migrate, openDatabase } from '@credit/db';
import { databaseTargetOf, defaultMigrationsDir, migrationFoldersOf } from '@credit/host';
import { platformServices } from '../services.ts';

// Applies every service's pending migrations and exits (the compose stack's migration job).
const env = parseEnvironment(baseEnvironmentSchema);
const database = await openDatabase(databaseTargetOf(env));
try {
  const { applied } = await migrate(database, defaultMigrationsDir, migrationFoldersOf(platformServices));
  process.stdout.write(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'up to date\n');
} finally {
  await database.close();
}
