import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ResolvedAddress } from '@credit/outbound';
import { company, defineRule, eventually, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actors, brushingRule, listAndPublish, sanctionsPlatform } from './helpers.ts';

/** A receiver on this machine that counts what reaches it and answers with `answer`. */
class LocalReceiver {
  hits = 0;
  private server: Server | undefined;
  constructor(private readonly answer: (response: import('node:http').ServerResponse) => void) {}

  async start(): Promise<number> {
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        this.hits += 1;
        this.answer(response);
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

// An inside service a redirect points at, and the one receiver the operator allowed.
const inside = new LocalReceiver((response) => response.writeHead(200).end());
const redirecting = new LocalReceiver((response) =>
  response.writeHead(302, { location: `http://127.0.0.1:${insidePort}/steal` }).end(),
);
let insidePort = 0;
let allowedPort = 0;

/** DNS as the test wants it: names map to addresses, and the map can change (rebinding). */
const dns = new Map<string, ResolvedAddress[]>([
  [
    'localhost',
    [
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ],
  ],
  ['rebind.example.cn', [{ address: '192.168.1.20', family: 4 }]],
  [
    'mixed.example.cn',
    [
      { address: '101.6.6.6', family: 4 },
      { address: '10.1.2.3', family: 4 },
    ],
  ],
  ['shop.example.cn', [{ address: '101.6.6.6', family: 4 }]],
]);
const resolveHost = async (hostname: string) => {
  const found = dns.get(hostname);
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return found;
};

let platform: TestPlatform;
let provider: string;
let now = new Date('2026-06-01T02:00:00Z');

beforeAll(async () => {
  insidePort = await inside.start();
  allowedPort = await redirecting.start();
  platform = await sanctionsPlatform(
    { webhooks: { pollMs: 50, retryBaseMs: 100, maxAttempts: 2, timeoutMs: 2000, leaseMs: 5000 } },
    { env: { OUTBOUND_ALLOWED_HOSTS: `127.0.0.1:${allowedPort}` }, resolveHost },
  );
  platform.setNow(now);
  const a = await actors(platform, ['ecommerce_fake_orders']);
  provider = a.provider;
  await defineRule(platform, a.admin, brushingRule);
});
afterAll(async () => {
  await platform?.close();
  await inside.stop();
  await redirecting.stop();
});

const advance = (days: number) => {
  now = new Date(now.getTime() + days * 86_400_000);
  platform.setNow(now);
};

async function register(org: string, url: string) {
  const token = await platform.token('platform', { org });
  const response = await platform.request({ method: 'PUT', url: '/v1/webhooks', token, body: { url } });
  return { token, response };
}

/** Watches a new merchant, lists it, and waits until its delivery has been tried and given up. */
async function publishAndSettle(token: string) {
  const merchant = company();
  await platform.request({ method: 'POST', url: '/v1/watches', token, body: { subjects: [merchant.id] } });
  await listAndPublish(platform, provider, merchant, () => advance(7));
  return await eventually(
    async () => {
      advance(60 / 86_400);
      return (await platform.request({ url: '/v1/webhooks/deliveries', token })).json().items;
    },
    (items: { status: string }[]) => items.length > 0 && items.every((d) => d.status === 'dead'),
  );
}

describe('webhook receivers cannot reach inside the platform’s network', () => {
  it.each([
    ['plain http to loopback', 'http://127.0.0.1:1/x'],
    ['plain http to a name', 'http://localhost/x'],
    ['IPv4 loopback', 'https://127.0.0.1/x'],
    ['a name that resolves to loopback', 'https://localhost/x'],
    ['IPv6 loopback', 'https://[::1]/x'],
    ['private network', 'https://10.0.0.1/x'],
    ['private network (172.16/12)', 'https://172.20.1.1/x'],
    ['private network (192.168/16)', 'https://192.168.0.10/x'],
    ['cloud metadata', 'https://169.254.169.254/latest/meta-data'],
    ['cloud metadata in carrier-grade NAT space', 'https://100.100.100.200/latest/meta-data'],
    ['IPv6 link-local', 'https://[fe80::1]/x'],
    ['IPv6 unique-local (IPv6 metadata)', 'https://[fd00:ec2::254]/x'],
    ['IPv6 multicast', 'https://[ff02::1]/x'],
    ['IPv4 multicast', 'https://224.0.0.1/x'],
    ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/x'],
    ['NAT64 of the metadata address', 'https://[64:ff9b::a9fe:a9fe]/x'],
    ['6to4 of a private address', 'https://[2002:0a00:0001::1]/x'],
    ['unspecified address', 'https://0.0.0.0/x'],
    ['a name that resolves to a private address', 'https://rebind.example.cn/x'],
    ['a name with one private address among public ones', 'https://mixed.example.cn/x'],
    ['the allowed host on another port', 'http://127.0.0.1:1/x'],
  ])('refuses %s at registration', async (_label, url) => {
    const { response } = await register('outbound-platform', url);
    expect(response.statusCode, response.body).toBe(422);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ code: 'receiver_not_allowed', errors: [{ path: 'url' }] });
  });

  it('refuses a host that does not resolve, and stores nothing for a refused URL', async () => {
    const { token, response } = await register('unresolved-platform', 'https://nowhere.example.cn/hook');
    expect(response.json()).toMatchObject({ status: 422, code: 'receiver_unresolvable' });
    const deliveries = await platform.request({ url: '/v1/webhooks/deliveries', token });
    expect(deliveries.json().items).toEqual([]);
  });

  it('accepts https to a public address and the host the operator allowed (over http too)', async () => {
    expect((await register('public-platform', 'https://shop.example.cn/hook')).response.statusCode).toBe(200);
    const allowed = await register('allowed-platform', `http://127.0.0.1:${allowedPort}/hook`);
    expect(allowed.response.statusCode, allowed.response.body).toBe(200);
  });

  it('checks the address again at delivery: a name rebound to loopback since registration gets nothing', async () => {
    dns.set('rebinding.example.cn', [{ address: '101.6.6.7', family: 4 }]);
    const { token, response } = await register('rebinding-platform', 'https://rebinding.example.cn/hook');
    expect(response.statusCode, response.body).toBe(200);
    dns.set('rebinding.example.cn', [{ address: '127.0.0.1', family: 4 }]);
    const hitsBefore = inside.hits + redirecting.hits;
    const deliveries = await publishAndSettle(token);
    expect(deliveries[0]).toMatchObject({
      status: 'dead',
      lastStatus: null,
      lastError: 'receiver refused: address_not_allowed',
    });
    expect(inside.hits + redirecting.hits).toBe(hitsBefore);
  });

  it('never follows a redirect, even from an allowed receiver to an inside address', async () => {
    const { token } = await register('redirected-platform', `http://127.0.0.1:${allowedPort}/hook`);
    const insideBefore = inside.hits;
    const redirectsBefore = redirecting.hits;
    const deliveries = await publishAndSettle(token);
    expect(deliveries[0]).toMatchObject({ status: 'dead', lastStatus: 302, attempts: 2 });
    expect(redirecting.hits - redirectsBefore).toBe(2);
    expect(inside.hits).toBe(insideBefore);
  });
});
