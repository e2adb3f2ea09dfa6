import {
  createTestPlatform,
  type RequestOptions,
  registerProvider,
  type TestPlatform,
  uscc,
} from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

/**
 * An alert on error-level lines must mean something: a client's mistake is answered with a 4xx
 * and logged at info at most, without a stack. Fuzzing once wrote hundreds of error lines with
 * stacks for persisted-query misses, invalid JSON, unsupported media types and empty bodies.
 */
let platform: TestPlatform;

beforeAll(async () => {
  platform = await createTestPlatform(platformServices, {
    env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '2', BODY_LIMIT_BYTES: '4096' },
  });
});
afterAll(async () => platform?.close());

const info = 30;

describe('client mistakes in the log', () => {
  it('logs no 4xx above info, and none with a stack', async () => {
    const provider = (await registerProvider(platform, ['org_licence'], 'mistakes-dept', 'x')).token;
    const record = (extra: Partial<RequestOptions>): RequestOptions => ({
      method: 'POST',
      url: '/v1/records',
      token: provider,
      ...extra,
    });
    const mistakes: [string, RequestOptions][] = [
      [
        'persisted-query miss',
        {
          method: 'POST',
          url: '/graphql',
          rawBody: '{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"0f"}}}',
        },
      ],
      ['GraphQL GET without a query', { url: '/graphql' }],
      ['GraphQL batch', { method: 'POST', url: '/graphql', rawBody: '[{"query":"{ __typename }"}]' }],
      ['GraphQL syntax error', { method: 'POST', url: '/graphql', body: { query: '{ me { ' } }],
      ['invalid JSON', record({ rawBody: '{"sourceId":' })],
      ['empty JSON body', record({ rawBody: '' })],
      ['JSON null', record({ rawBody: 'null' })],
      ['no body', record({})],
      ['plain text', record({ rawBody: 'hello', contentType: 'text/plain' })],
      ['form body', record({ rawBody: 'a=1', contentType: 'application/x-www-form-urlencoded' })],
      ['body too large', record({ rawBody: JSON.stringify({ pad: 'x'.repeat(8192) }) })],
      ['invalid record', record({ body: { sourceId: 'x' } })],
      ['batch of invalid JSON', record({ url: '/v1/records/batch', rawBody: '[{"sourceId":' })],
      ['batch not an array', record({ url: '/v1/records/batch', rawBody: '{"a":1}' })],
      [
        'batch of broken NDJSON',
        record({ url: '/v1/records/batch', rawBody: '{"a":\n}\n', contentType: 'application/x-ndjson' }),
      ],
      ['empty batch', record({ url: '/v1/records/batch', rawBody: '' })],
      ['batch as plain text', record({ url: '/v1/records/batch', rawBody: 'x', contentType: 'text/plain' })],
      ['no token', { method: 'POST', url: '/v1/records', body: {} }],
      ['bad token', { method: 'POST', url: '/v1/records', token: 'not.a.token', body: {} }],
      [
        'wrong role',
        { method: 'POST', url: '/v1/providers', token: await platform.token('agency'), body: {} },
      ],
      ['unknown route', { url: '/v1/nothing-here' }],
      ['bad percent-encoding', { url: '/v1/public/subjects/%E0%A4%A' }],
      ['over-long path parameter', { url: `/v1/public/subjects/${'9'.repeat(400)}` }],
      ['bad query string', { url: '/v1/transparency/proofs/inclusion?leafIndex=minus&treeSize=x' }],
      ['unknown organisation', { url: `/v1/public/subjects/${uscc()}` }],
      ['rate limited', { url: `/v1/public/subjects/${uscc()}` }],
      ['rate limited again', { url: `/v1/public/subjects/${uscc()}` }],
    ];
    const before = platform.logs.lines.length;
    const statuses: Record<string, number> = {};
    for (const [name, request] of mistakes) {
      const response = await platform.request(request);
      statuses[name] = response.statusCode;
      // These two answer per item or the GraphQL way, with the refusal inside a 200.
      if (name === 'GraphQL syntax error')
        expect(response.json().errors[0].extensions.code).toBe('bad_request');
      else if (name === 'batch of broken NDJSON') expect(response.json().refused).toBe(2);
      else expect(response.statusCode, `${name}: ${response.body}`).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, `${name}: ${response.body}`).toBeLessThan(500);
    }
    expect(statuses['rate limited again']).toBe(429);
    expect(statuses['body too large']).toBe(413);
    expect(statuses['plain text']).toBe(415);
    const written = platform.logs.entries().slice(before);
    const loud = written.filter((line) => Number(line.level) > info);
    expect(loud, JSON.stringify(loud.slice(0, 3))).toEqual([]);
    const withStack = written.filter((line) => JSON.stringify(line).includes('"stack"'));
    expect(withStack, JSON.stringify(withStack.slice(0, 3))).toEqual([]);
  });
});
