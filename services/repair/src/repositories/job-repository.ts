import type { Database, Executor } from '@credit/db';
import { eq, sql } from 'drizzle-orm';
import { jobRuns } from '../db/schema.ts';

/** When the service's jobs last ran, and which one-off jobs are claimed. */
export function createJobRepository(db: Database) {
  return {
    /** When the job last ran, its row held until the caller's transaction ends. */
    async lockLastRun(job: string, executor: Executor = db): Promise<Date | undefined> {
      const [row] = await executor.select().from(jobRuns).where(eq(jobRuns.job, job)).for('update');
      return row?.lastRunAt;
    },

    async markRun(job: string, at: Date, executor: Executor = db): Promise<void> {
      await executor
        .insert(jobRuns)
        .values({ job, lastRunAt: at })
        .onConflictDoUpdate({ target: jobRuns.job, set: { lastRunAt: sql`excluded.last_run_at` } });
    },

    /** Claims a job that is done once; false when another instance claimed it first. */
    async claimOnce(job: string, at: Date, executor: Executor = db): Promise<boolean> {
      const claimed = await executor
        .insert(jobRuns)
        .values({ job, lastRunAt: at })
        .onConflictDoNothing()
        .returning();
      return claimed.length > 0;
    },
  };
}

export type JobRepository = ReturnType<typeof createJobRepository>;
