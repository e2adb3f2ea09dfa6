import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CheckpointView } from '@credit/schema';
import {
  citizenId,
  createTestPlatform,
  recordOn,
  registerProvider,
  type TestPlatform,
  uscc,
} from '@credit/testing';
import type { JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStore } from '../src/audit/verify-store.ts';
import { platformServices } from '../src/services.ts';

const run = promisify(execFile);
let platform: TestPlatform;
let published: CheckpointView[];
let jwks: JSONWebKeySet;
const ids: { recordId: string; person: string; erased?: string } = { recordId: '', person: '' };

const record = recordOn('2026-01-10');

async function audit() {
  return verifyStore(platform.database, platform.runtime.keyring, { checkpoints: published, jwks });
}

/** Changes a row as an operator with database access would, going around the triggers. */
async function behindTheBack(table: string, statement: string, params: unknown[] = []) {
  await platform.database.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
  try {
    await platform.database.query(statement, params);
  } finally {
    await platform.database.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
  }
}

beforeAll(async () => {
  platform = await createTestPlatform(platformServices);
  const admin = await platform.token('admin', { org: 'credit-office' });
  const provider = (
    await registerProvider(platform, ['administrative_penalty', 'exam_cheating'], 'dept-verify', '市场监管局')
  ).token;
  const agency = uscc();
  await platform.request({
    method: 'POST',
    url: '/v1/agencies',
    token: admin,
    body: {
      uscc: agency,
      name: '某信用服务有限公司',
      licenceNumber: 'XY-9',
      licenceValidUntil: '2030-12-31',
    },
  });
  const batch = Array.from({ length: 20 }, (_, i) =>
    i % 2 === 0
      ? record('administrative_penalty', { kind: 'legal_person', id: uscc(), name: '淄博某陶瓷有限公司' })
      : record('exam_cheating', { kind: 'natural_person', id: citizenId(), name: '刘洋' }),
  );
  const pushed = (
    await platform.request({ method: 'POST', url: '/v1/records/batch', token: provider, body: batch })
  ).json();
  ids.recordId = pushed.items[0].id;
  const person = batch[1]?.subject as { id: string };
  ids.person = person.id;
  const subjectToken = await platform.token('subject', { subject: person.id });
  const grant = await platform.request({
    method: 'POST',
    url: '/v1/authorisations',
    token: subjectToken,
    body: { agency, purpose: 'loan', expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString() },
  });
  const agencyToken = await platform.token('agency', { org: agency });
  for (let i = 0; i < 2; i += 1) {
    await platform.request({
      url: `/v1/subjects/${person.id}/report`,
      token: agencyToken,
      headers: { 'x-credit-authorisation': grant.json().token },
    });
  }
  await platform.drainConsumers();
  const first = (
    await platform.request({ method: 'POST', url: '/v1/transparency/checkpoints', token: admin })
  ).json();
  await platform.request({
    method: 'POST',
    url: '/v1/records',
    token: provider,
    body: record('administrative_penalty', { kind: 'legal_person', id: uscc(), name: '淄博某建材有限公司' }),
  });
  await platform.drainConsumers();
  const second = (
    await platform.request({ method: 'POST', url: '/v1/transparency/checkpoints', token: admin })
  ).json();
  published = [first, second];
  jwks = (await platform.request({ url: '/.well-known/jwks.json' })).json();
});
afterAll(async () => platform?.close());

describe('npm run verify', () => {
  it('finds nothing in an untouched database, from the command line too', async () => {
    const report = await audit();
    expect(report.findings).toEqual([]);
    expect(report.checked).toMatchObject({ checkpoints: 2, versions: 21, accesses: 2 });
    expect(report.checked.leaves).toBe(published[1]?.treeSize);
    console.info(`verify: clean database — ${JSON.stringify(report.checked)}, 0 findings`);

    if (!platform.databaseUrl) return; // the embedded database cannot be opened by a second process
    const dir = await mkdtemp(join(tmpdir(), 'verify-'));
    await writeFile(join(dir, 'checkpoints.json'), JSON.stringify(published));
    await writeFile(join(dir, 'jwks.json'), JSON.stringify(jwks));
    const cli = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'apps/platform/src/cli/verify.ts',
        '--checkpoints',
        join(dir, 'checkpoints.json'),
        '--jwks',
        join(dir, 'jwks.json'),
      ],
      { env: { ...process.env, ...platform.cliEnvironment, LOG_LEVEL: 'error' } },
    );
    expect(cli.stdout).toContain('no findings');
  });

  it('reports each kind of change made behind the platform’s back', async () => {
    const expectations: [string, () => Promise<void>][] = [
      [
        'version_chain',
        () =>
          behindTheBack(
            'ingest.record_versions',
            `UPDATE ingest.record_versions SET data = jsonb_set(data, '{violation}', '"无违法行为"') WHERE record_id = $1`,
            [ids.recordId],
          ),
      ],
      [
        'version_changed',
        () =>
          behindTheBack(
            'ingest.record_versions',
            `UPDATE ingest.record_versions SET status = 'withdrawn' WHERE record_id = (
               SELECT record_id FROM ingest.record_versions WHERE record_id <> $1 ORDER BY record_id LIMIT 1)`,
            [ids.recordId],
          ),
      ],
      [
        'version_deleted',
        () =>
          behindTheBack(
            'ingest.record_versions',
            `DELETE FROM ingest.record_versions WHERE record_id = (
               SELECT record_id FROM ingest.record_versions ORDER BY record_id DESC LIMIT 1)`,
          ),
      ],
      [
        'erased_without_tombstone',
        () =>
          behindTheBack(
            'ingest.record_versions',
            `UPDATE ingest.record_versions SET content_salt = NULL, data = NULL WHERE record_id = (
               SELECT record_id FROM ingest.record_versions ORDER BY record_id DESC OFFSET 2 LIMIT 1)`,
          ),
      ],
      [
        'access_deleted',
        () =>
          behindTheBack(
            'query.access_log',
            `DELETE FROM query.access_log WHERE entry_no = 2 AND subject_key = (SELECT subject_key FROM query.access_log LIMIT 1)`,
          ),
      ],
      [
        'decision_changed',
        () =>
          behindTheBack(
            'query.events',
            `UPDATE query.events SET payload = jsonb_set(payload, '{purpose}', '"employment"') WHERE type = 'authorisation.granted'`,
          ),
      ],
      [
        'map_root_mismatch',
        () =>
          behindTheBack(
            'ingest.log_subject_leaves',
            `DELETE FROM ingest.log_subject_leaves WHERE leaf_index = (
               SELECT max(leaf_index) FROM ingest.log_subject_leaves WHERE kind = 'access')`,
          ),
      ],
      [
        'root_mismatch',
        () =>
          behindTheBack(
            'ingest.log_leaves',
            `UPDATE ingest.log_leaves SET leaf_input = convert_to(replace(convert_from(leaf_input, 'UTF8'), 'dept-verify', 'dept-other'), 'UTF8'),
               leaf_hash = sha256('\\x00'::bytea || convert_to(replace(convert_from(leaf_input, 'UTF8'), 'dept-verify', 'dept-other'), 'UTF8'))
             WHERE leaf_index = 3`,
          ),
      ],
    ];
    for (const [kind, tamper] of expectations) {
      const before = new Set((await audit()).findings.map((f) => f.kind));
      expect(before.has(kind as never), `${kind} reported before its tampering`).toBe(false);
      await tamper();
      const kinds = new Set((await audit()).findings.map((f) => f.kind));
      expect(kinds.has(kind as never), `after tampering for ${kind}: ${[...kinds].join(', ')}`).toBe(true);
    }
    // A checkpoint someone re-signed without the platform's key is refused too.
    const forged = { ...(published[1] as CheckpointView), rootHash: '0'.repeat(64) };
    const report = await verifyStore(platform.database, platform.runtime.keyring, {
      checkpoints: [forged],
      jwks,
    });
    expect(report.findings.map((f) => f.kind)).toContain('checkpoint_signature');
    console.info(`verify: ${expectations.length + 1} kinds of tampering, each detected`);

    if (!platform.databaseUrl) return;
    const cli = await run(process.execPath, ['--import', 'tsx', 'apps/platform/src/cli/verify.ts'], {
      env: { ...process.env, ...platform.cliEnvironment, LOG_LEVEL: 'error' },
    }).catch((error: { code: number; stdout: string }) => error);
    expect((cli as { code?: number }).code).toBe(1);
    expect(cli.stdout).toContain('version_deleted');
  });
});
