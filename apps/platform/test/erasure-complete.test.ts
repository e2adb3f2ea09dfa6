import { findEntry } from '@credit/schema';
import {
  citizenId,
  createTestPlatform,
  registerProvider,
  sourceId,
  type TestPlatform,
  uscc,
} from '@credit/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStore } from '../src/audit/verify-store.ts';
import { platformServices } from '../src/services.ts';

let platform: TestPlatform;
let admin: string;
let provider: string;

/** Values that appear in the objected record and nowhere else: what must be gone after erasure. */
const erased = {
  documentNumber: '淄川市监罚〔2026〕7319号',
  facts: '当事人在淄川区某仓库存放伪劣水泥共计4183袋',
  amount: 48_317.29,
  withdrawalReason: '经核实仓库系他人租用，4183袋水泥与当事人无关',
};
const needles = [erased.documentNumber, erased.facts, String(erased.amount), erased.withdrawalReason];

/** Every base table of every schema, each row as text (bytea as hex), searched for each needle. */
async function whereInDatabase(): Promise<string[]> {
  const tables = await platform.database.query<{ s: string; t: string }>(
    `SELECT table_schema AS s, table_name AS t FROM information_schema.tables
     WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
  );
  expect(tables.length).toBeGreaterThan(40);
  const found: string[] = [];
  for (const { s, t } of tables) {
    for (const needle of needles) {
      const [row] = await platform.database.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${s}"."${t}" x
         WHERE x::text LIKE '%' || $1 || '%' OR x::text LIKE '%' || encode(convert_to($1, 'UTF8'), 'hex') || '%'`,
        [needle],
      );
      if ((row?.n ?? 0) > 0) found.push(`${s}.${t}: ${needle}`);
    }
  }
  return found;
}

function inLogs(): string[] {
  const text = platform.logs.text();
  return needles.filter((needle) => text.includes(needle));
}

beforeAll(async () => {
  platform = await createTestPlatform(platformServices);
  admin = await platform.token('admin', { org: 'credit-office' });
  provider = (await registerProvider(platform, ['administrative_penalty'], 'dept-erase', '市场监管局')).token;
});
afterAll(async () => platform?.close());

/** What `npm run verify` finds: the store, the log and the read models agree with each other. */
async function auditFindings() {
  const jwks = (await platform.request({ url: '/.well-known/jwks.json' })).json();
  return (await verifyStore(platform.database, platform.runtime.keyring, { checkpoints: [], jwks })).findings;
}

/** Runs `work` while the query service's projection of the ingest feed is held back, on PostgreSQL. */
async function holdingQueryProjection(url: string | undefined, work: () => Promise<void>): Promise<void> {
  if (!url) return work();
  const holder = new pg.Client({ connectionString: url });
  await holder.connect();
  try {
    await holder.query(`SELECT pg_advisory_lock(hashtext('query-records@ingest'))`);
    await work();
  } finally {
    await holder.end();
  }
}

describe('erasure leaves nothing behind but the tombstone', () => {
  it('erases the objected record everywhere: every version, the linked records, the feed, the read models, the notices', async () => {
    const org = { kind: 'legal_person', id: uscc(), name: '淄博某水泥经销有限公司' };
    const representative = { role: 'legal_representative', id: citizenId(), name: '韩立新' };
    const body = {
      sourceId: sourceId('EC'),
      category: 'administrative_penalty',
      subject: org,
      occurredAt: '2026-03-10',
      relatedPersons: [representative],
      data: {
        ...findEntry('administrative_penalty')?.sample,
        documentNumber: erased.documentNumber,
        facts: erased.facts,
        amount: erased.amount,
      },
    };
    const pushed = await platform.request({ method: 'POST', url: '/v1/records', token: provider, body });
    expect(pushed.statusCode, pushed.body).toBe(201);
    const recordId: string = pushed.json().id;
    await platform.drainConsumers();
    // The search finds the values wherever they are: the store, the feed, every read model.
    expect(await whereInDatabase()).toEqual(
      expect.arrayContaining([
        `ingest.record_versions: ${erased.facts}`,
        `ingest.events: ${erased.facts}`,
        `query.records: ${erased.facts}`,
        `sanctions.records: ${String(erased.amount)}`,
      ]),
    );

    // Everyone who may reads it: the public, the subject, a department.
    await platform.request({ url: `/v1/public/subjects/${org.id}` });
    const own = await platform.token('subject', { subject: org.id });
    expect((await platform.request({ url: `/v1/subjects/${org.id}/report`, token: own })).body).toContain(
      erased.facts,
    );
    await platform.request({
      method: 'POST',
      url: '/v1/departments',
      token: admin,
      body: { code: 'zb-erase', name: '发改委', remit: ['dishonesty'] },
    });
    const government = await platform.token('government', { org: 'zb-erase' });
    await platform.request({ url: `/v1/subjects/${org.id}/report?purpose=核查`, token: government });

    const filed = await platform.request({
      method: 'POST',
      url: '/v1/objections',
      token: own,
      body: { target: { type: 'record', id: recordId }, reason: '仓库并非本公司租用' },
    });
    expect(filed.statusCode, filed.body).toBe(201);
    const objectionId = filed.json().id;
    await platform.request({
      method: 'POST',
      url: `/v1/objections/${objectionId}/admission`,
      token: provider,
      body: { admissible: true, note: '受理' },
    });
    await platform.request({
      method: 'POST',
      url: `/v1/objections/${objectionId}/decision`,
      token: provider,
      body: { outcome: 'upheld', note: '处罚对象有误' },
    });
    await platform.drainConsumers();

    // The department withdraws the record; the query service's projection lags behind, so the
    // withdrawal and the erasure reach it together (the race a replay would also create).
    // On embedded PGlite there is one connection and no second session to hold the lock from:
    // the two arrive one after the other there, and the erasure must be complete all the same.
    await holdingQueryProjection(platform.databaseUrl, async () => {
      const withdrawn = await platform.request({
        method: 'DELETE',
        url: `/v1/records/by-source/${encodeURIComponent(body.sourceId)}`,
        token: provider,
        body: { reasonCode: 'objection_upheld', reason: erased.withdrawalReason },
      });
      expect(withdrawn.statusCode, withdrawn.body).toBe(200);
      const run = await platform.request({ method: 'POST', url: '/v1/erasure-runs', token: admin });
      expect(run.json()).toMatchObject({ objectionsUpheld: 1, pending: 0 });
    });
    await platform.drainConsumers();

    // What the provider still sees: that the record existed, was withdrawn and lawfully erased.
    const view = (await platform.request({ url: `/v1/records/${recordId}`, token: provider })).json();
    expect(view.chainValid).toBe(true);
    expect(view.versions).toHaveLength(2);
    for (const version of view.versions) {
      expect(version).toMatchObject({ data: null, severity: null, reason: null, relatedPersons: [] });
      expect(version.erasedAt).not.toBeNull();
    }
    expect(JSON.parse(view.tombstones[0].statement)).toMatchObject({
      reason: 'objection_upheld',
      versions: [1, 2],
    });

    expect(await whereInDatabase()).toEqual([]);
    expect(inLogs()).toEqual([]);
    expect(await auditFindings()).toEqual([]);

    // A projection replayed from the start of the feed brings none of it back.
    await platform.database.query(`DELETE FROM query.event_cursors WHERE consumer = 'query-records'`);
    await platform.database.query(`DELETE FROM sanctions.event_cursors WHERE source = 'ingest'`);
    await platform.drainConsumers();
    const copies = await platform.database.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM query.records WHERE record_id = $1 OR linked_from->>'recordId' = $1)::int
            + (SELECT count(*) FROM sanctions.records WHERE record_id = $1)::int AS n`,
      [recordId],
    );
    expect(copies[0]?.n).toBe(0);
    expect(await whereInDatabase()).toEqual([]);

    // The subject's report no longer holds it either.
    const report = (await platform.request({ url: `/v1/subjects/${org.id}/report`, token: own })).body;
    for (const needle of needles) expect(report).not.toContain(needle);
  });
});
