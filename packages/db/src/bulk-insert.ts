import { getTableColumns, getTableName, sql } from 'drizzle-orm';
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import { binaryCopyStatement, binaryCopySupports, type CopyColumn, copyBinary } from './binary-copy.ts';
import { transactionClientOf } from './transaction.ts';
import { type Executor, resultRows } from './types.ts';

/**
 * From this many rows, a plain append inside `inTransaction` on PostgreSQL streams them with
 * binary COPY instead (see binary-copy.ts): below it, a statement costs less than a COPY's
 * extra round trips.
 */
const copyThreshold = 32;

/**
 * Inserts many rows with one statement of one parameter: the rows travel as one JSON array
 * (serialised by the engine's native JSON.stringify) and `json_to_recordset` turns it back into
 * rows. A multi-row VALUES list costs the query builder and the driver work per value (25
 * columns × 500 rows is 12,500 parameters), and text arrays per column cost the driver an
 * escaping pass per element in JavaScript; this costs them one string (see bench/RESULTS.md).
 * Columns no row sets (identities, defaults) are left to the database.
 */
export async function bulkInsert<T extends PgTable>(
  executor: Executor,
  table: T,
  rows: readonly T['$inferInsert'][],
  options: {
    onConflictDoNothing?: boolean;
    returning?: readonly (keyof T['$inferSelect'] & string)[];
    /** Rows from which binary COPY is used (default 32); 1 for rows each large enough (file chunks). */
    copyFrom?: number;
  } = {},
): Promise<Record<string, unknown>[]> {
  if (rows.length === 0) return [];
  const target = qualifiedName(table);
  const transaction = transactionClientOf(executor);
  if (
    transaction &&
    rows.length >= (options.copyFrom ?? copyThreshold) &&
    !options.onConflictDoNothing &&
    !options.returning?.length
  ) {
    const columns = setColumns(table, rows);
    if (binaryCopySupports(columns)) {
      const statement = binaryCopyStatement(target, columns);
      transaction.logger.logQuery(statement, []);
      await copyBinary(transaction.client, statement, columns, rows as readonly Record<string, unknown>[]);
      return [];
    }
  }
  const insert = documentInsert(table, rows);
  const conflict = options.onConflictDoNothing ? sql.raw(' ON CONFLICT DO NOTHING') : sql``;
  const nameOf = columnNamer(table);
  const returning = options.returning?.length
    ? sql.raw(` RETURNING ${options.returning.map((key) => `${nameOf(key)} AS "${key}"`).join(', ')}`)
    : sql``;
  const result = await executor.execute(sql`${insert}${conflict}${returning}`);
  return resultRows<Record<string, unknown>>(result);
}

const qualifiedNames = new WeakMap<PgTable, string>();

/** `"schema"."table"`; drizzle's table config is built anew on every read, so it is read once. */
function qualifiedName(table: PgTable): string {
  let name = qualifiedNames.get(table);
  if (name === undefined) {
    name = `"${getTableConfig(table).schema ?? 'public'}"."${getTableName(table)}"`;
    qualifiedNames.set(table, name);
  }
  return name;
}

/** The quoted SQL name of a column, by its key in the drizzle table. */
function columnNamer(table: PgTable): (key: string) => string {
  const columns = columnsOf(table);
  return (key) => {
    const column = columns.find((c) => c.key === key);
    if (!column) throw new Error(`no column ${key} in ${getTableName(table)}`);
    return `"${column.name}"`;
  };
}

const insertTexts = new WeakMap<PgTable, Map<string, [string, string]>>();

/**
 * `INSERT INTO table AS t (columns) SELECT … FROM json_to_recordset($1)`: the text before and
 * after the one parameter, which carries the rows' JSON document; made once per column set.
 */
function documentInsertText(table: PgTable, columns: readonly CopyColumn[]): [string, string] {
  let texts = insertTexts.get(table);
  if (!texts) {
    texts = new Map();
    insertTexts.set(table, texts);
  }
  const signature = columns.map((column) => column.key).join(',');
  let text = texts.get(signature);
  if (!text) {
    text = buildDocumentInsertText(table, columns);
    texts.set(signature, text);
  }
  return text;
}

function buildDocumentInsertText(table: PgTable, columns: readonly CopyColumn[]): [string, string] {
  const names = columns.map((column) => `"${column.name}"`).join(', ');
  const isJson = (type: string) => type === 'jsonb' || type === 'json';
  const shape = columns.map((column, i) => `c${i} ${isJson(column.type) ? 'json' : 'text'}`).join(', ');
  const selected = columns
    .map((column, i) => (column.type === 'bytea' ? `decode(u.c${i}, 'base64')` : `u.c${i}::${column.type}`))
    .join(', ');
  return [
    `INSERT INTO ${qualifiedName(table)} AS t (${names}) SELECT ${selected} FROM json_to_recordset(`,
    `::json) AS u(${shape})`,
  ];
}

function documentInsert<T extends PgTable>(table: T, rows: readonly T['$inferInsert'][]) {
  const { columns, document } = bulkDocument(table, rows);
  const [before, after] = documentInsertText(table, columns);
  return sql`${sql.raw(before)}${document}${sql.raw(after)}`;
}

/**
 * The same insert as `bulkInsert`'s statement, as plain text with the document as `$1`: for a
 * prepared statement (`DatabaseHandle.prepared`) run thousands of times a second. The text
 * depends only on which columns the rows set.
 */
export function bulkInsertStatement<T extends PgTable>(
  table: T,
  rows: readonly T['$inferInsert'][],
): { text: string; document: string } {
  const { columns, document } = bulkDocument(table, rows);
  const [before, after] = documentInsertText(table, columns);
  return { text: `${before}$1${after}`, document };
}

/** The columns the rows set, and the rows as the one JSON document the statement carries. */
export function bulkDocument<T extends PgTable>(
  table: T,
  rows: readonly T['$inferInsert'][],
): { columns: CopyColumn[]; document: string } {
  const columns = setColumns(table, rows);
  for (const column of columns)
    if (column.type.endsWith('[]')) throw new Error(`bulkInsert cannot carry array column ${column.name}`);
  const names = documentKeys(columns.length);
  const document = JSON.stringify(
    rows.map((row) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < columns.length; i++) {
        const column = columns[i] as (typeof columns)[number];
        out[names[i] as string] = toJson((row as Record<string, unknown>)[column.key], column.type);
      }
      return out;
    }),
  );
  return { columns, document };
}

/** A table's columns in declaration order, read from drizzle once: every statement and group reads them. */
const tableColumns = new WeakMap<PgTable, readonly CopyColumn[]>();

function columnsOf(table: PgTable): readonly CopyColumn[] {
  let columns = tableColumns.get(table);
  if (!columns) {
    columns = Object.entries(getTableColumns(table)).map(([key, column]) => ({
      key,
      name: column.name,
      type: column.getSQLType(),
    }));
    tableColumns.set(table, columns);
  }
  return columns;
}

/** `c0`, `c1`, …: the document's keys, made once rather than per value. */
const keyNames: string[] = [];
function documentKeys(count: number): readonly string[] {
  for (let i = keyNames.length; i < count; i++) keyNames.push(`c${i}`);
  return keyNames;
}

/** The columns some row sets; the others are left to the database (identities, defaults). */
function setColumns<T extends PgTable>(table: T, rows: readonly T['$inferInsert'][]): CopyColumn[] {
  return columnsOf(table).filter((column) =>
    rows.some((row) => (row as Record<string, unknown>)[column.key] !== undefined),
  );
}

/** A column value as JSON: bytes as base64 (a third of hex's overhead), instants as ISO text, JSON columns as themselves. */
function toJson(value: unknown, type: string): unknown {
  if (value === null || value === undefined) return null;
  if (type === 'bytea')
    return (Buffer.isBuffer(value) ? value : Buffer.from(value as Uint8Array)).toString('base64');
  if (type === 'jsonb' || type === 'json') return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/**
 * Inserts or updates many rows with one statement of one parameter, as `bulkInsert` does: on a
 * conflict over `target`, the `update` columns take the incoming values where `newer` (SQL over
 * the stored row as `t` and the incoming one as `excluded`) holds. The projections apply whole
 * feed batches this way; a multi-row drizzle upsert spends most of its time building its SQL.
 */
export async function bulkUpsert<T extends PgTable>(
  executor: Executor,
  table: T,
  rows: readonly T['$inferInsert'][],
  options: {
    target: readonly (keyof T['$inferSelect'] & string)[];
    update: readonly (keyof T['$inferSelect'] & string)[];
    /** e.g. `t.version < excluded.version` */
    newer: string;
  },
): Promise<void> {
  if (rows.length === 0) return;
  const nameOf = columnNamer(table);
  const assignments = options.update.map((key) => `${nameOf(key)} = excluded.${nameOf(key)}`).join(', ');
  await executor.execute(
    sql`${documentInsert(table, rows)} ON CONFLICT (${sql.raw(options.target.map(nameOf).join(', '))}) DO UPDATE SET ${sql.raw(assignments)} WHERE ${sql.raw(options.newer)}`,
  );
}
