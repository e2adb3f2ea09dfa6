import { startOfShanghaiDayOf } from '@credit/calendar';
import type { Database, Executor } from '@credit/db';
import { lt, sql } from 'drizzle-orm';
import { jobRuns } from '../db/schema.ts';

const isJob = (job: string) => sql`${jobRuns.job} = ${job}`;

/** When the service's daily jobs last ran; a day's run is claimed by one instance. */
export function createJobRepository(db: Database) {
  return {
    async lastRun(job: string, executor: Executor = db): Promise<Date | undefined> {
      const [row] = await executor.select().from(jobRuns).where(isJob(job));
      return row?.lastRunAt;
    },

    /** Claims the job for the Shanghai day of `now`; false when it already ran that day. */
    async claimDay(job: string, now: Date, executor: Executor = db): Promise<boolean> {
      const claimed = await executor
        .insert(jobRuns)
        .values({ job, lastRunAt: now })
        .onConflictDoUpdate({
          target: jobRuns.job,
          set: { lastRunAt: now },
          // It last ran on an earlier Shanghai day exactly when it last ran before today began there.
          setWhere: lt(jobRuns.lastRunAt, startOfShanghaiDayOf(now)),
        })
        .returning();
      return claimed.length > 0;
    },

    /** Gives back a claim whose run failed: the job's last run is what it was before (or none). */
    async restore(job: string, previous: Date | undefined, executor: Executor = db): Promise<void> {
      if (previous) await executor.update(jobRuns).set({ lastRunAt: previous }).where(isJob(job));
      else await executor.delete(jobRuns).where(isJob(job));
    },
  };
}

export type JobRepository = ReturnType<typeof createJobRepository>;
