import type { Executor } from '@credit/db';
import { consumeOnce, type FeedEvent, feedStart, readFeed } from '@credit/events';
import { createTestPlatform, eventually, type TestPlatform } from '@credit/testing';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The feed must never skip an event: a reader that follows a serial id skips the rows of a
 * transaction that took its id early and committed late. These tests hold such a transaction
 * open on purpose, then run many concurrent writers against a polling reader.
 */
let platform: TestPlatform;

const schema = 'feedtest';
const ddl = `
  CREATE SCHEMA ${schema};
  CREATE TABLE ${schema}.events (
    tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
    seq bigint GENERATED ALWAYS AS IDENTITY,
    event_id uuid NOT NULL DEFAULT gen_random_uuid(),
    type text NOT NULL,
    subject_key bytea NOT NULL,
    aggregate_id text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject_key, seq)
  );
  CREATE INDEX ON ${schema}.events (tx_id, seq);
  CREATE TABLE ${schema}.event_cursors (
    consumer text NOT NULL, source text NOT NULL, tx_id xid8 NOT NULL, seq bigint NOT NULL,
    updated_at timestamptz NOT NULL, PRIMARY KEY (consumer, source));
  CREATE TABLE ${schema}.applied (aggregate_id text PRIMARY KEY);`;

function insertSql(id: string, type = 't'): string {
  return `INSERT INTO ${schema}.events (type, subject_key, aggregate_id, payload) VALUES ('${type}', '\\x00', '${id}', '{}')`;
}

beforeAll(async () => {
  platform = await createTestPlatform([]);
  await platform.database.execScript(ddl);
});
afterAll(async () => platform?.close());

describe('gap-free event feed', () => {
  it('holds back a committed event until an older open transaction ends, where a serial-id reader skips it', async (context) => {
    if (platform.databaseKind !== 'postgres') context.skip();
    const url = platform.databaseUrl as string;
    const early = new pg.Client({ connectionString: url });
    const late = new pg.Client({ connectionString: url });
    await early.connect();
    await late.connect();
    try {
      await early.query('BEGIN');
      await early.query(insertSql('early')); // takes the smaller xid and seq, stays open
      await late.query(insertSql('late')); // commits at once with a larger xid and seq

      const naive = await platform.database.query<{ aggregate_id: string; seq: string }>(
        `SELECT aggregate_id, seq FROM ${schema}.events WHERE seq > 0 ORDER BY seq`,
      );
      expect(naive.map((r) => r.aggregate_id)).toEqual(['late']);
      const naiveCursor = Number(naive.at(-1)?.seq);

      expect(await readFeed(platform.database.db, schema, feedStart, 100)).toEqual([]);

      await early.query('COMMIT');
      // Release waits for every older write transaction of the cluster (other test files' too).
      const feed = await eventually(
        () => readFeed(platform.database.db, schema, feedStart, 100),
        (events) => events.length >= 2,
      );
      expect(feed.map((e) => e.aggregateId)).toEqual(['early', 'late']);

      // The serial-id reader resumes after 'late' and never sees 'early'.
      const afterNaive = await platform.database.query(
        `SELECT aggregate_id FROM ${schema}.events WHERE seq > $1`,
        [naiveCursor],
      );
      expect(afterNaive).toEqual([]);
    } finally {
      await early.end();
      await late.end();
    }
  });

  it('delivers every event exactly once to a consumer polling while many writers commit out of order', async (context) => {
    if (platform.databaseKind !== 'postgres') context.skip();
    const url = platform.databaseUrl as string;
    const writers = 8;
    const transactionsPerWriter = 25;
    const pool = new pg.Pool({ connectionString: url, max: writers });
    // pool.end() resolves before its clients' sockets close; the database dropped right after
    // the test can reach a closing client, which must not crash the run.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    let writing = true;
    const consumer = {
      handle: platform.database,
      source: schema,
      cursorSchema: schema,
      name: 'gap-test',
      batchSize: 50,
      // Applied in the consumer's transaction: a duplicate would violate the primary key.
      apply: async (tx: Executor, events: FeedEvent[]) => {
        for (const event of events) {
          await tx.execute(sql`INSERT INTO feedtest.applied (aggregate_id) VALUES (${event.aggregateId})`);
        }
      },
    };
    const reader = (async () => {
      while (writing) {
        await consumeOnce(platform.database.db, consumer);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const written: string[] = [];
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let t = 0; t < transactionsPerWriter; t++) {
          const client = await pool.connect();
          try {
            await client.query('BEGIN');
            const ids = [`w${w}-t${t}-a`, `w${w}-t${t}-b`];
            await client.query(insertSql(ids[0] as string));
            // Hold some transactions open so later ones commit first.
            await new Promise((r) =>
              setTimeout(r, Math.random() < 0.3 ? 15 + Math.random() * 25 : Math.random() * 3),
            );
            await client.query(insertSql(ids[1] as string));
            await client.query('COMMIT');
            written.push(...ids);
          } finally {
            client.release();
          }
        }
      }),
    );
    writing = false;
    await reader;
    await pool.end();
    const count = async () =>
      Number(
        (
          await platform.database.query<{ n: string }>(
            "SELECT count(*) AS n FROM feedtest.applied WHERE aggregate_id LIKE 'w%'",
          )
        )[0]?.n,
      );
    await eventually(
      async () => {
        await consumeOnce(platform.database.db, consumer);
        return count();
      },
      (n) => n >= written.length,
    );

    const applied = await platform.database.query<{ aggregate_id: string }>(
      "SELECT aggregate_id FROM feedtest.applied WHERE aggregate_id LIKE 'w%'",
    );
    console.log(
      `feed: ${written.length} events from ${writers} concurrent writers, ${applied.length} applied exactly once`,
    );
    expect(applied.map((r) => r.aggregate_id).sort()).toEqual([...written].sort());
  });

  it('moves a typed consumer past the events it skips, without skipping one of its own among writers committing out of order', async (context) => {
    if (platform.databaseKind !== 'postgres') context.skip();
    const url = platform.databaseUrl as string;
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    const consumer = {
      handle: platform.database,
      source: schema,
      cursorSchema: schema,
      name: 'typed-test',
      types: ['kept'],
      batchSize: 20,
      apply: async (tx: Executor, events: FeedEvent[]) => {
        for (const event of events) {
          if (event.type !== 'kept') throw new Error(`applied an event of type ${event.type}`);
          await tx.execute(sql`INSERT INTO feedtest.applied (aggregate_id) VALUES (${event.aggregateId})`);
        }
      },
    };
    let writing = true;
    const reader = (async () => {
      while (writing) {
        await consumeOnce(platform.database.db, consumer);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const kept: string[] = [];
    await Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        for (let t = 0; t < 40; t++) {
          const client = await pool.connect();
          try {
            await client.query('BEGIN');
            // Mostly skipped events, some transactions held open so later ones commit first.
            const id = `typed-w${w}-t${t}`;
            const type = t % 5 === 0 ? 'kept' : 'skipped';
            await client.query(insertSql(id, type));
            await new Promise((r) => setTimeout(r, Math.random() < 0.3 ? 15 + Math.random() * 25 : 1));
            await client.query('COMMIT');
            if (type === 'kept') kept.push(id);
          } finally {
            client.release();
          }
        }
      }),
    );
    writing = false;
    await reader;
    await pool.end();
    const [newest] = await platform.database.query<{ tx_id: string; seq: string }>(
      `SELECT tx_id::text AS tx_id, seq::text AS seq FROM ${schema}.events ORDER BY tx_id DESC, seq DESC LIMIT 1`,
    );
    // Caught up means: the cursor reaches the newest event, a skipped one or not.
    await eventually(
      async () => {
        await consumeOnce(platform.database.db, consumer);
        return platform.database.query<{ tx_id: string; seq: string }>(
          `SELECT tx_id::text AS tx_id, seq::text AS seq FROM ${schema}.event_cursors WHERE consumer = 'typed-test'`,
        );
      },
      ([cursor]) => cursor?.tx_id === newest?.tx_id && cursor?.seq === newest?.seq,
    );
    const [cursor] = await platform.database.query<{ tx_id: string; seq: string }>(
      `SELECT tx_id::text AS tx_id, seq::text AS seq FROM ${schema}.event_cursors WHERE consumer = 'typed-test'`,
    );
    expect(cursor).toEqual(newest);
    const applied = await platform.database.query<{ aggregate_id: string }>(
      "SELECT aggregate_id FROM feedtest.applied WHERE aggregate_id LIKE 'typed-%'",
    );
    expect(applied.map((r) => r.aggregate_id).sort()).toEqual([...kept].sort());
  });
});
