import type { Executor } from '@credit/db';
import { sql } from 'drizzle-orm';

/**
 * A position in a feed: the writing transaction's id and the row's sequence number. Rows are
 * released in (txId, seq) order and only once every transaction with a smaller id has ended
 * (txId < xmin of the current snapshot). A transaction that took its sequence number early but
 * commits late can therefore never be skipped: readers by serial id miss exactly those rows.
 */
export interface FeedPosition {
  txId: string;
  seq: number;
}

export const feedStart: FeedPosition = { txId: '0', seq: 0 };

export interface FeedEvent<P = unknown> {
  position: FeedPosition;
  eventId: string;
  type: string;
  subjectKey: Buffer;
  aggregateId: string;
  payload: P;
  createdAt: Date;
}

interface FeedRow extends Record<string, unknown> {
  tx_id: string;
  seq: string | number;
  event_id: string;
  type: string;
  subject_key: Buffer | Uint8Array;
  aggregate_id: string;
  payload: unknown;
  created_at: Date | string;
}

function rowsOf<T = FeedRow>(result: unknown): T[] {
  return ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];
}

function typeFilterOf(types: readonly string[] | undefined) {
  return types && types.length > 0
    ? sql`AND type IN (${sql.join(
        types.map((t) => sql`${t}`),
        sql`, `,
      )})`
    : sql``;
}

function feedEventOf<P>(row: FeedRow): FeedEvent<P> {
  return {
    position: { txId: row.tx_id, seq: Number(row.seq) },
    eventId: row.event_id,
    type: row.type,
    subjectKey: Buffer.isBuffer(row.subject_key) ? row.subject_key : Buffer.from(row.subject_key),
    aggregateId: row.aggregate_id,
    payload: row.payload as P,
    createdAt: row.created_at instanceof Date ? row.created_at : new Date(row.created_at),
  };
}

/** Reads up to `limit` settled events after `after` from `<schemaName>.events`. */
export async function readFeed<P = unknown>(
  db: Executor,
  schemaName: string,
  after: FeedPosition,
  limit: number,
  types?: readonly string[],
): Promise<FeedEvent<P>[]> {
  const table = sql.raw(`"${schemaName}"."events"`);
  const result = await db.execute(sql`
    SELECT tx_id::text AS tx_id, seq, event_id, type, subject_key, aggregate_id, payload, created_at
    FROM ${table}
    WHERE (tx_id, seq) > (${after.txId}::xid8, ${after.seq}::bigint)
      AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
      ${typeFilterOf(types)}
    ORDER BY tx_id, seq
    LIMIT ${limit}`);
  return rowsOf(result).map((row) => feedEventOf<P>(row));
}

export interface FeedPage<P = unknown> {
  /** The events of the reader's types, in feed order. */
  events: FeedEvent<P>[];
  /**
   * Where the reader's cursor may move: past the last event when the page is full, otherwise to
   * the newest released event of any type, so events of types the reader does not follow never
   * stay ahead of its cursor (they would read as lag, and be scanned again on every read).
   */
  through: FeedPosition;
}

function after(a: FeedPosition, b: FeedPosition): boolean {
  const ta = BigInt(a.txId);
  const tb = BigInt(b.txId);
  return ta > tb || (ta === tb && a.seq > b.seq);
}

interface PageRow extends Partial<FeedRow> {
  head_tx_id: string;
  head_seq: string | number;
}

/**
 * Reads a page of the feed for a reader that follows some event types. The newest released
 * position (the head) and the events up to it are read in one statement, hence one snapshot:
 * every event at or before the head belongs to a transaction that has ended, so a page that
 * is not full holds every event of the reader's types up to the head and the cursor can move
 * there. The head is one step down the feed index, and the typed read covers only what was
 * published since the cursor last moved.
 */
export async function readFeedPage<P = unknown>(
  db: Executor,
  schemaName: string,
  from: FeedPosition,
  limit: number,
  types?: readonly string[],
): Promise<FeedPage<P>> {
  const table = sql.raw(`"${schemaName}"."events"`);
  const rows = rowsOf<PageRow>(
    await db.execute(sql`
      WITH head AS (
        SELECT tx_id, seq FROM ${table}
        WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY tx_id DESC, seq DESC
        LIMIT 1
      )
      SELECT head.tx_id::text AS head_tx_id, head.seq AS head_seq,
        e.tx_id::text AS tx_id, e.seq, e.event_id, e.type, e.subject_key, e.aggregate_id, e.payload, e.created_at
      FROM head LEFT JOIN LATERAL (
        SELECT * FROM ${table}
        WHERE (tx_id, seq) > (${from.txId}::xid8, ${from.seq}::bigint)
          AND (tx_id, seq) <= (head.tx_id, head.seq)
          ${typeFilterOf(types)}
        ORDER BY tx_id, seq
        LIMIT ${limit}
      ) e ON true
      ORDER BY e.tx_id, e.seq`),
  );
  const first = rows[0];
  if (!first) return { events: [], through: from };
  const events = rows.filter((row) => row.tx_id != null).map((row) => feedEventOf<P>(row as FeedRow));
  const last = events.at(-1);
  if (last && events.length >= limit) return { events, through: last.position };
  const head = { txId: first.head_tx_id, seq: Number(first.head_seq) };
  return { events, through: after(head, from) ? head : from };
}

/**
 * Age in seconds of the first event beyond `position`, released or not (0 when there is none):
 * one step down the feed index, whatever the size of the outbox. A reader that moves its cursor
 * past what it skips (see readFeedPage) has nothing ahead of it but work it has not done yet.
 */
export async function feedLagSeconds(
  db: Executor,
  schemaName: string,
  position: FeedPosition,
): Promise<number> {
  const table = sql.raw(`"${schemaName}"."events"`);
  const [row] = rowsOf<{ lag: string | number }>(
    await db.execute(sql`
      SELECT extract(epoch from (now() - created_at)) AS lag FROM ${table}
      WHERE (tx_id, seq) > (${position.txId}::xid8, ${position.seq}::bigint)
      ORDER BY tx_id, seq
      LIMIT 1`),
  );
  return Math.max(0, Number(row?.lag ?? 0));
}
