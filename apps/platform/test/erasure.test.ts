import { canonicalJson, sha256 } from '@credit/crypto';
import { findEntry } from '@credit/schema';
import { createTestPlatform, registerProvider, sourceId, type TestPlatform, uscc } from '@credit/testing';
import { decodeLeaf, tombstoneSignatureType, verifyInclusion } from '@credit/transparency';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

let platform: TestPlatform;
let admin: string;
let provider: string;
let jwks: ReturnType<typeof createLocalJWKSet>;
const hex = (s: string) => Buffer.from(s, 'hex');
const at = (iso: string) => platform.setNow(new Date(iso));

function record(subject: { kind: string; id: string; name: string }, data: Record<string, unknown> = {}) {
  const entry = findEntry('administrative_penalty');
  if (!entry) throw new Error('catalogue');
  return {
    sourceId: sourceId('ER'),
    category: 'administrative_penalty',
    subject,
    occurredAt: '2026-01-10',
    data: { ...entry.sample, ...data },
  };
}

function withoutSourceId<T extends { sourceId: string }>(body: T): Omit<T, 'sourceId'> {
  const { sourceId: _sourceId, ...rest } = body;
  return rest;
}

async function signedBy(statement: string, signature: string): Promise<boolean> {
  const [header, , sig] = signature.split('.');
  try {
    const { protectedHeader } = await compactVerify(
      `${header}.${Buffer.from(statement).toString('base64url')}.${sig}`,
      jwks,
    );
    return protectedHeader.typ === tombstoneSignatureType;
  } catch {
    return false;
  }
}

async function checkpoint() {
  await platform.drainConsumers();
  return (
    await platform.request({ method: 'POST', url: '/v1/transparency/checkpoints', token: admin })
  ).json();
}

async function proven(leafIndex: number, cp: { treeSize: number; rootHash: string }) {
  const leaf = (await platform.request({ url: `/v1/transparency/leaves/${leafIndex}` })).json();
  const proof = (
    await platform.request({
      url: `/v1/transparency/proofs/inclusion?leafIndex=${leafIndex}&treeSize=${cp.treeSize}`,
    })
  ).json();
  return {
    leaf: decodeLeaf(Buffer.from(leaf.leafInput)) as unknown as Record<string, unknown>,
    included: verifyInclusion(
      leafIndex,
      cp.treeSize,
      hex(leaf.leafHash),
      proof.path.map(hex),
      hex(cp.rootHash),
    ),
  };
}

beforeAll(async () => {
  platform = await createTestPlatform(platformServices);
  at('2026-02-02T02:00:00Z');
  admin = await platform.token('admin', { org: 'credit-office' });
  provider = (await registerProvider(platform, ['administrative_penalty'], 'dept-erasure', '市场监管局'))
    .token;
  jwks = createLocalJWKSet(
    (await platform.request({ url: '/.well-known/jwks.json' })).json() as JSONWebKeySet,
  );
});
afterAll(async () => platform?.close());

describe('verifiable erasure', () => {
  it('erases content past its retention period, keeping a signed tombstone and the proof the record existed', async () => {
    const org = { kind: 'legal_person', id: uscc(), name: '淄博某化工有限公司' };
    const pushed = await platform.request({
      method: 'POST',
      url: '/v1/records',
      token: provider,
      body: record(org, { documentNumber: '淄市监罚〔2026〕0042号' }),
    });
    expect(pushed.statusCode, pushed.body).toBe(201);
    const { id, receipt } = pushed.json();

    // Not yet: the display period and then five years must pass.
    expect(
      (await platform.request({ method: 'POST', url: '/v1/erasure-runs', token: admin })).json(),
    ).toMatchObject({
      retentionExpired: 0,
    });
    at('2033-03-01T02:00:00Z');
    // Tokens are checked at the platform clock: seven years on, everyone needs a new one.
    admin = await platform.token('admin', { org: 'credit-office' });
    provider = await platform.token('provider', { org: 'dept-erasure' });
    const run = (await platform.request({ method: 'POST', url: '/v1/erasure-runs', token: admin })).json();
    expect(run.retentionExpired).toBe(1);

    const view = (await platform.request({ url: `/v1/records/${id}`, token: admin })).json();
    expect(view.chainValid).toBe(true);
    expect(view.versions[0]).toMatchObject({ data: null, erasedAt: '2033-03-01T02:00:00.000Z' });
    expect(view.tombstones).toHaveLength(1);
    const [tombstone] = view.tombstones;
    expect(await signedBy(tombstone.statement, tombstone.signature)).toBe(true);
    expect(await signedBy(tombstone.statement.replace('retention', 'x'), tombstone.signature)).toBe(false);
    const statement = JSON.parse(tombstone.statement);
    expect(statement).toMatchObject({
      recordId: id,
      provider: 'dept-erasure',
      versions: [1],
      leaves: [receipt.leafIndex],
      reason: 'retention_expired',
    });
    expect(statement.legalBasis).toContain('个人信息保护法');

    // Outsiders still see who pushed what kind of record when, and that it was lawfully erased.
    const cp = await checkpoint();
    const version = await proven(receipt.leafIndex, cp);
    expect(version.included).toBe(true);
    expect(version.leaf).toMatchObject({ kind: 'record.version', recordId: id, provider: 'dept-erasure' });
    const erased = await proven(tombstone.leafIndex, cp);
    expect(erased.included).toBe(true);
    expect(erased.leaf).toMatchObject({
      kind: 'tombstone',
      recordId: id,
      reason: 'retention_expired',
      statementDigest: sha256(tombstone.statement, '\n', tombstone.signature).toString('hex'),
    });

    // The content is gone from the store, the outbox and the other services' copies.
    const rows = await platform.database.query<{ data: unknown; content_salt: unknown; name: number }>(
      `SELECT data, content_salt, length(subject_name_cipher) AS name FROM ingest.record_versions WHERE record_id = $1`,
      [id],
    );
    expect(rows).toEqual([{ data: null, content_salt: null, name: 0 }]);
    const events = await platform.database.query<{ payload: string }>(
      `SELECT payload::text AS payload FROM ingest.events WHERE aggregate_id = $1 AND type = 'record.created'`,
      [id],
    );
    expect(events[0]?.payload).not.toContain('0042');
    const copies = await platform.database.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM query.records WHERE record_id = $1)::int + (SELECT count(*) FROM sanctions.records WHERE record_id = $1)::int AS n`,
      [id],
    );
    expect(copies[0]?.n).toBe(0);

    // Nothing else may be changed under the erasure's cover, and nothing at all without it.
    await expect(
      platform.database.query(`UPDATE ingest.record_versions SET data = '{}' WHERE record_id = $1`, [id]),
    ).rejects.toThrow(/append-only/);
    const correction = await platform.request({
      method: 'PUT',
      url: `/v1/records/by-source/${encodeURIComponent(pushed.json().sourceId)}`,
      token: provider,
      body: withoutSourceId(record(org)),
    });
    expect(correction.statusCode).toBe(410);
    expect(correction.json().code).toBe('record_erased');
  });

  it('erases the objected content once the department has corrected it, after an upheld objection', async () => {
    at('2026-03-02T02:00:00Z');
    admin = await platform.token('admin', { org: 'credit-office' });
    provider = await platform.token('provider', { org: 'dept-erasure' });
    const org = { kind: 'legal_person', id: uscc(), name: '淄博某商贸有限公司' };
    const original = record(org, { documentNumber: '淄市监罚〔2026〕0099号' });
    const { id } = (
      await platform.request({ method: 'POST', url: '/v1/records', token: provider, body: original })
    ).json();
    await platform.drainConsumers();
    const own = await platform.token('subject', { subject: org.id });
    const filed = await platform.request({
      method: 'POST',
      url: '/v1/objections',
      token: own,
      body: { target: { type: 'record', id }, reason: '处罚决定书编号有误' },
    });
    expect(filed.statusCode, filed.body).toBe(201);
    const objectionId = filed.json().id;
    await platform.request({
      method: 'POST',
      url: `/v1/objections/${objectionId}/admission`,
      token: provider,
      body: { admissible: true, note: '受理' },
    });
    const upheld = await platform.request({
      method: 'POST',
      url: `/v1/objections/${objectionId}/decision`,
      token: provider,
      body: { outcome: 'upheld', note: '编号确有错误' },
    });
    expect(upheld.json().status).toBe('upheld');
    await platform.drainConsumers();

    // Until the correction arrives the objected version stands (marked disputed).
    expect(
      (await platform.request({ method: 'POST', url: '/v1/erasure-runs', token: admin })).json(),
    ).toMatchObject({
      objectionsUpheld: 0,
      pending: 1,
    });
    const corrected = await platform.request({
      method: 'PUT',
      url: `/v1/records/by-source/${encodeURIComponent(original.sourceId)}`,
      token: provider,
      body: {
        ...withoutSourceId(original),
        data: { ...original.data, documentNumber: '淄市监罚〔2026〕0098号' },
        reason: '更正编号',
      },
    });
    expect(corrected.statusCode, corrected.body).toBe(200);
    const run = (await platform.request({ method: 'POST', url: '/v1/erasure-runs', token: admin })).json();
    expect(run).toMatchObject({ objectionsUpheld: 1, pending: 0 });

    const view = (await platform.request({ url: `/v1/records/${id}`, token: admin })).json();
    expect(view.chainValid).toBe(true);
    expect(view.versions.map((v: { data: unknown }) => v.data === null)).toEqual([true, false]);
    expect(view.versions[1].data.documentNumber).toBe('淄市监罚〔2026〕0098号');
    const statement = JSON.parse(view.tombstones[0].statement);
    expect(statement).toMatchObject({ reason: 'objection_upheld', objectionId, versions: [1] });

    // The subject's report shows the corrected record only.
    await platform.drainConsumers();
    const report = (await platform.request({ url: `/v1/subjects/${org.id}/report`, token: own })).json()
      .report;
    const item = report.items.find((i: { recordId: string }) => i.recordId === id);
    expect(item.version).toBe(2);
    expect(JSON.stringify(report)).not.toContain('0099');
    console.info(
      `erasure: retention and upheld-objection erasures each left a signed tombstone (${canonicalJson(statement).length} bytes) in the log`,
    );
  });
});
