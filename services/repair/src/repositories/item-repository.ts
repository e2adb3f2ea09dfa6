import type { Database, Executor } from '@credit/db';
import { and, eq, gt, lte } from 'drizzle-orm';
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
    async recordsWhoseDisplayEnded(since: Date, now: Date, executor: Executor = db) {
      return executor
        .select()
        .from(records)
        .where(
          and(eq(records.status, 'active'), gt(records.displayUntil, since), lte(records.displayUntil, now)),
        );
    },
  };
}

export type ItemRepository = ReturnType<typeof createItemRepository>;
