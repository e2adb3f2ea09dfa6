import { encodeCursor } from '@credit/schema';
import { person, push, record, type TestPlatform, uscc } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPlatform, type World, world } from './helpers.ts';

/**
 * Finding organisations by name through GET /v1/public/search: the variants people type
 * (typos, another or no legal form, full-width, traditional characters, region dropped or added,
 * a branch, a former name, the start of a code) find the registered organisation, and no person
 * is ever found by name.
 */
let platform: TestPlatform;
let w: World;

const organisations = {
  huarun: { kind: 'legal_person', id: uscc(), name: '淄博华润陶瓷有限公司' },
  hengtong: { kind: 'legal_person', id: uscc(), name: '山东恒通化工股份有限公司' },
  ruixiang: { kind: 'legal_person', id: uscc(), name: '淄博瑞祥物流有限公司' },
  jinling: { kind: 'legal_person', id: uscc(), name: '淄博金岭电子科技有限公司' },
  renamed: { kind: 'legal_person', id: uscc(), name: '淄博齐盛建材有限公司' },
  huarunLogistics: { kind: 'legal_person', id: uscc(), name: '淄博华润物流有限公司' },
  huarunChemicals: { kind: 'legal_person', id: uscc(), name: '淄博华润化工有限公司' },
};
const renamedTo = '淄博鲁中新材料集团有限公司';
const personName = '周杰伦';

async function search(q: string, extra = '') {
  const response = await platform.request({ url: `/v1/public/search?q=${encodeURIComponent(q)}${extra}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as {
    items: {
      id: string;
      name: string;
      formerNames: string[];
      score: number;
      matchedName: string;
      disclosure: string;
    }[];
    next?: string;
  };
}

beforeAll(async () => {
  platform = await queryPlatform({ publicRateLimit: 1000 });
  w = await world(platform, ['org_registration', 'administrative_penalty', 'person_education']);
  for (const organisation of Object.values(organisations))
    await push(platform, w.provider.token, record('org_registration', organisation));
  // A person with a name like a trade name, pushed the same way: never found by it.
  await push(platform, w.provider.token, record('person_education', { ...person(), name: personName }));
  await platform.drainConsumers();
  // A change of name registered later leaves the old one as a former name (曾用名).
  platform.setNow(new Date(Date.now() + 86_400_000));
  await push(
    platform,
    w.provider.token,
    record('org_registration', { ...organisations.renamed, name: renamedTo }, { occurredAt: '2026-07-01' }),
  );
  await platform.drainConsumers();
});
afterAll(async () => platform?.close());

describe('public name search', () => {
  it.each([
    ['the registered name', '淄博华润陶瓷有限公司'],
    ['a one-character typo', '淄博华闰陶瓷有限公司'],
    ['a two-character typo', '淄博华闰陶磁有限公司'],
    ['no legal form', '淄博华润陶瓷'],
    ['another legal form', '淄博华润陶瓷股份有限公司'],
    ['full-width brackets and spaces', '华润陶瓷（淄博） 有限公司'],
    ['traditional characters', '淄博華潤陶瓷有限責任公司'],
    ['the region dropped', '华润陶瓷有限公司'],
    ['a province added', '山东省淄博市华润陶瓷有限公司'],
    ['a branch of it', '淄博华润陶瓷有限公司张店分公司'],
    ['part of the name', '华润陶瓷'],
  ])('finds an organisation by %s', async (_how, q) => {
    const { items } = await search(q);
    expect(items[0]).toMatchObject({
      id: organisations.huarun.id,
      name: organisations.huarun.name,
      kind: 'legal_person',
      disclosure: `/v1/public/subjects/${organisations.huarun.id}`,
    });
    expect(items[0]?.score).toBeGreaterThanOrEqual(0.5);
  });

  it('ranks the exact name first and says which name matched', async () => {
    const { items } = await search('山东恒通化工股份有限公司');
    expect(items[0]).toMatchObject({
      id: organisations.hengtong.id,
      score: 1,
      matchedName: '山东恒通化工股份有限公司',
    });
  });

  it('finds an organisation by its former name (曾用名) and shows both', async () => {
    const byFormer = await search('淄博齐盛建材有限公司');
    expect(byFormer.items[0]).toMatchObject({
      id: organisations.renamed.id,
      name: renamedTo,
      formerNames: ['淄博齐盛建材有限公司'],
      matchedName: '淄博齐盛建材有限公司',
      score: 1,
    });
    const byCurrent = await search('鲁中新材料');
    expect(byCurrent.items[0]).toMatchObject({ id: organisations.renamed.id, matchedName: renamedTo });
  });

  it('finds an organisation by the start of its USCC', async () => {
    const { items } = await search(organisations.jinling.id.slice(0, 14).toLowerCase());
    expect(items.map((i) => i.id)).toContain(organisations.jinling.id);
    const exact = await search(organisations.jinling.id);
    expect(exact.items[0]).toMatchObject({ id: organisations.jinling.id, score: 1 });
  });

  it('never finds a person by name', async () => {
    for (const q of [personName, '周杰', '周杰伦有限公司']) {
      const { items } = await search(q);
      expect(items.map((i) => i.name)).not.toContain(personName);
      expect(JSON.stringify(items)).not.toContain(personName);
    }
  });

  it('pages with `next` without repeating or skipping', async () => {
    const all = await search('华润', '&limit=50');
    expect(all.items).toHaveLength(3);
    const first = await search('华润', '&limit=2');
    expect(first.next).toEqual(expect.any(String));
    const second = await search('华润', `&limit=2&cursor=${first.next}`);
    expect([...first.items, ...second.items].map((i) => i.id)).toEqual(all.items.map((i) => i.id));
    // The last page says so the way every list does: it has no `next`.
    expect(second).not.toHaveProperty('next');
  });

  it.each([
    ['empty', '', 'query.q'],
    ['one character', '华', 'query.q'],
    ['200 characters', '华'.repeat(200), 'query.q'],
  ])('refuses a query that is %s, naming the field', async (_what, q, field) => {
    const response = await platform.request({ url: `/v1/public/search?q=${encodeURIComponent(q)}` });
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json().errors.map((e: { path: string }) => e.path)).toContain(field);
  });

  it('refuses a cursor it did not give as every list does: 400 naming query.cursor', async () => {
    const ofAnotherList = encodeURIComponent(encodeCursor(['pg-rule', 1]));
    for (const cursor of ['bm90LWEtY3Vyc29y', ofAnotherList]) {
      const response = await platform.request({ url: `/v1/public/search?q=华润&cursor=${cursor}` });
      expect(response.statusCode, cursor).toBe(400);
      expect(response.json()).toMatchObject({ code: 'bad_request', errors: [{ path: 'query.cursor' }] });
    }
  });
});
