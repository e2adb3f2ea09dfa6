import type { Database } from '@credit/db';
import { sql } from 'drizzle-orm';
import type { checks } from '../db/schema.ts';

type CheckRow = typeof checks.$inferInsert;

interface Waiting {
  row: CheckRow;
  done: (error?: unknown) => void;
}

/**
 * Inserts in flight at once: one commits while the next group forms. Measured with the bench at
 * 10,000 subjects and 10 connections: 4 in flight 4,447 checks/s (p99 8 ms), 2 in flight 6,064
 * (p99 5 ms), 1 in flight 6,630 (p99 4 ms) — fewer, larger groups cost PostgreSQL less per check.
 */
const maxInFlight = 2;

/**
 * Keeps every check with group commit: a check is answered only once its row is committed, but
 * the checks that arrive while inserts are under way are written together by the next one, so
 * under load the log costs a round trip per group instead of one per check. One statement
 * whatever the group's size (a column per array), so the server plans it once per connection.
 */
export function createCheckLog(db: Database) {
  let queue: Waiting[] = [];
  let inFlight = 0;

  async function insert(group: Waiting[]): Promise<void> {
    const column = <T>(pick: (row: CheckRow) => T) => sql.param(group.map((w) => pick(w.row)));
    // Text arrays only (keys as hex), which every driver, PGlite included, passes alike.
    await db.execute(sql`
      INSERT INTO sanctions.checks
        (subject_key, check_id, org, role, action, purpose, decision, entries, measures, checked_at)
      SELECT decode(u.k, 'hex'), u.id, u.org, u.role, u.action, u.purpose, u.decision,
             u.entries::jsonb, u.measures::jsonb, u.at::timestamptz
      FROM unnest(
        ${column((r) => r.subjectKey.toString('hex'))}::text[],
        ${column((r) => r.checkId)}::text[],
        ${column((r) => r.org)}::text[],
        ${column((r) => r.role)}::text[],
        ${column((r) => r.action)}::text[],
        ${column((r) => r.purpose)}::text[],
        ${column((r) => r.decision)}::text[],
        ${column((r) => JSON.stringify(r.entries))}::text[],
        ${column((r) => JSON.stringify(r.measures))}::text[],
        ${column((r) => r.checkedAt.toISOString())}::text[]
      ) AS u(k, id, org, role, action, purpose, decision, entries, measures, at)`);
  }

  async function flush(): Promise<void> {
    inFlight++;
    try {
      while (queue.length > 0) {
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
        if (inFlight < maxInFlight) void flush();
      });
    },
  };
}
