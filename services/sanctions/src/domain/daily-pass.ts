import { shanghaiDate } from '@credit/calendar';
import { type Database, inTransaction } from '@credit/db';
import type { DueSubject } from '../repositories/subject-repository.ts';
import { expireEntries } from './entry-decisions.ts';
import type { ProcedureContext } from './entry-writer.ts';
import {
  type EvaluationSummary,
  evaluateSubjects,
  noEvaluations,
  resumeAwaitingEntries,
} from './rule-application.ts';

export interface DailySummary extends EvaluationSummary {
  expired: number;
  /** Entries that awaited the official calendar and are noticed now that it covers their window. */
  resumed: number;
}

/**
 * The daily pass: entries past their validity exit, entries that awaited the official calendar
 * are noticed once it covers their window, then the subjects whose outcome may have changed are
 * re-evaluated (docs/lists-and-grades.md, "The daily pass"). Each evaluation stores the next
 * instant at which the subject's outcome could change by time alone, and a change to a subject's
 * entries makes it due at once, so the pass reads only the subjects due by now, down
 * evaluation_due_idx, instead of every subject with records. When the active rules are not the
 * ones the due instants were worked out under (a rule added or changed since), it evaluates every
 * subject with records, as every pass did before, and then records the rules. Subjects are taken
 * in pages by key, each page in its own transaction.
 */
export async function runDailyPass(
  db: Database,
  context: ProcedureContext,
  pageSize = 500,
): Promise<DailySummary> {
  const now = context.clock();
  // Entries past their validity, a page a transaction: an exit leaves the published status, so
  // each page is the next; a backlog neither holds a transaction id throughout nor sits in memory.
  let expired = 0;
  for (;;) {
    const exited = await inTransaction(db, (tx) => expireEntries(tx, context, now, pageSize));
    expired += exited;
    if (exited < pageSize) break;
  }
  const resumed = await inTransaction(db, (tx) => resumeAwaitingEntries(tx, context, now));
  const total: DailySummary = { expired, resumed, ...noEvaluations() };
  const add = (summary: EvaluationSummary) => {
    for (const key of Object.keys(summary) as (keyof EvaluationSummary)[]) total[key] += summary[key];
  };
  const { rules, subjects } = context.store;
  // Read before any subject is evaluated: a rule changed while the pass runs leaves the recorded
  // set behind the active one, and the next pass evaluates everyone again.
  const active = await rules.active(db);
  // Without rules an evaluation changes nothing.
  if (active.length === 0) return total;
  const evaluatedUnder = await rules.evaluatedUnder(db);
  const rulesChanged =
    active.length !== evaluatedUnder.size ||
    active.some((r) => !evaluatedUnder.has(`${r.code}:${r.version}`));
  if (rulesChanged) {
    let after: Buffer | undefined;
    for (;;) {
      const page = await subjects.keysWithRecords(after, pageSize, db);
      if (page.length === 0) break;
      add(await inTransaction(db, (tx) => evaluateSubjects(tx, context, page, now, 'daily-pass')));
      after = page.at(-1);
    }
    await inTransaction(db, (tx) => rules.recordEvaluated(active, tx));
    return total;
  }
  let after: DueSubject | undefined;
  for (;;) {
    const page = await subjects.duePage(now, after, pageSize, db);
    if (page.length === 0) break;
    // A subject without records is not evaluated by the pass (it never was): it leaves the index
    // until an evaluation or a change to its entries makes it due again.
    const evaluated = page.filter((s) => s.hasRecords).map((s) => s.subjectKey);
    const idle = page.filter((s) => !s.hasRecords).map((s) => ({ subjectKey: s.subjectKey, dueAt: null }));
    add(
      await inTransaction(db, async (tx) => {
        await subjects.setDue(idle, tx);
        if (evaluated.length === 0) return noEvaluations();
        return evaluateSubjects(tx, context, evaluated, now, 'daily-pass');
      }),
    );
    after = page.at(-1);
  }
  return total;
}

/**
 * Runs the daily pass if it has not run yet today (Asia/Shanghai). The day is claimed with one
 * conditional upsert on `job_runs`, so of several instances exactly one runs it; a failed run
 * gives the claim back so the next check retries.
 */
export async function runDailyPassIfDue(
  db: Database,
  context: ProcedureContext,
): Promise<DailySummary | undefined> {
  const now = context.clock();
  const today = shanghaiDate(now);
  const { jobs } = context.store;
  const previous = await jobs.lastRun('daily-pass', db);
  if (previous && shanghaiDate(previous) === today) return undefined;
  if (!(await jobs.claimDay('daily-pass', now, db))) return undefined;
  try {
    return await runDailyPass(db, context);
  } catch (error) {
    await jobs.restore('daily-pass', previous, db);
    throw error;
  }
}
