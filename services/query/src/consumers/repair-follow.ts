import { newId } from '@credit/crypto';
import type { Executor } from '@credit/db';
import type { FeedEvent } from '@credit/events';
import { repairEventSchemas } from '@credit/schema';
import { and, eq, sql } from 'drizzle-orm';
import { accessLog, recipientNotices, records } from '../db/schema.ts';

export const queryRepairFollowName = 'query-repair-follow';
export const queryFollowedRepairEvents = ['objection.opened', 'objection.closed', 'record.repaired'];

/**
 * Marks what the repair service decides: a record under objection is shown disputed until the
 * objection closes; a repaired record stops being shown to anyone but its subject, and every
 * agency or department that took a report containing it (the access log says who) gets a notice.
 */
export async function applyRepairEvents(tx: Executor, events: FeedEvent[]): Promise<void> {
  for (const event of events) {
    if (event.type === 'objection.opened' || event.type === 'objection.closed') {
      const payload = repairEventSchemas['objection.opened'].parse(event.payload);
      if (payload.targetType !== 'record') continue;
      await tx
        .update(records)
        .set({ disputed: event.type === 'objection.opened' })
        .where(and(eq(records.subjectKey, event.subjectKey), eq(records.recordId, payload.targetId)));
      continue;
    }
    if (event.type === 'record.repaired') {
      const { recordId, repairedAt } = repairEventSchemas['record.repaired'].parse(event.payload);
      await tx
        .update(records)
        .set({ repairedAt: new Date(repairedAt) })
        .where(and(eq(records.subjectKey, event.subjectKey), eq(records.recordId, recordId)));
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
