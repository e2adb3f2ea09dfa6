import { isConnectionError } from '@credit/db';
import type { FastifyBaseLogger } from 'fastify';

type Failure = 'unhandledRejection' | 'uncaughtException';

/**
 * A database connection can fail outside any request: a driver client reporting a lost server
 * to no listener, a background promise nobody awaits. The pool and the event consumers reconnect
 * by themselves, so such a failure must not take the server down with it. Anything else left
 * unhandled means the process is in an unknown state, so it still ends the process, as Node
 * would, once the log line is out. Returns the function that removes the guards.
 */
export function guardProcess(
  logger: FastifyBaseLogger,
  exit: (code: number) => void = (code) => process.exit(code),
): () => void {
  const handlerFor = (kind: Failure) => (error: unknown) => {
    if (isConnectionError(error)) {
      logger.warn({ err: error, kind }, 'database connection lost outside a request; continuing');
      return;
    }
    logger.fatal({ err: error, kind }, 'unhandled failure; exiting');
    const flush = (logger as { flush?: (done: () => void) => void }).flush;
    if (flush) flush.call(logger, () => exit(1));
    else exit(1);
  };
  const onRejection = handlerFor('unhandledRejection');
  const onException = handlerFor('uncaughtException');
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
