import { expect } from 'vitest';
import type { TestPlatform } from './test-platform.ts';

export interface PageWalk<T> {
  /** The list route with its filters, without `limit` or `cursor`. */
  url: string;
  token: string;
  limit: number;
  /** What makes an item unique in this list (its id). */
  idOf: (item: T) => string;
  /**
   * Runs after each page but the last, before the next is read: a test inserts items here to
   * show that a walk in progress neither repeats nor loses what was there when it began.
   */
  betweenPages?: (pageNumber: number) => Promise<void>;
  /**
   * A feed answers `next` on every page, to resume from once more is written; its walk ends at
   * the first page that is not full.
   */
  feed?: boolean;
}

/**
 * Follows `next` from the first page of a list route until a page has none and answers every
 * item in order. Fails when a page is not 200, holds more than `limit` items, an item appears
 * twice, or a page with `next` is empty (a cursor that leads nowhere). The caller compares the
 * items with what it wrote, which is what shows there are no gaps.
 */
export async function walkPages<T>(
  platform: TestPlatform,
  walk: PageWalk<T>,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  let pages = 0;
  const separator = walk.url.includes('?') ? '&' : '?';
  do {
    const cursorPart = cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const response = await platform.request({
      url: `${walk.url}${separator}limit=${walk.limit}${cursorPart}`,
      token: walk.token,
    });
    expect(response.statusCode, response.body).toBe(200);
    const page = response.json() as { items: T[]; next?: string };
    pages += 1;
    expect(page.items.length).toBeLessThanOrEqual(walk.limit);
    if (walk.feed) expect(page.next, 'a feed always answers where to resume').toBeDefined();
    else if (page.next !== undefined)
      expect(page.items.length, 'a page with `next` is full').toBe(walk.limit);
    for (const item of page.items) {
      const id = walk.idOf(item);
      expect(seen.has(id), `${id} appears on two pages`).toBe(false);
      seen.add(id);
      items.push(item);
    }
    cursor = walk.feed && page.items.length < walk.limit ? undefined : page.next;
    if (cursor !== undefined) await walk.betweenPages?.(pages);
    expect(pages, 'the walk ends').toBeLessThan(10_000);
  } while (cursor !== undefined);
  return { items, pages };
}

/**
 * Walks a list larger than one page to its end and checks it holds exactly `expected` ids (no
 * gap, no duplicate) over more than one page; with `betweenPages`, at least them, whatever was
 * inserted meanwhile. `expected` is in the list's order when `ordered`.
 */
export async function expectPaginatesToEnd<T>(
  platform: TestPlatform,
  walk: PageWalk<T> & { expected: readonly string[]; ordered?: boolean },
): Promise<T[]> {
  expect(walk.expected.length, 'the test needs a result larger than one page').toBeGreaterThan(walk.limit);
  const { items, pages } = await walkPages(platform, walk);
  expect(pages).toBeGreaterThan(1);
  // Items inserted during the walk may show or not, by where their key falls; the others must all.
  const expectedSet = new Set(walk.expected);
  const ids = items.map(walk.idOf).filter((id) => walk.betweenPages === undefined || expectedSet.has(id));
  if (walk.ordered) expect(ids).toEqual(walk.expected);
  else expect([...ids].sort()).toEqual([...walk.expected].sort());
  return items;
}
