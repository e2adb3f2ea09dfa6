import { pushBatch, record, type TestPlatform, uscc } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPlatform, type World, world } from './helpers.ts';

/**
 * Typos among many similar names, as at a million organisations: a slip in a short trade name
 * leaves a query whose single characters and common word (华, 陶瓷) are held by over a thousand
 * names. Those crowd names share as many characters with the query as the organisation meant,
 * so a look-up that read them all and kept the first fifty by shared characters lost it (#18);
 * the pairs across the slip (华_陶) find it among a few, and it is answered first, through
 * GET /v1/public/search and POST /v1/screening alike.
 */
let platform: TestPlatform;
let w: World;

const target = { kind: 'legal_person', id: uscc(), name: '淄博华润陶瓷有限公司' };
const longer = { kind: 'legal_person', id: uscc(), name: '淄博恒通瑞化工有限公司' };
const crowdCharacters = [
  ...'金岭齐盛鲁中顺达宏远德泰安康宁鸿运兴隆永昌嘉禾信诚联创天成世东方新源海丰长城航凯旋光明合力亿鼎宝利民福',
];
/** 华XY陶瓷 and 恒XY化工: three-character trade names sharing the query's characters and word. */
function crowd(): { kind: string; id: string; name: string }[] {
  const names: { kind: string; id: string; name: string }[] = [];
  for (const x of crowdCharacters)
    for (const y of crowdCharacters) {
      if (x === y) continue;
      names.push({ kind: 'legal_person', id: uscc(), name: `淄博华${x}${y}陶瓷有限公司` });
      if (names.length % 4 === 0)
        names.push({ kind: 'legal_person', id: uscc(), name: `淄博恒${x}${y}化工有限公司` });
    }
  return names;
}

const crowded = crowd();

async function search(q: string) {
  const response = await platform.request({ url: `/v1/public/search?q=${encodeURIComponent(q)}&limit=5` });
  expect(response.statusCode, response.body).toBe(200);
  return (response.json() as { items: { id: string; name: string; score: number }[] }).items;
}

beforeAll(async () => {
  platform = await queryPlatform({ publicRateLimit: 1000 });
  w = await world(platform, ['org_registration']);
  const subjects = [...crowded, target, longer];
  for (let start = 0; start < subjects.length; start += 1_000) {
    const response = await pushBatch(
      platform,
      w.provider.token,
      subjects.slice(start, start + 1_000).map((s) => record('org_registration', s)),
    );
    expect(response.statusCode, response.body).toBe(200);
  }
  await platform.drainConsumers();
}, 180_000);
afterAll(async () => platform?.close());

const typos: [string, string, { id: string }][] = [
  ['a slip in the second character', '淄博华闰陶瓷有限公司', target],
  ['a slip in the first character', '淄博桦润陶瓷有限公司', target],
  ['one slip in the trade name and one in the word', '淄博华闰陶磁有限公司', target],
  ['a slip in the middle of a longer trade name', '淄博恒桶瑞化工有限公司', longer],
  ['the region dropped as well', '华闰陶瓷有限公司', target],
];

describe('typos among many similar names', () => {
  it('has the crowd in the index', async () => {
    const items = await search('淄博华金岭陶瓷有限公司');
    expect(items[0]).toMatchObject({ name: '淄博华金岭陶瓷有限公司', score: 1 });
  });

  it.each(typos)('public search finds the organisation meant by %s', async (_how, q, meant) => {
    const items = await search(q);
    expect(items[0]?.id, JSON.stringify(items.map((i) => i.name))).toBe(meant.id);
  });

  it('screening finds them all in one call, in order', async () => {
    const token = await platform.token('platform', { org: 'crowd-shop' });
    const response = await platform.request({
      method: 'POST',
      url: '/v1/screening',
      token,
      // Two slips in a four-character core leave half of it: 0.5, under the default threshold.
      body: { items: typos.map(([, name], i) => ({ name, ref: String(i) })), threshold: 0.5 },
    });
    expect(response.statusCode, response.body).toBe(200);
    const { items } = response.json() as {
      items: { ref: string; candidates: { id: string; matchedBy: string }[] }[];
    };
    expect(items.map((i) => i.ref)).toEqual(typos.map((_, i) => String(i)));
    expect(items.map((i) => i.candidates[0]?.id)).toEqual(typos.map(([, , meant]) => meant.id));
    expect(items.every((i) => i.candidates[0]?.matchedBy === 'fuzzy_name')).toBe(true);
  });

  it('screens 1,000 names in one call with a bounded number of look-ups, each answered in order and logged', async () => {
    const kinds = ['exact name', 'typo', 'unknown', 'id'] as const;
    const items = Array.from({ length: 1_000 }, (_, i) => {
      const kind = kinds[i % 4] as (typeof kinds)[number];
      const subject = crowded[i] as { id: string; name: string };
      if (kind === 'exact name') return { kind, ref: `r${i}`, name: subject.name, expected: subject.id };
      if (kind === 'typo') return { kind, ref: `r${i}`, name: '淄博华闰陶瓷有限公司', expected: target.id };
      if (kind === 'unknown')
        return { kind, ref: `r${i}`, name: '完全不存在的某某名称有限公司', expected: null };
      return { kind, ref: `r${i}`, name: subject.name, id: subject.id, expected: subject.id };
    });
    const token = await platform.token('platform', { org: 'bulk-shop' });
    const statements: string[] = [];
    const stop = platform.database.onStatement((text) => statements.push(text));
    const response = await platform.request({
      method: 'POST',
      url: '/v1/screening',
      token,
      body: { items: items.map(({ ref, name, id }) => ({ ref, name, ...(id ? { id } : {}) })) },
    });
    stop();
    expect(response.statusCode, response.body).toBe(200);
    const answers = (
      response.json() as { items: { ref: string; candidates: { id: string; matchedBy: string }[] }[] }
    ).items;
    expect(answers.map((a) => a.ref)).toEqual(items.map((i) => i.ref));
    expect(answers.map((a) => a.candidates[0]?.id ?? null)).toEqual(items.map((i) => i.expected));
    const matchedBy = { 'exact name': 'exact_name', typo: 'fuzzy_name', unknown: undefined, id: 'exact_id' };
    expect(answers.map((a) => a.candidates[0]?.matchedBy)).toEqual(items.map((i) => matchedBy[i.kind]));
    // The thousand names are looked up in a few slices of one statement each, never one a name.
    expect(statements.filter((text) => /organisation_names/.test(text)).length).toBeLessThanOrEqual(16);
    expect(statements.filter((text) => /name_gram_counts/.test(text)).length).toBeLessThanOrEqual(5);
    const returned = new Set(answers.flatMap((a) => a.candidates.map((c) => c.id)));
    const logged = await platform.database.query<{ n: string }>(
      "SELECT count(*) AS n FROM query.access_log WHERE org = 'bulk-shop'",
    );
    expect(Number(logged[0]?.n)).toBe(returned.size);
  });
});
