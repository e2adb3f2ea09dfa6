import { newId } from '@credit/crypto';
import type { Executor } from '@credit/db';
import type { FeedEvent } from '@credit/events';
import { repairEventSchemas } from '@credit/schema';
import { and, eq, sql } from 'drizzle-orm';
import { accessLog, evaluationMarks, recipientNotices, recordMarks, records } from '../db/schema.ts';

export const queryRepairFollowName = 'query-repair-follow';
export const queryFollowedRepairEvents = [
  'objection.opened',
  'objection.upheld',
  'objection.closed',
  'record.repaired',
];

type Marks = Partial<Pick<typeof recordMarks.$inferInsert, 'disputed' | 'withheldSince' | 'repairedAt'>>;

/**
 * Puts a mark on a record: in the marks table, which the projection of the ingest feed reads
 * when it writes the record (the decision may arrive first), and on the projected row if any.
 */
async function mark(tx: Executor, subjectKey: Buffer, recordId: string, marks: Marks, at: Date) {
  await tx
    .insert(recordMarks)
    .values({ subjectKey, recordId, ...marks, updatedAt: at })
    .onConflictDoUpdate({
      target: [recordMarks.subjectKey, recordMarks.recordId],
      set: { ...marks, updatedAt: at },
    });
  await tx
    .update(records)
    .set(marks)
    .where(and(eq(records.subjectKey, subjectKey), eq(records.recordId, recordId)));
}

/**
 * Marks what the repair service decides: a record under objection is shown disputed until the
 * objection closes; once an objection is upheld the record is withheld from everyone but its
 * subject (暂时屏蔽) until a version received after the decision (the correction) lands; a
 * repaired record stops being shown to anyone but its subject, and every agency or department
 * that took a report containing it (the access log says who) gets a notice.
 */
export async function applyRepairEvents(tx: Executor, events: FeedEvent[]): Promise<void> {
  for (const event of events) {
    if (event.type === 'objection.opened' || event.type === 'objection.closed') {
      const payload = repairEventSchemas['objection.opened'].parse(event.payload);
      if (payload.targetType !== 'record') continue;
      await mark(
        tx,
        event.subjectKey,
        payload.targetId,
        { disputed: event.type === 'objection.opened' },
        event.createdAt,
      );
      continue;
    }
    if (event.type === 'objection.upheld') {
      const payload = repairEventSchemas['objection.upheld'].parse(event.payload);
      if (payload.targetType !== 'record') continue;
      await mark(tx, event.subjectKey, payload.targetId, { withheldSince: event.createdAt }, event.createdAt);
      continue;
    }
    if (event.type === 'record.repaired') {
      const { recordId, repairedAt } = repairEventSchemas['record.repaired'].parse(event.payload);
      await mark(tx, event.subjectKey, recordId, { repairedAt: new Date(repairedAt) }, event.createdAt);
      const recipients = await tx
        .selectDistinct({ org: accessLog.org, role: accessLog.role })
        .from(accessLog)
        .where(
          and(
            eq(accessLog.subjectKey, event.subjectKey),
            sql`${accessLog.records} @> ${JSON.stringify([{ id: recordId }])}::jsonb`,
          ),
        );
      const rows = recipients
        .filter((r): r is { org: string; role: string } => r.org !== null)
        .map((r) => ({
          org: r.org,
          noticeId: newId('ntc', event.createdAt.getTime()),
          role: r.role,
          subjectKey: event.subjectKey,
          recordId,
          kind: 'record_repaired',
          occurredAt: new Date(repairedAt),
          createdAt: event.createdAt,
        }));
      if (rows.length > 0) await tx.insert(recipientNotices).values(rows).onConflictDoNothing();
    }
  }
}

export const evaluationMarksName = 'query-evaluation-marks';
export const evaluationMarkEvents = ['objection.opened', 'objection.closed'];

/**
 * Marks an evaluation under objection (target type `evaluation`) disputed until the objection
 * closes, as a record is: through an upheld objection until the department's correction closes it,
 * or at once when it is rejected or inadmissible. Only the mark: the check API keeps applying the
 * evaluation's measures meanwhile, as it keeps a disputed record's (docs/disclosure-rules.md).
 */
export async function applyEvaluationMarks(tx: Executor, events: FeedEvent[]): Promise<void> {
  for (const event of events) {
    if (event.type !== 'objection.opened' && event.type !== 'objection.closed') continue;
    const { targetType, targetId } = repairEventSchemas['objection.opened'].parse(event.payload);
    if (targetType !== 'evaluation') continue;
    const disputed = event.type === 'objection.opened';
    await tx
      .insert(evaluationMarks)
      .values({ subjectKey: event.subjectKey, evaluationId: targetId, disputed, updatedAt: event.createdAt })
      .onConflictDoUpdate({
        target: [evaluationMarks.subjectKey, evaluationMarks.evaluationId],
        set: { disputed, updatedAt: event.createdAt },
      });
  }
}
