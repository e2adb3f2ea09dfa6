import { execFile } from 'node:child_process';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openDevIssuer } from '@credit/auth';
import { lockPathOf } from '@credit/db';
import { findEntry } from '@credit/schema';
import { captureChildLogs, conformingFetch, eventually, uscc } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerLicenceProvider, type ServerProcess, startServer } from './support/server-process.ts';

// Every answer these tests receive over the socket is checked against docs/openapi.json.
const fetch = conformingFetch();

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

/**
 * What PostgreSQL's control file says of the directory: 'shut down' after a clean close, 'in
 * production' while open or after a kill. The state is the fourth field of ControlFileData, after
 * the 8-byte system identifier and two 4-byte version numbers, in every PostgreSQL version.
 */
async function databaseState(): Promise<string> {
  const control = await readFile(join(dataDir, 'pgdata', 'global', 'pg_control'));
  const states = [
    'starting up',
    'shut down',
    'shut down in recovery',
    'shutting down',
    'in crash recovery',
    'in archive recovery',
    'in production',
  ];
  return states[control.readInt32LE(16)] ?? `state ${control.readInt32LE(16)}`;
}

const timings: string[] = [];
async function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await work();
  timings.push(`${what} ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

/**
 * A batch upload left open: it resolves once the server has read the request's headers (it sends
 * 100 Continue), so the request is in flight before the caller goes on.
 */
function startUpload(baseUrl: string) {
  const outgoing = request(new URL('/v1/records/batch', baseUrl), {
    method: 'POST',
    headers: {
      authorization: `Bearer ${providerToken}`,
      'content-type': 'application/x-ndjson',
      expect: '100-continue',
    },
  });
  const answer = new Promise<{ statuses: number[]; connection: string | undefined }>(
    (resolveAnswer, reject) => {
      outgoing.on('error', reject);
      outgoing.on('response', async (response) => {
        let text = '';
        for await (const chunk of response) text += String(chunk);
        const body = JSON.parse(text) as { items: { index: number; status: number }[] };
        resolveAnswer({
          statuses: body.items.sort((a, b) => a.index - b.index).map((item) => item.status),
          connection: response.headers.connection,
        });
      });
    },
  );
  // The statuses are awaited later; a failure before then must not count as unhandled.
  answer.catch(() => {});
  return new Promise<{ write(text: string): void; end(text: string): void; answer: typeof answer }>(
    (resolveUpload) => {
      outgoing.once('continue', () =>
        resolveUpload({
          write: (text) => outgoing.write(text),
          end: (text) => outgoing.end(text),
          answer,
        }),
      );
      outgoing.flushHeaders();
    },
  );
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
    expect(await databaseState()).toBe('in production');

    // After kill -9: the stale lock is taken over, the directory recovers, nothing acknowledged is lost.
    server = await start();
    expect(await push([...first, ...second])).toEqual([...first, ...second].map(() => 200));
    const third = newBatch(20);
    expect(await push(third)).toEqual(third.map(() => 201));
    expect(await timed('SIGTERM', async () => server?.stop('SIGTERM'))).toBe(0);
    expect(await databaseState()).toBe('shut down');
    await expect(access(lockPathOf(join(dataDir, 'pgdata')))).rejects.toMatchObject({ code: 'ENOENT' });

    server = await start();
    expect(await push(third)).toEqual(third.map(() => 200));
    const fourth = newBatch(20);
    expect(await push(fourth)).toEqual(fourth.map(() => 201));
    // Ctrl-C on `npm start` reaches the server twice (from the terminal, and relayed by tsx when the
    // server is slow to confirm it). Here the second arrives while the first is waiting for a batch
    // still being uploaded: it must not end the process, the batch must be answered in full, and
    // only then the database closed.
    const interrupted = server;
    const fifth = newBatch(20);
    const upload = await startUpload(interrupted.baseUrl);
    upload.write(`${fifth.slice(0, 10).join('\n')}\n`);
    await timed('SIGINT twice', async () => {
      interrupted.child.kill('SIGINT');
      // Closing: new connections are refused (or answered 503) while the upload is in flight.
      await eventually(
        () =>
          fetch(`${interrupted.baseUrl}/health`).then(
            (response) => response.status === 503,
            () => true,
          ),
        (closing) => closing,
        10_000,
      );
      interrupted.child.kill('SIGINT');
      upload.end(fifth.slice(10).join('\n'));
      // Answered in full, on a connection the server then closes rather than keep the shutdown
      // waiting for the client's keep-alive.
      expect(await upload.answer).toEqual({ statuses: fifth.map(() => 201), connection: 'close' });
      return interrupted.exited;
    });
    expect(await databaseState()).toBe('shut down');
    await expect(access(lockPathOf(join(dataDir, 'pgdata')))).rejects.toMatchObject({ code: 'ENOENT' });

    // With the server stopped the same command runs, and finds every record and nothing amiss.
    const after = await timed('verify after', verify);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toContain(`${sent} record versions`);
    expect(after.stdout).toContain('no findings');

    server = await start();
    expect(await push([...fourth, ...fifth])).toEqual([...fourth, ...fifth].map(() => 200));
    console.info(`embedded soak: ${sent} records, ${timings.join(', ')}`);
  }, 180_000);
});
