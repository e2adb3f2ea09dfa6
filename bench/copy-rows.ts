import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { getTableColumns, getTableName } from 'drizzle-orm';
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/**
 * COPY in text format for rows shaped as a service's drizzle table expects them
 * (`$inferInsert`), so the world is loaded from the very objects the services' builders return.
 * Columns no row sets (identities, defaults) are left to the database, as an INSERT would.
 */
export function escapeCopy(text: string): string {
  return text.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

function arrayLiteral(values: readonly unknown[]): string {
  return `{${values.map((v) => `"${String(v).replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

function cell(value: unknown, sqlType: string): string {
  if (value === null || value === undefined) return '\\N';
  if (Buffer.isBuffer(value)) return `\\\\x${value.toString('hex')}`;
  if (value instanceof Date) return value.toISOString();
  if (sqlType.endsWith('[]')) return escapeCopy(arrayLiteral(value as unknown[]));
  if (sqlType === 'jsonb' || sqlType === 'json') return escapeCopy(JSON.stringify(value));
  return escapeCopy(String(value));
}

export interface CopyTarget<T extends PgTable> {
  table: T;
  /** Column keys (camelCase) in the order they are written. */
  keys: (keyof T['$inferInsert'] & string)[];
  sql: string;
  types: string[];
}

export function copyTarget<T extends PgTable>(
  table: T,
  keys: (keyof T['$inferInsert'] & string)[],
): CopyTarget<T> {
  const columns = getTableColumns(table) as Record<string, { name: string; getSQLType(): string }>;
  const schema = getTableConfig(table).schema ?? 'public';
  const names = keys.map((key) => {
    const column = columns[key];
    if (!column) throw new Error(`no column ${key} in ${getTableName(table)}`);
    return `"${column.name}"`;
  });
  return {
    table,
    keys,
    sql: `COPY "${schema}"."${getTableName(table)}" (${names.join(', ')}) FROM STDIN`,
    types: keys.map((key) => (columns[key] as { getSQLType(): string }).getSQLType()),
  };
}

export function copyLine<T extends PgTable>(target: CopyTarget<T>, row: T['$inferInsert']): string {
  const values = row as Record<string, unknown>;
  return `${target.keys.map((key, i) => cell(values[key], target.types[i] as string)).join('\t')}\n`;
}

/** Streams lines into one COPY statement on `client`. */
export async function copyLines(client: pg.ClientBase, statement: string, lines: Iterable<string>) {
  await pipeline(Readable.from(lines), client.query(copyFrom(statement)));
}
