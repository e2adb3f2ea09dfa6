import { shanghaiDate } from '@credit/calendar';
import { type Database, inTransaction } from '@credit/db';
import { asc, gt, sql } from 'drizzle-orm';
import { jobRuns, records } from '../db/schema.ts';
import { expireEntries } from './entry-decisions.ts';
import type { ProcedureContext } from './entry-writer.ts';
import { type EvaluationSummary, evaluateSubjects, resumeAwaitingEntries } from './rule-application.ts';

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
  const expired = await inTransaction(db, (tx) => expireEntries(tx, context, now));
  const resumed = await inTransaction(db, (tx) => resumeAwaitingEntries(tx, context, now));
  const total: DailySummary = {
    expired,
    resumed,
    subjects: 0,
    proposed: 0,
    awaitingCalendar: 0,
    cancelled: 0,
    exited: 0,
    graded: 0,
  };
  let after: Buffer | undefined;
  for (;;) {
    const page = await db
      .selectDistinct({ subjectKey: records.subjectKey })
      .from(records)
      .where(after ? gt(records.subjectKey, after) : undefined)
      .orderBy(asc(records.subjectKey))
      .limit(pageSize);
    if (page.length === 0) break;
    const summary = await inTransaction(db, (tx) =>
      evaluateSubjects(
        tx,
        context,
        page.map((p) => p.subjectKey),
        now,
        'daily-pass',
      ),
    );
    for (const key of Object.keys(summary) as (keyof EvaluationSummary)[]) total[key] += summary[key];
    after = page.at(-1)?.subjectKey;
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
  const [previous] = await db.select().from(jobRuns).where(sql`${jobRuns.job} = 'daily-pass'`);
  if (previous && shanghaiDate(previous.lastRunAt) === today) return undefined;
  const claimed = await db
    .insert(jobRuns)
    .values({ job: 'daily-pass', lastRunAt: now })
    .onConflictDoUpdate({
      target: jobRuns.job,
      set: { lastRunAt: now },
      setWhere: sql`(${jobRuns.lastRunAt} AT TIME ZONE 'Asia/Shanghai')::date < (${now}::timestamptz AT TIME ZONE 'Asia/Shanghai')::date`,
    })
    .returning();
  if (claimed.length === 0) return undefined;
  try {
    return await runDailyPass(db, context);
  } catch (error) {
    if (previous)
      await db
        .update(jobRuns)
        .set({ lastRunAt: previous.lastRunAt })
        .where(sql`${jobRuns.job} = 'daily-pass'`);
    else await db.delete(jobRuns).where(sql`${jobRuns.job} = 'daily-pass'`);
    throw error;
  }
}
