import type { Database, Executor } from '@credit/db';
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { entryHistory, listEntries } from '../db/schema.ts';

export type EntryRow = typeof listEntries.$inferSelect;
export type EntryHistoryRow = typeof entryHistory.$inferSelect;

const byKey = (entry: Pick<EntryRow, 'subjectKey' | 'entryId'>) =>
  and(eq(listEntries.subjectKey, entry.subjectKey), eq(listEntries.entryId, entry.entryId));

/** List entries (red, black and watch) and their history; each method runs in the caller's transaction when given one. */
export function createEntryRepository(db: Database) {
  return {
    async insert(entry: EntryRow, executor: Executor = db): Promise<void> {
      await executor.insert(listEntries).values(entry);
    },

    async update(
      entry: Pick<EntryRow, 'subjectKey' | 'entryId'>,
      change: Partial<EntryRow>,
      executor: Executor = db,
    ): Promise<void> {
      await executor.update(listEntries).set(change).where(byKey(entry));
    },

    /** Every entry of a subject, whatever its state. */
    async forSubject(subjectKey: Buffer, executor: Executor = db): Promise<EntryRow[]> {
      return executor.select().from(listEntries).where(eq(listEntries.subjectKey, subjectKey));
    },

    /** The entries linked to an entry (its related persons) that are in one of `statuses`. */
    async childrenOf(
      parentEntryId: string,
      statuses: readonly EntryRow['status'][],
      executor: Executor = db,
    ) {
      return executor
        .select()
        .from(listEntries)
        .where(and(eq(listEntries.parentEntryId, parentEntryId), inArray(listEntries.status, [...statuses])));
    },

    /** Entries awaiting the official calendar, held until the caller's transaction ends (others' skipped). */
    async lockAwaitingCalendar(executor: Executor = db): Promise<EntryRow[]> {
      return executor
        .select()
        .from(listEntries)
        .where(eq(listEntries.status, 'awaiting_calendar'))
        .for('update', { skipLocked: true });
    },

    /** Published entries (not linked ones) whose validity is over by `now`. */
    async publishedEndedBy(now: Date, limit: number, executor: Executor = db): Promise<EntryRow[]> {
      return executor
        .select()
        .from(listEntries)
        .where(
          and(
            eq(listEntries.status, 'published'),
            sql`${listEntries.validUntil} <= ${now}`,
            sql`${listEntries.parentEntryId} IS NULL`,
          ),
        )
        .orderBy(asc(listEntries.validUntil))
        .limit(limit);
    },

    /** Appends a step to an entry's history after its last one. */
    async appendHistory(step: Omit<EntryHistoryRow, 'seq'>, executor: Executor = db): Promise<void> {
      const [last] = await executor
        .select({ seq: entryHistory.seq })
        .from(entryHistory)
        .where(and(eq(entryHistory.subjectKey, step.subjectKey), eq(entryHistory.entryId, step.entryId)))
        .orderBy(desc(entryHistory.seq))
        .limit(1);
      await executor.insert(entryHistory).values({ ...step, seq: (last?.seq ?? 0) + 1 });
    },

    async historyOf(
      entry: Pick<EntryRow, 'subjectKey' | 'entryId'>,
      executor: Executor = db,
    ): Promise<EntryHistoryRow[]> {
      return executor
        .select()
        .from(entryHistory)
        .where(and(eq(entryHistory.subjectKey, entry.subjectKey), eq(entryHistory.entryId, entry.entryId)))
        .orderBy(asc(entryHistory.seq));
    },
  };
}

export type EntryRepository = ReturnType<typeof createEntryRepository>;
