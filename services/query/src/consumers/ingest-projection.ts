import { parseOccurrence } from '@credit/calendar';
import { bulkUpsert, type Executor } from '@credit/db';
import { type FeedEvent, upsertSubjectIdentities } from '@credit/events';
import {
  checkpointIssuedSchema,
  checkpointIssuedType,
  consentGrantedSchema,
  consentGrantedType,
  consentRevokedSchema,
  consentRevokedType,
  erasuresIn,
  latestRecordEvents,
  type RecordEvent,
  severityRules,
  standingVersionPayloads,
  subjectIdentities,
} from '@credit/schema';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { checkpointsSeen, consents, records, subjects } from '../db/schema.ts';
import { type RecordToRender, recordBody, storedBody } from '../domain/open-data-files.ts';

export const projectionName = 'query-records';

/**
 * Applies ingest's record events to the read model. The newest version wins: an event older
 * than what is stored changes nothing, so replays and transactions that committed out of order
 * are harmless. A batch is applied with two multi-row upserts.
 */
export async function applyIngestEvents(tx: Executor, events: FeedEvent[]): Promise<void> {
  await applyCheckpoints(tx, events);
  await applyConsents(tx, events);
  await applyErasures(tx, events);
  const ordered = latestRecordEvents(standingVersionPayloads(events));
  if (ordered.length === 0) return;

  const subjectRows = subjectIdentities(ordered);
  await upsertSubjectIdentities(tx, subjects, subjectRows);

  await bulkUpsert(tx, records, ordered.map(readModelRowOf), {
    target: ['subjectKey', 'recordId'],
    update: [
      'version',
      'status',
      'occurredAt',
      'occurredOn',
      'receivedAt',
      'severity',
      'publicity',
      'displayUntil',
      'data',
      'relatedPersons',
      'reasonCode',
      'reason',
      'hash',
      'consentRef',
      'exportCsv',
      'exportJson',
      'exportStamp',
      'exportDigest',
    ],
    newer: 't.version < excluded.version',
  });
  await applyWaitingMarks(tx, ordered);
}

/**
 * Checkpoints of the transparency log, kept in the transaction that applies the record events
 * before them on the feed: a snapshot holding a checkpoint holds every record version it covers.
 */
async function applyCheckpoints(tx: Executor, events: FeedEvent[]): Promise<void> {
  const seen = events
    .filter((e) => e.type === checkpointIssuedType)
    .map((e) => checkpointIssuedSchema.parse(e.payload));
  if (seen.length === 0) return;
  await tx
    .insert(checkpointsSeen)
    .values(seen.map((c) => ({ ...c, issuedAt: new Date(c.issuedAt) })))
    .onConflictDoNothing();
}

/**
 * The repair service's marks on records this batch wrote: a decision (an objection opened or
 * upheld, a repair) can reach this service before the record does, and must hold from the moment
 * the record is shown. One statement; rows without marks are found by the marks table's key.
 */
async function applyWaitingMarks(tx: Executor, written: readonly RecordEvent[]): Promise<void> {
  await tx.execute(sql`
    UPDATE query.records r
    SET disputed = m.disputed, withheld_since = m.withheld_since, repaired_at = m.repaired_at
    FROM unnest(${sql.param(written.map((e) => e.subject.key))}::text[], ${sql.param(written.map((e) => e.recordId))}::text[])
      AS w(key_hex, record_id)
    JOIN query.record_marks m ON m.subject_key = decode(w.key_hex, 'hex') AND m.record_id = w.record_id
    WHERE r.subject_key = m.subject_key AND r.record_id = m.record_id`);
}

/** The read-model row of one record version event (also what the benchmark's world loader writes). */
export function readModelRowOf(e: RecordEvent): typeof records.$inferInsert {
  const occurred = parseOccurrence(e.occurredAt);
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
    occurredAt: occurred.at,
    occurredOn: occurred.date,
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
    consentRef: e.consentRef ?? null,
    ...recordBodyColumns({
      recordId: e.recordId,
      version: e.version,
      category: e.category,
      occurredOn: occurred.date,
      occurredAt: occurred.at,
      data: e.data,
      providerCode: e.provider,
      displayUntil: e.displayUntil ? new Date(e.displayUntil) : null,
      subjectKind: e.subject.kind,
      publicity: e.publicity,
      severity: e.severity ?? null,
    }),
  };
}

/**
 * A read-model record's open-data body columns (what `readModelRowOf` stores, and what the audit
 * expects of a row): rendered only where open data can ever show the version, an organisation's
 * public record of a published severity (whether it is shown today, the cut decides).
 */
export function recordBodyColumns(
  row: RecordToRender & { subjectKind: string; publicity: string; severity: string | null },
) {
  const mayShow =
    row.subjectKind !== 'natural_person' &&
    row.publicity === 'public' &&
    (row.severity === null || severityRules[row.severity as keyof typeof severityRules]?.published === true);
  return storedBody(mayShow ? recordBody(row) : null);
}

/** Consents and revocations, in feed order: the scope the gated values of records are read in. */
async function applyConsents(tx: Executor, events: FeedEvent[]): Promise<void> {
  for (const event of events) {
    if (event.type === consentGrantedType) {
      const granted = consentGrantedSchema.parse(event.payload);
      await tx
        .insert(consents)
        .values({
          subjectKey: event.subjectKey,
          consentId: granted.consentId,
          providerCode: granted.provider,
          purposes: granted.purposes,
          recipients: granted.recipients,
          validUntil: granted.validUntil ? new Date(granted.validUntil) : null,
          grantedAt: new Date(granted.grantedAt),
        })
        .onConflictDoNothing();
    } else if (event.type === consentRevokedType) {
      const { consentId, revokedAt } = consentRevokedSchema.parse(event.payload);
      await tx
        .update(consents)
        .set({ revokedAt: new Date(revokedAt) })
        .where(and(eq(consents.subjectKey, event.subjectKey), eq(consents.consentId, consentId)));
    }
  }
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
