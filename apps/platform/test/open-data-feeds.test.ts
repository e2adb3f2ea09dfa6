import { ingestDefinition } from '@credit/ingest/service';
import { queryDefinition } from '@credit/query/service';
import { repairDefinition } from '@credit/repair/service';
import { sanctionsDefinition } from '@credit/sanctions/service';
import {
  company,
  createTestPlatform,
  push,
  record,
  registerProvider,
  type TestPlatform,
  type TestSubject,
} from '@credit/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

/**
 * A day's open-data cut beside the event feeds. The feeds release an event only once every
 * older transaction id has ended, so a cut that held one while it read would stop every
 * consumer (read models, listing cache, transparency log, webhooks) for as long as it runs: at
 * city scale, past CONSUMER_STUCK_AFTER_MS, every day. The cut is made slow here by a second
 * session holding its chunk writes back, as slow storage would; and it is made to fail halfway,
 * at both of its write steps, as a crash would, to show the next cut is whole all the same; and a
 * first cut (which writes the published baseline itself as it reads) is made to fail once it has
 * written all of it, to show the next attempt starts from an empty one.
 */

// A second session holding the cut's writes back, and PGlite has one connection: PostgreSQL only.
const onPostgres = inject('testDatabase').kind === 'postgres';

let platform: TestPlatform;
let admin: string;
let provider: { code: string; token: string };
let holder: pg.Client;
const at = (iso: string) => platform.setNow(new Date(iso));

const penalty = (org: TestSubject, occurredAt = '2026-01-10') =>
  record('administrative_penalty', org, { occurredAt });

/** Ids of the public items of `org` that the query service's read model shows. */
async function shown(org: TestSubject): Promise<string[]> {
  const answer = await platform.request({ url: `/v1/public/subjects/${org.id}` });
  if (answer.statusCode === 404) return [];
  return answer.json().items.map((item: { recordId: string }) => item.recordId);
}

/** Resolves once a session waits for a lock on `table` (the cut, held back by `holder`). */
async function waitingOn(table: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const { rows } = await holder.query(
      `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
       WHERE NOT l.granted AND c.relname = $1`,
      [table],
    );
    if ((rows[0]?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`nothing waited on ${table}`);
}

/** Cancels the statement waiting on `table`: the cut fails there, as if its process died. */
async function failWaitingOn(table: string): Promise<void> {
  await holder.query(
    `SELECT pg_cancel_backend(l.pid) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
     WHERE NOT l.granted AND c.relname = $1`,
    [table],
  );
}

// A held cut is waited for (up to 60 s) rather than answered 202 at the default 10 s.
const cutNow = (prefer = 'wait=60') =>
  platform.request({ method: 'POST', url: '/v1/open-data/cuts', token: admin, headers: { prefer } });
const cutStatus = (day: string) => platform.request({ url: `/v1/open-data/cuts/${day}`, token: admin });

async function incrementIds(day: string): Promise<{ upserts: string[]; deletions: string[] }> {
  const body = (await platform.request({ url: `/v1/open-data/days/${day}/files/${day}-increment.jsonl` }))
    .rawPayload;
  const lines = body
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as { op: string; id: string });
  return {
    upserts: lines.filter((l) => l.op === 'upsert').map((l) => l.id),
    deletions: lines.filter((l) => l.op === 'delete').map((l) => l.id),
  };
}

describe.skipIf(!onPostgres)('the open-data cut beside the event feeds', () => {
  beforeAll(async () => {
    platform = await createTestPlatform([
      ingestDefinition,
      {
        ...queryDefinition,
        options: { openDataEveryMs: 0, openData: { batchSize: 2, chunkBytes: 256 } },
      },
      { ...sanctionsDefinition, options: { dailyCheckMs: 0 } },
      { ...repairDefinition, options: { expiryEveryMs: 0, calendarWatchMs: 0 } },
    ]);
    at('2026-06-01T02:00:00Z');
    admin = await platform.token('admin', { org: 'credit-office' });
    provider = await registerProvider(platform, ['administrative_penalty']);
    holder = new pg.Client({ connectionString: platform.databaseUrl });
    await holder.connect();
  });
  afterAll(async () => {
    await holder?.end();
    await platform?.close();
  });

  it('lets every feed move on while a cut is held back, and a cut that failed halfway leaves no trace in the next', async () => {
    const org = company('淄博丁建材有限公司');
    const { id: kept } = await push(platform, provider.token, penalty(org));
    const doubled = penalty(org, '2026-02-10');
    const { id: withdrawn } = await push(platform, provider.token, doubled);
    const early = penalty(org, '2026-01-20');
    const { id: dropped } = await push(platform, provider.token, early);
    await platform.drainConsumers();

    // The first cut fails as it stores itself, its files and its whole baseline written.
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE query.open_data_cuts IN SHARE MODE');
    const firstHeld = cutNow();
    try {
      await waitingOn('open_data_cuts');
      await failWaitingOn('open_data_cuts');
      expect((await firstHeld).statusCode).toBe(500);
    } finally {
      await holder.query('ROLLBACK');
    }
    // An item it published leaves public disclosure before the cut is made again: a baseline
    // that kept the failed attempt's rows would hold it, and day 2 would delete it.
    const leaves = await platform.request({
      method: 'DELETE',
      url: `/v1/records/by-source/${early.sourceId}`,
      token: provider.token,
      body: { reasonCode: 'entered_in_error', reason: '重复报送' },
    });
    expect(leaves.statusCode, leaves.body).toBe(200);
    await platform.drainConsumers();
    expect(await shown(org)).not.toContain(dropped);
    expect((await cutNow()).statusCode).toBe(201);

    // Day 2: a new item and a withdrawal, so the cut writes both upserts and deletions.
    at('2026-06-02T02:00:00Z');
    const { id: added } = await push(platform, provider.token, penalty(org, '2026-03-10'));
    const gone = await platform.request({
      method: 'DELETE',
      url: `/v1/records/by-source/${doubled.sourceId}`,
      token: provider.token,
      body: { reasonCode: 'entered_in_error', reason: '重复报送' },
    });
    expect(gone.statusCode, gone.body).toBe(200);
    await platform.drainConsumers();

    // The cut's chunk writes wait on the second session, as on slow storage.
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE query.open_data_chunks IN SHARE MODE');
    const held = cutNow();
    let late: string;
    try {
      await waitingOn('open_data_chunks');
      // Meanwhile a department pushes a record: the feeds carry it to the read model.
      ({ id: late } = await push(platform, provider.token, penalty(org, '2026-04-10')));
      await platform.drainConsumers();
      expect(await shown(org)).toContain(late);
      // The held cut then fails, halfway through writing its files.
      await failWaitingOn('open_data_chunks');
      expect((await held).statusCode).toBe(500);
      const failed = await cutStatus('2026-06-02');
      expect(failed.statusCode).toBe(200);
      expect(failed.json()).toMatchObject({ day: '2026-06-02', state: 'failed' });
    } finally {
      await holder.query('ROLLBACK');
    }

    // The cut is made again, whole: nothing of the failed attempt shows in it.
    const again = await cutNow();
    expect(again.statusCode, again.body).toBe(201);
    const day2 = await incrementIds('2026-06-02');
    expect(day2.upserts.sort()).toEqual([added, late].sort());
    expect(day2.deletions).toEqual([withdrawn]);
    expect(day2.deletions).not.toContain(dropped);
    expect(day2.upserts).not.toContain(kept);

    // Day 3: the cut's files are stored and it fails while bringing its baseline up to date.
    at('2026-06-03T02:00:00Z');
    const { id: third } = await push(platform, provider.token, penalty(org, '2026-05-10'));
    await platform.drainConsumers();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE query.open_data_published IN SHARE MODE');
    const baselineHeld = cutNow();
    try {
      await waitingOn('open_data_published');
      await failWaitingOn('open_data_published');
      await baselineHeld;
    } finally {
      await holder.query('ROLLBACK');
    }
    // Whether that cut answered or failed, day 3 has its files, and day 4's increment is
    // measured against day 3's publication exactly.
    const day3 = await incrementIds('2026-06-03');
    expect(day3.upserts).toEqual([third]);
    at('2026-06-04T02:00:00Z');
    const { id: fourth } = await push(platform, provider.token, penalty(org, '2026-05-20'));
    await platform.drainConsumers();
    expect((await cutNow()).statusCode).toBe(201);
    const day4 = await incrementIds('2026-06-04');
    expect(day4).toEqual({ upserts: [fourth], deletions: [] });

    // Two cuts asked for at once (the daily job and the credit office): one cuts, the other
    // waits for it and answers the same cut.
    at('2026-06-05T02:00:00Z');
    await push(platform, provider.token, penalty(org, '2026-05-30'));
    await platform.drainConsumers();
    const both = await Promise.all([cutNow(), cutNow()]);
    expect(both.map((answer) => answer.statusCode).sort()).toEqual([200, 201]);
    expect(both[0]?.json()).toEqual(both[1]?.json());
  });

  it('answers a cut asked for while another instance cuts with 202 and its status, and joins it', async () => {
    at('2026-06-06T02:00:00Z');
    await push(platform, provider.token, penalty(company('淄博戊物流有限公司'), '2026-06-01'));
    await platform.drainConsumers();
    // Another instance's cut holds the lock the cut takes (held here by the second session).
    await holder.query(`SELECT pg_advisory_lock(hashtextextended('query.open_data_cuts', 0))`);
    try {
      const elsewhere = await cutStatus('2026-06-06');
      expect(elsewhere.json()).toEqual({ day: '2026-06-06', state: 'running', startedAt: null });
      const asked = await cutNow('respond-async');
      expect(asked.statusCode, asked.body).toBe(202);
      expect(asked.headers.location).toBe('/v1/open-data/cuts/2026-06-06');
      expect(asked.json()).toMatchObject({ day: '2026-06-06', state: 'running' });
      expect(asked.json().startedAt).toEqual(expect.any(String));
      // Past the wait asked for, still running: 202 again, the same cut.
      const waited = await cutNow('wait=1');
      expect(waited.statusCode).toBe(202);
      expect(waited.json().startedAt).toBe(asked.json().startedAt);
    } finally {
      await holder.query(`SELECT pg_advisory_unlock(hashtextextended('query.open_data_cuts', 0))`);
    }
    // The other instance is done without a cut of the day: this one's, waiting, now cuts it.
    const joined = await cutNow();
    expect(joined.statusCode, joined.body).toBe(200);
    expect(joined.json()).toMatchObject({ day: '2026-06-06', state: 'cut' });
    const status = await cutStatus('2026-06-06');
    expect(status.json()).toEqual(joined.json());
    expect((await incrementIds('2026-06-06')).upserts).toHaveLength(1);
  });
});
