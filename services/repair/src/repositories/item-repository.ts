import type { Database, Executor } from '@credit/db';
import { and, asc, eq, gt, lte } from 'drizzle-orm';
import { evaluations, listEntries, records } from '../db/schema.ts';

export type ItemType = 'record' | 'listEntry' | 'evaluation';

/**
 * The items objections and repairs are about, as this service's projections of the ingest and
 * sanctions feeds hold them: records, list entries and evaluations.
 */
export function createItemRepository(db: Database) {
  return {
    async findRecord(recordId: string, executor: Executor = db) {
      const [row] = await executor.select().from(records).where(eq(records.recordId, recordId));
      return row;
    },

    async findListEntry(entryId: string, executor: Executor = db) {
      const [row] = await executor.select().from(listEntries).where(eq(listEntries.entryId, entryId));
      return row;
    },

    async findEvaluation(evaluationId: string, executor: Executor = db) {
      const [row] = await executor
        .select()
        .from(evaluations)
        .where(eq(evaluations.evaluationId, evaluationId));
      return row;
    },

    /** Holds the item's row until the caller's transaction ends. */
    async lock(type: 'record' | 'listEntry', id: string, executor: Executor = db): Promise<void> {
      if (type === 'record') {
        await executor
          .select({ id: records.recordId })
          .from(records)
          .where(eq(records.recordId, id))
          .for('update');
      } else {
        await executor
          .select({ id: listEntries.entryId })
          .from(listEntries)
          .where(eq(listEntries.entryId, id))
          .for('update');
      }
    },

    /** Standing records whose display period ended after `since` and by `now`. */
    /**
     * The next page of active records whose display ended after `since`, up to `now`, in order
     * of their ends: about `limit` of them, cut between two instants so a job can mark the
     * page's last instant done. Display ends fall on day boundaries, so many records share one;
     * when more than `limit` share the first, the page is all of them. `complete` when it holds
     * every record that is due.
     */
    async recordsWhoseDisplayEnded(since: Date, now: Date, limit: number, executor: Executor = db) {
      const due = and(
        eq(records.status, 'active'),
        gt(records.displayUntil, since),
        lte(records.displayUntil, now),
      );
      const ends = asc(records.displayUntil);
      const first = await executor
        .select()
        .from(records)
        .where(due)
        .orderBy(ends, asc(records.subjectKey), asc(records.recordId))
        .limit(limit + 1);
      const edge = first[limit]?.displayUntil;
      if (!edge) return { rows: first, complete: true };
      const before = first.filter((row) => (row.displayUntil as Date) < edge);
      if (before.length > 0) return { rows: before, complete: false };
      const tied = await executor
        .select()
        .from(records)
        .where(and(due, eq(records.displayUntil, edge)))
        .orderBy(asc(records.subjectKey), asc(records.recordId));
      return { rows: tied, complete: false };
    },
  };
}

export type ItemRepository = ReturnType<typeof createItemRepository>;
