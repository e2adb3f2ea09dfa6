import { shanghaiDate } from '@credit/calendar';
import { type Database, inTransaction } from '@credit/db';
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
 * are noticed once it covers their window, then every subject with records is
 * re-evaluated (absence conditions and display periods change with time alone). Subjects are
 * taken in pages by key, each page in its own transaction.
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
  let after: Buffer | undefined;
  for (;;) {
    const page = await context.store.subjects.keysWithRecords(after, pageSize, db);
    if (page.length === 0) break;
    const summary = await inTransaction(db, (tx) => evaluateSubjects(tx, context, page, now, 'daily-pass'));
    for (const key of Object.keys(summary) as (keyof EvaluationSummary)[]) total[key] += summary[key];
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
