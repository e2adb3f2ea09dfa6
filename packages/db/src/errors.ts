/** PostgreSQL error codes the platform reacts to (both drivers expose `code`). */
export const pgErrorCodes = {
  uniqueViolation: '23505',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  lockNotAvailable: '55P03',
  adminShutdown: '57P01',
  crashShutdown: '57P02',
  cannotConnectNow: '57P03',
} as const;

/** Drizzle wraps driver errors; the PostgreSQL code sits on the error or one of its causes. */
export function pgErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isRetryableTransactionError(error: unknown): boolean {
  const code = pgErrorCode(error);
  return code === pgErrorCodes.serializationFailure || code === pgErrorCodes.deadlockDetected;
}

// Class 08 is the server's own word for a broken connection; 57P01–57P03 are a shutdown or a
// start-up in progress (pg_ctl stop/restart, crash recovery).
const unavailableSqlStates = new Set([
  pgErrorCodes.adminShutdown,
  pgErrorCodes.crashShutdown,
  pgErrorCodes.cannotConnectNow,
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

const socketErrnos = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

// node-postgres reports a lost or never-made connection only through these messages.
const lostConnectionMessage =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Cannot use a pool after calling end/i;

/**
 * Errors that mean the database is unreachable rather than that the statement was wrong. Drizzle
 * wraps the driver's error in `cause`; a connection to a name with several addresses fails with
 * an AggregateError whose `errors` hold the socket errors.
 */
export function isConnectionError(error: unknown): boolean {
  const pending: unknown[] = [error];
  for (let seen = 0; pending.length > 0 && seen < 16; seen++) {
    const current = pending.shift();
    if (!current || typeof current !== 'object') continue;
    const { code, message, cause, errors } = current as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (typeof code === 'string' && (unavailableSqlStates.has(code) || socketErrnos.has(code))) return true;
    if (typeof message === 'string' && lostConnectionMessage.test(message)) return true;
    if (cause) pending.push(cause);
    if (Array.isArray(errors)) pending.push(...errors);
  }
  return false;
}
