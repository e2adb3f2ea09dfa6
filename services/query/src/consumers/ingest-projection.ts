import { bulkUpsert, type Executor } from '@credit/db';
import { type FeedEvent, upsertSubjectIdentities } from '@credit/events';
import {
  erasuresIn,
  latestRecordEvents,
  type RecordEvent,
  recordVersionPayloads,
  subjectIdentities,
} from '@credit/schema';
import { and, eq, inArray } from 'drizzle-orm';
import { records, subjects } from '../db/schema.ts';

export const projectionName = 'query-records';

/**
 * Applies ingest's record events to the read model. The newest version wins: an event older
 * than what is stored changes nothing, so replays and transactions that committed out of order
 * are harmless. A batch is applied with two multi-row upserts.
 */
export async function applyIngestEvents(tx: Executor, events: FeedEvent[]): Promise<void> {
  await applyErasures(tx, events);
  const ordered = latestRecordEvents(recordVersionPayloads(events));
  if (ordered.length === 0) return;

  const subjectRows = subjectIdentities(ordered);
  await upsertSubjectIdentities(tx, subjects, subjectRows);

  await bulkUpsert(tx, records, ordered.map(readModelRowOf), {
    target: ['subjectKey', 'recordId'],
    update: [
      'version',
      'status',
      'occurredAt',
      'receivedAt',
      'severity',
      'publicity',
      'displayUntil',
      'data',
      'relatedPersons',
      'reasonCode',
      'reason',
      'hash',
    ],
    newer: 't.version < excluded.version',
  });
}

/** The read-model row of one record version event (also what the benchmark's world loader writes). */
export function readModelRowOf(e: RecordEvent): typeof records.$inferInsert {
  return {
    subjectKey: Buffer.from(e.subject.key, 'hex'),
    recordId: e.recordId,
    version: e.version,
    status: e.status,
    providerCode: e.provider,
    sourceId: e.sourceId,
    category: e.category,
    classCode: e.classCode,
    subjectKind: e.subject.kind,
    occurredAt: new Date(e.occurredAt),
    receivedAt: new Date(e.receivedAt),
    severity: e.severity,
    publicity: e.publicity,
    displayUntil: e.displayUntil ? new Date(e.displayUntil) : null,
    data: e.data,
    relatedPersons: e.relatedPersons,
    origin: e.origin,
    linkedFrom: e.linkedFrom,
    reasonCode: e.reasonCode,
    reason: e.reason,
    hash: e.hash,
  };
}

/**
 * A lawful erasure removes this service's copy of the erased version: the read model is a copy,
 * and a copy of erased content is the content.
 */
async function applyErasures(tx: Executor, events: FeedEvent[]): Promise<void> {
  for (const erasure of erasuresIn(events)) {
    await tx
      .delete(records)
      .where(
        and(
          eq(records.subjectKey, erasure.subjectKey),
          eq(records.recordId, erasure.recordId),
          inArray(records.version, erasure.versions),
        ),
      );
  }
}
