import { runCommand } from '../cli-support/command.ts';

await runCommand({
  name: 'migrate',
  usage: `npm run migrate

Applies every service's pending migrations (migrations/<service>/NNNN_*.sql) to the configured
database and exits: DATABASE_URL, or the embedded one under DATA_DIR, which it refuses at once
while a server holds it (the server migrates at start anyway). The compose stack's migration job.
Exit status 0: applied or up to date; 2: cannot run.`,
  options: {},
  async run() {
    const { baseEnvironmentSchema, parseEnvironment } = await import('@credit/config');
    const { migrate, openDatabase } = await import('@credit/db');
    const { databaseTargetOf, defaultMigrationsDir, migrationFoldersOf } = await import('@credit/host');
    const { platformServices } = await import('../services.ts');
    const env = parseEnvironment(baseEnvironmentSchema);
    const database = await openDatabase(databaseTargetOf(env));
    try {
      const { applied } = await migrate(database, defaultMigrationsDir, migrationFoldersOf(platformServices));
      process.stdout.write(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'up to date\n');
      return 0;
    } finally {
      await database.close();
    }
  },
});
