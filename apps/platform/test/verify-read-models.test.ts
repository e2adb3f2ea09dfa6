import type { CheckpointView } from '@credit/schema';
import { findEntry } from '@credit/schema';
import { createTestPlatform, registerProvider, sourceId, type TestPlatform, uscc } from '@credit/testing';
import type { JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../src/audit/findings.ts';
import { verifyStore } from '../src/audit/verify-store.ts';
import { seedDemo } from '../src/demo/seed.ts';
import { platformServices } from '../src/services.ts';
import { demoTime } from './support/demo-time.ts';

/**
 * What callers are served comes from the query service's read models (records, list entries),
 * not from the record store: a change to those rows behind the platform's back must show in
 * `npm run verify` as plainly as a change to the store does.
 */
let platform: TestPlatform;
let checkpoints: CheckpointView[];
let jwks: JSONWebKeySet;
const company = { kind: 'legal_person', id: uscc(), name: '淄博某审计测试有限公司' };
const ids = { published: '', hidden: '', withheld: '', corrected: '', withdrawn: '', erased: '' };

function penalty(occurredAt = '2026-01-10', data: Record<string, unknown> = {}) {
  const entry = findEntry('administrative_penalty');
  if (!entry) throw new Error('catalogue');
  return {
    sourceId: sourceId('RM'),
    category: 'administrative_penalty',
    subject: company,
    occurredAt,
    data: { ...entry.sample, ...data },
  };
}

async function audit(): Promise<Finding[]> {
  return (await verifyStore(platform.database, platform.runtime.keyring, { checkpoints, jwks })).findings;
}

/** The findings a tampering adds to those there were before it. */
async function findingsOf(tamper: string, params: unknown[] = []): Promise<Finding[]> {
  const before = new Set((await audit()).map((f) => `${f.kind} ${f.where}`));
  await platform.database.query(tamper, params);
  return (await audit()).filter((f) => !before.has(`${f.kind} ${f.where}`));
}

beforeAll(async () => {
  platform = await createTestPlatform(platformServices);
  const issuer = platform.runtime.devIssuer;
  if (!issuer) throw new Error('the test needs the development issuer');
  // Records with related persons, published and noticed list entries, an open objection.
  await seedDemo(platform.app, issuer, demoTime(platform), 16);

  const admin = await platform.token('admin', { org: 'credit-office' });
  const provider = (
    await registerProvider(platform, ['administrative_penalty'], 'dept-read-models', '市场监管局')
  ).token;
  const push = async (body: ReturnType<typeof penalty>) =>
    (await platform.request({ method: 'POST', url: '/v1/records', token: provider, body })).json()
      .id as string;

  const published = penalty();
  ids.published = await push(published);
  ids.hidden = await push(penalty());
  ids.withheld = await push(penalty());
  const corrected = penalty();
  ids.corrected = await push(corrected);
  const { sourceId: correctedSource, ...correction } = corrected;
  const correcting = await platform.request({
    method: 'PUT',
    url: `/v1/records/by-source/${correctedSource}`,
    token: provider,
    body: { ...correction, data: { ...correction.data, amount: 20000 }, reason: '金额更正' },
  });
  expect(correcting.statusCode, correcting.body).toBe(200);
  const withdrawn = penalty();
  ids.withdrawn = await push(withdrawn);
  const withdrawing = await platform.request({
    method: 'DELETE',
    url: `/v1/records/by-source/${withdrawn.sourceId}`,
    token: provider,
    body: { reasonCode: 'decision_revoked', reason: '处罚决定已撤销' },
  });
  expect(withdrawing.statusCode, withdrawing.body).toBe(200);
  // Displayed until long ago: its retention is over and the erasure job removes its content.
  ids.erased = await push(penalty('2012-03-05'));
  await platform.drainConsumers();
  const erasure = await platform.request({ method: 'POST', url: '/v1/erasure-runs', token: admin });
  expect(erasure.json().retentionExpired).toBeGreaterThanOrEqual(1);
  await platform.drainConsumers();

  checkpoints = [
    (await platform.request({ method: 'POST', url: '/v1/transparency/checkpoints', token: admin })).json(),
  ];
  jwks = (await platform.request({ url: '/.well-known/jwks.json' })).json();
}, 240_000);
afterAll(async () => platform?.close());

describe('npm run verify checks the read models against the store', () => {
  it('finds nothing in an untouched world, whose read models it did check', async () => {
    const report = await verifyStore(platform.database, platform.runtime.keyring, { checkpoints, jwks });
    expect(report.findings).toEqual([]);
    const [{ n: records } = { n: 0 }] = await platform.database.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM query.records',
    );
    const [{ n: entries } = { n: 0 }] = await platform.database.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM query.list_entries',
    );
    expect(entries).toBeGreaterThan(0);
    expect(report.checked).toMatchObject({ readModelRecords: records, readModelListEntries: entries });
    // The world has what the comparison must get right: linked records, a correction, a
    // withdrawal, an erasure, a record under objection, entries in several states.
    const shapes = await platform.database.query<{ linked: number; disputed: number; erased: number }>(
      `SELECT (SELECT count(*)::int FROM query.records WHERE origin = 'linked') AS linked,
              (SELECT count(*)::int FROM query.records WHERE disputed) AS disputed,
              (SELECT count(*)::int FROM query.records WHERE record_id = $1) AS erased`,
      [ids.erased],
    );
    expect(shapes[0]).toMatchObject({ linked: expect.any(Number), disputed: 1, erased: 0 });
    expect(shapes[0]?.linked).toBeGreaterThan(0);
  });

  it('reports content changed in query.records, which the public page would otherwise serve', async () => {
    const found = await findingsOf(
      `UPDATE query.records SET data = jsonb_set(data, '{violation}', '"无违法行为"') WHERE record_id = $1`,
      [ids.published],
    );
    const page = (await platform.request({ url: `/v1/public/subjects/${company.id}` })).body;
    expect(page).toContain('无违法行为');
    expect(found).toEqual([
      expect.objectContaining({
        kind: 'read_model_changed',
        where: `query.records ${ids.published}`,
        detail: expect.stringContaining('data'),
      }),
    ]);
  });

  it('reports each other kind of change to query.records', async () => {
    const cases: [string, unknown[], Finding['kind'], string][] = [
      // A correction rolled back to the version before it.
      [
        `UPDATE query.records SET version = 1, data = jsonb_set(data, '{amount}', '50000') WHERE record_id = $1`,
        [ids.corrected],
        'read_model_changed',
        ids.corrected,
      ],
      // A withdrawn record shown as active again.
      [
        `UPDATE query.records SET status = 'active' WHERE record_id = $1`,
        [ids.withdrawn],
        'read_model_changed',
        ids.withdrawn,
      ],
      // A record hidden as if repaired.
      [
        `UPDATE query.records SET repaired_at = now() WHERE record_id = $1`,
        [ids.hidden],
        'read_model_changed',
        ids.hidden,
      ],
      // A record withheld as if an objection against it had been upheld.
      [
        `UPDATE query.records SET withheld_since = now() WHERE record_id = $1`,
        [ids.withheld],
        'read_model_changed',
        ids.withheld,
      ],
      // An objection that is open shown as if none were.
      [
        `UPDATE query.records SET disputed = false WHERE record_id = (SELECT record_id FROM query.records WHERE disputed LIMIT 1)
         RETURNING record_id`,
        [],
        'read_model_changed',
        '',
      ],
      // A record removed from what callers see.
      [
        `DELETE FROM query.records WHERE record_id = (
           SELECT record_id FROM query.records WHERE origin = 'linked' ORDER BY record_id LIMIT 1)`,
        [],
        'read_model_missing',
        '',
      ],
      // A record the store never had.
      [
        `INSERT INTO query.records SELECT subject_key, 'rec_forged0000000000000000' AS record_id, version, status,
           provider_code, 'FORGED-1', category, class_code, subject_kind, occurred_at, received_at, severity,
           publicity, display_until, data, related_persons, origin, linked_from, reason_code, reason, hash,
           disputed, repaired_at
         FROM query.records WHERE record_id = $1`,
        [ids.withdrawn],
        'read_model_unfounded',
        'rec_forged0000000000000000',
      ],
      // Erased content put back.
      [
        `INSERT INTO query.records SELECT subject_key, $2 AS record_id, version, status, provider_code, 'RM-ERASED',
           category, class_code, subject_kind, occurred_at, received_at, severity, publicity, display_until, data,
           related_persons, origin, linked_from, reason_code, reason, hash, disputed, repaired_at
         FROM query.records WHERE record_id = $1`,
        [ids.withdrawn, ids.erased],
        'read_model_unfounded',
        ids.erased,
      ],
    ];
    for (const [statement, params, kind, recordId] of cases) {
      const found = await findingsOf(statement, params);
      expect(found, statement).toEqual([
        expect.objectContaining({
          kind,
          where: expect.stringMatching(new RegExp(`^query\\.records ${recordId || 'rec_'}`)),
        }),
      ]);
    }
  });

  it('reports an open-data body changed in query.records, which the next cut would publish, and not one of another rendering', async () => {
    // Two records no earlier test has tampered with (those already have findings of their own).
    const reported = new Set((await audit()).map((f) => f.where));
    const bodies = await platform.database.query<{ record_id: string }>(
      `SELECT record_id FROM query.records WHERE export_stamp IS NOT NULL ORDER BY record_id`,
    );
    const [changed, stale] = bodies
      .map((row) => row.record_id)
      .filter((id) => !reported.has(`query.records ${id}`));
    if (!changed || !stale) throw new Error('the world needs two public records of an organisation');
    const found = await findingsOf(
      `UPDATE query.records SET export_csv = export_csv || ',x' WHERE record_id = $1`,
      [changed],
    );
    expect(found).toEqual([
      expect.objectContaining({
        kind: 'read_model_changed',
        where: `query.records ${changed}`,
        detail: expect.stringContaining('exportCsv'),
      }),
    ]);
    // A body of another rendering is never written to a file: the cut renders the item again.
    expect(
      await findingsOf(
        `UPDATE query.records SET export_stamp = 'older', export_csv = ',x' WHERE record_id = $1`,
        [stale],
      ),
    ).toEqual([]);
  });

  it('reports list entries changed, removed or invented in query.list_entries', async () => {
    const [published] = await platform.database.query<{ entry_id: string }>(
      `SELECT entry_id FROM query.list_entries WHERE status = 'published' ORDER BY entry_id LIMIT 1`,
    );
    const [other] = await platform.database.query<{ entry_id: string }>(
      `SELECT entry_id FROM query.list_entries WHERE entry_id <> $1 ORDER BY entry_id LIMIT 1`,
      [published?.entry_id],
    );
    if (!published || !other) throw new Error('the demo has no list entries');
    const cases: [string, unknown[], Finding['kind'], string][] = [
      [
        `UPDATE query.list_entries SET status = 'exited', end_reason = 'expired' WHERE entry_id = $1`,
        [published.entry_id],
        'read_model_changed',
        published.entry_id,
      ],
      [
        `DELETE FROM query.list_entries WHERE entry_id = $1`,
        [other.entry_id],
        'read_model_missing',
        other.entry_id,
      ],
      [
        `INSERT INTO query.list_entries SELECT subject_key, 'lst_forged000000000000000', 'black', domain, 'published',
           valid_from, valid_until, NULL, measures, updated_at FROM query.list_entries WHERE entry_id = $1`,
        [published.entry_id],
        'read_model_unfounded',
        'lst_forged000000000000000',
      ],
    ];
    for (const [statement, params, kind, entryId] of cases) {
      expect(await findingsOf(statement, params), statement).toEqual([
        expect.objectContaining({ kind, where: `query.list_entries ${entryId}` }),
      ]);
    }
  });
});
