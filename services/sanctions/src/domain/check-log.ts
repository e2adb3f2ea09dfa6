import type { DatabaseHandle } from '@credit/db';
import type { checks } from '../db/schema.ts';

type CheckRow = typeof checks.$inferInsert;

interface Waiting {
  row: CheckRow;
  done: (error?: unknown) => void;
}

/**
 * One insert in flight: the checks that arrive meanwhile form the next group. Measured with the
 * bench at 10,000 subjects (bench/RESULTS.md): with 10 connections 4 in flight gave 4,447
 * checks/s, 2 gave 6,064, 1 gave 6,630; after the statement was prepared, 2 gave 7,000 and 1
 * 8,178 (12,211 and 14,164 with 50 connections) — fewer, larger groups cost PostgreSQL less per check.
 */
const maxInFlight = 1;

const appendStatement = `
  INSERT INTO sanctions.checks
    (subject_key, check_id, org, role, action, purpose, decision, entries, measures, checked_at)
  SELECT decode(u.k, 'hex'), u.id, u.org, u.role, u.action, u.purpose, u.decision,
         u.entries, u.measures, u.at
  FROM json_to_recordset($1::json)
    AS u(k text, id text, org text, role text, action text, purpose text, decision text,
         entries jsonb, measures jsonb, at timestamptz)`;

/**
 * Keeps every check with group commit: a check is answered only once its row is committed, but
 * the checks that arrive while inserts are under way are written together by the next one, so
 * under load the log costs a round trip and a commit per group instead of one per check.
 */
export function createCheckLog(handle: DatabaseHandle) {
  let queue: Waiting[] = [];
  let inFlight = 0;

  async function insert(group: Waiting[]): Promise<void> {
    // The group travels as one JSON document (serialised natively) into a prepared statement:
    // no per-value escaping in JavaScript, and the server parses and plans it once per connection.
    const document = JSON.stringify(
      group.map(({ row }) => ({
        k: row.subjectKey.toString('hex'),
        id: row.checkId,
        org: row.org,
        role: row.role,
        action: row.action,
        purpose: row.purpose,
        decision: row.decision,
        entries: row.entries,
        measures: row.measures,
        at: row.checkedAt.toISOString(),
      })),
    );
    await handle.prepared('sanctions_checks_append', appendStatement, [document]);
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
