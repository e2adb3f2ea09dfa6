import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { openDevIssuer, type Role } from '@credit/auth';
import { createCreditClient } from '@credit/client';
import { captureChildLogs, conformingFetch } from '@credit/testing';
import { expect } from 'vitest';
import { freePort } from './free-port.ts';

// Every answer these tests receive over the socket is checked against docs/openapi.json.
const fetch = conformingFetch();

/**
 * The all-in-one server as a child process on a real port: the `npm start` entry point, run by
 * node itself (not through npm and a shell), so that a signal reaches the server and nothing else.
 */
const root = resolve(import.meta.dirname, '../../../..');

export { freePort };

export interface ServerProcess {
  baseUrl: string;
  child: ChildProcess;
  /** Everything the process wrote, stdout and stderr interleaved. */
  output(): string;
  /** Resolves with the exit code or signal once the process has ended. */
  exited: Promise<number | string>;
  alive(): boolean;
  /** Sends the signal (SIGKILL: no handler runs, nothing is flushed) and waits for the end. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/** Starts the server and waits until `probe` answers 200 (`/ready`: migrated, consumers running). */
export async function startServer(
  env: Record<string, string>,
  timeoutMs = 60_000,
  probe: '/health' | '/ready' = '/health',
): Promise<ServerProcess> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const chunks: string[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/platform/src/server.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOG_LEVEL: 'warn',
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => chunks.push(String(chunk)));
  child.stderr?.on('data', (chunk) => chunks.push(String(chunk)));
  const exited = new Promise<number | string>((resolveExit) =>
    child.once('exit', (code, signal) => {
      // The suite-wide log scan reads what this server logged too.
      captureChildLogs(chunks.join(''));
      resolveExit(signal ?? code ?? -1);
    }),
  );
  const server: ServerProcess = {
    baseUrl,
    child,
    output: () => chunks.join(''),
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop(signal = 'SIGTERM') {
      if (server.alive()) child.kill(signal);
      return exited;
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!server.alive()) throw new Error(`the server exited at start:\n${server.output()}`);
    try {
      if ((await fetch(`${baseUrl}${probe}`)).ok) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.stop('SIGKILL');
      throw new Error(`the server did not start within ${timeoutMs} ms:\n${server.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Tokens from the development issuer the server finds under the same DATA_DIR. */
export async function devTokens(dataDir: string) {
  const issuer = await openDevIssuer(dataDir);
  return (role: Role, org: string) => issuer.sign({ roles: [role], org, ttlSeconds: 3600 });
}

/** Registers a department allowed to push licences (行政许可) and answers its provider token. */
export async function registerLicenceProvider(
  server: ServerProcess,
  token: Awaited<ReturnType<typeof devTokens>>,
  code: string,
): Promise<string> {
  const office = createCreditClient({
    baseUrl: server.baseUrl,
    token: await token('admin', 'credit-office'),
    fetch,
  });
  const registered = await office.POST('/v1/providers', {
    body: { code, name: '淄博市行政审批服务局', categories: ['org_licence'] },
  });
  expect(registered.response.status).toBe(201);
  return token('provider', code);
}
