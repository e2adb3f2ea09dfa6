import { bulkInsert, bytea, type DatabaseHandle, inTransaction, openDatabase } from '@credit/db';
import { provisionDatabase } from '@credit/testing';
import { asc } from 'drizzle-orm';
import {
  bigint,
  boolean,
  date,
  integer,
  jsonb,
  pgSchema,
  smallint,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * bulkInsert has two paths: a JSON document through one statement, and (inside `inTransaction`
 * on PostgreSQL, from 32 rows) binary COPY. Both must store exactly the same values, for every
 * column type the stores use, and the COPY must belong to the caller's transaction.
 */
const schema = pgSchema('bulktest');
const samples = schema.table('samples', {
  id: integer('id').primaryKey(),
  label: text('label').notNull(),
  small: smallint('small'),
  big: bigint('big', { mode: 'number' }),
  flag: boolean('flag'),
  key: bytea('key'),
  doc: jsonb('doc'),
  at: timestamp('at', { withTimezone: true, mode: 'date' }),
  day: date('day'),
  ref: uuid('ref'),
  fill: text('fill').default('from the default'),
});

const ddl = `
  CREATE SCHEMA bulktest;
  CREATE TABLE bulktest.samples (
    id integer PRIMARY KEY, label text NOT NULL, small smallint, big bigint, flag boolean,
    key bytea, doc jsonb, at timestamptz, day date, ref uuid, fill text DEFAULT 'from the default'
  );`;

/** A value large enough to travel beside the encoded rows in COPY: a view into the middle of a bigger buffer. */
function largeKey(n: number): Buffer {
  const whole = Buffer.alloc(70_000 + 64);
  for (let i = 0; i < whole.length; i++) whole[i] = (i * 31 + n) % 256;
  return whole.subarray(32, 32 + 70_000);
}

/** Row `id`; rows n and n + 1000 hold the same values. */
function row(id: number): typeof samples.$inferInsert {
  const n = id % 1000;
  const blank = n % 7 === 0;
  return {
    id,
    label: `第${n}行 tab\there, newline\nthere, back\\slash, "quoted", emoji 🙂`,
    small: blank ? null : (n % 3) - 1,
    big: blank ? null : 2 ** 40 + n,
    flag: blank ? null : n % 2 === 0,
    key: blank ? null : n % 10 === 3 ? largeKey(n) : Buffer.from([0, 255, n % 256, 10, 9, 92]),
    doc: blank
      ? null
      : { n, text: '名称\n"x"\\', nested: [{ a: null }, 1.5, true], empty: {}, unicode: '\u2028' },
    at: blank ? null : new Date(Date.UTC(2026, 10, 22, 3, 4, 5, n)),
    day: blank ? null : `19${String(50 + (n % 49)).padStart(2, '0')}-02-28`,
    ref: blank ? null : `0190f1a2-3b4c-7d5e-8f60-${String(n).padStart(12, '0')}`,
  };
}

let handle: DatabaseHandle;
let drop: () => Promise<void>;

beforeAll(async () => {
  const provisioned = await provisionDatabase();
  drop = provisioned.drop;
  handle = await openDatabase(provisioned.target);
  await handle.execScript(ddl);
});

afterAll(async () => {
  await handle?.close();
  await drop?.();
});

describe('bulkInsert', () => {
  it('stores the same values through COPY in a transaction as through one statement', async () => {
    const statements: string[] = [];
    const stop = handle.onStatement((text) => statements.push(text));
    const viaTransaction = Array.from({ length: 40 }, (_, i) => row(i + 1));
    const viaStatement = Array.from({ length: 40 }, (_, i) => row(i + 1001));
    await inTransaction(handle.db, (tx) => bulkInsert(tx, samples, viaTransaction));
    await bulkInsert(handle.db, samples, viaStatement);
    stop();

    const copies = statements.filter((s) => s.startsWith('COPY'));
    expect(copies).toHaveLength(handle.kind === 'postgres' ? 1 : 0);
    const stored = await handle.db.select().from(samples).orderBy(asc(samples.id));
    expect(stored).toHaveLength(80);
    for (const saved of stored) {
      const sent = row(saved.id);
      const { fill, ...values } = saved;
      expect(fill).toBe('from the default');
      expect(values).toEqual({ ...sent, key: sent.key ? Buffer.from(sent.key) : null });
    }
    // Each path stored row n and row n + 1000 alike.
    for (const saved of stored.filter((s) => s.id <= 40)) {
      const twin = stored.find((s) => s.id === saved.id + 1000);
      expect({ ...twin, id: saved.id }).toEqual(saved);
    }
  });

  it('rolls the copied rows back with the transaction', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => row(i + 2001));
    await expect(
      inTransaction(handle.db, async (tx) => {
        await bulkInsert(tx, samples, rows);
        throw new Error('the rest of the transaction failed');
      }),
    ).rejects.toThrow('the rest of the transaction failed');
    const left = await handle.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM bulktest.samples WHERE id > 2000',
    );
    expect(left[0]?.n).toBe(0);
  });

  it('refuses a nested transaction rather than committing the outer one early', async () => {
    const attempt = inTransaction(handle.db, async (tx) => {
      await bulkInsert(tx, samples, [row(4001)]);
      await tx.transaction(async (inner) => {
        await bulkInsert(inner, samples, [row(4002)]);
      });
    });
    if (handle.kind === 'postgres') {
      await expect(attempt).rejects.toThrow('nested transactions are not supported');
      const left = await handle.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM bulktest.samples WHERE id > 4000 AND id < 5000',
      );
      expect(left[0]?.n).toBe(0);
    } else {
      // The embedded database keeps drizzle's transactions, where nesting is a savepoint.
      await attempt;
    }
  });

  it('refuses a row the table refuses, in either path, and keeps none of its group', async () => {
    const duplicate = Array.from({ length: 40 }, (_, i) => row(i + 3001));
    duplicate.push(row(3001));
    await expect(inTransaction(handle.db, (tx) => bulkInsert(tx, samples, duplicate))).rejects.toThrow();
    const left = await handle.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM bulktest.samples WHERE id > 3000 AND id < 4000',
    );
    expect(left[0]?.n).toBe(0);
    // The pool still serves transactions after the failed one.
    await inTransaction(handle.db, (tx) => bulkInsert(tx, samples, duplicate.slice(0, 40)));
    const after = await handle.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM bulktest.samples WHERE id > 3000 AND id < 4000',
    );
    expect(after[0]?.n).toBe(40);
  });
});
