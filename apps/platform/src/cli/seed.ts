import { runCommand } from '../cli-support/command.ts';

await runCommand({
  name: 'seed',
  usage: `npm run seed

Loads the demo (departments, an agency, a platform, the court's black-list procedure replayed
from five months ago, a thousand subjects with records, list entries, an authorisation, an
objection) into the configured database again and writes its
example calls to DATA_DIR/demo/examples.json. Idempotent: the demo's source ids are fixed.
On the embedded database, stop the server first: seed refuses at once while it holds DATA_DIR.
Exit status 0: loaded; 2: cannot run.`,
  options: {},
  async run() {
    const { baseEnvironmentSchema, localUrlOf, parseEnvironment } = await import('@credit/config');
    const { buildPlatformApp, migrationFoldersOf, openRuntime } = await import('@credit/host');
    const { createLogger } = await import('@credit/http');
    const { loadDemo } = await import('../demo/first-start.ts');
    const { DemoClock } = await import('../demo/history.ts');
    const { platformServices } = await import('../services.ts');
    const env = parseEnvironment(baseEnvironmentSchema);
    const logger = createLogger(env.LOG_LEVEL);
    const runtime = await openRuntime(env, migrationFoldersOf(platformServices), logger);
    const clock = new DemoClock();
    const app = await buildPlatformApp(runtime, { logger, services: platformServices, clock: clock.now });
    try {
      await app.ready();
      await loadDemo(app, runtime, { force: true, baseUrl: localUrlOf(env), time: clock });
      return 0;
    } finally {
      await app.close();
      await runtime.close();
    }
  },
});
