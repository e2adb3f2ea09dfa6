import { type Database, inTransaction } from '@credit/db';
import { and, eq, gt, lte, sql } from 'drizzle-orm';
import { jobRuns, records } from '../db/schema.ts';
import { Journal, type RepairContext } from './journal.ts';

/**
 * Ends the display of items whose period (展示期限) is over: each is announced once, so the
 * sanctions service stops using it at once and nobody but its subject is shown it. Readers also
 * compare display ends with the clock, so nothing is shown late if this job runs late.
 */
export async function runExpiry(db: Database, context: RepairContext): Promise<{ ended: number }> {
  const now = context.clock();
  return inTransaction(db, async (tx) => {
    const [last] = await tx.select().from(jobRuns).where(eq(jobRuns.job, 'display-expiry')).for('update');
    const since = last?.lastRunAt ?? new Date(0);
    const due = await tx
      .select()
      .from(records)
      .where(
        and(eq(records.status, 'active'), gt(records.displayUntil, since), lte(records.displayUntil, now)),
      );
    const journal = new Journal(tx, now);
    for (const record of due) {
      journal.event('record.display_ended', record.subjectKey, record.recordId, {
        recordId: record.recordId,
        displayUntil: record.displayUntil?.toISOString() ?? now.toISOString(),
      });
    }
    await journal.flush();
    await tx
      .insert(jobRuns)
      .values({ job: 'display-expiry', lastRunAt: now })
      .onConflictDoUpdate({ target: jobRuns.job, set: { lastRunAt: sql`excluded.last_run_at` } });
    return { ended: due.length };
  });
}
