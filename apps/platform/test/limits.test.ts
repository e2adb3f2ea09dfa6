import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { findEntry } from '@credit/schema';
import { createTestPlatform, sourceId, type TestPlatform, uscc } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

/**
 * #6 item 9: rate limits on the public, check and listing-status routes (per caller), body size
 * and time limits, and the security headers every answer carries.
 */
let platform: TestPlatform;
let baseUrl: URL;

const perMinute = 4;

beforeAll(async () => {
  platform = await createTestPlatform(platformServices, {
    env: {
      RATE_LIMIT_PUBLIC_PER_MINUTE: String(perMinute),
      RATE_LIMIT_CHECKS_PER_MINUTE: String(perMinute),
      RATE_LIMIT_LISTING_PER_MINUTE: String(perMinute),
      BODY_LIMIT_BYTES: '4096',
      BATCH_BODY_LIMIT_BYTES: '16384',
      HEADERS_TIMEOUT_MS: '1000',
      REQUEST_TIMEOUT_MS: '1500',
    },
  });
  await platform.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = platform.app.server.address() as AddressInfo;
  baseUrl = new URL(`http://127.0.0.1:${port}`);
});
afterAll(async () => platform?.close());

type Call = (token: string | undefined) => ReturnType<TestPlatform['request']>;

/** Calls until refused; answers how many got through and the refusal. */
async function exhaust(call: Call, token: string | undefined) {
  let passed = 0;
  for (let i = 0; i < perMinute * 3; i++) {
    const response = await call(token);
    if (response.statusCode === 429) return { passed, refusal: response };
    passed++;
  }
  return { passed, refusal: undefined };
}

describe('rate limits', () => {
  const merchant = { id: uscc() };
  const routes: Record<
    string,
    { call: Call; tokens: () => Promise<[string | undefined, string | undefined]> }
  > = {
    'GET /v1/public/subjects/:uscc': {
      call: (token) => platform.request({ url: `/v1/public/subjects/${merchant.id}`, token }),
      // Anonymous callers are counted by address; a caller who names itself is counted apart.
      tokens: async () => [undefined, await platform.token('platform', { org: 'other-mall' })],
    },
    'POST /v1/checks': {
      call: (token) =>
        platform.request({
          method: 'POST',
          url: '/v1/checks',
          token,
          body: {
            subject: merchant.id,
            action: 'platform_entry',
            purpose: '入驻审核',
          },
        }),
      tokens: async () => [
        await platform.token('platform', { org: 'busy-mall' }),
        await platform.token('platform', { org: 'quiet-mall' }),
      ],
    },
    'GET /v1/listing-status/:subjectId': {
      call: (token) => platform.request({ url: `/v1/listing-status/${merchant.id}`, token }),
      tokens: async () => [
        await platform.token('platform', { org: 'busy-mall' }),
        await platform.token('platform', { org: 'quiet-mall' }),
      ],
    },
    'POST /v1/listing-status': {
      call: (token) =>
        platform.request({
          method: 'POST',
          url: '/v1/listing-status',
          token,
          body: { subjects: [merchant.id] },
        }),
      tokens: async () => [
        await platform.token('platform', { org: 'busy-mall' }),
        await platform.token('platform', { org: 'quiet-mall' }),
      ],
    },
    'GET /v1/public/search': {
      call: (token) =>
        platform.request({ url: `/v1/public/search?q=${encodeURIComponent('淄博华润')}`, token }),
      tokens: async () => [undefined, await platform.token('platform', { org: 'other-mall' })],
    },
    'GET /v1/reports/:number/verification': {
      call: (token) =>
        platform.request({
          url: '/v1/reports/rpt_00000000000000000000000000/verification?code=2222-2222',
          token,
        }),
      tokens: async () => [undefined, await platform.token('platform', { org: 'other-mall' })],
    },
    'POST /v1/screening': {
      call: (token) =>
        platform.request({
          method: 'POST',
          url: '/v1/screening',
          token,
          body: { items: [{ name: '淄博华润' }] },
        }),
      tokens: async () => [
        await platform.token('platform', { org: 'busy-mall' }),
        await platform.token('platform', { org: 'quiet-mall' }),
      ],
    },
  };

  for (const [route, { call, tokens }] of Object.entries(routes)) {
    it(`limits ${route} per caller with a problem+json 429 and Retry-After`, async () => {
      const [busy, quiet] = await tokens();
      const { passed, refusal } = await exhaust(call, busy);
      expect(passed).toBe(perMinute);
      expect(refusal?.headers['content-type']).toContain('application/problem+json');
      expect(refusal?.json()).toMatchObject({ status: 429, code: 'rate_limited' });
      expect(Number(refusal?.headers['retry-after'])).toBeGreaterThan(0);
      expect(refusal?.headers.ratelimit).toMatch(/;r=0;t=\d+$/);
      expect(refusal?.headers['ratelimit-policy']).toMatch(new RegExp(`;q=${perMinute};w=60$`));
      const other = await call(quiet);
      expect(other.statusCode).not.toBe(429);
      console.log(
        `limits: ${route} let ${passed} through in the minute, refused the next with 429; another caller still served`,
      );
    });
  }
});

describe('body and time limits', () => {
  it('refuses a body over the limit with 413 before parsing it', async () => {
    const token = await platform.token('provider', { org: 'zb-amr' });
    const response = await platform.request({
      method: 'POST',
      url: '/v1/records',
      token,
      rawBody: JSON.stringify({ padding: 'x'.repeat(8192) }),
      contentType: 'application/json',
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ code: 'payload_too_large' });
  });

  it('reads batches up to their own limit (BATCH_BODY_LIMIT_BYTES), above the one for other bodies', async () => {
    const admin = await platform.token('admin', { org: 'credit-office' });
    const registered = await platform.request({
      method: 'POST',
      url: '/v1/providers',
      token: admin,
      body: { code: 'zb-batch-limit', name: 'zb-batch-limit', categories: ['org_registration'] },
    });
    expect(registered.statusCode).toBe(201);
    const token = await platform.token('provider', { org: 'zb-batch-limit' });
    const sample = findEntry('org_registration')?.sample;
    const line = () =>
      JSON.stringify({
        sourceId: sourceId('LIMIT'),
        category: 'org_registration',
        subject: { kind: 'legal_person', id: uscc(), name: '淄博恒达建材有限公司' },
        occurredAt: '2026-05-20',
        data: sample,
      });
    const lines: string[] = [];
    while (Buffer.byteLength(lines.join('\n')) < 6000) lines.push(line());
    const batch = (body: string) =>
      platform.request({
        method: 'POST',
        url: '/v1/records/batch',
        token,
        rawBody: body,
        contentType: 'application/x-ndjson',
      });

    const within = await batch(lines.join('\n'));
    expect(within.statusCode).toBe(200);
    expect(within.json()).toMatchObject({ created: lines.length });

    while (Buffer.byteLength(lines.join('\n')) <= 16384) lines.push(line());
    const over = await batch(lines.join('\n'));
    expect(over.statusCode).toBe(413);
    expect(over.json()).toMatchObject({ code: 'payload_too_large' });
  });

  /** Opens a socket, writes `text`, then stalls; resolves with what the server said and when it hung up. */
  function stall(text: string): Promise<{ answer: string; closedAfterMs: number }> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      let answer = '';
      const socket: Socket = connect(Number(baseUrl.port), baseUrl.hostname, () => socket.write(text));
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        answer += chunk;
      });
      socket.on('error', reject);
      socket.on('close', () => resolve({ answer, closedAfterMs: Date.now() - started }));
      setTimeout(() => {
        socket.destroy();
        reject(new Error('the server kept a stalled connection open for 10 s'));
      }, 10_000).unref();
    });
  }

  it('drops a client that never finishes its headers', async () => {
    const { answer, closedAfterMs } = await stall('GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).toBeLessThan(5000);
    console.log(
      `limits: a stalled header was answered 408 after ${closedAfterMs} ms (HEADERS_TIMEOUT_MS 1000)`,
    );
  });

  it('drops a client that never finishes its body', async () => {
    const { answer, closedAfterMs } = await stall(
      'POST /v1/reports/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).toBeLessThan(6000);
    console.log(
      `limits: a stalled body was answered 408 after ${closedAfterMs} ms (REQUEST_TIMEOUT_MS 1500)`,
    );
  });
});

describe('security headers', () => {
  it('sends them on answers, refusals and the documentation', async () => {
    const answers = [
      await platform.request({ url: '/health' }),
      await platform.request({ url: '/v1/records/rec_x' }),
      await platform.request({ url: '/docs/' }),
    ];
    for (const response of answers) {
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['strict-transport-security']).toContain('max-age=');
      expect(String(response.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    }
    const [api, refusal, docs] = answers;
    expect(api?.headers['content-security-policy']).toContain("default-src 'none'");
    expect(refusal?.statusCode).toBe(401);
    expect(docs?.headers['content-security-policy']).toContain("script-src 'self'");
    // Swagger UI must work under its policy: no inline script in the page.
    expect(docs?.body).not.toMatch(/<script>(?!\s*<\/script>)/);
  });
});
