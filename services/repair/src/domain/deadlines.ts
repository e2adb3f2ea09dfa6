import type { Period } from '@credit/calendar';
import { type Database, type Executor, inTransaction } from '@credit/db';
import type { DeadlineName } from '../db/schema.ts';
import type { CaseRef } from '../repositories/deadline-repository.ts';
import { Journal, type RepairContext } from './journal.ts';

export type { CaseRef } from '../repositories/deadline-repository.ts';

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
  if (scheduled.dueAt) {
    await context.store.deadlines.settle(ref, deadline, tx);
    return scheduled.dueAt;
  }
  const waiting = {
    countedFrom: period.from,
    amount: period.amount,
    unit: period.unit,
    year: scheduled.awaitingYear,
    since: context.clock(),
  };
  await context.store.deadlines.keepWaiting(ref, deadline, waiting, tx);
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
  const waiting = await context.store.deadlines.take(ref, deadline, tx);
  if (!waiting) return 0;
  return Math.max(0, waiting.amount - context.calendar.workingDaysBetween(waiting.countedFrom, at));
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
export async function countAwaiting(
  context: Pick<RepairContext, 'store'>,
): Promise<{ objection: number; repair: number }> {
  const rows = await context.store.deadlines.casesByPrefix();
  const count = (prefix: string) => rows.find((r) => r.prefix === prefix)?.cases ?? 0;
  return { objection: count('obj'), repair: count('rpr') };
}

/** Writes a computed deadline into its case's own column. */
async function setDeadline(
  tx: Executor,
  context: RepairContext,
  ref: CaseRef,
  deadline: DeadlineName,
  dueAt: Date,
  now: Date,
) {
  const objection = { subjectKey: ref.subjectKey, objectionId: ref.caseId };
  const repair = { subjectKey: ref.subjectKey, repairId: ref.caseId };
  const { objections, repairs } = context.store;
  switch (deadline) {
    case 'answer':
      return objections.update(objection, { answerDueAt: dueAt, updatedAt: now }, tx);
    case 'correction':
      return objections.update(objection, { correctionDueAt: dueAt, updatedAt: now }, tx);
    case 'notification':
      return objections.update(objection, { notifyDueAt: dueAt, updatedAt: now }, tx);
    case 'acceptance':
      return repairs.update(repair, { acceptDueAt: dueAt, updatedAt: now }, tx);
    case 'result':
      return repairs.update(repair, { resultDueAt: dueAt, updatedAt: now }, tx);
  }
}

/**
 * Computes every awaiting deadline whose year the calendar now covers: the case gets its date,
 * its history a `deadline_computed` step and its subject a notice. Each in its own transaction,
 * so several instances doing it at once compute each deadline once.
 */
export async function resumeAwaitingDeadlines(db: Database, context: RepairContext): Promise<number> {
  const years = (await context.store.deadlines.yearsAwaited(db)).filter((year) =>
    context.calendar.covers(year),
  );
  if (years.length === 0) return 0;
  const due = await context.store.deadlines.awaitingIn(years, db);
  let computed = 0;
  for (const candidate of due) {
    const done = await inTransaction(db, async (tx) => {
      const waiting = await context.store.deadlines.lockWaiting(candidate, candidate.deadline, tx);
      if (!waiting) return false;
      const now = context.clock();
      const period: Period = { from: waiting.countedFrom, amount: waiting.amount, unit: waiting.unit };
      const dueAt = await schedule(tx, context, waiting, waiting.deadline, period);
      if (!dueAt) return false;
      await setDeadline(tx, context, waiting, waiting.deadline, dueAt, now);
      const note = `${waiting.deadline} due ${dueAt.toISOString()}: the official calendar of ${waiting.year} is loaded`;
      const journal = new Journal(context, tx, now);
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
