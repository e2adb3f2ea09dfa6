import {
  type DatabaseHandle,
  inTransaction,
  openDatabase,
  readBinaryCopy,
  readsBinaryCopy,
  resultRows,
} from '@credit/db';
import { provisionDatabase } from '@credit/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * readBinaryCopy hands over each tuple of binary COPY output as the bytes the server sent. The
 * stream arrives in pieces that cut tuples anywhere (a field's length, its bytes, the field
 * count), and a value may be longer than a piece: every tuple must still come whole, in order,
 * with NULLs told from empty values. Compared with the same rows read by the driver.
 */
let handle: DatabaseHandle;
let close: () => Promise<void>;

beforeAll(async () => {
  const provisioned = await provisionDatabase();
  close = provisioned.drop;
  handle = await openDatabase(provisioned.target);
});
afterAll(async () => {
  await handle?.close();
  await close?.();
});

/** Rows of every shape: short and long text (some past a stream piece), NULLs, empty values, bytes, a parameter written in. */
const rows = (label: string) => sql`
  SELECT n, CASE WHEN n % 7 = 0 THEN NULL ELSE repeat('汉x', (n * 37) % 300) END AS text,
         CASE WHEN n % 5 = 0 THEN '' ELSE ${label} || n END AS label,
         CASE WHEN n % 997 = 0 THEN repeat('长', 40000) END AS long,
         decode(md5(n::text), 'hex') AS bytes
  FROM generate_series(1, 20000) AS n ORDER BY n`;

describe('readBinaryCopy', () => {
  it('gives every tuple whole and in order, as the driver reads the same rows', async () => {
    if (handle.kind !== 'postgres') {
      // The embedded database has no COPY to a client stream: callers read with a cursor there.
      await inTransaction(handle.db, async (tx) => expect(readsBinaryCopy(tx)).toBe(false));
      return;
    }
    const label = "it's";
    const expected = resultRows<{
      n: number;
      text: string | null;
      label: string;
      long: string | null;
      bytes: Buffer;
    }>(await handle.db.execute(rows(label)));
    const seen: typeof expected = [];
    let pieces = 0;
    await inTransaction(handle.db, async (tx) => {
      expect(readsBinaryCopy(tx)).toBe(true);
      await readBinaryCopy(
        tx,
        rows(label),
        5,
        ({ data, starts, lengths }) => {
          const field = (i: number) =>
            (lengths[i] as number) < 0
              ? null
              : data.subarray(starts[i], (starts[i] as number) + (lengths[i] as number));
          seen.push({
            n: (field(0) as Buffer).readInt32BE(0),
            text: field(1)?.toString('utf8') ?? null,
            label: (field(2) as Buffer).toString('utf8'),
            long: field(3)?.toString('utf8') ?? null,
            bytes: Buffer.from(field(4) as Buffer),
          });
        },
        async () => {
          pieces++;
        },
      );
    });
    expect(pieces).toBeGreaterThan(100);
    expect(seen).toHaveLength(20000);
    expect(seen).toEqual(expected);
  });

  it('fails with what the callback threw, and leaves the connection able to roll back and go on', async () => {
    if (handle.kind !== 'postgres') return;
    let seen = 0;
    await expect(
      inTransaction(handle.db, (tx) =>
        readBinaryCopy(tx, rows('x'), 5, () => {
          if (++seen === 100) throw new Error('refused at 100');
        }),
      ),
    ).rejects.toThrow('refused at 100');
    expect(seen).toBe(100);
    const after = await inTransaction(handle.db, async (tx) =>
      resultRows<{ one: number }>(await tx.execute(sql`SELECT 1 AS one`)),
    );
    expect(after).toEqual([{ one: 1 }]);
  });
});
