import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  company,
  defineRule,
  eventually,
  expectPaginatesToEnd,
  person,
  type TestPlatform,
} from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Actors,
  actors,
  brushingRule,
  listAndPublish as listAndPublishWith,
  sanctionsPlatform,
} from './helpers.ts';

/** A platform's webhook receiver: fails the first delivery with 500, accepts the rest. */
class Receiver {
  readonly received: { headers: IncomingHttpHeaders; body: string }[] = [];
  private server: Server | undefined;
  failFirst = true;

  async start(): Promise<string> {
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        this.received.push({ headers: request.headers, body });
        const fail = this.failFirst && this.received.length === 1;
        response.writeHead(fail ? 500 : 200).end();
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/credit-hook`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

let platform: TestPlatform;
let a: Actors;
/** The platform clock only moves forward here: deliveries and validity are due by it. */
let now = new Date('2026-06-01T02:00:00Z');
const advance = (days: number) => {
  now = new Date(now.getTime() + days * 86_400_000);
  platform.setNow(now);
};
let shop: string;
const receiver = new Receiver();

beforeAll(async () => {
  platform = await sanctionsPlatform(
    { webhooks: { pollMs: 50, retryBaseMs: 100, maxAttempts: 3, timeoutMs: 2000, leaseMs: 5000 } },
    // The receivers here listen on this machine, which only an operator's allowance opens.
    { env: { OUTBOUND_ALLOWED_HOSTS: '127.0.0.1' } },
  );
  platform.setNow(now);
  a = await actors(platform, ['ecommerce_fake_orders']);
  shop = await platform.token('platform', { org: 'shop-platform' });
  await defineRule(platform, a.admin, brushingRule);
});
afterAll(async () => {
  await platform?.close();
  await receiver.stop();
});

/** Past the three-working-day objection window, the entry is published. */
const listAndPublish = (subject: { kind: string; id: string; name: string }) =>
  listAndPublishWith(platform, a.provider, subject, () => advance(7));

describe('merchant listing status for platforms', () => {
  it('delivers a signed webhook, retries after a 500, and the retry carries the same event id', async () => {
    const url = await receiver.start();
    const registered = await platform.request({
      method: 'PUT',
      url: '/v1/webhooks',
      token: shop,
      body: { url },
    });
    const { secret } = registered.json();
    const merchant = company();
    expect(
      (
        await platform.request({
          method: 'POST',
          url: '/v1/watches',
          token: shop,
          body: { subjects: [merchant.id] },
        })
      ).json().watching,
    ).toBe(1);

    const { basis, entryId } = await listAndPublish(merchant);

    const deliveries = await eventually(
      async () => {
        advance(1 / 86_400); // let retries fall due on the frozen platform clock
        return (await platform.request({ url: '/v1/webhooks/deliveries', token: shop })).json().items;
      },
      (items: { status: string }[]) => items.some((d) => d.status === 'delivered'),
    );
    expect(deliveries[0]).toMatchObject({ status: 'delivered', attempts: 2, lastStatus: 200 });
    expect(receiver.received).toHaveLength(2);
    const [first, second] = receiver.received;
    expect(first?.headers['x-credit-event-id']).toBe(second?.headers['x-credit-event-id']);
    expect(first?.body).toBe(second?.body);
    const signature = String(second?.headers['x-credit-signature']);
    const [, timestamp, mac] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature) ?? [];
    expect(mac).toBe(createHmac('sha256', secret).update(`${timestamp}.${second?.body}`).digest('hex'));
    const payload = JSON.parse(second?.body ?? '{}');
    expect(payload).toMatchObject({
      type: 'list.entry.published',
      entry: { id: entryId, listKind: 'black', subject: { id: merchant.id } },
    });

    const changes = (await platform.request({ url: '/v1/listing-changes', token: shop })).json();
    expect(changes.items.map((c: { type: string }) => c.type)).toEqual(['list.entry.published']);

    await platform.request({
      method: 'DELETE',
      url: `/v1/records/by-source/${basis.sourceId}`,
      token: a.provider,
      body: { reason: '误报' },
    });
    await platform.drainConsumers();
    const later = await eventually(
      () =>
        platform
          .request({ url: `/v1/listing-changes?cursor=${changes.next}`, token: shop })
          .then((r) => r.json()),
      (page: { items: unknown[] }) => page.items.length > 0,
    );
    expect(later.items[0]).toMatchObject({
      type: 'list.entry.exited',
      entry: { id: entryId, endReason: 'basis_changed' },
    });
    await expectPaginatesToEnd(platform, {
      url: '/v1/listing-changes',
      token: shop,
      limit: 1,
      feed: true,
      idOf: (change: { eventId: string }) => change.eventId,
      expected: [...changes.items, ...later.items].map((change: { eventId: string }) => change.eventId),
      ordered: true,
    });
    await eventually(
      async () => {
        advance(1 / 86_400);
        return receiver.received.map((r) => JSON.parse(r.body).type);
      },
      (types: string[]) => types.includes('list.entry.exited'),
    );
  });

  it('answers a batch of statuses, with no record details for individual sellers', async () => {
    const merchant = company();
    const seller = person();
    await listAndPublish(merchant);
    await listAndPublish(seller);
    const clean = company();
    const response = await platform.request({
      method: 'POST',
      url: '/v1/listing-status',
      token: shop,
      body: { subjects: [merchant.id, seller.id, clean.id] },
    });
    const [m, s, c] = response.json().items;
    expect(m).toMatchObject({
      status: { black: true, red: false },
      entries: [{ listKind: 'black', domain: 'ecommerce' }],
    });
    expect(m.measures.map((x: { code: string }) => x.code)).toEqual(
      expect.arrayContaining(['ecommerce_limit_entry', 'ecommerce_block_shop']),
    );
    expect(s).toMatchObject({ subject: { kind: 'natural_person' }, status: { black: true }, entries: [] });
    expect(s.measures.length).toBeGreaterThan(0);
    expect(c).toMatchObject({
      status: { red: false, black: false, watch: false },
      entries: [],
      measures: [],
    });
    const single = (await platform.request({ url: `/v1/listing-status/${merchant.id}`, token: shop })).json();
    expect(single.status.black).toBe(true);
  });

  it('refuses a batch over 1,000 with 413 and a webhook URL that is not http(s) with 422', async () => {
    const tooMany = Array.from({ length: 1001 }, () => company().id);
    expect(
      (
        await platform.request({
          method: 'POST',
          url: '/v1/listing-status',
          token: shop,
          body: { subjects: tooMany },
        })
      ).json(),
    ).toMatchObject({
      status: 413,
      code: 'batch_too_large',
    });
    const bad = await platform.request({
      method: 'PUT',
      url: '/v1/webhooks',
      token: shop,
      body: { url: 'ftp://example.org/hook' },
    });
    expect(bad.json()).toMatchObject({ status: 422, errors: [{ path: 'url' }] });
  });

  it('keeps working when a receiver is down: ingest and checks answer, deliveries end up dead', async () => {
    const other = await platform.token('platform', { org: 'down-platform' });
    await platform.request({
      method: 'PUT',
      url: '/v1/webhooks',
      token: other,
      body: { url: 'http://127.0.0.1:9/closed' },
    });
    const merchant = company();
    await platform.request({
      method: 'POST',
      url: '/v1/watches',
      token: other,
      body: { subjects: [merchant.id] },
    });
    const started = Date.now();
    await listAndPublish(merchant);
    const check = await platform.request({
      method: 'POST',
      url: '/v1/checks',
      token: a.court,
      body: {
        subject: merchant.id,
        action: 'platform_entry',
        purpose: '入驻审核',
      },
    });
    expect(check.json().decision).toBe('deny');
    expect(Date.now() - started).toBeLessThan(5000);
    const dead = await eventually(
      async () => {
        advance(60 / 86_400);
        return (await platform.request({ url: '/v1/webhooks/deliveries', token: other })).json().items;
      },
      (items: { status: string }[]) => items.some((d) => d.status === 'dead'),
    );
    expect(dead[0]).toMatchObject({
      status: 'dead',
      attempts: 3,
      lastStatus: null,
      lastError: expect.any(String),
    });
  });
});
