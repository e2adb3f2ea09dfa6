import { type Database, inTransaction } from '@credit/db';
import { Journal, type RepairContext } from './journal.ts';

/**
 * Ends the display of items whose period (展示期限) is over: each is announced once, so the
 * sanctions service stops using it at once and nobody but its subject is shown it. Readers also
 * compare display ends with the clock, so nothing is shown late if this job runs late.
 */
export async function runExpiry(db: Database, context: RepairContext): Promise<{ ended: number }> {
  const now = context.clock();
  const { items, jobs } = context.store;
  return inTransaction(db, async (tx) => {
    const since = (await jobs.lockLastRun('display-expiry', tx)) ?? new Date(0);
    const due = await items.recordsWhoseDisplayEnded(since, now, tx);
    const journal = new Journal(context, tx, now);
    for (const record of due) {
      journal.event('record.display_ended', record.subjectKey, record.recordId, {
        recordId: record.recordId,
        displayUntil: record.displayUntil?.toISOString() ?? now.toISOString(),
      });
    }
    await journal.flush();
    await jobs.markRun('display-expiry', now, tx);
    return { ended: due.length };
  });
}
