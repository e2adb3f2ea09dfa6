import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { isRetryableTransactionError } from './errors.ts';
import type { Database } from './types.ts';

interface PooledDatabase {
  pool: pg.Pool;
  logger: { logQuery(query: string, params: unknown[]): void };
}

/** An open transaction's connection, and the logger its statements are reported to. */
interface TransactionClient {
  client: pg.PoolClient;
  logger: PooledDatabase['logger'];
}

const pools = new WeakMap<Database, PooledDatabase>();
const transactionClients = new WeakMap<Database, TransactionClient>();

/** Lets `inTransaction` run transactions of `db` on a client of its own (PostgreSQL only). */
export function registerPool(db: Database, pool: PooledDatabase): void {
  pools.set(db, pool);
}

/**
 * The connection an open transaction runs on, for the statements drizzle cannot send (COPY);
 * undefined outside `inTransaction` and on the embedded database.
 */
export function transactionClientOf(executor: Database): TransactionClient | undefined {
  return transactionClients.get(executor);
}

/**
 * Whether `db` can hold two transactions open at once, each on a connection of its own: on
 * PostgreSQL with a pool of two connections or more. The embedded database has one connection,
 * on which a second transaction would wait for the first to end.
 */
export function holdsConcurrentTransactions(db: Database): boolean {
  return (pools.get(db)?.pool.options.max ?? 1) >= 2;
}

async function onPooledClient<T>(pooled: PooledDatabase, work: (tx: Database) => Promise<T>): Promise<T> {
  const client = await pooled.pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const tx = drizzle({ client, logger: pooled.logger }) as unknown as Database;
    // This handle is bound to a connection already in a transaction: its own `transaction()`
    // would send a second BEGIN and then COMMIT the outer transaction early. Refuse it instead.
    Object.defineProperty(tx, 'transaction', {
      value: () => Promise.reject(new Error('nested transactions are not supported inside inTransaction')),
    });
    transactionClients.set(tx, { client, logger: pooled.logger });
    try {
      const result = await work(tx);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackFailed: Error) => {
        // A connection that cannot even roll back is not returned to the pool.
        broken = rollbackFailed;
      });
      throw error;
    } finally {
      transactionClients.delete(tx);
    }
  } finally {
    client.release(broken);
  }
}

/**
 * Runs `work` in a transaction and retries it when PostgreSQL aborts it for a deadlock or a
 * serialization failure: both are expected under concurrent writers and safe to repeat. On
 * PostgreSQL the transaction runs on a client of its own, so `bulkInsert` can stream into it
 * with COPY.
 */
export async function inTransaction<T>(
  db: Database,
  work: (tx: Database) => Promise<T>,
  attempts = 4,
): Promise<T> {
  const pooled = pools.get(db);
  for (let attempt = 1; ; attempt++) {
    try {
      if (pooled) return await onPooledClient(pooled, work);
      return await db.transaction(async (tx) => work(tx as unknown as Database));
    } catch (error) {
      if (attempt >= attempts || !isRetryableTransactionError(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * 2 ** attempt + Math.random() * 10));
    }
  }
}
