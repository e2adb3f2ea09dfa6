import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatabaseHandle, DatabaseSession } from './connection.ts';

export interface MigrationFile {
  service: string;
  name: string;
  sql: string;
  checksum: string;
}

/** Migrations live in `migrations/<service>/NNNN_name.sql`; each service owns one PostgreSQL schema. */
export async function readMigrations(
  directory: string,
  services: readonly string[],
): Promise<MigrationFile[]> {
  const files: MigrationFile[] = [];
  for (const service of services) {
    const folder = join(directory, service);
    const names = (await readdir(folder)).filter((name) => /^\d{4}_[a-z0-9_]+\.sql$/.test(name)).sort();
    for (const name of names) {
      const sql = await readFile(join(folder, name), 'utf8');
      files.push({ service, name, sql, checksum: createHash('sha256').update(sql).digest('hex') });
    }
  }
  return files;
}

const ledger = `
CREATE SCHEMA IF NOT EXISTS platform;
CREATE TABLE IF NOT EXISTS platform.schema_migrations (
  service text NOT NULL,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (service, name)
);
-- The partitions retention detached and dropped (packages/db/src/partitions.ts): what an audit
-- must not look for any more.
CREATE TABLE IF NOT EXISTS platform.detached_partitions (
  table_name text NOT NULL,
  partition text NOT NULL,
  upper_bound timestamptz NOT NULL,
  detached_at timestamptz NOT NULL,
  PRIMARY KEY (table_name, partition)
);`;

/** Arbitrary constant: every migrator of this platform takes the same advisory lock. */
const migrationLockKey = 727_311_001;

export class MigrationDriftError extends Error {
  override name = 'MigrationDriftError';
}

function quote(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Applies the pending migrations of the given services, each file in its own transaction, under
 * an advisory lock so that several processes starting at once apply each file exactly once. A
 * changed checksum of an applied file stops everything: history is never rewritten silently.
 */
export async function migrate(
  handle: DatabaseHandle,
  directory: string,
  services: readonly string[],
): Promise<{ applied: string[] }> {
  const files = await readMigrations(directory, services);
  return handle.withSession((session) => applyMigrations(session, files));
}

async function applyMigrations(
  session: DatabaseSession,
  files: MigrationFile[],
): Promise<{ applied: string[] }> {
  await session.execScript(ledger);
  await session.query('SELECT pg_advisory_lock($1)', [migrationLockKey]);
  const applied: string[] = [];
  try {
    const rows = await session.query<{ service: string; name: string; checksum: string }>(
      'SELECT service, name, checksum FROM platform.schema_migrations',
    );
    const done = new Map(rows.map((row) => [`${row.service}/${row.name}`, row.checksum]));
    for (const file of files) {
      const key = `${file.service}/${file.name}`;
      const checksum = done.get(key);
      if (checksum !== undefined) {
        if (checksum !== file.checksum) {
          throw new MigrationDriftError(`migration ${key} was changed after it was applied`);
        }
        continue;
      }
      try {
        await session.execScript(
          `BEGIN;\n${file.sql}\n;INSERT INTO platform.schema_migrations (service, name, checksum) VALUES (${quote(
            file.service,
          )}, ${quote(file.name)}, ${quote(file.checksum)});\nCOMMIT;`,
        );
      } catch (error) {
        await session.execScript('ROLLBACK').catch(() => {});
        throw new Error(`migration ${key} failed`, { cause: error });
      }
      applied.push(key);
    }
  } finally {
    await session.query('SELECT pg_advisory_unlock($1)', [migrationLockKey]);
  }
  return { applied };
}

/** Which migrations of the given services are not applied yet (for readiness checks). */
export async function pendingMigrations(
  handle: DatabaseHandle,
  directory: string,
  services: readonly string[],
): Promise<string[]> {
  const files = await readMigrations(directory, services);
  let rows: { service: string; name: string }[] = [];
  try {
    rows = await handle.query('SELECT service, name FROM platform.schema_migrations');
  } catch {
    return files.map((f) => `${f.service}/${f.name}`);
  }
  const done = new Set(rows.map((r) => `${r.service}/${r.name}`));
  return files.map((f) => `${f.service}/${f.name}`).filter((key) => !done.has(key));
}
