import { baseEnvironmentSchema, parseEnvironment } from '@credit/config';
import { buildPlatformApp, migrationFoldersOf, openRuntime } from '@credit/host';
import { createLogger } from '@credit/http';
import { loadDemo } from '../demo/first-start.ts';
import { platformServices } from '../services.ts';

// `npm run seed`: loads the demo again into the configured database (idempotent: fixed source ids).
const env = parseEnvironment(baseEnvironmentSchema);
const logger = createLogger(env.LOG_LEVEL);
const runtime = await openRuntime(env, migrationFoldersOf(platformServices), logger);
const app = await buildPlatformApp(runtime, { logger, services: platformServices });
try {
  await app.ready();
  await loadDemo(app, runtime, { force: true, baseUrl: `http://127.0.0.1:${env.PORT}` });
} finally {
  await app.close();
  await runtime.close();
}
