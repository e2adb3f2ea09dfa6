import type { Database } from '@credit/db';
import { checks } from '../db/schema.ts';

type CheckRow = typeof checks.$inferInsert;

interface Waiting {
  row: CheckRow;
  done: (error?: unknown) => void;
}

/**
 * Keeps every check with group commit: a check waits until its row is written, but the checks
 * that arrive while one insert is under way are written together by the next, so under load
 * the log costs one round trip per group instead of one per check.
 */
export function createCheckLog(db: Database) {
  let queue: Waiting[] = [];
  let flushing = false;

  async function flush(): Promise<void> {
    flushing = true;
    while (queue.length > 0) {
      const group = queue;
      queue = [];
      try {
        await db.insert(checks).values(group.map((w) => w.row));
        for (const waiting of group) waiting.done();
      } catch (error) {
        for (const waiting of group) waiting.done(error);
      }
    }
    flushing = false;
  }

  return {
    append(row: CheckRow): Promise<void> {
      return new Promise((resolve, reject) => {
        queue.push({ row, done: (error) => (error === undefined ? resolve() : reject(error)) });
        if (!flushing) void flush();
      });
    },
  };
}
