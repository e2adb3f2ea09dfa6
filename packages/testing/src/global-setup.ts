import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openDatabase } from '@credit/db';
import { defaultMigrationsDir } from '@credit/host';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { dockerLikelyAvailable, type TestDatabaseSource, withDatabase } from './database-choice.ts';
import { scanCaptureDirectory } from './log-scan.ts';

/** Every service's migration folder: the template database holds them all. */
function allMigrationFolders(): string[] {
  return readdirSync(defaultMigrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

async function startContainer(): Promise<{ url: string; stop: () => Promise<void> } | undefined> {
  if (!dockerLikelyAvailable()) return undefined;
  try {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:15-alpine').withDatabase('test').start();
    return { url: container.getConnectionUri(), stop: async () => void (await container.stop()) };
  } catch {
    return undefined;
  }
}

async function admin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * The log capture of a project's run: every worker appends its log lines there, and at the end
 * they are scanned. A leak fails the run; the directory is then kept for a look.
 */
async function openLogCapture(project: TestProject): Promise<() => Promise<void>> {
  const directory = await mkdtemp(join(tmpdir(), 'credit-logs-'));
  project.provide('logCapture', directory);
  return async () => {
    const { lines, leaks } = await scanCaptureDirectory(directory);
    // The unnamed root project runs no tests of its own.
    if (project.name || lines > 0)
      console.info(
        `log scan (${project.name}): ${lines} log lines scanned for identity numbers, USCCs, names and payload values — ${leaks.length} found`,
      );
    if (leaks.length > 0) {
      // Vitest reports an error thrown here but would still exit 0: the exit code says it too.
      process.exitCode = 1;
      const listed = leaks.slice(0, 20).map((l) => `  ${l.kind} ${l.value} at ${l.where}`);
      throw new Error(`personal data in the logs (kept in ${directory}):\n${listed.join('\n')}`);
    }
    await rm(directory, { recursive: true, force: true });
  };
}

/**
 * Chooses the suite's database, in order: TEST_DATABASE_URL; a testcontainers PostgreSQL when a
 * Docker engine answers; embedded PGlite otherwise (and always for the PGlite smoke project).
 * For PostgreSQL it builds one migrated template; each test file copies it into its own database.
 */
export default async function setup(project: TestProject) {
  const scanLogs = await openLogCapture(project);
  if (project.name === 'pglite-smoke') {
    project.provide('testDatabase', { kind: 'pglite' });
    return scanLogs;
  }
  let adminUrl = process.env.TEST_DATABASE_URL;
  let origin: 'TEST_DATABASE_URL' | 'testcontainers' = 'TEST_DATABASE_URL';
  let stopContainer: (() => Promise<void>) | undefined;
  if (!adminUrl) {
    const container = await startContainer();
    if (container) {
      adminUrl = container.url;
      origin = 'testcontainers';
      stopContainer = container.stop;
    }
  }
  if (!adminUrl) {
    project.provide('testDatabase', { kind: 'pglite' });
    return scanLogs;
  }

  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const templateDatabase = `credit_tpl_${runId}`;
  await admin(adminUrl, (client) => client.query(`CREATE DATABASE ${templateDatabase}`));
  const handle = await openDatabase({
    kind: 'postgres',
    url: withDatabase(adminUrl, templateDatabase),
    poolSize: 1,
  });
  try {
    await migrate(handle, defaultMigrationsDir, allMigrationFolders());
  } finally {
    await handle.close();
  }
  const source: TestDatabaseSource = { kind: 'postgres', adminUrl, templateDatabase, runId, origin };
  project.provide('testDatabase', source);

  return async () => {
    try {
      await scanLogs();
    } finally {
      const url = adminUrl as string;
      await admin(url, async (client) => {
        const { rows } = await client.query<{ datname: string }>(
          'SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2',
          [`credit_t_${runId}_%`, templateDatabase],
        );
        for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
      });
      await stopContainer?.();
    }
  };
}
