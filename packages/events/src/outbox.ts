import { randomUUID } from 'node:crypto';
import { bulkInsert, bytea, type Executor, xid8 } from '@credit/db';
import { sql } from 'drizzle-orm';
import { bigint, jsonb, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The outbox table of one service (`<schema>.events`). A service appends its events in the same
 * transaction as the change they announce, so an event exists exactly when its change committed.
 * `tx_id` is the writing transaction's id: the feed orders and releases rows by it (see feed.ts).
 */
export function defineOutbox(schemaName: string) {
  return pgSchema(schemaName).table('events', {
    txId: xid8('tx_id').notNull().default(sql`pg_current_xact_id()`),
    // A plain sequence: identity columns cannot sit on a partitioned table before PostgreSQL 17.
    seq: bigint('seq', { mode: 'number' })
      .notNull()
      .default(sql.raw(`nextval('${schemaName}.events_seq')`)),
    eventId: uuid('event_id').notNull(),
    type: text('type').notNull(),
    subjectKey: bytea('subject_key').notNull(),
    aggregateId: text('aggregate_id').notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  });
}

export type Outbox = ReturnType<typeof defineOutbox>;

export interface NewEvent<P = unknown> {
  type: string;
  subjectKey: Buffer;
  aggregateId: string;
  payload: P;
}

/** The NOTIFY channel consumers of a service's feed listen on. */
export function feedChannel(schemaName: string): string {
  return `${schemaName}_events`;
}

/** Appends events inside the caller's transaction and wakes listeners when it commits. */
export async function appendEvents(
  tx: Executor,
  outbox: Outbox,
  schemaName: string,
  events: readonly NewEvent[],
  now: Date,
): Promise<string[]> {
  if (events.length === 0) return [];
  const rows = events.map((event) => ({
    eventId: randomUUID(),
    type: event.type,
    subjectKey: event.subjectKey,
    aggregateId: event.aggregateId,
    payload: event.payload,
    createdAt: now,
  }));
  await bulkInsert(tx, outbox, rows);
  // NOTIFY is transactional: delivered on commit, dropped on rollback.
  await tx.execute(sql`SELECT pg_notify(${feedChannel(schemaName)}, '')`);
  return rows.map((r) => r.eventId);
}
