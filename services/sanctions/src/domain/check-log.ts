import { bulkInsertStatement, type DatabaseHandle } from '@credit/db';
import { checks } from '../db/schema.ts';

type CheckRow = typeof checks.$inferInsert;

interface Waiting {
  row: CheckRow;
  done: (error?: unknown) => void;
}

/**
 * At most two inserts in flight, the second only for a full group. Measured with the bench at
 * 10,000 subjects (bench/RESULTS.md): with 10 connections 4 in flight gave 4,447 checks/s, 2 gave
 * 6,064, 1 gave 6,630 — every extra insert took a smaller group, and PostgreSQL's cost per check
 * is mostly per statement (one row alone ~150 µs of its CPU, one of a group of 24 ~15 µs). With
 * one in flight the request thread sat idle ~40 % of the time at 50 connections, its checks
 * waiting for the commit before them; letting a second insert start once 24 checks wait gave
 * +12 to +17 % checks/s (medians of two runs of eight alternated rounds) at the same group size,
 * while a second insert for any group (−14 %) or from 12 waiting (−5 %) lost.
 */
const maxInFlight = 2;
const fullGroup = 24;

/**
 * Keeps every check with group commit: a check is answered only once its row is committed, but
 * the checks that arrive while an insert is under way are written together by the next one, so
 * under load the log costs a round trip and a commit per group instead of one per check. Two
 * groups in flight may commit in either order; each check waits for its own.
 */
export function createCheckLog(handle: DatabaseHandle) {
  let queue: Waiting[] = [];
  let inFlight = 0;

  async function insert(group: Waiting[]): Promise<void> {
    // One JSON document into a prepared statement: parsed and planned once per connection.
    const { text, document } = bulkInsertStatement(
      checks,
      group.map((waiting) => waiting.row),
    );
    await handle.prepared('sanctions_checks_append', text, [document]);
  }

  /** Another insert may start: none is under way, or a full group waits beside the one that is. */
  const mayStart = () => inFlight === 0 || (inFlight < maxInFlight && queue.length >= fullGroup);

  async function flush(): Promise<void> {
    inFlight++;
    try {
      // The last one running takes whatever waits; a second one stops unless a full group does.
      while (queue.length > 0 && (inFlight === 1 || queue.length >= fullGroup)) {
        const group = queue;
        queue = [];
        try {
          await insert(group);
          for (const waiting of group) waiting.done();
        } catch (error) {
          for (const waiting of group) waiting.done(error);
        }
      }
    } finally {
      inFlight--;
    }
  }

  return {
    append(row: CheckRow): Promise<void> {
      return new Promise((resolve, reject) => {
        queue.push({ row, done: (error) => (error === undefined ? resolve() : reject(error)) });
        if (mayStart()) void flush();
      });
    },
  };
}
