import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { keyFilePath, loadOrCreateKeyFile, parseKeyEnvironment, writeKeyFile } from '@credit/crypto';
import type { CheckpointView } from '@credit/schema';
import {
  citizenId,
  createTestPlatform,
  recordOn,
  registerIntermediary,
  registerProvider,
  registerSupervisor,
  type TestPlatform,
  uscc,
} from '@credit/testing';
import type { JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStore } from '../src/audit/verify-store.ts';
import { keyFileSource } from '../src/keys/key-source.ts';
import { type RotationReport, rotateKeys } from '../src/keys/rotation.ts';
import { platformServices } from '../src/services.ts';

const run = promisify(execFile);
const stores = platformServices.flatMap((s) => s.cipherStores ?? []);
let platform: TestPlatform;
let admin: string;
let path: string;
const person = { kind: 'natural_person', id: citizenId(), name: '欧阳静' };
const company = { kind: 'legal_person', id: uscc(), name: '淄博恒通陶瓷有限公司' };
let companyRecord = '';
let intermediary = '';

const record = recordOn('2026-01-10');

/** What callers read of identities: every value here is decrypted on the way out. */
async function identityReads() {
  await platform.drainConsumers();
  const self = await platform.token('subject', { subject: person.id });
  const own = await platform.token('subject', { subject: company.id });
  const provider = await platform.token('provider', { org: 'dept-keys' });
  const personReport = (
    await platform.request({ url: `/v1/subjects/${person.id}/report`, token: self })
  ).json().report;
  const companyReport = (
    await platform.request({ url: `/v1/subjects/${company.id}/report`, token: own })
  ).json().report;
  const view = (await platform.request({ url: `/v1/records/${companyRecord}`, token: provider })).json();
  const disclosure = (await platform.request({ url: `/v1/public/subjects/${company.id}` })).json();
  const agency = (await platform.request({ url: `/v1/intermediaries/${intermediary}`, token: admin })).json();
  return {
    practitioners: agency.practitioners,
    person: personReport.subject,
    personItems: personReport.items.length,
    company: companyReport.subject,
    related: companyReport.items.flatMap((i: { relatedPersons: unknown[] }) => i.relatedPersons),
    record: {
      subject: view.subject,
      related: view.versions.at(-1).relatedPersons,
      chainValid: view.chainValid,
    },
    public: disclosure.subject,
  };
}

async function checkpoint(): Promise<CheckpointView> {
  await platform.drainConsumers();
  return (
    await platform.request({ method: 'POST', url: '/v1/transparency/checkpoints', token: admin })
  ).json();
}

/** Every text and JSON column of every service's tables that mentions a key id. */
async function rowsNaming(keyId: string): Promise<Record<string, number>> {
  const columns = await platform.database.query<{ s: string; t: string; c: string; type: string }>(
    `SELECT table_schema AS s, table_name AS t, column_name AS c, data_type AS type
     FROM information_schema.columns
     WHERE table_schema IN ('ingest', 'query', 'sanctions', 'repair') AND data_type IN ('text', 'jsonb')`,
  );
  const found: Record<string, number> = {};
  for (const { s, t, c, type } of columns) {
    const condition = type === 'text' ? `"${c}" = $1` : `"${c}"::text LIKE '%"' || $1 || '"%'`;
    const [row] = await platform.database.query<{ n: string }>(
      `SELECT count(*) AS n FROM "${s}"."${t}" WHERE ${condition}`,
      [keyId],
    );
    if (Number(row?.n) > 0) found[`${s}.${t}.${c}`] = Number(row?.n);
  }
  return found;
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

beforeAll(async () => {
  // Receivers of signed deliveries on a port nothing listens on: only their sealed secrets matter here.
  platform = await createTestPlatform(platformServices, { env: { OUTBOUND_ALLOWED_HOSTS: '127.0.0.1:9' } });
  admin = await platform.token('admin', { org: 'credit-office' });
  const provider = (
    await registerProvider(platform, ['administrative_penalty', 'exam_cheating'], 'dept-keys', '市场监管局')
  ).token;
  const batch = [
    record('administrative_penalty', company, {
      relatedPersons: [
        { role: 'legal_representative', id: citizenId(), name: '王强' },
        { role: 'directly_responsible', id: citizenId(), name: '赵敏' },
      ],
    }),
    record('exam_cheating', person),
    ...Array.from({ length: 14 }, (_, i) =>
      i % 2 === 0
        ? record('administrative_penalty', { kind: 'legal_person', id: uscc(), name: '淄博鲁中化工有限公司' })
        : record('exam_cheating', { kind: 'natural_person', id: citizenId(), name: '李娜' }),
    ),
  ];
  const pushed = await platform.request({
    method: 'POST',
    url: '/v1/records/batch',
    token: provider,
    body: batch,
  });
  expect(pushed.statusCode, pushed.body).toBe(200);
  companyRecord = pushed.json().items[0].id;
  // A correction makes a second version, so chains longer than one link are rewrapped too.
  const { sourceId: corrected, ...content } = batch[0] as ReturnType<typeof record>;
  const correction = await platform.request({
    method: 'PUT',
    url: `/v1/records/by-source/${corrected}`,
    token: provider,
    body: { ...content, data: { ...content.data, amount: 45000 } },
  });
  expect(correction.statusCode, correction.body).toBe(200);
  // A record long past its retention period loses its content: erased rows, with empty name
  // ciphers, must move to the new key too.
  const old = await platform.request({
    method: 'POST',
    url: '/v1/records',
    token: provider,
    body: {
      // Born by 1990, so an adult on the day of a 2012 record (the default range reaches 1995).
      ...record('exam_cheating', { kind: 'natural_person', id: citizenId(1960, 1990), name: '孙磊' }),
      occurredAt: '2012-03-01',
    },
  });
  expect(old.statusCode, old.body).toBe(201);
  const erasure = await platform.request({ method: 'POST', url: '/v1/erasure-runs', token: admin });
  expect(erasure.json()).toMatchObject({ retentionExpired: 1 });
  // Practitioners' names are kept encrypted beside their agency (migrations/ingest/0009).
  const supervisor = await registerSupervisor(platform, ['audit']);
  intermediary = (await registerIntermediary(platform, supervisor.token, 'audit')).uscc;
  for (const name of ['钱进', '周全']) {
    const linked = await platform.request({
      method: 'POST',
      url: `/v1/intermediaries/${intermediary}/practitioners`,
      token: supervisor.token,
      body: { person: { id: citizenId(), name }, responsible: name === '钱进' },
    });
    expect(linked.statusCode, linked.body).toBe(201);
  }
  // Signing secrets of a webhook and an exchange receiver are sealed under the same keys.
  const hook = await platform.request({
    method: 'PUT',
    url: '/v1/webhooks',
    token: await platform.token('platform', { org: 'shop-keys' }),
    body: { url: 'http://127.0.0.1:9/hook' },
  });
  expect(hook.statusCode, hook.body).toBe(200);
  const receiver = await platform.request({
    method: 'POST',
    url: '/v1/exchange/receivers',
    token: admin,
    body: { name: '省公共信用信息平台', url: 'http://127.0.0.1:9/exchange' },
  });
  expect(receiver.statusCode, receiver.body).toBe(201);
});
afterAll(async () => platform?.close());

describe('npm run rotate-keys', () => {
  it('may change ciphertexts and key ids of append-only rows, declared, and nothing else', async () => {
    const keyId = `jsonb_set(payload, '{subject,keyId}', '"k9"')`;
    const attempts: [declared: boolean, statement: string, expected: 'allowed' | 'refused'][] = [
      [false, `UPDATE ingest.record_versions SET key_id = 'k9'`, 'refused'],
      [false, `UPDATE ingest.events SET payload = ${keyId} WHERE payload ? 'subject'`, 'refused'],
      [true, `UPDATE ingest.record_versions SET key_id = 'k9'`, 'allowed'],
      [true, `UPDATE ingest.events SET payload = ${keyId} WHERE payload ? 'subject'`, 'allowed'],
      [true, `UPDATE ingest.record_versions SET data = '{}'::jsonb WHERE erased_at IS NULL`, 'refused'],
      [
        true,
        `UPDATE ingest.record_versions SET related_persons = '[]' WHERE related_persons <> '[]'`,
        'refused',
      ],
      [true, `UPDATE ingest.record_versions SET hash = prev_hash`, 'refused'],
      [
        true,
        `UPDATE ingest.events SET payload = jsonb_set(payload, '{data}', '{}') WHERE payload ? 'subject'`,
        'refused',
      ],
      [true, `UPDATE ingest.events SET type = 'record.withdrawn' WHERE payload ? 'subject'`, 'refused'],
      [true, `DELETE FROM ingest.record_versions`, 'refused'],
    ];
    const outcomes = await platform.database.withSession(async (session) => {
      const seen: string[] = [];
      for (const [declared, statement] of attempts) {
        await session.execScript('BEGIN');
        if (declared) await session.execScript(`SET LOCAL credit.rewrap = 'on'`);
        seen.push(
          await session.execScript(statement).then(
            () => 'allowed',
            (error: Error) =>
              /append-only|may only re-encrypt/.test(error.message) ? 'refused' : error.message,
          ),
        );
        await session.execScript('ROLLBACK');
      }
      return seen;
    });
    expect(outcomes).toEqual(attempts.map(([, , expected]) => expected));
    console.info(
      `rotate-keys: the rewrap exemption allowed ${outcomes.filter((o) => o === 'allowed').length} of ${attempts.length} statements (declared key id and cipher changes only)`,
    );
  });

  it('re-encrypts every ciphertext under a new key, resumes after a crash, retires the old key, and changes no hash', async () => {
    const before = await identityReads();
    expect(before.person).toMatchObject({ id: person.id, name: person.name });
    const first = await checkpoint();

    // The platform's keys, as the embedded default keeps them.
    const material = parseKeyEnvironment(
      platform.cliEnvironment.BLIND_INDEX_KEY as string,
      platform.cliEnvironment.ENCRYPTION_KEYS as string,
    );
    const oldKey = material.encryptionKeys[0]?.id as string;
    path = keyFilePath(platform.cliEnvironment.DATA_DIR as string);
    await writeKeyFile(path, material);
    const initial =
      (
        await rotateKeys({
          database: platform.database,
          source: keyFileSource(path, material),
          stores,
          statusOnly: true,
        })
      ).references[oldKey] ?? {};
    expect(Object.keys(initial).sort()).toEqual(stores.map((s) => s.table).sort());

    // The first run dies after two batches of five rows: the crash is simulated by its budget.
    const partial = await rotateKeys({
      database: platform.database,
      source: keyFileSource(path, material),
      stores,
      batchSize: 5,
      maxBatches: 2,
    });
    expect(partial.complete).toBe(false);
    expect(partial.introduced).toBeDefined();
    const newKey = partial.target;
    expect(newKey).not.toBe(oldKey);

    // Run again: it finds the rotation in progress (two keys in the file), introduces nothing, finishes.
    const resumed = await rotateKeys({
      database: platform.database,
      source: keyFileSource(path, (await loadOrCreateKeyFile(path)).material),
      stores,
      batchSize: 5,
    });
    expect(resumed).toMatchObject({
      introduced: undefined,
      target: newKey,
      complete: true,
      retired: [oldKey],
    });
    // Each row re-encrypted exactly once over both runs: nothing encrypted twice, nothing missed.
    const perTable = (r: RotationReport, table: string) => r.rewrapped[table] ?? 0;
    for (const [table, count] of Object.entries(initial))
      expect(perTable(partial, table) + perTable(resumed, table), table).toBe(count);
    expect(Object.values(resumed.failed).every((n) => n === 0)).toBe(true);

    // Nothing anywhere names the old key, and the key file no longer holds it.
    expect(Object.keys(resumed.references)).toEqual([newKey]);
    expect(await rowsNaming(oldKey)).toEqual({});
    const file = (await loadOrCreateKeyFile(path)).material;
    expect(file.encryptionKeys.map((k) => k.id)).toEqual([newKey]);

    // The services, redeployed with the new key only, read the same plain values.
    await platform.restart({ keyMaterial: file });
    expect(await identityReads()).toEqual(before);

    // No hash changed: the audit against checkpoints from before and after finds nothing.
    const second = await checkpoint();
    const jwks = (await platform.request({ url: '/.well-known/jwks.json' })).json() as JSONWebKeySet;
    const audit = await verifyStore(platform.database, platform.runtime.keyring, {
      checkpoints: [first, second],
      jwks,
    });
    expect(audit.findings).toEqual([]);
    console.info(
      `rotate-keys: ${total(initial)} ciphertext rows under ${oldKey} → ${newKey} (${total(partial.rewrapped)} before the simulated crash, ${total(resumed.rewrapped)} on resume, 0 twice), 0 rows name ${oldKey}, ${oldKey} retired, reads unchanged, verify ${audit.findings.length} findings over ${audit.checked.versions} versions`,
    );
  });

  it('runs as npm run rotate-keys against the database, and a second run with nothing to do changes nothing', async () => {
    if (!platform.databaseUrl) return; // the embedded database cannot be opened by a second process
    const cli = (...args: string[]) =>
      run(process.execPath, ['--import', 'tsx', 'apps/platform/src/cli/rotate-keys.ts', ...args], {
        env: {
          PATH: process.env.PATH,
          DATA_DIR: platform.cliEnvironment.DATA_DIR,
          DATABASE_URL: platform.databaseUrl,
          LOG_LEVEL: 'error',
        },
      });
    const previous = platform.runtime.keyring.activeEncryptionKeyId;
    const rotated = await cli('--json');
    const report = JSON.parse(rotated.stdout) as RotationReport;
    expect(report).toMatchObject({ complete: true, retired: [previous] });
    expect(Object.keys(report.references)).toEqual([report.target]);
    const material = (await loadOrCreateKeyFile(path)).material;
    await platform.restart({ keyMaterial: material });
    expect((await identityReads()).person).toMatchObject({ id: person.id, name: person.name });

    // With the keys in the environment and only one of them, there is nothing to rotate to.
    const env = material;
    const again = await run(
      process.execPath,
      ['--import', 'tsx', 'apps/platform/src/cli/rotate-keys.ts', '--json'],
      {
        env: {
          PATH: process.env.PATH,
          DATA_DIR: platform.cliEnvironment.DATA_DIR,
          DATABASE_URL: platform.databaseUrl,
          BLIND_INDEX_KEY: `${env.blindIndexKey.id}:${env.blindIndexKey.key.toString('base64')}`,
          ENCRYPTION_KEYS: env.encryptionKeys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(','),
        },
      },
    );
    const idle = JSON.parse(again.stdout) as RotationReport;
    expect(idle).toMatchObject({ needsNewKey: true, complete: true, retired: [] });
    expect(idle.introduced).toBeUndefined();
    expect(Object.values(idle.rewrapped)).toEqual([]);
    console.info(
      `rotate-keys CLI: ${total(report.rewrapped)} rows re-encrypted under ${report.target}, ${previous} retired; second run with one key: 0 changed`,
    );
    // Two CLI processes, each loading the platform's modules cold, and a restart: past the 30 s
    // default on a busy two-core machine (it failed so in two loaded runs).
  }, 120_000);
});
