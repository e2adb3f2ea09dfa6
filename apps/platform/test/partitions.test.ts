import { requireSubject } from '@credit/http';
import {
  createTestPlatform,
  person,
  push,
  record,
  registerProvider,
  type TestPlatform,
} from '@credit/testing';
import { desc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog } from '../../../services/query/src/db/schema.ts';
import { monthBefore } from '../../../services/query/src/repositories/access-log-repository.ts';
import { verifyStore } from '../src/audit/verify-store.ts';
import { platformServices } from '../src/services.ts';

/**
 * The append-only tables are partitioned (docs/scaling.md, "Partitioned append-only tables"):
 * the keeper creates partitions ahead, a subject's recent access log is read from one month's
 * partition, and retention detaches whole outbox months that every reader has passed.
 */
let platform: TestPlatform;
let admin: string;
let provider: string;
const subject = person();

const upkeep = async () => {
  const response = await platform.request({
    method: 'POST',
    url: '/v1/operations/partitions/upkeep',
    token: admin,
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().tables as {
    table: string;
    created: string[];
    detached: string[];
    notCreated: { partition: string; reason: string }[];
    held: { partition: string; reason: string }[];
  }[];
};
const upkeepOf = (tables: Awaited<ReturnType<typeof upkeep>>, table: string) =>
  tables.find((t) => t.table === table);

async function partitionsOf(table: string): Promise<string[]> {
  const response = await platform.request({ url: '/v1/operations/partitions', token: admin });
  expect(response.statusCode, response.body).toBe(200);
  const found = (response.json().tables as { table: string; partitions: { name: string }[] }[]).find(
    (t) => t.table === table,
  );
  return (found?.partitions ?? []).map((p) => p.name);
}

async function readReport(at: string) {
  platform.setNow(new Date(at));
  const response = await platform.request({
    url: `/v1/subjects/${subject.id}/report?purpose=audit`,
    token: admin,
  });
  expect(response.statusCode, response.body).toBe(200);
}

beforeAll(async () => {
  platform = await createTestPlatform(platformServices, {
    env: { OUTBOX_RETENTION_DAYS: '30', PARTITION_KEEPER_EVERY_MS: '0' },
    now: new Date('2026-12-10T02:00:00Z'),
  });
  admin = await platform.token('admin', { org: 'credit-office' });
  // Whatever month the database's own clock put the migrations' partitions in, this test's
  // months exist before anything is written in them.
  await upkeep();
  provider = (await registerProvider(platform, ['administrative_penalty'], 'dept-parts', '市场监管局')).token;
  await push(platform, provider, record('administrative_penalty', subject));
  await platform.drainConsumers();
  await readReport('2026-12-10T03:00:00Z');
  await readReport('2027-01-10T03:00:00Z');
  for (const day of ['11', '12', '13']) await readReport(`2027-02-${day}T03:00:00Z`);
  await platform.drainConsumers();
});
afterAll(async () => platform?.close());

describe('partitioned append-only tables', () => {
  it('creates the months ahead of the clock for every outbox and the access log, and the next range of log leaves', async () => {
    // December is not yet 30 days past, so nothing is detached here.
    platform.setNow(new Date('2027-01-20T00:00:00Z'));
    expect((await upkeep()).flatMap((t) => t.detached)).toEqual([]);
    for (const table of [
      'ingest.events',
      'query.events',
      'sanctions.events',
      'repair.events',
      'query.access_log',
    ]) {
      const names = await partitionsOf(table);
      const base = table.split('.')[1];
      expect(names, table).toEqual(
        expect.arrayContaining([`${base}_p202612`, `${base}_p202701`, `${base}_p202704`, `${base}_default`]),
      );
    }
    expect(await partitionsOf('ingest.log_leaves')).toEqual(
      expect.arrayContaining(['log_leaves_r0', 'log_leaves_r1']),
    );
    // Rows went to their months, not to the default partitions.
    const [stray] = await platform.database.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM ingest.events_default) + (SELECT count(*) FROM query.access_log_default) AS n`,
    );
    expect(Number(stray?.n)).toBe(0);
  });

  it('pages a subject’s access log newest first across months, and reads one month’s partition per read', async () => {
    const own = await platform.token('subject', { subject: subject.id });
    const oldest = await platform.request({
      url: `/v1/subjects/${subject.id}/access-log?limit=100`,
      token: own,
    });
    const all = (oldest.json().items as { entryNo: number }[]).map((i) => i.entryNo);
    expect(all).toEqual([1, 2, 3, 4, 5]);

    const newest: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await platform.request({
        url: `/v1/subjects/${subject.id}/access-log?order=newest&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        token: own,
      });
      expect(page.statusCode, page.body).toBe(200);
      newest.push(...(page.json().items as { entryNo: number }[]).map((i) => i.entryNo));
      cursor = page.json().next;
    } while (cursor);
    expect(newest).toEqual([5, 4, 3, 2, 1]);

    const oldestCursor = oldest.json().next;
    expect(oldestCursor).toBeUndefined();
    const mixed = await platform.request({
      url: `/v1/subjects/${subject.id}/access-log?order=newest&cursor=${Buffer.from('v1:[3]').toString('base64url')}`,
      token: own,
    });
    expect(mixed.statusCode).toBe(400);

    // The plan of the first read: the subject's newest month, and no other partition.
    const key = requireSubject(platform.runtime.keyring, subject.id).key;
    const query = platform.app.db
      .select()
      .from(accessLog)
      .where(monthBefore(key, { entryNo: 6, at: new Date('2027-02-13T03:00:00Z') }))
      .orderBy(desc(accessLog.entryNo))
      .limit(10)
      .toSQL();
    const [plan] = await platform.database.query<{ 'QUERY PLAN': unknown }>(
      `EXPLAIN (FORMAT JSON) ${query.sql}`,
      query.params as unknown[],
    );
    const relations = JSON.stringify(plan?.['QUERY PLAN']).match(/"Relation Name":"[^"]+"/g);
    expect(relations).toEqual(['"Relation Name":"access_log_p202702"']);
  });

  it('detaches outbox months past retention once every reader has passed them, and holds one a reader has not', async () => {
    // A reader of the ingest feed that stopped before December's events.
    await platform.database.query(
      `INSERT INTO query.event_cursors (consumer, source, tx_id, seq, updated_at) VALUES ('stalled-mirror', 'ingest', '1', 0, now())`,
    );
    platform.setNow(new Date('2027-02-15T00:00:00Z'));
    const first = await upkeep();
    expect(upkeepOf(first, 'ingest.events')?.detached).toEqual([]);
    expect(upkeepOf(first, 'ingest.events')?.held).toEqual([
      { partition: 'events_p202612', reason: 'the reader query.stalled-mirror has not passed it yet' },
    ]);
    // Every reader of the query feed has passed December; January is not 30 days past yet.
    expect(upkeepOf(first, 'query.events')?.detached).toEqual(['events_p202612']);
    expect(await partitionsOf('query.events')).toContain('events_p202701');
    // Partitioned but never detached: verify rebuilds list and repair decisions from them.
    expect(upkeepOf(first, 'sanctions.events')?.detached).toEqual([]);
    // 查询使用登记 has no retention rule.
    expect(await partitionsOf('query.access_log')).toContain('access_log_p202612');

    await platform.database.query(`DELETE FROM query.event_cursors WHERE consumer = 'stalled-mirror'`);
    const second = await upkeep();
    expect(upkeepOf(second, 'ingest.events')?.detached).toEqual(['events_p202612']);

    // The feed goes on, and the audit finds nothing amiss with the months gone.
    const later = await push(platform, provider, record('administrative_penalty', subject));
    await platform.drainConsumers();
    const report = await platform.request({
      url: `/v1/subjects/${subject.id}/report?purpose=audit`,
      token: admin,
    });
    expect((report.json().report.items as { recordId: string }[]).map((i) => i.recordId)).toContain(later.id);
    const jwks = (await platform.request({ url: '/.well-known/jwks.json' })).json();
    const audit = await verifyStore(platform.database, platform.runtime.keyring, { checkpoints: [], jwks });
    expect(audit.findings).toEqual([]);
  });

  it('does not create a month whose range has rows in the default partition, and says so on /ready', async () => {
    // An entry dated by a clock years ahead went to the default partition.
    await platform.database.query(
      `INSERT INTO query.access_log (subject_key, entry_no, entry_id, accessed_at, role, org, token_subject, purpose,
         authorisation_id, report_id, channel, records, prev_hash, hash)
       VALUES ('\\x00', 1, 'acc_stray', '2030-01-15T00:00:00Z', 'admin', 'credit-office', 'x', null, null, null,
         'rest', '[]', '\\x00', '\\x00')`,
    );
    platform.setNow(new Date('2029-12-15T00:00:00Z'));
    const tables = await upkeep();
    expect(upkeepOf(tables, 'query.access_log')?.notCreated).toEqual([
      { partition: 'access_log_p203001', reason: 'its range has rows in the default partition' },
    ]);
    expect(upkeepOf(tables, 'query.access_log')?.created).toEqual([
      'access_log_p202912',
      'access_log_p203002',
      'access_log_p203003',
    ]);
    const ready = await platform.request({ url: '/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks.warnings).toContainEqual(
      expect.objectContaining({
        code: 'partition_not_created',
        detail: expect.stringContaining('access_log_p203001'),
      }),
    );
    // The entry is served from the default partition all the same.
    const [row] = await platform.database.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM query.access_log WHERE entry_id = 'acc_stray'`,
    );
    expect(row?.n).toBe(1);
  });
});
