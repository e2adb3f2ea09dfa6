import { findEntry } from '@credit/schema';
import { createTestPlatform, sourceId, type TestPlatform, uscc } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformServices } from '../src/services.ts';

/**
 * An erased record takes the names it carried out of the name search: an organisation known
 * only from erased records is found neither by GET /v1/public/search nor by POST /v1/screening,
 * while a name another standing record still carries stays found.
 */
let platform: TestPlatform;
let admin: string;
let provider: string;

const gone = { kind: 'legal_person', id: uscc(), name: '淄博宏远塑料制品有限公司' };
const kept = { kind: 'legal_person', id: uscc(), name: '淄博德盛机械制造有限公司' };

async function tokens() {
  admin = await platform.token('admin', { org: 'credit-office' });
  provider = await platform.token('provider', { org: 'dept-names' });
}

async function push(category: string, subject: typeof gone, occurredAt: string) {
  const response = await platform.request({
    method: 'POST',
    url: '/v1/records',
    token: provider,
    body: { sourceId: sourceId('EN'), category, subject, occurredAt, data: findEntry(category)?.sample },
  });
  expect(response.statusCode, response.body).toBe(201);
}

async function searched(q: string): Promise<string[]> {
  const response = await platform.request({ url: `/v1/public/search?q=${encodeURIComponent(q)}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().items.map((i: { id: string }) => i.id);
}

async function screened(items: { name: string; id?: string }[]): Promise<string[][]> {
  const shop = await platform.token('platform', { org: 'shop' });
  const response = await platform.request({
    method: 'POST',
    url: '/v1/screening',
    token: shop,
    body: { items },
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().items.map((i: { candidates: { id: string }[] }) => i.candidates.map((c) => c.id));
}

beforeAll(async () => {
  platform = await createTestPlatform(platformServices);
  platform.setNow(new Date('2026-02-02T02:00:00Z'));
  await tokens();
  const created = await platform.request({
    method: 'POST',
    url: '/v1/providers',
    token: admin,
    body: {
      code: 'dept-names',
      name: '市场监管局',
      categories: ['administrative_penalty', 'org_registration'],
    },
  });
  expect(created.statusCode, created.body).toBe(201);
  await push('administrative_penalty', gone, '2026-01-10');
  await push('administrative_penalty', kept, '2026-01-10');
  // A registration never expires: it carries the same name past the penalty's erasure.
  await push('org_registration', kept, '2026-01-10');
  await platform.drainConsumers();
});
afterAll(async () => platform?.close());

describe('erasure and the name search', () => {
  it('forgets the names only erased records carried, and keeps those a standing record still carries', async () => {
    expect(await searched('宏远塑料制品')).toContain(gone.id);
    expect(await searched(gone.id.slice(0, 12))).toContain(gone.id);
    expect(await screened([{ name: gone.name }])).toEqual([[gone.id]]);

    platform.setNow(new Date('2033-03-01T02:00:00Z'));
    await tokens();
    const run = await platform.request({ method: 'POST', url: '/v1/erasure-runs', token: admin });
    expect(run.json()).toMatchObject({ retentionExpired: 2 });
    await platform.drainConsumers();

    expect(await searched('宏远塑料制品')).not.toContain(gone.id);
    expect(await searched('淄博宏远塑料制品有限公司')).not.toContain(gone.id);
    expect(await searched(gone.id.slice(0, 12))).not.toContain(gone.id);
    const [byName, byId, keptByName] = await screened([
      { name: gone.name },
      { name: gone.name, id: gone.id },
      { name: kept.name },
    ]);
    expect(byName).toEqual([]);
    expect(byId).toEqual([]);
    expect(keptByName).toEqual([kept.id]);
    expect(await searched('德盛机械制造')).toContain(kept.id);

    // Nothing of the erased name is left in the index, and its n-grams are no longer counted.
    const rows = await platform.database.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM query.organisation_names WHERE name = $1`,
      [gone.name],
    );
    expect(rows[0]?.n).toBe(0);
    const grams = await platform.database.query<{ gram: string }>(
      `SELECT gram FROM query.name_gram_counts WHERE gram IN ('宏远', '塑料', '远塑')`,
    );
    expect(grams).toEqual([]);

    // A projection replayed from the start of the feed brings none of it back.
    await platform.database.query(
      `DELETE FROM query.event_cursors WHERE consumer = 'query-organisation-names'`,
    );
    await platform.drainConsumers();
    expect(await searched('宏远塑料制品')).not.toContain(gone.id);
    expect(await searched('德盛机械制造')).toContain(kept.id);
  });
});
