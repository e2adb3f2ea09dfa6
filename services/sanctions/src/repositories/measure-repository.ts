import type { Database, Executor } from '@credit/db';
import { asc, gt } from 'drizzle-orm';
import { measures } from '../db/schema.ts';

export type MeasureRow = typeof measures.$inferSelect;

/** The measures catalogue (惩戒和激励措施) entries trigger. */
export function createMeasureRepository(db: Database) {
  return {
    async all(executor: Executor = db): Promise<MeasureRow[]> {
      return executor.select().from(measures);
    },

    /** `limit` measures after the code `after`, by code (the primary key). */
    async page(after: string | undefined, limit: number): Promise<MeasureRow[]> {
      return db
        .select()
        .from(measures)
        .where(after ? gt(measures.code, after) : undefined)
        .orderBy(asc(measures.code))
        .limit(limit);
    },
  };
}
