import { baseEnvironmentSchema, localUrlOf, parseEnvironment } from '@credit/config';
import { DataDirectoryInUseError } from '@credit/db';
import { createLogger } from '@credit/http';
import type { FastifyInstance } from 'fastify';
import { buildPlatformApp, migrationFoldersOf, type ServiceDefinition } from './platform-app.ts';
import { guardProcess } from './process-guards.ts';
import { openRuntime, type Runtime } from './runtime.ts';

/**
 * A start the operator has to resolve (the embedded database held by another process) ends the
 * process with the reason alone; a stack would only hide it.
 */
function refuseToStart(error: unknown): never {
  if (!(error instanceof DataDirectoryInUseError)) throw error;
  process.stderr.write(`cannot start: ${error.message}\n`);
  process.exit(1);
}

/**
 * Runs a process: parse the environment, open the runtime, listen, and shut down gracefully on
 * SIGTERM/SIGINT (stop accepting, finish in-flight requests, close the database).
 */
export async function serve(
  services: readonly ServiceDefinition[],
  /** Work to finish before the port opens (the demo on first start): callers never see half of it. */
  beforeListening?: (app: FastifyInstance, runtime: Runtime, baseUrl: string) => Promise<unknown>,
  /** The application's clock (the real time unless given; the demo replays its history on one it can move). */
  options: { clock?: () => Date } = {},
) {
  const env = parseEnvironment(baseEnvironmentSchema);
  const logger = createLogger(env.LOG_LEVEL);
  const runtime = await openRuntime(env, migrationFoldersOf(services), logger).catch(refuseToStart);
  const app = await buildPlatformApp(runtime, {
    logger,
    services,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.warn({}, 'shutdown took too long; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    try {
      await app.close();
    } finally {
      // Whatever app.close() ran into, the embedded database must still be closed cleanly.
      await runtime.close();
      clearTimeout(force);
    }
  };
  // `on`, not `once`: Ctrl-C on `npm start` reaches this process twice (from the terminal, and
  // relayed by tsx), and a second signal with no handler would end it halfway through closing the
  // embedded database. Repeats are ignored; the timer above ends a shutdown that hangs.
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  if (beforeListening) {
    await app.ready();
    await beforeListening(app, runtime, localUrlOf(env));
  }
  await app.listen({ port: env.PORT, host: env.HOST });
  // Only once serving: a database that is unreachable at start must still stop the process.
  guardProcess(logger);
  return { app, runtime, shutdown };
}
