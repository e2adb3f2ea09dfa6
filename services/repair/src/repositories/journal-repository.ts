import { newId } from '@credit/crypto';
import type { Database, Executor } from '@credit/db';
import { appendEvents, type NewEvent } from '@credit/events';
import { and, desc, eq } from 'drizzle-orm';
import { caseHistory, notices, repairOutbox, repairSchemaName } from '../db/schema.ts';

export type NoticeRow = typeof notices.$inferSelect;

/** What case changes leave behind: case history (never rewritten), subjects' notices, and the repair feed. */
export function createJournalRepository(db: Database) {
  return {
    /** Appends a step to a case's history after its last one. */
    async appendHistory(
      step: {
        subjectKey: Buffer;
        caseId: string;
        status: string;
        at: Date;
        actor: string;
        note: string | null;
      },
      executor: Executor = db,
    ): Promise<void> {
      const [last] = await executor
        .select({ seq: caseHistory.seq })
        .from(caseHistory)
        .where(and(eq(caseHistory.subjectKey, step.subjectKey), eq(caseHistory.caseId, step.caseId)))
        .orderBy(desc(caseHistory.seq))
        .limit(1);
      await executor.insert(caseHistory).values({ ...step, seq: (last?.seq ?? 0) + 1 });
    },

    async historyOf(subjectKey: Buffer, caseId: string, executor: Executor = db) {
      return executor
        .select()
        .from(caseHistory)
        .where(and(eq(caseHistory.subjectKey, subjectKey), eq(caseHistory.caseId, caseId)))
        .orderBy(caseHistory.seq);
    },

    async addNotice(notice: Omit<NoticeRow, 'noticeId'>, executor: Executor = db): Promise<void> {
      await executor
        .insert(notices)
        .values({ ...notice, noticeId: newId('ntc', notice.createdAt.getTime()) });
    },

    /** Appends events to the repair feed, in the transaction of the change they announce. */
    async publish(events: NewEvent[], now: Date, executor: Executor = db): Promise<void> {
      await appendEvents(executor, repairOutbox, repairSchemaName, events, now);
    },
  };
}

export type JournalRepository = ReturnType<typeof createJournalRepository>;
