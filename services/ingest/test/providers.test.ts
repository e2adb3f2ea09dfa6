import { expectPaginatesToEnd, recordBody, registerProvider, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestPlatform } from './helpers.ts';

let platform: TestPlatform;
let admin: string;

beforeAll(async () => {
  platform = await ingestPlatform();
  admin = await platform.token('admin', { org: 'credit-office' });
});
afterAll(async () => platform?.close());

describe('provider registry', () => {
  it('registers, reads, lists and updates providers, keeping every revision', async () => {
    const body = {
      code: 'zb-tax',
      name: '国家税务总局淄博市税务局',
      categories: ['tax_social_insurance_arrears', 'person_tax_arrears'],
    };
    const created = await platform.request({ method: 'POST', url: '/v1/providers', token: admin, body });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      ...body,
      categories: [...body.categories].sort(),
      status: 'active',
      revision: 1,
    });

    expect(
      (await platform.request({ method: 'POST', url: '/v1/providers', token: admin, body })).statusCode,
    ).toBe(200);
    const clash = await platform.request({
      method: 'POST',
      url: '/v1/providers',
      token: admin,
      body: { ...body, name: '别的' },
    });
    expect(clash.json()).toMatchObject({ status: 409, code: 'conflict' });

    const updated = await platform.request({
      method: 'PATCH',
      url: '/v1/providers/zb-tax',
      token: admin,
      body: { categories: ['tax_social_insurance_arrears'], status: 'suspended' },
    });
    expect(updated.json()).toMatchObject({
      categories: ['tax_social_insurance_arrears'],
      status: 'suspended',
      revision: 2,
    });

    const own = await platform.token('provider', { org: 'zb-tax' });
    expect((await platform.request({ url: '/v1/providers/zb-tax', token: own })).statusCode).toBe(200);
    const other = await platform.token('provider', { org: 'someone-else' });
    expect((await platform.request({ url: '/v1/providers/zb-tax', token: other })).statusCode).toBe(403);

    const list = (await platform.request({ url: '/v1/providers?limit=500', token: admin })).json();
    expect(list.items.map((p: { code: string }) => p.code)).toContain('zb-tax');
    const revisions = await platform.database.query<{ revision: number; status: string }>(
      "SELECT revision, status FROM ingest.provider_revisions WHERE code = 'zb-tax' ORDER BY revision",
    );
    expect(revisions).toEqual([
      { revision: 1, status: 'active' },
      { revision: 2, status: 'suspended' },
    ]);
  });

  it('pages through the registry by cursor, unshaken by providers registered meanwhile', async () => {
    const register = (code: string) =>
      platform.request({
        method: 'POST',
        url: '/v1/providers',
        token: admin,
        body: { code, name: `部门 ${code}`, categories: ['org_licence'] },
      });
    for (const n of [1, 2, 3, 4, 5, 6, 7]) expect((await register(`pg-walk-${n}`)).statusCode).toBe(201);
    const all = (await platform.request({ url: '/v1/providers?limit=500', token: admin })).json();
    const expected = all.items.map((p: { code: string }) => p.code);
    await expectPaginatesToEnd(platform, {
      url: '/v1/providers',
      token: admin,
      limit: 3,
      idOf: (p: { code: string }) => p.code,
      expected,
      ordered: true,
      // One code sorts before the walk's position, one after it: neither disturbs the pages.
      betweenPages: async (page) => {
        if (page === 1) {
          expect((await register('aa-early')).statusCode).toBe(201);
          expect((await register('zz-late')).statusCode).toBe(201);
        }
      },
    });
    const forged = await platform.request({ url: '/v1/providers?cursor=bm9wZQ', token: admin });
    expect(forged.statusCode).toBe(400);
    expect(forged.json()).toMatchObject({ code: 'bad_request', errors: [{ path: 'query.cursor' }] });
  });

  it('refuses unknown catalogue entries and malformed codes', async () => {
    const unknown = await platform.request({
      method: 'POST',
      url: '/v1/providers',
      token: admin,
      body: { code: 'zb-x', name: 'x', categories: ['org_licence', 'nope'] },
    });
    expect(unknown.json()).toMatchObject({
      status: 422,
      code: 'unknown_category',
      errors: [{ path: 'categories.1' }],
    });
    const badCode = await platform.request({
      method: 'POST',
      url: '/v1/providers',
      token: admin,
      body: { code: 'Bad Code', name: 'x', categories: ['org_licence'] },
    });
    expect(badCode.json()).toMatchObject({ status: 422, errors: [{ path: 'code' }] });
  });

  it('reports volume, refusals by code and timeliness per provider', async () => {
    const provider = await registerProvider(platform, ['org_licence']);
    const push = (body: unknown) =>
      platform.request({ method: 'POST', url: '/v1/records', token: provider.token, body });
    const now = new Date('2026-03-10T08:00:00Z');
    platform.setNow(now);
    try {
      const record = recordBody('org_licence', { occurredAt: '2026-03-09T08:00:00+00:00' });
      await push(record);
      await push(record);
      await push(recordBody('org_licence', { occurredAt: '2026-03-07T08:00:00+00:00' }));
      await push(recordBody('exam_cheating'));
      await push({ ...recordBody('org_licence'), extra: true });
      const stats = await platform.request({
        url: `/v1/providers/${provider.code}/statistics?from=2026-03-01T00:00:00Z&to=2026-03-11T00:00:00Z`,
        token: provider.token,
      });
      expect(stats.json()).toEqual({
        provider: provider.code,
        from: '2026-03-01T00:00:00.000Z',
        to: '2026-03-11T00:00:00.000Z',
        received: 5,
        accepted: 2,
        unchanged: 1,
        refused: 2,
        refusalRate: 0.4,
        refusalsByCode: { category_not_permitted: 1, unknown_field: 1 },
        byCategory: { org_licence: 2 },
        delay: { medianHours: 48, p90Hours: 67.2, maxHours: 72 },
        subjectNameMismatches: 0,
      });
    } finally {
      platform.setNow(undefined);
    }
  });
});

describe('the catalogue route', () => {
  it('serves every entry with its JSON Schema, publicly and cacheably', async () => {
    const response = await platform.request({ url: '/v1/catalogue' });
    expect(response.statusCode).toBe(200);
    const catalogue = response.json();
    expect(catalogue.entries.length).toBeGreaterThanOrEqual(40);
    const penalty = catalogue.entries.find((e: { code: string }) => e.code === 'administrative_penalty');
    expect(penalty).toMatchObject({
      class: 'dishonesty',
      publicity: 'public',
      repairable: true,
      severity: { default: 'general' },
    });
    expect(penalty.dataSchema).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: expect.arrayContaining(['documentNumber']),
    });
    const etag = response.headers.etag as string;
    const cached = await platform.request({ url: '/v1/catalogue', headers: { 'if-none-match': etag } });
    expect(cached.statusCode).toBe(304);
    expect((await platform.request({ url: '/v1/catalogue/org_licence' })).json().code).toBe('org_licence');
    expect((await platform.request({ url: '/v1/catalogue/none' })).statusCode).toBe(404);
  });
});
