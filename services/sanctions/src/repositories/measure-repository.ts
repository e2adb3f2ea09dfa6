import type { Database, Executor } from '@credit/db';
import { measures } from '../db/schema.ts';

export type MeasureRow = typeof measures.$inferSelect;

/** The measures catalogue (惩戒和激励措施) entries trigger. */
export function createMeasureRepository(db: Database) {
  return {
    async all(executor: Executor = db): Promise<MeasureRow[]> {
      return executor.select().from(measures);
    },
  };
}
