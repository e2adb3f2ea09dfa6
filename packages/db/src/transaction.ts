import { isRetryableTransactionError } from './errors.ts';
import type { Database } from './types.ts';

/**
 * Runs `work` in a transaction and retries it when PostgreSQL aborts it for a deadlock or a
 * serialization failure: both are expected under concurrent writers and safe to repeat.
 */
export async function inTransaction<T>(
  db: Database,
  work: (tx: Database) => Promise<T>,
  attempts = 4,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(async (tx) => work(tx as unknown as Database));
    } catch (error) {
      if (attempt >= attempts || !isRetryableTransactionError(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * 2 ** attempt + Math.random() * 10));
    }
  }
}
