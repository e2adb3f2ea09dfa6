import { getTableColumns, getTableName, sql } from 'drizzle-orm';
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import { type Executor, resultRows } from './types.ts';

/**
 * Inserts many rows with one statement of one parameter per column: each column travels as a
 * text array and `unnest` turns the arrays back into rows. Building a multi-row VALUES list
 * costs the query builder and the driver work per value (25 columns × 500 rows is 12,500
 * parameters); this costs them per column, which is what the ingest path needed (see
 * bench/RESULTS.md). Columns no row sets (identities, defaults) are left to the database.
 */
export async function bulkInsert<T extends PgTable>(
  executor: Executor,
  table: T,
  rows: readonly T['$inferInsert'][],
  options: { onConflictDoNothing?: boolean; returning?: readonly (keyof T['$inferSelect'] & string)[] } = {},
): Promise<Record<string, unknown>[]> {
  if (rows.length === 0) return [];
  const config = getTableConfig(table);
  const columns = Object.entries(getTableColumns(table)).filter(([key]) =>
    rows.some((row) => (row as Record<string, unknown>)[key] !== undefined),
  );
  const params = columns.map(([key, column]) => {
    const type = column.getSQLType();
    if (type.endsWith('[]')) throw new Error(`bulkInsert cannot carry array column ${column.name}`);
    return rows.map((row) => toText((row as Record<string, unknown>)[key], type));
  });
  const names = columns.map(([, column]) => `"${column.name}"`).join(', ');
  const aliases = columns.map((_, i) => `c${i}`);
  const selected = columns
    .map(([, column], i) => {
      const type = column.getSQLType();
      return type === 'bytea' ? `decode(u.c${i}, 'hex')` : `u.c${i}::${type}`;
    })
    .join(', ');
  const target = `"${config.schema ?? 'public'}"."${getTableName(table)}"`;
  const arrays = sql.join(
    params.map((values) => sql`${sql.param(values)}::text[]`),
    sql`, `,
  );
  const conflict = options.onConflictDoNothing ? sql.raw(' ON CONFLICT DO NOTHING') : sql``;
  const returning = options.returning?.length
    ? sql.raw(
        ` RETURNING ${options.returning
          .map(
            (key) =>
              `"${(getTableColumns(table) as Record<string, { name: string }>)[key]?.name}" AS "${key}"`,
          )
          .join(', ')}`,
      )
    : sql``;
  const result = await executor.execute(
    sql`INSERT INTO ${sql.raw(target)} (${sql.raw(names)}) SELECT ${sql.raw(selected)} FROM unnest(${arrays}) AS u(${sql.raw(aliases.join(', '))})${conflict}${returning}`,
  );
  return resultRows<Record<string, unknown>>(result);
}

function toText(value: unknown, type: string): string | null {
  if (value === null || value === undefined) return null;
  if (type === 'bytea')
    return (Buffer.isBuffer(value) ? value : Buffer.from(value as Uint8Array)).toString('hex');
  if (type === 'jsonb' || type === 'json') return JSON.stringify(value);
  if (value instanceof Date) return value.toISOString();
  return String(value);
}
