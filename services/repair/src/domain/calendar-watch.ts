import { type Database, inTransaction } from '@credit/db';
import { platformWideKey } from '@credit/schema';
import { resumeAwaitingDeadlines } from './deadlines.ts';
import { Journal, type RepairContext } from './journal.ts';

/** What the credit office is told when the calendar lacks a year it needs. */
export function missingYearDetail(year: number): string {
  return `the official holiday calendar for ${year} (国务院办公厅关于${year}年部分节假日安排的通知) is not loaded: deadlines ending in ${year} wait in awaiting_calendar until the credit office loads it (PUT /v1/calendar/${year}, see docs/deadlines.md)`;
}

/**
 * Keeps the calendar current and nothing stalled in silence: reloads the years the credit office
 * loaded through any instance, computes the deadlines that waited for them, and tells the credit
 * office once per year (a notice it reads at GET /v1/notices) when the current year, or from
 * 1 November the next, is not covered. Runs when the service starts and then on a schedule.
 */
export async function watchCalendar(db: Database, context: RepairContext): Promise<void> {
  for (const year of await context.store.calendarYears.loadedYears(db)) context.calendar.load(year);
  await resumeAwaitingDeadlines(db, context);
  const now = context.clock();
  for (const year of context.calendar.missingYears(now)) {
    await inTransaction(db, async (tx) => {
      // One notice per missing year, whichever instance sees it first.
      if (!(await context.store.jobs.claimOnce(`calendar-missing-${year}`, now, tx))) return;
      const journal = new Journal(context, tx, now);
      await journal.notice(
        platformWideKey,
        'calendar_year_missing',
        `calendar-${year}`,
        `official calendar ${year} not loaded`,
        { year, detail: missingYearDetail(year) },
      );
    });
  }
}
