import {
  type Database,
  type DatabaseHandle,
  type Executor,
  inTransaction,
  isConnectionError,
  pgErrorCode,
} from '@credit/db';
import { sql } from 'drizzle-orm';
import { type FeedEvent, type FeedPosition, feedLagSeconds, feedStart, readFeedPage } from './feed.ts';
import { feedChannel } from './outbox.ts';

export interface ConsumerLogger {
  error(object: Record<string, unknown>, message: string): void;
}

export interface ConsumerOptions<P> {
  handle: DatabaseHandle;
  /** Schema whose `events` table is read. */
  source: string;
  /** Schema of the consumer's own `event_cursors` table. */
  cursorSchema: string;
  /** Stable consumer name: one cursor per (name, source). */
  name: string;
  types?: readonly string[];
  batchSize?: number;
  /** Longest wait between polls when no notification arrives. */
  idleMs?: number;
  logger?: ConsumerLogger;
  /**
   * Applies a batch inside the transaction that also advances the cursor, so a batch is either
   * applied and acknowledged together or not at all (at-least-once delivery, exactly-once effect
   * on the consumer's own tables).
   */
  apply(tx: Executor, events: FeedEvent<P>[]): Promise<void>;
}

export interface ConsumerStatus {
  name: string;
  source: string;
  processed: number;
  position: FeedPosition;
  lastSuccessAt: Date | null;
  lastError: string | null;
  consecutiveFailures: number;
}

export interface RunningConsumer {
  status(): ConsumerStatus;
  /**
   * Processes until no committed event is left beyond the cursor (waiting out events the feed
   * still holds back behind older transactions); for tests and start-up catch-up.
   */
  drain(timeoutMs?: number): Promise<number>;
  /** Wakes the loop now (the all-in-one server calls this after its own writes). */
  wake(): void;
  /**
   * Age in seconds of the first event beyond the cursor (0 when caught up). The cursor passes the
   * events the consumer does not follow, so this is the age of work it has not done.
   */
  lagSeconds(): Promise<number>;
  stop(): Promise<void>;
}

function rowsOf<T>(result: unknown): T[] {
  return ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];
}

async function readCursor(tx: Executor, schema: string, name: string, source: string): Promise<FeedPosition> {
  const table = sql.raw(`"${schema}"."event_cursors"`);
  const rows = rowsOf<{ tx_id: string; seq: string | number }>(
    await tx.execute(
      sql`SELECT tx_id::text AS tx_id, seq FROM ${table} WHERE consumer = ${name} AND source = ${source}`,
    ),
  );
  const row = rows[0];
  return row ? { txId: row.tx_id, seq: Number(row.seq) } : feedStart;
}

async function writeCursor(
  tx: Executor,
  schema: string,
  name: string,
  source: string,
  at: FeedPosition,
): Promise<void> {
  const table = sql.raw(`"${schema}"."event_cursors"`);
  await tx.execute(sql`
    INSERT INTO ${table} (consumer, source, tx_id, seq, updated_at)
    VALUES (${name}, ${source}, ${at.txId}::xid8, ${at.seq}, now())
    ON CONFLICT (consumer, source) DO UPDATE SET tx_id = excluded.tx_id, seq = excluded.seq, updated_at = excluded.updated_at`);
}

/**
 * A source whose outbox does not exist yet (its service not deployed or migrated) has published
 * nothing: the consumer waits for it instead of failing in a loop.
 */
function sourceMissing(error: unknown): boolean {
  return pgErrorCode(error) === '42P01';
}

export interface StepResult {
  /** Events applied (0 when idle or another instance holds the consumer). */
  applied: number;
  /** The cursor after the step; undefined when this instance did not step. */
  position: FeedPosition | undefined;
}

/** Runs one step of a consumer. */
export async function consumeOnce<P>(db: Database, options: ConsumerOptions<P>): Promise<StepResult> {
  try {
    return await consumeBatch(db, options);
  } catch (error) {
    if (sourceMissing(error)) return { applied: 0, position: undefined };
    throw error;
  }
}

async function consumeBatch<P>(db: Database, options: ConsumerOptions<P>): Promise<StepResult> {
  const batchSize = options.batchSize ?? 500;
  return inTransaction(db, async (tx) => {
    // One active instance per consumer; the lock does not assign a transaction id, so this
    // transaction never holds back the snapshot horizon it is about to read with.
    const locked = rowsOf<{ locked: boolean }>(
      await tx.execute(
        sql`SELECT pg_try_advisory_xact_lock(hashtext(${`${options.name}@${options.source}`})) AS locked`,
      ),
    );
    if (!locked[0]?.locked) return { applied: 0, position: undefined };
    const position = await readCursor(tx, options.cursorSchema, options.name, options.source);
    const page = await readFeedPage<P>(tx, options.source, position, batchSize, options.types);
    if (page.events.length > 0) await options.apply(tx, page.events);
    // The cursor also passes the events of types this consumer does not follow: they are not
    // work left to do, and must not count as lag nor be read again.
    if (page.through !== position)
      await writeCursor(tx, options.cursorSchema, options.name, options.source, page.through);
    return { applied: page.events.length, position: page.through };
  });
}

/** Whether any committed event (of the consumer's types) lies beyond its cursor, released or not. */
async function committedBeyondCursor<P>(db: Database, options: ConsumerOptions<P>): Promise<boolean> {
  const position = await readCursor(db, options.cursorSchema, options.name, options.source);
  const table = sql.raw(`"${options.source}"."events"`);
  const typeFilter =
    options.types && options.types.length > 0
      ? sql`AND type IN (${sql.join(
          options.types.map((t) => sql`${t}`),
          sql`, `,
        )})`
      : sql``;
  try {
    const rows = rowsOf(
      await db.execute(
        sql`SELECT 1 AS pending FROM ${table} WHERE (tx_id, seq) > (${position.txId}::xid8, ${position.seq}::bigint) ${typeFilter} LIMIT 1`,
      ),
    );
    return rows.length > 0;
  } catch (error) {
    if (sourceMissing(error)) return false;
    throw error;
  }
}

/**
 * How long to wait after the n-th failure in a row. A lost database comes back on its own, and
 * the consumer should follow within seconds, so those retries are capped low; a failing batch
 * (a bug, bad data) backs off much further so that it does not flood the log.
 */
function retryDelay(failures: number, idleMs: number, databaseUnavailable: boolean): number {
  if (databaseUnavailable) return Math.min(250 * 2 ** Math.min(failures - 1, 3), 2000);
  return Math.min(idleMs * 2 ** Math.min(failures, 5), 30_000);
}

export async function startConsumer<P>(options: ConsumerOptions<P>): Promise<RunningConsumer> {
  const { handle } = options;
  const idleMs = options.idleMs ?? 1000;
  const batchSize = options.batchSize ?? 500;
  const status: ConsumerStatus = {
    name: options.name,
    source: options.source,
    processed: 0,
    position: feedStart,
    lastSuccessAt: null,
    lastError: null,
    consecutiveFailures: 0,
  };
  let stopped = false;
  let wakeUp: (() => void) | undefined;
  let pending = false;
  const wake = () => {
    pending = true;
    wakeUp?.();
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (pending) return resolve();
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  let chain: Promise<unknown> = Promise.resolve();
  const step = () => {
    const run = chain.then(async () => {
      pending = false;
      const result = await consumeOnce(handle.db, options);
      status.processed += result.applied;
      if (result.position) status.position = result.position;
      status.lastSuccessAt = new Date();
      status.lastError = null;
      status.consecutiveFailures = 0;
      return result.applied;
    });
    chain = run.catch(() => undefined);
    return run;
  };

  const unlisten = await handle.listen(feedChannel(options.source), wake);
  const loop = (async () => {
    while (!stopped) {
      try {
        const applied = await step();
        if (applied >= batchSize) continue;
        await sleep(idleMs);
      } catch (error) {
        if (stopped) break;
        status.consecutiveFailures += 1;
        status.lastError = error instanceof Error ? error.name : 'error';
        const databaseUnavailable = isConnectionError(error);
        options.logger?.error(
          {
            consumer: options.name,
            source: options.source,
            errorName: status.lastError,
            databaseUnavailable,
            failures: status.consecutiveFailures,
          },
          'event consumer step failed; retrying',
        );
        await sleep(retryDelay(status.consecutiveFailures, idleMs, databaseUnavailable));
      }
    }
  })();

  return {
    status: () => ({ ...status }),
    async lagSeconds() {
      try {
        const position = await readCursor(handle.db, options.cursorSchema, options.name, options.source);
        return await feedLagSeconds(handle.db, options.source, position);
      } catch (error) {
        if (sourceMissing(error)) return 0;
        throw error;
      }
    },
    wake,
    async drain(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let total = 0;
      for (;;) {
        const applied = await step();
        total += applied;
        if (applied > 0) continue;
        if (!(await committedBeyondCursor(handle.db, options))) return total;
        if (Date.now() > deadline)
          throw new Error(`consumer ${options.name} did not catch up within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async stop() {
      stopped = true;
      wakeUp?.();
      await loop;
      await chain;
      await unlisten();
    },
  };
}
