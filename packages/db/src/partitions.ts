import { sql } from 'drizzle-orm';
import { inTransaction } from './transaction.ts';
import { type Database, type Executor, resultRows } from './types.ts';

/**
 * A table the migrations created with PostgreSQL's declarative partitioning and a default
 * partition (docs/scaling.md, "Partitioned append-only tables"), and how the partition keeper
 * looks after it: which partitions to create ahead, and which whole partitions retention may
 * detach. Partitions are named `<table>_pYYYYMM` (months, UTC) or `<table>_r<n>` (ranges of
 * `width` values of an integer column), as the migrations name them.
 */
export interface PartitionedTable {
  schema: string;
  table: string;
  by: { kind: 'month'; ahead: number } | { kind: 'range'; column: string; width: number; ahead: number };
  retention?: PartitionRetention;
}

export interface PartitionRetention {
  /** A month partition may go once its end is this many days past. */
  afterDays: number;
  /**
   * What holds back a partition whose days are past, in words (null: nothing does); for an
   * outbox, a reader of the feed that has not passed it yet.
   */
  holdBack?(db: Executor, partition: Partition): Promise<string | null>;
}

export interface Partition {
  schema: string;
  name: string;
  /** Bounds as PostgreSQL prints them; null for the default partition. */
  from: string | null;
  to: string | null;
}

export interface PartitionUpkeep {
  table: string;
  created: string[];
  detached: string[];
  /** Partitions due (this month or range, or one ahead) that could not be created, and why. */
  notCreated: { partition: string; reason: string }[];
  /** Partitions past retention that were not detached, and why. */
  held: { partition: string; reason: string }[];
}

function rowsOf<T>(result: unknown): T[] {
  return resultRows<T>(result);
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

function qualified(schema: string, name: string) {
  return sql.raw(`${ident(schema)}.${ident(name)}`);
}

/** The table's partitions, with their bounds, oldest first as far as names sort. */
export async function listPartitions(db: Executor, schema: string, table: string): Promise<Partition[]> {
  const rows = rowsOf<{ name: string; bound: string }>(
    await db.execute(sql`
      SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_class p ON p.oid = i.inhparent
      JOIN pg_namespace n ON n.oid = p.relnamespace
      WHERE n.nspname = ${schema} AND p.relname = ${table}
      ORDER BY c.relname`),
  );
  return rows.map((row) => {
    const match = /FROM \('?([^')]*)'?\) TO \('?([^')]*)'?\)/.exec(row.bound);
    return { schema, name: row.name, from: match?.[1] ?? null, to: match?.[2] ?? null };
  });
}

function monthName(table: string, month: Date): string {
  return `${table}_p${month.getUTCFullYear()}${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
}

function addMonths(month: Date, n: number): Date {
  return new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + n, 1));
}

/** The partitions the table should have now: this month (or range) and those ahead of it. */
async function wanted(
  db: Executor,
  spec: PartitionedTable,
  now: Date,
): Promise<{ name: string; from: string; to: string; column: string }[]> {
  if (spec.by.kind === 'month') {
    const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const column = await partitionColumn(db, spec);
    return Array.from({ length: spec.by.ahead + 1 }, (_, n) => {
      const month = addMonths(first, n);
      return {
        name: monthName(spec.table, month),
        from: month.toISOString(),
        to: addMonths(month, 1).toISOString(),
        column,
      };
    });
  }
  const { column, width, ahead } = spec.by;
  const [top] = rowsOf<{ top: string | number | null }>(
    await db.execute(
      sql`SELECT max(${sql.raw(ident(column))}) AS top FROM ${qualified(spec.schema, spec.table)}`,
    ),
  );
  const current = BigInt(top?.top ?? 0) / BigInt(width);
  return Array.from({ length: ahead + 1 }, (_, n) => {
    const range = current + BigInt(n);
    return {
      name: `${spec.table}_r${range}`,
      from: String(range * BigInt(width)),
      to: String((range + 1n) * BigInt(width)),
      column,
    };
  });
}

async function partitionColumn(db: Executor, spec: PartitionedTable): Promise<string> {
  const [row] = rowsOf<{ key: string }>(
    await db.execute(sql`
      SELECT pg_get_partkeydef(c.oid) AS key FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ${spec.schema} AND c.relname = ${spec.table}`),
  );
  const column = row ? /^RANGE \((\w+)\)$/.exec(row.key)?.[1] : undefined;
  if (!column) throw new Error(`${spec.schema}.${spec.table} is not partitioned by the range of one column`);
  return column;
}

/**
 * Creates the partitions due (this month or range and those ahead), then detaches and drops the
 * month partitions retention lets go. A partition whose range already has rows in the default
 * partition (written under a clock far off) is not created: PostgreSQL would refuse it, and the
 * rows are read from the default partition all the same. Each change is its own short
 * transaction that waits at most `lockTimeoutMs` for the table's lock, so the keeper never
 * queues the platform's writes behind it for long; what it could not do waits for its next run.
 */
export async function keepPartitions(
  db: Database,
  spec: PartitionedTable,
  now: Date,
  lockTimeoutMs = 2000,
): Promise<PartitionUpkeep> {
  const upkeep: PartitionUpkeep = {
    table: `${spec.schema}.${spec.table}`,
    created: [],
    detached: [],
    notCreated: [],
    held: [],
  };
  const existing = await listPartitions(db, spec.schema, spec.table);
  const names = new Set(existing.map((p) => p.name));
  const parent = qualified(spec.schema, spec.table);
  const fallback = existing.find((p) => p.from === null && p.to === null);
  for (const partition of await wanted(db, spec, now)) {
    if (names.has(partition.name)) continue;
    const column = sql.raw(ident(partition.column));
    try {
      await inTransaction(
        db,
        async (tx) => {
          await tx.execute(sql.raw(`SET LOCAL lock_timeout = ${Math.max(1, Math.trunc(lockTimeoutMs))}`));
          if (fallback) {
            const stray = rowsOf(
              await tx.execute(sql`
              SELECT 1 FROM ${qualified(spec.schema, fallback.name)}
              WHERE ${column} >= ${partition.from} AND ${column} < ${partition.to} LIMIT 1`),
            );
            if (stray.length > 0) {
              upkeep.notCreated.push({
                partition: partition.name,
                reason: 'its range has rows in the default partition',
              });
              return;
            }
          }
          await tx.execute(
            sql`CREATE TABLE ${qualified(spec.schema, partition.name)} PARTITION OF ${parent} FOR VALUES FROM (${sql.raw(literal(partition.from))}) TO (${sql.raw(literal(partition.to))})`,
          );
          upkeep.created.push(partition.name);
        },
        1,
      );
    } catch (error) {
      upkeep.notCreated.push({ partition: partition.name, reason: (error as Error).message });
    }
  }
  const retention = spec.retention;
  if (!retention || spec.by.kind !== 'month') return upkeep;
  const horizon = now.getTime() - retention.afterDays * 86_400_000;
  for (const partition of existing) {
    const month = /_p(\d{4})(\d{2})$/.exec(partition.name);
    if (!month) continue;
    const end = Date.UTC(Number(month[1]), Number(month[2]), 1);
    if (end > horizon) continue;
    const reason = (await retention.holdBack?.(db, partition)) ?? null;
    if (reason) {
      upkeep.held.push({ partition: partition.name, reason });
      continue;
    }
    try {
      await inTransaction(
        db,
        async (tx) => {
          await tx.execute(sql.raw(`SET LOCAL lock_timeout = ${Math.max(1, Math.trunc(lockTimeoutMs))}`));
          await tx.execute(
            sql`ALTER TABLE ${parent} DETACH PARTITION ${qualified(spec.schema, partition.name)}`,
          );
          await tx.execute(sql`DROP TABLE ${qualified(spec.schema, partition.name)}`);
          await tx.execute(sql`
          INSERT INTO platform.detached_partitions (table_name, partition, upper_bound, detached_at)
          VALUES (${upkeep.table}, ${partition.name}, ${new Date(end).toISOString()}, ${now.toISOString()})
          ON CONFLICT DO NOTHING`);
        },
        1,
      );
      upkeep.detached.push(partition.name);
    } catch (error) {
      upkeep.held.push({ partition: partition.name, reason: (error as Error).message });
    }
  }
  return upkeep;
}

/** A bound as a SQL literal: bounds are ISO instants or integers the keeper computed itself. */
function literal(value: string): string {
  if (/^\d+$/.test(value)) return value;
  if (/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(value)) return `'${value}'`;
  throw new Error(`not a partition bound: ${value}`);
}
