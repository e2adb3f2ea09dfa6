import { type Database, inTransaction } from '@credit/db';
import { Journal, type RepairContext } from './journal.ts';

/** Records whose display ended, announced per transaction. */
export const defaultExpiryPageSize = 1_000;

/**
 * Ends the display of items whose period (展示期限) is over: each is announced once, so the
 * sanctions service stops using it at once and nobody but its subject is shown it. Readers also
 * compare display ends with the clock, so nothing is shown late if this job runs late.
 */
export async function runExpiry(
  db: Database,
  context: RepairContext,
  pageSize = defaultExpiryPageSize,
): Promise<{ ended: number }> {
  const now = context.clock();
  const { items, jobs } = context.store;
  let ended = 0;
  // A page a transaction, the job's mark moved to the page's last end with it: a run after a
  // long stop (or the first, on data brought in) neither holds a transaction id for the whole
  // backlog, which would stand every event feed still, nor holds the backlog in memory.
  for (;;) {
    const page = await inTransaction(db, async (tx) => {
      const since = (await jobs.lockLastRun('display-expiry', tx)) ?? new Date(0);
      const { rows, complete } = await items.recordsWhoseDisplayEnded(since, now, pageSize, tx);
      const journal = new Journal(context, tx, now);
      for (const record of rows) {
        journal.event('record.display_ended', record.subjectKey, record.recordId, {
          recordId: record.recordId,
          displayUntil: record.displayUntil?.toISOString() ?? now.toISOString(),
        });
      }
      await journal.flush();
      await jobs.markRun('display-expiry', complete ? now : (rows.at(-1)?.displayUntil ?? now), tx);
      return { ended: rows.length, complete };
    });
    ended += page.ended;
    if (page.complete) return { ended };
  }
}
