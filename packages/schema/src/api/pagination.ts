import { z } from 'zod';

/**
 * One pagination for every list route: `limit` and an opaque `cursor` in the query, `items` and
 * `next` in the answer. A cursor is the sort key of the last item a page held, so the next page
 * is read by keyset (`WHERE key > cursor ORDER BY key LIMIT n`) down an index: no OFFSET, and an
 * item inserted while a client walks the pages neither repeats nor hides another one.
 */

/** A sort key part: text (codes, ids, instants as ISO text, transaction ids) or an integer. */
export type CursorValue = string | number;

const cursorVersion = 'v1';
const maxCursorLength = 512;
/**
 * The form every cursor of this version has: base64url whose first four characters encode
 * `v1:` (three bytes, so they never depend on the key after them). Stated in the schema so the
 * document says which text the server reads as a cursor.
 */
const cursorPattern = new RegExp(`^${Buffer.from(`${cursorVersion}:`).toString('base64url')}[A-Za-z0-9_-]+$`);
const notACursor = 'not a cursor of this list: pass back the `next` of the previous page';

/** The opaque text of a sort key; versioned so the form can change without misreading old cursors. */
export function encodeCursor(key: readonly CursorValue[]): string {
  return Buffer.from(`${cursorVersion}:${JSON.stringify(key)}`).toString('base64url');
}

/** The sort key a cursor holds, or undefined when the text is not a cursor of this form. */
export function decodeCursor(cursor: string): unknown[] | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(`${cursorVersion}:`)) return undefined;
  try {
    const key: unknown = JSON.parse(text.slice(cursorVersion.length + 1));
    return Array.isArray(key) ? key : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `cursor` query parameter of a list whose sort key has the shape `key`: the handler receives
 * the decoded key; any other text is refused at the edge as a bad query parameter.
 */
export function cursorSchema<K extends z.ZodType<readonly CursorValue[]>>(key: K) {
  return z
    .string()
    .max(maxCursorLength)
    .regex(cursorPattern, notACursor)
    .transform((text, context): z.output<K> => {
      const decoded = decodeCursor(text);
      const parsed = decoded === undefined ? undefined : key.safeParse(decoded);
      if (!parsed?.success) {
        context.addIssue({ code: 'custom', message: notACursor });
        return z.NEVER;
      }
      return parsed.data;
    })
    .describe('Opaque: the `next` of the previous page; omit for the first page');
}

export const defaultPageLimit = 100;
export const maxPageLimit = 500;

export const pageLimitSchema = z.coerce
  .number()
  .int()
  .min(1)
  .max(maxPageLimit)
  .default(defaultPageLimit)
  .describe(`Items per page (1–${maxPageLimit}, default ${defaultPageLimit})`);

/** The query of a list route: its own filters (`shape`) plus `limit` and `cursor`. */
export function pageQuerySchema<
  K extends z.ZodType<readonly CursorValue[]>,
  S extends z.ZodRawShape = Record<never, never>,
>(key: K, shape?: S) {
  return z.strictObject({
    ...(shape ?? ({} as S)),
    limit: pageLimitSchema,
    cursor: cursorSchema(key).optional(),
  });
}

/** The answer of a list route. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    next: z.string().optional().describe('Pass as `cursor` to read the next page; absent on the last page'),
  });
}

/**
 * The page of rows read in key order with `LIMIT limit + 1`: the first `limit` rows and, when
 * the extra row shows that more follow, the cursor after the last row kept. Reading one row more
 * spares the client a final empty page.
 */
export function toPage<R>(
  rows: readonly R[],
  limit: number,
  keyOf: (row: R) => readonly CursorValue[],
): { items: R[]; next?: string } {
  if (rows.length <= limit) return { items: [...rows] };
  const items = rows.slice(0, limit);
  return { items, next: encodeCursor(keyOf(items[items.length - 1] as R)) };
}

/**
 * A page of a list filtered by something only code can decide (a deadline counted in working
 * days): rows are read by keyset in batches and kept or dropped until the page is full or the
 * list ends. `read(after, n)` answers up to n rows after the key `after` in list order. So one
 * request cannot read a whole table, at most `maxScanned` rows are looked at; when that stops
 * it, the page is shorter and `next` resumes after the last row looked at.
 */
export async function collectPage<R, T>(options: {
  limit: number;
  after: readonly CursorValue[] | undefined;
  keyOf: (row: R) => readonly CursorValue[];
  read: (after: readonly CursorValue[] | undefined, count: number) => Promise<readonly R[]>;
  keep: (rows: readonly R[]) => Promise<(T | undefined)[]>;
  maxScanned?: number;
}): Promise<{ items: T[]; next?: string }> {
  const maxScanned = options.maxScanned ?? 5000;
  const kept: { row: R; item: T }[] = [];
  let after = options.after;
  let scanned = 0;
  for (;;) {
    const batch = await options.read(after, options.limit + 1);
    const items = await options.keep(batch);
    batch.forEach((row, index) => {
      const item = items[index];
      if (item !== undefined) kept.push({ row, item });
    });
    scanned += batch.length;
    const last = batch[batch.length - 1];
    if (kept.length > options.limit || last === undefined || batch.length <= options.limit) break;
    after = options.keyOf(last);
    if (scanned >= maxScanned) return { items: kept.map((k) => k.item), next: encodeCursor(after) };
  }
  const page = toPage(kept, options.limit, (k) => options.keyOf(k.row));
  return { items: page.items.map((k) => k.item), ...(page.next === undefined ? {} : { next: page.next }) };
}
