/** PostgreSQL error codes the platform reacts to (both drivers expose `code`). */
export const pgErrorCodes = {
  uniqueViolation: '23505',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  lockNotAvailable: '55P03',
  adminShutdown: '57P01',
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

/** Errors that mean the database is unreachable rather than that the statement was wrong. */
export function isConnectionError(error: unknown): boolean {
  const code = pgErrorCode(error);
  if (code === pgErrorCodes.adminShutdown || code === pgErrorCodes.cannotConnectNow) return true;
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const errno = (current as { code?: unknown }).code;
    if (errno === 'ECONNREFUSED' || errno === 'ECONNRESET' || errno === 'EPIPE' || errno === 'ETIMEDOUT')
      return true;
    const message = (current as { message?: unknown }).message;
    if (typeof message === 'string' && /Connection terminated|connection timeout/i.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
