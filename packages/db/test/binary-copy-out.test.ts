import {
  connectionStream,
  type DatabaseHandle,
  inlinedStatement,
  inTransaction,
  openDatabase,
  readBinaryCopy,
  readBinaryCopyOn,
  readsBinaryCopy,
  readsInPlace,
  resultRows,
} from '@credit/db';
import { provisionDatabase } from '@credit/testing';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * readBinaryCopy hands over each tuple of binary COPY output as the bytes the server sent. The
 * stream arrives in pieces that cut tuples anywhere (a field's length, its bytes, the field
 * count), and a value may be longer than a piece: every tuple must still come whole, in order,
 * with NULLs told from empty values. Compared with the same rows read by the driver.
 */
let handle: DatabaseHandle;
let close: () => Promise<void>;
let provisionedUrl: string | undefined;

beforeAll(async () => {
  const provisioned = await provisionDatabase();
  close = provisioned.drop;
  provisionedUrl = provisioned.target.kind === 'postgres' ? provisioned.target.url : undefined;
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

  it('fails with the server’s error when the statement fails partway, and the connection goes on', async () => {
    if (handle.kind !== 'postgres') return;
    let seen = 0;
    await expect(
      inTransaction(handle.db, (tx) =>
        readBinaryCopy(
          tx,
          sql`SELECT n, repeat('x', 3000) AS text FROM generate_series(1, 5000) AS n WHERE 1 / (n - 4000) IS NOT NULL`,
          2,
          () => {
            seen++;
          },
        ),
      ),
    ).rejects.toThrow('division by zero');
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(4000);
    const after = await inTransaction(handle.db, async (tx) =>
      resultRows<{ one: number }>(await tx.execute(sql`SELECT 1 AS one`)),
    );
    expect(after).toEqual([{ one: 1 }]);
  });

  it('reads the same on a socket read in place and on one Node allocates each read for (as under TLS)', async () => {
    if (handle.kind !== 'postgres' || provisionedUrl === undefined) return;
    const statement = `COPY (${inlinedStatement(rows('both'))}) TO STDOUT (FORMAT binary)`;
    const read = async (client: pg.Client) => {
      const seen: string[] = [];
      let waits = 0;
      await readBinaryCopyOn(
        client,
        statement,
        5,
        ({ data, starts, lengths }) => {
          const parts = [];
          for (let i = 0; i < 5; i++)
            parts.push(
              (lengths[i] as number) < 0
                ? 'NULL'
                : data.toString('hex', starts[i], (starts[i] as number) + (lengths[i] as number)),
            );
          seen.push(parts.join('|'));
        },
        // Every fourth piece makes the reading wait, as a cut storing a batch does.
        () => (++waits % 4 === 0 ? new Promise((resolve) => setTimeout(resolve, 1)) : undefined),
      );
      // The connection is the driver's again.
      const { rows: after } = await client.query('SELECT 2 AS two');
      expect(after).toEqual([{ two: 2 }]);
      return seen;
    };
    const inPlace = new pg.Client({ connectionString: provisionedUrl, stream: connectionStream });
    const allocating = new pg.Client({ connectionString: provisionedUrl });
    await inPlace.connect();
    await allocating.connect();
    try {
      const viaConnection = (client: pg.Client) =>
        (client as unknown as { connection: { stream: unknown } }).connection.stream;
      expect(readsInPlace(viaConnection(inPlace))).toBe(true);
      expect(readsInPlace(viaConnection(allocating))).toBe(false);
      const [a, b] = [await read(inPlace), await read(allocating)];
      expect(a).toHaveLength(20000);
      expect(a).toEqual(b);
    } finally {
      await inPlace.end();
      await allocating.end();
    }
  });
});
