import {
  customType,
  type PgDatabase,
  type PgQueryResultHKT,
  pgSchema,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

/**
 * The drizzle handle every repository takes. node-postgres and PGlite produce different result
 * kinds, but the query builder is the same, so repositories are written once against the base.
 */
export type Database = PgDatabase<PgQueryResultHKT, Record<string, never>>;

/** A database or an open transaction: repository methods accept either. */
export type Executor = Database;

/** bytea mapped to Buffer on both drivers (PGlite returns Uint8Array). */
export const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (value) => value,
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});

/** xid8 transaction ids travel as decimal strings: they exceed 2^53. */
export const xid8 = customType<{ data: string; driverData: string | bigint | number }>({
  dataType: () => 'xid8',
  fromDriver: (value) => String(value),
});

/** The rows of `db.execute(…)`: node-postgres wraps them in a result, PGlite may not. */
export function resultRows<T>(result: unknown): T[] {
  return ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];
}

/** A bytea from a raw query, as a Buffer on either driver. */
export function asBuffer(value: Buffer | Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value);
}

/** An instant: `timestamptz`, read and written as a Date (stored in UTC). */
export const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * When each of a service's scheduled jobs last ran, in the service's own schema: the same shape
 * in every service that runs jobs (migrations/<service>/…job_runs).
 */
export function defineJobRuns(schemaName: string) {
  return pgSchema(schemaName).table('job_runs', {
    job: text('job').primaryKey(),
    lastRunAt: instant('last_run_at').notNull(),
  });
}
