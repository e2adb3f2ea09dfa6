import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { company, defineRule, expectPaginatesToEnd, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actors, actors, brushingRule, listAndPublish, sanctionsPlatform } from './helpers.ts';

let platform: TestPlatform;
let a: Actors;
let now = new Date('2026-06-01T02:00:00Z');
let receiver: Server | undefined;

beforeAll(async () => {
  platform = await sanctionsPlatform(
    { webhooks: { pollMs: 50, retryBaseMs: 100, maxAttempts: 3, timeoutMs: 2000, leaseMs: 5000 } },
    // The receiver listens on this machine, which only an operator's allowance opens.
    { env: { OUTBOUND_ALLOWED_HOSTS: '127.0.0.1' } },
  );
  platform.setNow(now);
  a = await actors(platform, ['ecommerce_fake_orders']);
  await defineRule(platform, a.admin, brushingRule);
});
afterAll(async () => {
  await platform?.close();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

const forgedCursor = async (url: string, token?: string) => {
  const forged = await platform.request({ url: `${url}?cursor=bm9wZQ`, ...(token ? { token } : {}) });
  expect(forged.statusCode).toBe(400);
  expect(forged.json()).toMatchObject({ code: 'bad_request', errors: [{ path: 'query.cursor' }] });
};

describe('rules, measures and webhook deliveries, page by page', () => {
  it('walks the active rules by code, and a rule’s new version replaces its old one', async () => {
    for (const n of [1, 2, 3, 4, 5])
      await defineRule(platform, a.admin, { ...brushingRule, code: `pg-rule-${n}` });
    // A second version retires the first: the list holds one version of each rule.
    await defineRule(platform, a.admin, { ...brushingRule, code: 'pg-rule-3', name: '第二版' });
    const all = (await platform.request({ url: '/v1/rules?limit=500', token: a.admin })).json();
    const expected = all.items.map((r: { code: string; version: number }) => `${r.code}@${r.version}`);
    expect(expected).toContain('pg-rule-3@2');
    expect(expected).not.toContain('pg-rule-3@1');
    await expectPaginatesToEnd(platform, {
      url: '/v1/rules',
      token: a.admin,
      limit: 2,
      idOf: (rule: { code: string; version: number }) => `${rule.code}@${rule.version}`,
      expected,
      ordered: true,
    });
    await forgedCursor('/v1/rules', a.admin);
  });

  it('walks every version of one rule, oldest first, and knows no unknown rule', async () => {
    for (const n of [1, 2, 3, 4, 5])
      await defineRule(platform, a.admin, { ...brushingRule, code: 'pg-versions', name: `第${n}版` });
    const items = await expectPaginatesToEnd(platform, {
      url: '/v1/rules/pg-versions',
      token: a.admin,
      limit: 2,
      idOf: (rule: { version: number; status: string }) => String(rule.version),
      expected: ['1', '2', '3', '4', '5'],
      ordered: true,
    });
    // Only the newest version stands; the others were retired as each new one came.
    expect(items.map((rule) => rule.status)).toEqual(['retired', 'retired', 'retired', 'retired', 'active']);
    await forgedCursor('/v1/rules/pg-versions', a.admin);
    const unknown = await platform.request({ url: '/v1/rules/pg-no-such-rule', token: a.admin });
    expect(unknown.statusCode).toBe(404);
  });

  it('walks the measures catalogue by code, for anyone', async () => {
    for (const code of ['pg_measure_a', 'pg_measure_b', 'pg_measure_c']) {
      const put = await platform.request({
        method: 'PUT',
        url: `/v1/measures/${code}`,
        token: a.admin,
        body: {
          name: '测试措施',
          nameEn: 'Test measure',
          listKind: 'black',
          domains: ['general'],
          subjectScope: 'any',
          actions: ['inspection_planning'],
          effect: 'inspect',
          legalBasis: '测试',
          implementingDepartment: '各行政监管部门',
        },
      });
      expect(put.statusCode, put.body).toBe(200);
    }
    const all = (await platform.request({ url: '/v1/measures?limit=500' })).json();
    const expected = all.items.map((m: { code: string }) => m.code);
    expect(expected.length).toBeGreaterThan(3);
    await expectPaginatesToEnd(platform, {
      url: '/v1/measures',
      token: '',
      limit: 3,
      idOf: (measure: { code: string }) => measure.code,
      expected,
      ordered: true,
    });
    await forgedCursor('/v1/measures');
  });

  it('walks a platform’s webhook deliveries newest first', async () => {
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(200).end());
    });
    receiver = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const shop = await platform.token('platform', { org: 'pages-platform' });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    expect(
      (await platform.request({ method: 'PUT', url: '/v1/webhooks', token: shop, body: { url } })).statusCode,
    ).toBe(200);
    const merchants = [company(), company(), company(), company()];
    const watched = await platform.request({
      method: 'POST',
      url: '/v1/watches',
      token: shop,
      body: { subjects: merchants.map((m) => m.id) },
    });
    expect(watched.json().watching).toBe(4);
    for (const merchant of merchants)
      await listAndPublish(platform, a.provider, merchant, () => {
        now = new Date(now.getTime() + 7 * 86_400_000);
        platform.setNow(now);
      });
    const all = (await platform.request({ url: '/v1/webhooks/deliveries?limit=500', token: shop })).json();
    expect(all.items).toHaveLength(4);
    const deliveries = await expectPaginatesToEnd(platform, {
      url: '/v1/webhooks/deliveries',
      token: shop,
      limit: 3,
      idOf: (delivery: { id: string; eventId: string }) => delivery.id,
      expected: all.items.map((d: { id: string }) => d.id),
      ordered: true,
    });
    // Newest first: the reverse of the change feed, which is in the order the merchants were listed.
    const feed = (await platform.request({ url: '/v1/listing-changes', token: shop })).json();
    const published = feed.items.map((c: { eventId: string }) => c.eventId);
    expect(deliveries.map((d: { eventId: string }) => d.eventId)).toEqual([...published].reverse());
    const other = await platform.token('platform', { org: 'another-platform' });
    expect((await platform.request({ url: '/v1/webhooks/deliveries', token: other })).json().items).toEqual(
      [],
    );
    await forgedCursor('/v1/webhooks/deliveries', shop);
  });
});
