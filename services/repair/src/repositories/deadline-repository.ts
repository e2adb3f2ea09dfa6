import type { Database, Executor } from '@credit/db';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { awaitingDeadlines, type DeadlineName } from '../db/schema.ts';

/** A case as its deadlines know it: an objection (obj_…) or a repair application (rpr_…). */
export interface CaseRef {
  subjectKey: Buffer;
  caseId: string;
}

export type AwaitingDeadline = typeof awaitingDeadlines.$inferSelect;
type Waiting = Omit<AwaitingDeadline, 'subjectKey' | 'caseId' | 'deadline'>;

const byDeadline = (ref: CaseRef, deadline: DeadlineName) =>
  and(
    eq(awaitingDeadlines.subjectKey, ref.subjectKey),
    eq(awaitingDeadlines.caseId, ref.caseId),
    eq(awaitingDeadlines.deadline, deadline),
  );

/** Case deadlines that wait for the official calendar of their year (awaiting_calendar). */
export function createDeadlineRepository(db: Database) {
  return {
    /** The deadline no longer waits (it is computed, or its case moved on). */
    async settle(ref: CaseRef, deadline: DeadlineName, executor: Executor = db): Promise<void> {
      await executor.delete(awaitingDeadlines).where(byDeadline(ref, deadline));
    },

    /** Keeps the deadline's period until its year is loaded, replacing what it waited for before. */
    async keepWaiting(ref: CaseRef, deadline: DeadlineName, waiting: Waiting, executor: Executor = db) {
      await executor
        .insert(awaitingDeadlines)
        .values({ ...ref, deadline, ...waiting })
        .onConflictDoUpdate({
          target: [awaitingDeadlines.subjectKey, awaitingDeadlines.caseId, awaitingDeadlines.deadline],
          set: waiting,
        });
    },

    /** Removes the waiting deadline and answers what it waited with, if it waited. */
    async take(
      ref: CaseRef,
      deadline: DeadlineName,
      executor: Executor = db,
    ): Promise<AwaitingDeadline | undefined> {
      const [row] = await executor.delete(awaitingDeadlines).where(byDeadline(ref, deadline)).returning();
      return row;
    },

    /** The waiting deadline, held until the caller's transaction ends; undefined if gone or held elsewhere. */
    async lockWaiting(
      ref: CaseRef,
      deadline: DeadlineName,
      executor: Executor = db,
    ): Promise<AwaitingDeadline | undefined> {
      const [row] = await executor
        .select()
        .from(awaitingDeadlines)
        .where(byDeadline(ref, deadline))
        .for('update', { skipLocked: true });
      return row;
    },

    /** The year each deadline of some cases waits for, by case and deadline. */
    async awaitingOf(
      caseIds: string[],
      executor: Executor = db,
    ): Promise<Map<string, Map<DeadlineName, number>>> {
      const byCaseId = new Map<string, Map<DeadlineName, number>>();
      if (caseIds.length === 0) return byCaseId;
      const rows = await executor
        .select()
        .from(awaitingDeadlines)
        .where(inArray(awaitingDeadlines.caseId, caseIds));
      for (const row of rows) {
        const deadlines = byCaseId.get(row.caseId) ?? new Map<DeadlineName, number>();
        deadlines.set(row.deadline, row.year);
        byCaseId.set(row.caseId, deadlines);
      }
      return byCaseId;
    },

    /** The years some deadline waits for. */
    async yearsAwaited(executor: Executor = db): Promise<number[]> {
      const rows = await executor.selectDistinct({ year: awaitingDeadlines.year }).from(awaitingDeadlines);
      return rows.map((r) => r.year);
    },

    /** The deadlines that wait for one of these years. */
    async awaitingIn(years: number[], executor: Executor = db): Promise<AwaitingDeadline[]> {
      return executor.select().from(awaitingDeadlines).where(inArray(awaitingDeadlines.year, years));
    },

    /** Cases with a deadline awaiting the calendar, by the prefix of their id (obj, rpr). */
    async casesByPrefix(executor: Executor = db): Promise<{ prefix: string; cases: number }[]> {
      return executor
        .select({
          prefix: sql<string>`left(${awaitingDeadlines.caseId}, 3)`,
          cases: sql<number>`count(DISTINCT ${awaitingDeadlines.caseId})::int`,
        })
        .from(awaitingDeadlines)
        .groupBy(sql`1`);
    },
  };
}

export type DeadlineRepository = ReturnType<typeof createDeadlineRepository>;
