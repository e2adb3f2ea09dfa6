import { expectPaginatesToEnd, person, type TestPlatform, uscc } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPlatform, type World, world } from './helpers.ts';

let platform: TestPlatform;
let w: World;

beforeAll(async () => {
  platform = await queryPlatform();
  w = await world(platform, ['person_education']);
});
afterAll(async () => platform?.close());

const forgedCursor = async (url: string, token: string) => {
  const forged = await platform.request({ url: `${url}?cursor=bm9wZQ`, token });
  expect(forged.statusCode).toBe(400);
  expect(forged.json()).toMatchObject({ code: 'bad_request', errors: [{ path: 'query.cursor' }] });
};

describe('the registries and a subject’s authorisations, page by page', () => {
  it('walks every credit agency by USCC', async () => {
    for (let n = 0; n < 6; n++) {
      const response = await platform.request({
        method: 'POST',
        url: '/v1/agencies',
        token: w.admin,
        body: {
          uscc: uscc(),
          name: `信用服务机构 ${n}`,
          licenceNumber: `XY-${n}`,
          licenceValidUntil: '2030-12-31',
        },
      });
      expect(response.statusCode, response.body).toBe(201);
    }
    const all = (await platform.request({ url: '/v1/agencies?limit=500', token: w.admin })).json();
    expect(all.next).toBeUndefined();
    const expected = all.items.map((a: { uscc: string }) => a.uscc);
    expect(expected).toEqual([...expected].sort());
    await expectPaginatesToEnd(platform, {
      url: '/v1/agencies',
      token: w.admin,
      limit: 2,
      idOf: (agency: { uscc: string }) => agency.uscc,
      expected,
      ordered: true,
    });
    await forgedCursor('/v1/agencies', w.admin);
  });

  it('walks every government department by code, one registered mid-walk included', async () => {
    const register = async (code: string) => {
      const response = await platform.request({
        method: 'POST',
        url: '/v1/departments',
        token: w.admin,
        body: { code, name: `部门 ${code}`, remit: ['person_basic'] },
      });
      expect(response.statusCode, response.body).toBe(200);
    };
    for (let n = 0; n < 7; n++) await register(`pg-dept-${n}`);
    const all = (await platform.request({ url: '/v1/departments?limit=500', token: w.admin })).json();
    const expected = all.items.map((d: { code: string }) => d.code);
    await expectPaginatesToEnd(platform, {
      url: '/v1/departments',
      token: w.admin,
      limit: 3,
      idOf: (department: { code: string }) => department.code,
      expected,
      ordered: true,
      // Sorts after every page read so far: the walk reaches it, and repeats nothing.
      betweenPages: async (page) => {
        if (page === 1) await register('zz-late');
      },
    });
    await forgedCursor('/v1/departments', w.admin);
  });

  it('walks a subject’s authorisations newest first, and no other subject’s', async () => {
    const subject = person();
    const token = await platform.token('subject', { subject: subject.id });
    const grant = async (as: string) => {
      const response = await platform.request({
        method: 'POST',
        url: '/v1/authorisations',
        token: as,
        body: {
          agency: w.agency.uscc,
          purpose: 'employment',
          expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        },
      });
      expect(response.statusCode, response.body).toBe(201);
      return response.json() as { id: string; grantedAt: string };
    };
    const granted = [];
    for (let n = 0; n < 7; n++) granted.push(await grant(token));
    await grant(await platform.token('subject', { subject: person().id }));
    const key = (a: { id: string; grantedAt: string }) => `${a.grantedAt} ${a.id}`;
    const newestFirst = granted.sort((a, b) => (key(a) < key(b) ? 1 : -1)).map((a) => a.id);
    await expectPaginatesToEnd(platform, {
      url: '/v1/authorisations',
      token,
      limit: 3,
      idOf: (authorisation: { id: string }) => authorisation.id,
      expected: newestFirst,
      ordered: true,
    });
    await forgedCursor('/v1/authorisations', token);
  });
});
