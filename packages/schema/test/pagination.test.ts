import { collectPage, decodeCursor, encodeCursor, pageQuerySchema, toPage } from '@credit/schema';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

/** A list of the numbers 1..n read by keyset, as a route reads rows after a cursor. */
const reader = (n: number) => {
  const reads: number[] = [];
  const read = async (after: readonly (string | number)[] | undefined, count: number) => {
    const from = Number(after?.[0] ?? 0);
    reads.push(from);
    return Array.from({ length: Math.max(0, Math.min(count, n - from)) }, (_, i) => from + i + 1);
  };
  return { read, reads };
};

describe('pagination', () => {
  it('round-trips a cursor and refuses text that is not one of this list', () => {
    const query = pageQuerySchema(z.tuple([z.string(), z.number().int()]));
    const cursor = encodeCursor(['2026', 7]);
    expect(decodeCursor(cursor)).toEqual(['2026', 7]);
    expect(query.parse({ cursor })).toEqual({ cursor: ['2026', 7], limit: 100 });
    for (const forged of ['bm9wZQ', encodeCursor([7, '2026']), encodeCursor(['2026'])])
      expect(query.safeParse({ cursor: forged }).success).toBe(false);
  });

  it('documents the form of a cursor, which every cursor it writes has', () => {
    const query = pageQuerySchema(z.tuple([z.string(), z.number().int()]));
    const cursor = z.toJSONSchema(query, { io: 'input' }).properties?.cursor;
    const pattern = new RegExp(typeof cursor === 'object' ? String(cursor.pattern) : '');
    expect(pattern.source).toMatch(/^\^djE6/);
    for (const key of [
      ['a', 0],
      ['2026-12-05T16:00:00.000Z', 1],
      ['名', 2 ** 40],
    ] as const)
      expect(encodeCursor(key)).toMatch(pattern);
    // Text outside the form is refused before it is decoded, with the same message.
    const refused = query.safeParse({ cursor: 'bm9wZQ' });
    expect(refused.error?.issues[0]?.message).toContain('not a cursor of this list');
  });

  it('keeps one row more than the limit out of the page and points past the last row kept', () => {
    expect(toPage([1, 2, 3], 3, (n) => [n])).toEqual({ items: [1, 2, 3] });
    const page = toPage([1, 2, 3, 4], 3, (n) => [n]);
    expect(page.items).toEqual([1, 2, 3]);
    expect(decodeCursor(page.next as string)).toEqual([3]);
  });

  it('collects a filtered page across batches, and stops at the scan bound with a cursor to resume', async () => {
    const even = async (rows: readonly number[]) => rows.map((n) => (n % 2 === 0 ? n : undefined));
    const all = reader(20);
    const first = await collectPage({
      limit: 3,
      after: undefined,
      keyOf: (n) => [n],
      read: all.read,
      keep: even,
    });
    expect(first.items).toEqual([2, 4, 6]);
    expect(decodeCursor(first.next as string)).toEqual([6]);
    const last = await collectPage({ limit: 3, after: [18], keyOf: (n) => [n], read: all.read, keep: even });
    expect(last).toEqual({ items: [20] });

    const sparse = reader(100);
    const none = async (rows: readonly number[]) => rows.map((n) => (n === 99 ? n : undefined));
    const bounded = await collectPage({
      limit: 3,
      after: undefined,
      keyOf: (n) => [n],
      read: sparse.read,
      keep: none,
      maxScanned: 8,
    });
    expect(bounded.items).toEqual([]);
    expect(decodeCursor(bounded.next as string)).toEqual([8]);
  });
});
