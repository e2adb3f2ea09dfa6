import type { Executor } from '@credit/db';
import type { FeedEvent } from '@credit/events';
import { type RecordEvent, recordEventSchema } from '@credit/schema';
import { sql } from 'drizzle-orm';
import { records, subjects } from '../db/schema.ts';

export const projectionName = 'query-records';

/**
 * Applies ingest's record events to the read model. The newest version wins: an event older
 * than what is stored changes nothing, so replays and transactions that committed out of order
 * are harmless. A batch is applied with two multi-row upserts.
 */
export async function applyIngestEvents(tx: Executor, events: FeedEvent[]): Promise<void> {
  const latest = new Map<string, RecordEvent>();
  for (const event of events) {
    const payload = recordEventSchema.parse(event.payload);
    const current = latest.get(payload.recordId);
    if (!current || current.version < payload.version) latest.set(payload.recordId, payload);
  }
  if (latest.size === 0) return;
  const ordered = [...latest.values()].sort((a, b) => (a.recordId < b.recordId ? -1 : 1));

  const subjectRows = new Map<string, typeof subjects.$inferInsert>();
  for (const e of ordered) {
    subjectRows.set(e.subject.key, {
      subjectKey: Buffer.from(e.subject.key, 'hex'),
      kind: e.subject.kind,
      identifierCipher: Buffer.from(e.subject.identifierCipher, 'base64'),
      nameCipher: Buffer.from(e.subject.nameCipher, 'base64'),
      keyId: e.subject.keyId,
      updatedAt: new Date(e.receivedAt),
    });
  }
  await tx
    .insert(subjects)
    .values([...subjectRows.values()].sort((a, b) => Buffer.compare(a.subjectKey, b.subjectKey)))
    .onConflictDoUpdate({
      target: subjects.subjectKey,
      set: {
        nameCipher: sql`excluded.name_cipher`,
        identifierCipher: sql`excluded.identifier_cipher`,
        keyId: sql`excluded.key_id`,
        updatedAt: sql`excluded.updated_at`,
      },
      setWhere: sql`${subjects.updatedAt} <= excluded.updated_at`,
    });

  await tx
    .insert(records)
    .values(
      ordered.map((e) => ({
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
      })),
    )
    .onConflictDoUpdate({
      target: [records.subjectKey, records.recordId],
      set: {
        version: sql`excluded.version`,
        status: sql`excluded.status`,
        occurredAt: sql`excluded.occurred_at`,
        receivedAt: sql`excluded.received_at`,
        severity: sql`excluded.severity`,
        publicity: sql`excluded.publicity`,
        displayUntil: sql`excluded.display_until`,
        data: sql`excluded.data`,
        relatedPersons: sql`excluded.related_persons`,
        reasonCode: sql`excluded.reason_code`,
        reason: sql`excluded.reason`,
        hash: sql`excluded.hash`,
      },
      setWhere: sql`${records.version} < excluded.version`,
    });
}
