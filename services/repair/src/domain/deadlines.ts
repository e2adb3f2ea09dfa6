import type { Period } from '@credit/calendar';
import { type Database, type Executor, inTransaction } from '@credit/db';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { awaitingDeadlines, type DeadlineName, objections, repairs } from '../db/schema.ts';
import { Journal, type RepairContext } from './journal.ts';

/** A case as its deadlines know it: an objection (obj_…) or a repair application (rpr_…). */
export interface CaseRef {
  subjectKey: Buffer;
  caseId: string;
}

const byCase = (ref: CaseRef) =>
  and(eq(awaitingDeadlines.subjectKey, ref.subjectKey), eq(awaitingDeadlines.caseId, ref.caseId));

/**
 * A case's deadline for a period. When the official calendar does not cover the year it ends in,
 * the period is kept instead (the case is awaiting_calendar) and null returned: the deadline is
 * computed once the year is loaded, never guessed.
 */
export async function schedule(
  tx: Executor,
  context: RepairContext,
  ref: CaseRef,
  deadline: DeadlineName,
  period: Period,
): Promise<Date | null> {
  const scheduled = context.calendar.schedule(period);
  const key = and(byCase(ref), eq(awaitingDeadlines.deadline, deadline));
  if (scheduled.dueAt) {
    await tx.delete(awaitingDeadlines).where(key);
    return scheduled.dueAt;
  }
  const waiting = {
    countedFrom: period.from,
    amount: period.amount,
    unit: period.unit,
    year: scheduled.awaitingYear,
    since: context.clock(),
  };
  await tx
    .insert(awaitingDeadlines)
    .values({ ...ref, deadline, ...waiting })
    .onConflictDoUpdate({
      target: [awaitingDeadlines.subjectKey, awaitingDeadlines.caseId, awaitingDeadlines.deadline],
      set: waiting,
    });
  return null;
}

/** The working days a deadline still has on `at`: from its end, or from its period while it awaits the calendar. */
export async function workingDaysLeft(
  tx: Executor,
  context: RepairContext,
  ref: CaseRef,
  deadline: DeadlineName,
  dueAt: Date | null,
  at: Date,
): Promise<number> {
  if (dueAt) return context.calendar.workingDaysBetween(at, dueAt);
  const [waiting] = await tx
    .delete(awaitingDeadlines)
    .where(and(byCase(ref), eq(awaitingDeadlines.deadline, deadline)))
    .returning();
  if (!waiting) return 0;
  return Math.max(0, waiting.amount - context.calendar.workingDaysBetween(waiting.countedFrom, at));
}

/** The year each deadline of some cases waits for, by case and deadline. */
export async function awaitingOf(
  executor: Executor,
  caseIds: string[],
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
}

/** One deadline of a case as callers see it; `awaitingCalendar` names the year it waits for. */
export function deadlineView(
  kind: DeadlineName,
  dueAt: Date | null,
  metAt: Date | null,
  awaitingCalendar: number | null,
  now: Date,
) {
  return {
    kind,
    dueAt: dueAt?.toISOString() ?? null,
    met: metAt !== null,
    overdue: dueAt !== null && metAt === null && dueAt.getTime() < now.getTime(),
    awaitingCalendar,
  };
}

/** The earliest year a case's deadlines wait for: the case is awaiting_calendar while there is one. */
export function earliestAwaited(deadlines: { awaitingCalendar: number | null }[]): number | null {
  const years = deadlines.flatMap((d) => (d.awaitingCalendar === null ? [] : [d.awaitingCalendar]));
  return years.length > 0 ? Math.min(...years) : null;
}

/** Cases with a deadline awaiting the calendar, by kind (the metric and the credit office's lists). */
export async function countAwaiting(executor: Executor): Promise<{ objection: number; repair: number }> {
  const rows = await executor
    .select({
      kind: sql<string>`left(${awaitingDeadlines.caseId}, 3)`,
      cases: sql<number>`count(DISTINCT ${awaitingDeadlines.caseId})::int`,
    })
    .from(awaitingDeadlines)
    .groupBy(sql`1`);
  const count = (prefix: string) => rows.find((r) => r.kind === prefix)?.cases ?? 0;
  return { objection: count('obj'), repair: count('rpr') };
}

/** Writes a computed deadline into its case's own column. */
async function setDeadline(tx: Executor, ref: CaseRef, deadline: DeadlineName, dueAt: Date, now: Date) {
  const objection = and(eq(objections.subjectKey, ref.subjectKey), eq(objections.objectionId, ref.caseId));
  const repair = and(eq(repairs.subjectKey, ref.subjectKey), eq(repairs.repairId, ref.caseId));
  switch (deadline) {
    case 'answer':
      return tx.update(objections).set({ answerDueAt: dueAt, updatedAt: now }).where(objection);
    case 'correction':
      return tx.update(objections).set({ correctionDueAt: dueAt, updatedAt: now }).where(objection);
    case 'notification':
      return tx.update(objections).set({ notifyDueAt: dueAt, updatedAt: now }).where(objection);
    case 'acceptance':
      return tx.update(repairs).set({ acceptDueAt: dueAt, updatedAt: now }).where(repair);
    case 'result':
      return tx.update(repairs).set({ resultDueAt: dueAt, updatedAt: now }).where(repair);
  }
}

/**
 * Computes every awaiting deadline whose year the calendar now covers: the case gets its date,
 * its history a `deadline_computed` step and its subject a notice. Each in its own transaction,
 * so several instances doing it at once compute each deadline once.
 */
export async function resumeAwaitingDeadlines(db: Database, context: RepairContext): Promise<number> {
  const years = (await db.selectDistinct({ year: awaitingDeadlines.year }).from(awaitingDeadlines)).filter(
    ({ year }) => context.calendar.covers(year),
  );
  if (years.length === 0) return 0;
  const due = await db
    .select()
    .from(awaitingDeadlines)
    .where(
      inArray(
        awaitingDeadlines.year,
        years.map((y) => y.year),
      ),
    );
  let computed = 0;
  for (const candidate of due) {
    const done = await inTransaction(db, async (tx) => {
      const [waiting] = await tx
        .select()
        .from(awaitingDeadlines)
        .where(and(byCase(candidate), eq(awaitingDeadlines.deadline, candidate.deadline)))
        .for('update', { skipLocked: true });
      if (!waiting) return false;
      const now = context.clock();
      const period: Period = { from: waiting.countedFrom, amount: waiting.amount, unit: waiting.unit };
      const dueAt = await schedule(tx, context, waiting, waiting.deadline, period);
      if (!dueAt) return false;
      await setDeadline(tx, waiting, waiting.deadline, dueAt, now);
      const note = `${waiting.deadline} due ${dueAt.toISOString()}: the official calendar of ${waiting.year} is loaded`;
      const journal = new Journal(tx, now);
      await journal.history(waiting.subjectKey, waiting.caseId, 'deadline_computed', 'system', note);
      await journal.notice(
        waiting.subjectKey,
        waiting.caseId.startsWith('obj') ? 'objection' : 'repair',
        waiting.caseId,
        `${waiting.deadline} deadline computed`,
        { deadline: waiting.deadline, dueAt: dueAt.toISOString() },
      );
      await journal.flush();
      return true;
    });
    if (done) computed++;
  }
  return computed;
}
