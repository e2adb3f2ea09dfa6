import { execFile } from 'node:child_process';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openDevIssuer } from '@credit/auth';
import { lockPathOf } from '@credit/db';
import { findEntry } from '@credit/schema';
import { captureChildLogs, uscc } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerLicenceProvider, type ServerProcess, startServer } from './support/server-process.ts';

/**
 * The embedded database through what a newcomer does to it: the real server on one DATA_DIR,
 * started, used, stopped by SIGTERM, SIGINT and kill -9, with `npm run verify` run beside it and
 * after it. Before the directory lock, verify opened the directory under the running server and
 * the next start after a kill died with PGlite's `RuntimeError: Aborted()`.
 *
 * Tokens come from an issuer the test configures (AUTH_*), so the first start skips the demo:
 * the demo's thousand subjects would spend the time this soak spends on cycles.
 */
const root = resolve(import.meta.dirname, '../../..');
const licence = findEntry('org_licence')?.sample;
let dataDir: string;
let issuerDir: string;
let env: Record<string, string>;
let server: ServerProcess | undefined;
let providerToken: string;
let sent = 0;

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function verify(): Promise<CliRun> {
  const started = Date.now();
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'apps/platform/src/cli/verify.ts'],
      { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } },
      (error, stdout, stderr) => {
        captureChildLogs(`${stdout}${stderr}`);
        done({ code: error ? Number(error.code) : 0, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

/** A batch of new licences, each pushed once: the statuses the server answered, in order. */
function newBatch(size: number): string[] {
  return Array.from({ length: size }, () =>
    JSON.stringify({
      sourceId: `SOAK-${String(sent++).padStart(4, '0')}`,
      category: 'org_licence',
      subject: { kind: 'legal_person', id: uscc(), name: '淄博某陶瓷有限公司' },
      occurredAt: '2025-10-20',
      data: licence,
    }),
  );
}

async function push(lines: string[]): Promise<number[]> {
  const response = await fetch(`${server?.baseUrl}/v1/records/batch`, {
    method: 'POST',
    headers: { authorization: `Bearer ${providerToken}`, 'content-type': 'application/x-ndjson' },
    body: lines.join('\n'),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { items: { index: number; status: number }[] };
  return body.items.sort((a, b) => a.index - b.index).map((item) => item.status);
}

const timings: string[] = [];
async function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await work();
  timings.push(`${what} ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

const start = () => timed('start', () => startServer(env, 60_000, '/ready'));

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'credit-soak-'));
  issuerDir = await mkdtemp(join(tmpdir(), 'credit-soak-issuer-'));
  const issuer = await openDevIssuer(issuerDir);
  env = {
    DATA_DIR: dataDir,
    AUTH_ISSUER: issuer.issuer,
    AUTH_AUDIENCE: issuer.audience,
    AUTH_JWKS: JSON.stringify(issuer.jwks),
  };
  server = await start();
  providerToken = await registerLicenceProvider(
    server,
    (role, org) => issuer.sign({ roles: [role], org, ttlSeconds: 3600 }),
    'soak-approvals',
  );
}, 90_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  for (const dir of [dataDir, issuerDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the embedded database on one data directory', () => {
  it('survives start, use, a CLI beside the server, SIGTERM, SIGINT and kill -9, cycle after cycle', async () => {
    const first = newBatch(20);
    expect(await push(first)).toEqual(first.map(() => 201));

    // verify beside the running server refuses at once and names the process holding the directory.
    const beside = await timed('verify beside', verify);
    expect(beside.code, beside.stdout).toBe(2);
    expect(beside.stderr).toContain(`in use: process ${server?.child.pid} (server.ts`);
    expect(beside.stderr).not.toMatch(/^\s+at /m);

    const second = newBatch(20);
    expect(await push(second)).toEqual(second.map(() => 201));
    expect(await timed('SIGKILL', async () => server?.stop('SIGKILL'))).toBe('SIGKILL');

    // After kill -9: the stale lock is taken over, the directory recovers, nothing acknowledged is lost.
    server = await start();
    expect(await push([...first, ...second])).toEqual([...first, ...second].map(() => 200));
    const third = newBatch(20);
    expect(await push(third)).toEqual(third.map(() => 201));
    expect(await timed('SIGTERM', async () => server?.stop('SIGTERM'))).toBe(0);
    await expect(access(lockPathOf(join(dataDir, 'pgdata')))).rejects.toMatchObject({ code: 'ENOENT' });

    server = await start();
    expect(await push(third)).toEqual(third.map(() => 200));
    const fourth = newBatch(20);
    expect(await push(fourth)).toEqual(fourth.map(() => 201));
    expect(await timed('SIGINT', async () => server?.stop('SIGINT'))).toBe(0);

    // With the server stopped the same command runs, and finds every record and nothing amiss.
    const after = await timed('verify after', verify);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toContain(`${sent} record versions`);
    expect(after.stdout).toContain('no findings');

    server = await start();
    expect(await push(fourth)).toEqual(fourth.map(() => 200));
    console.info(`embedded soak: ${sent} records, ${timings.join(', ')}`);
  }, 180_000);
});
