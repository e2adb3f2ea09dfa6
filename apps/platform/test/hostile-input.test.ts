import { createTestPlatform, registerProvider, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

let platform: TestPlatform;
let admin: string;
let provider: string;

beforeAll(async () => {
  platform = await createTestPlatform(platformServices);
  admin = await platform.token('admin', { org: 'credit-office' });
  provider = (await registerProvider(platform, ['org_licence'], 'hostile-dept', 'x')).token;
});
afterAll(async () => platform?.close());

function expectProblem(response: Awaited<ReturnType<TestPlatform['request']>>, status: number, code: string) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toContain('application/problem+json');
  expect(response.json().code).toBe(code);
}

// Each case here was a 5xx or a non-problem answer found by the fuzzer (fuzz.test.ts).
describe('hostile input is refused as a problem, never a 5xx', () => {
  it('refuses bodies nested deep enough to exhaust the stack, on plain and batch routes', async () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    expectProblem(
      await platform.request({ method: 'POST', url: '/v1/providers', token: admin, rawBody: deep }),
      400,
      'bad_request',
    );
    const batch = await platform.request({
      method: 'POST',
      url: '/v1/records/batch',
      token: provider,
      rawBody: `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`,
      contentType: 'application/x-ndjson',
    });
    expect(batch.statusCode).toBe(200);
    expect(batch.json().items[0]).toMatchObject({ status: 400 });
    // Nesting a real schema needs is untouched.
    const shallow = await platform.request({
      method: 'POST',
      url: '/v1/providers',
      token: admin,
      rawBody: JSON.stringify({ code: 'x', name: 'y', categories: [[[[['z']]]]] }),
    });
    expectProblem(shallow, 422, 'validation_failed');
  });

  it('refuses NUL characters and unpaired surrogates, which PostgreSQL cannot store, in paths, queries and bodies', async () => {
    expectProblem(await platform.request({ url: '/v1/rules/%00', token: admin }), 400, 'bad_request');
    expectProblem(
      await platform.request({ url: '/v1/objections?status=a%00', token: admin }),
      400,
      'bad_request',
    );
    expectProblem(
      await platform.request({
        method: 'POST',
        url: '/v1/providers',
        token: admin,
        rawBody: '{"code":"a\\u0000b","name":"x","categories":["org_licence"]}',
      }),
      400,
      'bad_request',
    );
    expectProblem(
      await platform.request({
        method: 'POST',
        url: '/v1/providers',
        token: admin,
        rawBody: '{"code":"ab","name":"\\ud800","categories":["org_licence"]}',
      }),
      400,
      'bad_request',
    );
  });

  it('answers bad percent-encoding and over-long path parameters as problems', async () => {
    expectProblem(await platform.request({ url: '/v1/records/%zz', token: provider }), 400, 'bad_request');
    expectProblem(await platform.request({ url: '/v1/records/%ff%fe', token: provider }), 400, 'bad_request');
    expectProblem(
      await platform.request({ url: `/v1/records/${'A'.repeat(500)}`, token: provider }),
      414,
      'uri_too_long',
    );
  });

  it('refuses a batch without a body as a bad request', async () => {
    const response = await platform.app.inject({
      method: 'POST',
      url: '/v1/records/batch',
      headers: { authorization: `Bearer ${provider}` },
    });
    expectProblem(response as Awaited<ReturnType<TestPlatform['request']>>, 400, 'bad_request');
  });

  it('answers a failed precondition on the documentation files as 412, not 500', async () => {
    const response = await platform.request({
      url: '/docs/static/swagger-ui.css',
      headers: { 'if-match': '"not-the-etag"' },
    });
    expectProblem(response, 412, 'precondition_failed');
  });
});
