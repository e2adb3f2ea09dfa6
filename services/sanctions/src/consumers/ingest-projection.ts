import { parseOccurrence } from '@credit/calendar';
import { bulkUpsert, type Executor } from '@credit/db';
import { type FeedEvent, upsertSubjectIdentities } from '@credit/events';
import {
  erasuresIn,
  latestRecordEvents,
  type RecordEvent,
  standingVersionPayloads,
  subjectIdentities,
} from '@credit/schema';
import { and, eq, inArray } from 'drizzle-orm';
import { records, subjects } from '../db/schema.ts';
import type { ProcedureContext } from '../domain/entry-writer.ts';
import { evaluateSubjects } from '../domain/rule-application.ts';
import { applyIntermediaryEvents } from './intermediary-projection.ts';

export const recordProjectionName = 'sanctions-records';

/**
 * Keeps the sanctions service's own view of records current from the ingest feed, then
 * re-evaluates the list rules for every subject the batch touched, in the same transaction:
 * a record that makes a rule hold proposes an entry exactly once, and a withdrawal or
 * correction that breaks an entry's basis ends it.
 */
export function ingestProjection(context: ProcedureContext) {
  return async (tx: Executor, events: FeedEvent[]): Promise<void> => {
    await applyIntermediaryEvents(tx, context, events);
    const erased = await applyErasures(tx, events);
    if (erased.length > 0) await evaluateSubjects(tx, context, erased, context.clock(), 'rules');
    const ordered = latestRecordEvents(standingVersionPayloads(events));
    if (ordered.length === 0) return;
    const subjectRows = subjectIdentities(ordered);
    await upsertSubjectIdentities(tx, subjects, subjectRows);
    await bulkUpsert(tx, records, ordered.map(projectedRecordOf), {
      target: ['subjectKey', 'recordId'],
      update: ['version', 'status', 'occurredAt', 'severity', 'displayUntil', 'data', 'relatedPersons'],
      newer: 't.version < excluded.version',
    });
    await evaluateSubjects(
      tx,
      context,
      subjectRows.map((row) => row.subjectKey),
      context.clock(),
      'rules',
    );
  };
}

/** This service's row for one record version event (also what the benchmark's world loader writes). */
export function projectedRecordOf(e: RecordEvent): typeof records.$inferInsert {
  return {
    subjectKey: Buffer.from(e.subject.key, 'hex'),
    recordId: e.recordId,
    version: e.version,
    status: e.status,
    category: e.category,
    classCode: e.classCode,
    subjectKind: e.subject.kind,
    // A plain date counts from the start of its day in Shanghai in the rules' windows.
    occurredAt: parseOccurrence(e.occurredAt).at,
    severity: e.severity,
    displayUntil: e.displayUntil ? new Date(e.displayUntil) : null,
    data: e.data,
    relatedPersons: e.relatedPersons,
    providerCode: e.provider,
  };
}

/**
 * A lawfully erased version leaves this service's copy too; the subjects concerned are then
 * re-evaluated, so an entry founded on erased content (an upheld objection) loses its basis.
 */
async function applyErasures(tx: Executor, events: FeedEvent[]): Promise<Buffer[]> {
  const subjectsTouched = new Map<string, Buffer>();
  for (const erasure of erasuresIn(events)) {
    const removed = await tx
      .delete(records)
      .where(
        and(
          eq(records.subjectKey, erasure.subjectKey),
          eq(records.recordId, erasure.recordId),
          inArray(records.version, erasure.versions),
        ),
      )
      .returning({ recordId: records.recordId });
    if (removed.length > 0) subjectsTouched.set(erasure.subjectKey.toString('hex'), erasure.subjectKey);
  }
  return [...subjectsTouched.values()];
}
