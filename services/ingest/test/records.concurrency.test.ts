import { readFeed } from '@credit/events';
import { eventually, pushBatch, recordBody, registerProvider, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestPlatform } from './helpers.ts';

let platform: TestPlatform;
let provider: { code: string; token: string };

beforeAll(async () => {
  platform = await ingestPlatform();
  provider = await registerProvider(platform, ['org_licence', 'administrative_penalty']);
});
afterAll(async () => platform?.close());

const batch = (items: unknown[]) => pushBatch(platform, provider.token, items);

describe('concurrent pushes', () => {
  it('two connections pushing overlapping batches at once create each record exactly once', async () => {
    const items = Array.from({ length: 900 }, (_, i) =>
      recordBody(i % 2 === 0 ? 'org_licence' : 'administrative_penalty'),
    );
    const ids = items.map((i) => i.sourceId);
    for (let round = 0; round < 3; round++) {
      const slice = items.slice(round * 300, round * 300 + 300);
      // A: the first 200 of the round, B: the last 200 — 100 overlap — in opposite orders.
      const [a, b] = await Promise.all([batch(slice.slice(0, 200)), batch(slice.slice(100).reverse())]);
      expect(a.statusCode, a.body).toBe(200);
      expect(b.statusCode, b.body).toBe(200);
      const byA = new Map(
        a.json().items.map((i: { sourceId: string; id: string; status: number }) => [i.sourceId, i]),
      );
      for (const item of b.json().items as { sourceId: string; id: string; status: number }[]) {
        const other = byA.get(item.sourceId) as { id: string; status: number } | undefined;
        if (!other) continue;
        expect(item.id).toBe(other.id);
        expect([item.status, other.status].sort()).toEqual([200, 201]);
      }
    }
    const rows = await platform.database.query<{ source_id: string; versions: string }>(
      `SELECT r.source_id, count(v.*) AS versions FROM ingest.records r JOIN ingest.record_versions v USING (record_id)
       WHERE r.source_id = ANY($1) GROUP BY r.source_id`,
      [ids],
    );
    expect(rows).toHaveLength(900);
    expect(rows.every((r) => Number(r.versions) === 1)).toBe(true);

    const recordIds = new Set(
      (
        await platform.database.query<{ record_id: string }>(
          'SELECT record_id FROM ingest.records WHERE source_id = ANY($1)',
          [ids],
        )
      ).map((r) => r.record_id),
    );
    const announced = await eventually(
      async () =>
        (await readFeed(platform.database.db, 'ingest', { txId: '0', seq: 0 }, 100_000))
          .filter((e) => recordIds.has(e.aggregateId))
          .map((e) => e.aggregateId),
      (ids) => ids.length >= 900,
    );
    expect(announced).toHaveLength(900);
    expect(new Set(announced).size).toBe(900);
  });
});
