import { canonicalJson } from '@credit/crypto';
import {
  citizenId,
  createTestPlatform,
  expectPaginatesToEnd,
  recordOn,
  registerAgency,
  registerProvider,
  type TestPlatform,
  uscc,
} from '@credit/testing';
import {
  accessValueOf,
  checkpointSignatureType,
  encodeLeaf,
  leafHash,
  type MapProof,
  verifyConsistency,
  verifyInclusion,
  verifyMapProof,
} from '@credit/transparency';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

let platform: TestPlatform;
let admin: string;
let provider: string;
let agency: { uscc: string; token: string };
let jwks: ReturnType<typeof createLocalJWKSet>;

const hex = (s: string) => Buffer.from(s, 'hex');

interface CheckpointJson {
  treeSize: number;
  rootHash: string;
  mapRoot: string;
  signature: string;
  [key: string]: unknown;
}

/** Verifies a checkpoint as an outsider would: the JWKS, the canonical body, the detached JWS. */
async function signatureHolds(checkpoint: CheckpointJson): Promise<boolean> {
  const { signature, ...body } = checkpoint;
  const [header, , sig] = signature.split('.');
  const payload = Buffer.from(canonicalJson(body)).toString('base64url');
  try {
    const { protectedHeader } = await compactVerify(`${header}.${payload}.${sig}`, jwks);
    return protectedHeader.typ === checkpointSignatureType;
  } catch {
    return false;
  }
}

async function checkpoint(): Promise<CheckpointJson> {
  await platform.drainConsumers();
  const response = await platform.request({
    method: 'POST',
    url: '/v1/transparency/checkpoints',
    token: admin,
  });
  expect([200, 201]).toContain(response.statusCode);
  return response.json();
}

const record = recordOn('2026-06-01');

beforeAll(async () => {
  platform = await createTestPlatform(platformServices);
  admin = await platform.token('admin', { org: 'credit-office' });
  provider = (
    await registerProvider(platform, ['administrative_penalty', 'person_education', 'exam_cheating'])
  ).token;
  agency = await registerAgency(platform);
  jwks = createLocalJWKSet(
    (await platform.request({ url: '/.well-known/jwks.json' })).json() as JSONWebKeySet,
  );
});
afterAll(async () => platform?.close());

describe('the transparency log', () => {
  it('gives every push a receipt whose inclusion proof verifies against a signed checkpoint', async () => {
    const people = Array.from({ length: 12 }, () => ({
      kind: 'natural_person',
      id: citizenId(),
      name: '李明',
    }));
    const batch = people.map((p) => record('person_education', p));
    const pushed = await platform.request({
      method: 'POST',
      url: '/v1/records/batch',
      token: provider,
      body: batch,
    });
    expect(pushed.statusCode).toBe(200);
    const items = pushed.json().items as {
      receipt: { leafIndex: number; leafHash: string; checkpointDueBy: string };
    }[];
    expect(items.every((i) => i.receipt && typeof i.receipt.leafIndex === 'number')).toBe(true);
    const single = await platform.request({
      method: 'POST',
      url: '/v1/records',
      token: provider,
      body: record('administrative_penalty', {
        kind: 'legal_person',
        id: uscc(),
        name: '淄博某陶瓷有限公司',
      }),
    });
    expect(single.statusCode).toBe(201);
    const receipts = [...items.map((i) => i.receipt), single.json().receipt];

    const cp = await checkpoint();
    expect(await signatureHolds(cp)).toBe(true);
    expect(await signatureHolds({ ...cp, treeSize: cp.treeSize + 1 })).toBe(false);
    let verified = 0;
    for (const receipt of receipts) {
      expect(new Date(receipt.checkpointDueBy).getTime()).toBeGreaterThan(Date.now() - 60_000);
      const leaf = (await platform.request({ url: `/v1/transparency/leaves/${receipt.leafIndex}` })).json();
      expect(leafHash(Buffer.from(leaf.leafInput)).toString('hex')).toBe(receipt.leafHash);
      // The log can be published: no identity number or name in any leaf.
      for (const p of people) {
        expect(leaf.leafInput).not.toContain(p.id);
        expect(leaf.leafInput).not.toContain(p.name);
      }
      const proof = (
        await platform.request({
          url: `/v1/transparency/proofs/inclusion?leafIndex=${receipt.leafIndex}&treeSize=${cp.treeSize}`,
        })
      ).json();
      const ok = verifyInclusion(
        receipt.leafIndex,
        cp.treeSize,
        hex(receipt.leafHash),
        proof.path.map(hex),
        hex(cp.rootHash),
      );
      expect(ok).toBe(true);
      // The same path does not vouch for another leaf.
      expect(
        verifyInclusion(
          receipt.leafIndex,
          cp.treeSize,
          hex(receipts[0] === receipt ? receipts[1].leafHash : receipts[0].leafHash),
          proof.path.map(hex),
          hex(cp.rootHash),
        ),
      ).toBe(false);
      verified += 1;
    }
    console.info(`transparency: ${verified} receipts proven in a tree of ${cp.treeSize} leaves`);

    // Proofs asked outside the tree are refused naming the query parameter, as every query error is.
    const outside = await platform.request({
      url: `/v1/transparency/proofs/inclusion?leafIndex=${cp.treeSize}&treeSize=${cp.treeSize}`,
    });
    expect(outside.statusCode, outside.body).toBe(422);
    expect(outside.json().errors.map((e: { path: string }) => e.path)).toEqual(['query.leafIndex']);
    const backwards = await platform.request({
      url: `/v1/transparency/proofs/consistency?first=${cp.treeSize}&second=1`,
    });
    expect(backwards.statusCode, backwards.body).toBe(422);
    expect(backwards.json().errors.map((e: { path: string }) => e.path)).toEqual(['query.first']);

    // A resubmission answers with the receipt of the version already on file.
    const again = await platform.request({
      method: 'POST',
      url: '/v1/records/batch',
      token: provider,
      body: batch.slice(0, 2),
    });
    expect(again.json().items.map((i: { receipt: { leafIndex: number } }) => i.receipt.leafIndex)).toEqual(
      receipts.slice(0, 2).map((r) => r.leafIndex),
    );
  });

  it('proves every later checkpoint consistent with every earlier one, and catches a forged root', async () => {
    const first = await checkpoint();
    await platform.request({
      method: 'POST',
      url: '/v1/records',
      token: provider,
      body: record('administrative_penalty', {
        kind: 'legal_person',
        id: uscc(),
        name: '淄博某建材有限公司',
      }),
    });
    const second = await checkpoint();
    expect(second.treeSize).toBeGreaterThan(first.treeSize);
    const proof = (
      await platform.request({
        url: `/v1/transparency/proofs/consistency?first=${first.treeSize}&second=${second.treeSize}`,
      })
    ).json();
    const path = proof.proof.map(hex);
    expect(
      verifyConsistency(first.treeSize, second.treeSize, hex(first.rootHash), hex(second.rootHash), path),
    ).toBe(true);
    const forged = Buffer.from(first.rootHash, 'hex');
    forged[0] = (forged[0] as number) ^ 1;
    expect(verifyConsistency(first.treeSize, second.treeSize, forged, hex(second.rootHash), path)).toBe(
      false,
    );

    const unknown = await platform.request({
      url: `/v1/transparency/proofs/consistency?first=1&second=${second.treeSize + 99}`,
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
  });

  it('lets a subject prove the complete list of who read their file, and exposes a hidden access', async () => {
    const subject = { kind: 'natural_person', id: citizenId(), name: '王芳' };
    await platform.request({
      method: 'POST',
      url: '/v1/records',
      token: provider,
      body: record('exam_cheating', subject),
    });
    const subjectToken = await platform.token('subject', { subject: subject.id });
    const granted = await platform.request({
      method: 'POST',
      url: '/v1/authorisations',
      token: subjectToken,
      body: {
        agency: agency.uscc,
        purpose: 'loan',
        expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      },
    });
    expect(granted.statusCode).toBe(201);
    await platform.drainConsumers();
    for (let i = 0; i < 3; i += 1) {
      const read = await platform.request({
        url: `/v1/subjects/${subject.id}/report`,
        token: agency.token,
        headers: { 'x-credit-authorisation': granted.json().token },
      });
      expect(read.statusCode, read.body).toBe(200);
    }
    const cp = await checkpoint();

    const history = await platform.request({
      url: `/v1/transparency/subjects/${subject.id}/access-history`,
      token: subjectToken,
    });
    expect(history.statusCode, history.body).toBe(200);
    const body = history.json();
    expect(body.checkpoint.treeSize).toBe(cp.treeSize);
    expect(body.count).toBe(3);
    expect(body.items).toHaveLength(3);
    await expectPaginatesToEnd(platform, {
      url: `/v1/transparency/subjects/${subject.id}/access-history?treeSize=${cp.treeSize}`,
      token: subjectToken,
      limit: 2,
      idOf: (leaf: { leafIndex: number }) => String(leaf.leafIndex),
      expected: body.items.map((leaf: { leafIndex: number }) => String(leaf.leafIndex)),
      ordered: true,
    });
    const proof: MapProof = {
      siblings: body.mapProof.siblings.map(hex),
      terminal:
        body.mapProof.terminal.kind === 'leaf'
          ? {
              kind: 'leaf',
              key: hex(body.mapProof.terminal.key),
              valueHash: hex(body.mapProof.terminal.valueHash),
            }
          : { kind: 'empty' },
    };
    const proven = verifyMapProof(hex(cp.mapRoot), hex(body.mapProof.key), proof);
    expect(proven).toBeInstanceOf(Buffer);
    for (const item of body.items) {
      expect(
        verifyInclusion(
          item.leafIndex,
          cp.treeSize,
          hex(item.leafHash),
          item.path.map(hex),
          hex(cp.rootHash),
        ),
      ).toBe(true);
    }
    const listed = body.items.map((i: { leafHash: string }) => hex(i.leafHash));
    expect(accessValueOf(listed).equals(proven as Buffer)).toBe(true);

    // The query service's own 查询使用登记 reproduces the proven value from its entries.
    const fromQuery = async () => {
      const log = await platform.request({
        url: `/v1/subjects/${subject.id}/access-log`,
        token: subjectToken,
      });
      expect(log.statusCode).toBe(200);
      return (
        log.json().items as {
          id: string;
          accessedAt: string;
          role: string;
          org: string | null;
          channel: string;
          hash: string;
        }[]
      ).map((e) =>
        leafHash(
          encodeLeaf({
            kind: 'access',
            entryId: e.id,
            accessedAt: e.accessedAt,
            role: e.role,
            org: e.org,
            channel: e.channel,
            entryHash: e.hash,
          }),
        ),
      );
    };
    expect(accessValueOf(await fromQuery()).equals(proven as Buffer)).toBe(true);

    // An operator hides one access behind the platform's back: the list no longer proves out.
    await platform.database.query(`ALTER TABLE query.access_log DISABLE TRIGGER USER`);
    await platform.database.query(
      `DELETE FROM query.access_log WHERE subject_key = (SELECT subject_key FROM query.access_log ORDER BY accessed_at DESC LIMIT 1) AND entry_no = 2`,
    );
    await platform.database.query(`ALTER TABLE query.access_log ENABLE TRIGGER USER`);
    const hidden = await fromQuery();
    expect(hidden).toHaveLength(2);
    expect(accessValueOf(hidden).equals(proven as Buffer)).toBe(false);

    await platform.database.query(`ALTER TABLE ingest.log_subject_leaves DISABLE TRIGGER USER`);
    await platform.database.query(
      `DELETE FROM ingest.log_subject_leaves WHERE leaf_index = ${body.items[1].leafIndex}`,
    );
    await platform.database.query(`ALTER TABLE ingest.log_subject_leaves ENABLE TRIGGER USER`);
    const thinned = (
      await platform.request({
        url: `/v1/transparency/subjects/${subject.id}/access-history?treeSize=${cp.treeSize}`,
        token: subjectToken,
      })
    ).json();
    expect(thinned.items).toHaveLength(2);
    const stillProven = verifyMapProof(hex(cp.mapRoot), hex(thinned.mapProof.key), proof);
    expect(
      accessValueOf(thinned.items.map((i: { leafHash: string }) => hex(i.leafHash))).equals(
        stillProven as Buffer,
      ),
    ).toBe(false);
    console.info(
      'transparency: access history of 3 proven complete; hiding 1 access row (query or log index) fails the proof',
    );

    // Nobody else reads it.
    const other = await platform.token('subject', { subject: citizenId() });
    const refused = await platform.request({
      url: `/v1/transparency/subjects/${subject.id}/access-history`,
      token: other,
    });
    expect(refused.statusCode).toBe(403);
  });

  it('lists a subject’s own entries — versions, the authorisation decision, accesses — each proven', async () => {
    const subject = { kind: 'natural_person', id: citizenId(), name: '赵强' };
    await platform.request({
      method: 'POST',
      url: '/v1/records',
      token: provider,
      body: record('exam_cheating', subject),
    });
    const subjectToken = await platform.token('subject', { subject: subject.id });
    await platform.request({
      method: 'POST',
      url: '/v1/authorisations',
      token: subjectToken,
      body: {
        agency: agency.uscc,
        purpose: 'lease',
        expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      },
    });
    const cp = await checkpoint();
    const entries = await platform.request({
      url: `/v1/transparency/subjects/${subject.id}/entries`,
      token: subjectToken,
    });
    expect(entries.statusCode, entries.body).toBe(200);
    const items = entries.json().items as {
      kind: string;
      leafIndex: number;
      leafHash: string;
      leafInput: string;
      path: string[];
    }[];
    expect(items.map((i) => i.kind).sort()).toEqual(['decision', 'record.version']);
    await expectPaginatesToEnd(platform, {
      url: `/v1/transparency/subjects/${subject.id}/entries?treeSize=${cp.treeSize}`,
      token: subjectToken,
      limit: 1,
      idOf: (leaf: { leafIndex: number }) => String(leaf.leafIndex),
      expected: items.map((leaf) => String(leaf.leafIndex)),
      ordered: true,
    });
    const decision = JSON.parse(items.find((i) => i.kind === 'decision')?.leafInput ?? '{}');
    expect(decision).toMatchObject({ service: 'query', type: 'authorisation.granted' });
    expect(JSON.stringify(decision)).not.toContain(agency.uscc);
    for (const item of items) {
      expect(
        verifyInclusion(
          item.leafIndex,
          cp.treeSize,
          hex(item.leafHash),
          item.path.map(hex),
          hex(cp.rootHash),
        ),
      ).toBe(true);
    }
  });
});
