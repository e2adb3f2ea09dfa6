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

export function encodeCursor(position: FeedPosition): string {
  return Buffer.from(`v1:${position.txId}:${position.seq}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): FeedPosition | undefined {
  if (!cursor) return feedStart;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^v1:(\d{1,20}):(\d{1,19})$/.exec(text);
  if (!match) return undefined;
  return { txId: match[1] as string, seq: Number(match[2]) };
}

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

function rowsOf(result: unknown): FeedRow[] {
  return ((result as { rows?: FeedRow[] }).rows ?? (result as FeedRow[])) as FeedRow[];
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
  const typeFilter =
    types && types.length > 0
      ? sql`AND type IN (${sql.join(
          types.map((t) => sql`${t}`),
          sql`, `,
        )})`
      : sql``;
  const result = await db.execute(sql`
    SELECT tx_id::text AS tx_id, seq, event_id, type, subject_key, aggregate_id, payload, created_at
    FROM ${table}
    WHERE (tx_id, seq) > (${after.txId}::xid8, ${after.seq}::bigint)
      AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
      ${typeFilter}
    ORDER BY tx_id, seq
    LIMIT ${limit}`);
  return rowsOf(result).map((row) => ({
    position: { txId: row.tx_id, seq: Number(row.seq) },
    eventId: row.event_id,
    type: row.type,
    subjectKey: Buffer.isBuffer(row.subject_key) ? row.subject_key : Buffer.from(row.subject_key),
    aggregateId: row.aggregate_id,
    payload: row.payload as P,
    createdAt: row.created_at instanceof Date ? row.created_at : new Date(row.created_at),
  }));
}
