import { createCreditClient, isProblem, ndjson } from '@credit/client';
import { findEntry } from '@credit/schema';
import { conformingFetch, createTestPlatform, sourceId, type TestPlatform, uscc } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

/**
 * A department's flow as an integrator writes it: through the typed client, over a real socket.
 * What compiles here is what the OpenAPI document promises; what passes is what the server does.
 */
let platform: TestPlatform;
let baseUrl: string;
// The socket's answers are checked against docs/openapi.json, as injected ones are.
const fetch = conformingFetch();

beforeAll(async () => {
  platform = await createTestPlatform(platformServices);
  baseUrl = await platform.app.listen({ port: 0, host: '127.0.0.1' });
}, 60_000);
afterAll(async () => platform?.close());

function submission(category = 'org_licence') {
  const entry = findEntry(category);
  if (!entry) throw new Error(`no ${category} in the catalogue`);
  return {
    sourceId: sourceId('CL'),
    category: entry.code,
    subject: { kind: 'legal_person' as const, id: uscc(), name: '淄博客户端测试有限公司' },
    occurredAt: '2026-03-02',
    data: { ...entry.sample },
  };
}

/** The credit office registers a department for licences through the client; its client answers. */
async function registerDepartment() {
  const code = `zb-client-${Math.random().toString(36).slice(2, 8)}`;
  const office = createCreditClient({
    baseUrl: `${baseUrl}/`,
    token: await platform.token('admin', { org: 'credit-office' }),
    fetch,
  });
  const registered = await office.POST('/v1/providers', {
    body: { code, name: '淄博市行政审批服务局', categories: ['org_licence'] },
  });
  expect(registered.response.status).toBe(201);
  expect(registered.data).toMatchObject({ code, categories: ['org_licence'], status: 'active' });
  const client = createCreditClient({
    baseUrl,
    token: await platform.token('provider', { org: code }),
    fetch,
  });
  return { code, client };
}

describe('the typed client against a listening server', () => {
  it('registers a department, pushes a record, reads it back, and gets a refusal as a typed problem', async () => {
    const { code: department, client } = await registerDepartment();
    const body = submission();
    const pushed = await client.POST('/v1/records', { body });
    expect(pushed.response.status).toBe(201);
    const id = pushed.data?.id ?? '';
    expect(id).toMatch(/^rec_/);

    const read = await client.GET('/v1/records/{id}', { params: { path: { id } } });
    expect(read.error).toBeUndefined();
    expect(read.data).toMatchObject({
      id,
      sourceId: body.sourceId,
      provider: department,
      category: 'org_licence',
      subject: { kind: 'legal_person', id: body.subject.id },
      currentVersion: 1,
      chainValid: true,
    });

    // A category this department was not registered for: refused, with the problem typed.
    const refused = await client.POST('/v1/records', {
      body: submission('administrative_penalty'),
    });
    expect(refused.data).toBeUndefined();
    expect(refused.response.status).toBe(403);
    expect(refused.response.headers.get('content-type')).toContain('application/problem+json');
    expect(isProblem(refused.error)).toBe(true);
    expect(refused.error).toMatchObject({ status: 403, code: 'category_not_permitted' });

    const missing = await client.GET('/v1/records/{id}', {
      params: { path: { id: 'rec_0000000000000000' } },
    });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.code).toBe('not_found');
  });

  it('sends a batch as NDJSON and answers each line by its index', async () => {
    const { client } = await registerDepartment();
    const good = submission();
    const bad = { ...submission(), subject: { ...submission().subject, id: '913703000000000000' } };
    const batch = await client.POST('/v1/records/batch', { ...ndjson, body: [good, bad] });
    expect(batch.response.status).toBe(200);
    expect(batch.data?.items.map((item) => [item.index, item.status])).toEqual([
      [0, 201],
      [1, 422],
    ]);
    expect(batch.data?.items[1]?.problem?.code).toBe('invalid_identifier');
  });

  it('calls public routes without a token, and a refused token answers 401 as a problem', async () => {
    const anonymous = createCreditClient({ baseUrl, fetch });
    const catalogue = await anonymous.GET('/v1/catalogue');
    expect(catalogue.response.status).toBe(200);
    const forged = createCreditClient({ baseUrl, token: 'not-a-token', fetch });
    const refused = await forged.GET('/v1/records/{id}', { params: { path: { id: 'rec_x' } } });
    expect(refused.response.status).toBe(401);
    expect(isProblem(refused.error)).toBe(true);
  });
});
