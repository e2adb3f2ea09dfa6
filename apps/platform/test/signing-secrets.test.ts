import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { keyFilePath, loadOrCreateKeyFile, parseKeyEnvironment, writeKeyFile } from '@credit/crypto';
import { verifyDeliverySignature } from '@credit/outbound';
import {
  company,
  createTestPlatform,
  debtorRule,
  defineRule,
  eventually,
  push,
  record,
  registerDepartment,
  registerProvider,
  type TestPlatform,
} from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyFileSource } from '../src/keys/key-source.ts';
import { rotateKeys } from '../src/keys/rotation.ts';
import { platformServices } from '../src/services.ts';

/**
 * The signing secrets of webhooks (sanctions.webhooks) and of the exchange receivers
 * (query.exchange_receivers) are HMAC keys of other organisations' receivers: a database dump
 * must not hand them out. They are sealed like identity numbers, rotated with them, opened only
 * to sign a delivery, and answered once, when they are made.
 */

/** Receivers of both kinds on one server: each path checks every signature with its own secret. */
class Receivers {
  readonly secrets = new Map<string, string>();
  readonly verified = new Map<string, number>();
  badSignatures = 0;
  private server: Server | undefined;

  async start(): Promise<number> {
    const server = createServer((request, response) => this.answer(request, response));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  private answer(request: IncomingMessage, response: ServerResponse) {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '';
      const body = Buffer.concat(chunks).toString('utf8');
      const secret = this.secrets.get(path);
      if (!secret || !verifyDeliverySignature(secret, String(request.headers['x-credit-signature']), body)) {
        this.badSignatures += 1;
        return void response.writeHead(401).end();
      }
      this.verified.set(path, (this.verified.get(path) ?? 0) + 1);
      if (path === '/hook') return void response.writeHead(200).end();
      const answer = JSON.stringify({
        batchId: (JSON.parse(body) as { batchId: string }).batchId,
        refused: [],
      });
      response.writeHead(200, { 'content-type': 'application/json' }).end(answer);
    });
  }

  count(path: string): number {
    return this.verified.get(path) ?? 0;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const receivers = new Receivers();
let platform: TestPlatform;
let admin: string;
let shop: string;
let court: string;
let courtProvider: string;
let base = '';
let receiverId = '';
let patchedId = '';
let now = new Date('2026-06-01T02:00:00Z');
/** Every secret the platform ever held in this file: none may be in a row, an answer or a log line. */
const secrets: string[] = [];

const advance = (days: number) => {
  now = new Date(now.getTime() + days * 86_400_000);
  platform.setNow(now);
};

beforeAll(async () => {
  const port = await receivers.start();
  base = `http://127.0.0.1:${port}`;
  platform = await createTestPlatform(
    platformServices.map((service) =>
      service.name === 'query'
        ? {
            ...service,
            options: {
              exchange: { pollMs: 20, batchSize: 50, retryBaseMs: 1000, timeoutMs: 2000, leaseMs: 30_000 },
            },
          }
        : service.name === 'sanctions'
          ? {
              ...service,
              options: {
                dailyCheckMs: 0,
                webhooks: {
                  pollMs: 20,
                  retryBaseMs: 1000,
                  maxAttempts: 20,
                  timeoutMs: 2000,
                  leaseMs: 30_000,
                },
              },
            }
          : service,
    ),
    { env: { OUTBOUND_ALLOWED_HOSTS: `127.0.0.1:${port}` }, now },
  );
  admin = await platform.token('admin', { org: 'credit-office' });
  shop = await platform.token('platform', { org: 'shop-secrets' });
  await registerDepartment(platform, 'zb-court', ['dishonesty'], '法院');
  court = await platform.token('government', { org: 'zb-court' });
  await defineRule(platform, admin, debtorRule());
  courtProvider = (await registerProvider(platform, ['dishonest_judgement_debtor'], 'zb-court', '法院'))
    .token;
});
afterAll(async () => {
  await platform?.close();
  await receivers.stop();
});

/**
 * A watched merchant is listed and published: one webhook delivery to the platform, and the
 * record and the list entry to every exchange receiver. Waits until both kinds arrived signed.
 */
async function listWatchedMerchant(): Promise<void> {
  const paths = ['/hook', '/exchange', '/exchange-2'];
  const counts = () => paths.map((path) => receivers.count(path));
  const before = counts();
  const merchant = company('淄博密钥商贸有限公司');
  const watched = await platform.request({
    method: 'POST',
    url: '/v1/watches',
    token: shop,
    body: { subjects: [merchant.id] },
  });
  expect(watched.statusCode, watched.body).toBe(200);
  const occurredAt = new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
  await push(platform, courtProvider, record('dishonest_judgement_debtor', merchant, { occurredAt }));
  await platform.drainConsumers();
  const noticed = (await platform.request({ url: '/v1/list-entries?status=noticed', token: court })).json()
    .items as { id: string }[];
  expect(noticed).toHaveLength(1);
  advance(20);
  const decided = await platform.request({
    method: 'POST',
    url: `/v1/list-entries/${noticed[0]?.id}/decision`,
    token: court,
    body: { decision: 'publish', note: '认定' },
  });
  expect(decided.statusCode, decided.body).toBe(200);
  await platform.drainConsumers();
  const after = await eventually(
    async () => {
      advance(1 / 24);
      return counts();
    },
    (seen) => seen.every((n, i) => n > (before[i] ?? 0)),
  );
  expect(Object.fromEntries(paths.map((path, i) => [path, (after[i] ?? 0) > (before[i] ?? 0)]))).toEqual(
    Object.fromEntries(paths.map((path) => [path, true])),
  );
  expect(receivers.badSignatures).toBe(0);
}

/** Every row of both tables as text, as `pg_dump` would print it. */
async function storedRows(): Promise<string> {
  const rows = await platform.database.query<{ row: string }>(
    `SELECT row_to_json(w)::text AS row FROM sanctions.webhooks w
     UNION ALL SELECT row_to_json(r)::text FROM query.exchange_receivers r`,
  );
  return rows.map((r) => r.row).join('\n');
}

/** A secret in any form a column could hold it: as text, or as the bytes of that text. */
function expectNowhere(text: string, where: string): void {
  for (const secret of secrets) {
    expect(text.includes(secret), `${where} holds a signing secret`).toBe(false);
    expect(text.includes(Buffer.from(secret).toString('hex')), `${where} holds a secret's bytes`).toBe(false);
    expect(text.includes(Buffer.from(secret).toString('base64')), `${where} holds a secret's bytes`).toBe(
      false,
    );
  }
}

describe('signing secrets of webhooks and exchange receivers', () => {
  it('are answered once, when made, and stored only sealed', async () => {
    const hook = await platform.request({
      method: 'PUT',
      url: '/v1/webhooks',
      token: shop,
      body: { url: `${base}/hook` },
    });
    expect(hook.statusCode, hook.body).toBe(200);
    const hookSecret = hook.json().secret as string;
    secrets.push(hookSecret);
    receivers.secrets.set('/hook', hookSecret);

    const created = await platform.request({
      method: 'POST',
      url: '/v1/exchange/receivers',
      token: admin,
      body: { name: '省公共信用信息平台', url: `${base}/exchange` },
    });
    expect(created.statusCode, created.body).toBe(201);
    receiverId = created.json().id;
    secrets.push(created.json().secret);
    receivers.secrets.set('/exchange', created.json().secret);

    // A secret the caller chose, then a new one: neither is kept in clear either.
    const chosen = `chosen-${'c'.repeat(40)}`;
    const other = await platform.request({
      method: 'POST',
      url: '/v1/exchange/receivers',
      token: admin,
      body: { name: '国家公共信用信息平台', url: `${base}/exchange-2`, secret: chosen },
    });
    expect(other.statusCode, other.body).toBe(201);
    patchedId = other.json().id;
    const replaced = `replaced-${'r'.repeat(40)}`;
    const patched = await platform.request({
      method: 'PATCH',
      url: `/v1/exchange/receivers/${patchedId}`,
      token: admin,
      body: { secret: replaced },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    secrets.push(chosen, replaced);
    receivers.secrets.set('/exchange-2', replaced);

    const stored = await storedRows();
    expect(stored.split('\n')).toHaveLength(3);
    expectNowhere(stored, 'a stored row');
    // After it is made, no answer carries it.
    const answers = [
      patched.body,
      (await platform.request({ url: '/v1/exchange/receivers', token: admin })).body,
      (await platform.request({ url: `/v1/exchange/receivers/${receiverId}`, token: admin })).body,
      (await platform.request({ url: `/v1/exchange/receivers/${patchedId}`, token: admin })).body,
    ];
    expectNowhere(answers.join('\n'), 'an answer');
  });

  it('still sign every delivery: the receivers verify webhooks and batches with the secret they were given', async () => {
    await listWatchedMerchant();
    expectNowhere(await storedRows(), 'a stored row');
  });

  it('are re-encrypted by npm run rotate-keys, and the services deliver under the new key alone', async () => {
    const material = parseKeyEnvironment(
      platform.cliEnvironment.BLIND_INDEX_KEY as string,
      platform.cliEnvironment.ENCRYPTION_KEYS as string,
    );
    const oldKey = material.encryptionKeys[0]?.id as string;
    const path = keyFilePath(platform.cliEnvironment.DATA_DIR as string);
    await writeKeyFile(path, material);
    const stores = platformServices.flatMap((s) => s.cipherStores ?? []);
    const report = await rotateKeys({
      database: platform.database,
      source: keyFileSource(path, material),
      stores,
    });
    expect(report).toMatchObject({ complete: true, retired: [oldKey] });
    expect(report.rewrapped['sanctions.webhooks']).toBe(1);
    expect(report.rewrapped['query.exchange_receivers']).toBe(2);
    expect(report.failed['sanctions.webhooks']).toBe(0);
    expect(report.failed['query.exchange_receivers']).toBe(0);
    const keys = await platform.database.query<{ key_id: string }>(
      `SELECT key_id FROM sanctions.webhooks UNION ALL SELECT key_id FROM query.exchange_receivers`,
    );
    expect(keys.map((k) => k.key_id)).toEqual([report.target, report.target, report.target]);

    await platform.restart({ keyMaterial: (await loadOrCreateKeyFile(path)).material });
    await listWatchedMerchant();
    expectNowhere(await storedRows(), 'a stored row');
  });

  it('kept in clear by a platform from before are sealed when it starts again, and still sign', async () => {
    // The state a platform upgraded from before the sealed columns is in: its secrets in clear,
    // the constraint that refuses new clear secrets added without checking the old rows.
    const legacyHook = `legacy-hook-${'h'.repeat(36)}`;
    const legacyReceiver = `legacy-receiver-${'x'.repeat(32)}`;
    await platform.database.withSession(async (session) => {
      await session.execScript(`
        ALTER TABLE sanctions.webhooks DROP CONSTRAINT webhooks_secret_sealed;
        UPDATE sanctions.webhooks SET secret = '${legacyHook}', secret_cipher = NULL, key_id = NULL;
        ALTER TABLE sanctions.webhooks ADD CONSTRAINT webhooks_secret_sealed CHECK (secret IS NULL) NOT VALID;
        ALTER TABLE query.exchange_receivers DROP CONSTRAINT exchange_receivers_secret_sealed;
        UPDATE query.exchange_receivers SET secret = '${legacyReceiver}', secret_cipher = NULL, key_id = NULL
          WHERE receiver_id = '${receiverId}';
        ALTER TABLE query.exchange_receivers ADD CONSTRAINT exchange_receivers_secret_sealed
          CHECK (secret IS NULL) NOT VALID;`);
    });
    secrets.push(legacyHook, legacyReceiver);
    receivers.secrets.set('/hook', legacyHook);
    receivers.secrets.set('/exchange', legacyReceiver);
    // A new clear secret is refused by the database itself.
    await expect(
      platform.database.query(`UPDATE query.exchange_receivers SET secret = 'plain' WHERE receiver_id = $1`, [
        patchedId,
      ]),
    ).rejects.toThrow(/exchange_receivers_secret_sealed/);

    await platform.restart();
    // An attempt the platform had under way while the rows were rewritten may have reached the
    // receivers under the secret they had just dropped: refused, and tried again from here on.
    receivers.badSignatures = 0;
    expectNowhere(await storedRows(), 'a stored row');
    const sealed = await platform.database.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT secret_cipher, key_id FROM sanctions.webhooks
         UNION ALL SELECT secret_cipher, key_id FROM query.exchange_receivers) s
       WHERE secret_cipher IS NOT NULL AND key_id IS NOT NULL`,
    );
    expect(sealed[0]?.n).toBe(3);
    await listWatchedMerchant();
    expectNowhere(platform.logs.text(), 'the log');
  });
});
