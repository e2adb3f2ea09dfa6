import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { openDevIssuer } from '@credit/auth';
import { baseEnvironmentSchema } from '@credit/config';
import { findEntry } from '@credit/schema';
import { captureChildLogs, conformingFetch, provisionDatabase, sourceId, uscc } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// Every answer these tests receive over the socket is checked against docs/openapi.json.
const fetch = conformingFetch();

/**
 * The production image runs `npm run build`'s JavaScript with plain node: no TypeScript loader,
 * no test tooling among its dependencies, a pinned base image, and a compose file that names only
 * what the build makes. The image cannot be built here (no Docker daemon in CI), so the build is
 * made as the image makes it and started as the image starts it, against the CI database.
 */
const root = resolve(import.meta.dirname, '../../..');
const run = promisify(execFile);
const testTooling = [
  'vitest',
  'testcontainers',
  '@testcontainers/postgresql',
  'fast-check',
  'tsx',
  'typescript',
];

interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string[] | string;
  depends_on?: Record<string, unknown> | string[];
  environment?: Record<string, string>;
}

const dockerfile = () => readFile(join(root, 'Dockerfile'), 'utf8');
const compose = async () =>
  parse(await readFile(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };

/** The script a `node … FILE` command line runs (the first argument ending in .js or .ts). */
function scriptOf(command: string): string | undefined {
  return command.split(/\s+/).find((word) => /\.(js|ts)$/.test(word));
}

describe('the image and the compose file', () => {
  it('pins the base image and runs node on the build, never a TypeScript loader', async () => {
    const text = await dockerfile();
    const bases = [...text.matchAll(/^ARG NODE_IMAGE=(\S+)$/gm)].map((m) => m[1]);
    expect(bases).toHaveLength(1);
    // An exact release (node:20.20.2-…) or a digest, never a moving tag such as node:20-….
    expect(bases[0]).toMatch(/^node:\d+\.\d+\.\d+[-\w]*(@sha256:[0-9a-f]{64})?$|@sha256:[0-9a-f]{64}$/);
    for (const from of text.matchAll(/^FROM (\S+)/gm)) expect(from[1]).toMatch(/^\$\{NODE_IMAGE\}$/);
    expect(text).not.toMatch(/\btsx\b/);
    const cmd = /^CMD (.+)$/m.exec(text)?.[1] ?? '';
    const scripts = [...cmd.matchAll(/node --conditions=built (\S+?\.js)/g)].map((m) => m[1]);
    expect(scripts).toEqual(['services/$SERVICE/dist/server.js', 'apps/platform/dist/server.js']);
    for (const service of ['ingest', 'query', 'sanctions', 'repair'])
      expect(existsSync(join(root, 'services', service, 'src/server.ts')), service).toBe(true);
    expect(existsSync(join(root, 'apps/platform/src/server.ts'))).toBe(true);
  });

  it('is valid and references only what exists', async () => {
    const { services } = await compose();
    const names = Object.keys(services);
    const known = new Set([...Object.keys(baseEnvironmentSchema.shape), 'SERVICE']);
    for (const [name, service] of Object.entries(services)) {
      expect(service.image ?? service.build, `${name} has an image or a build`).toBeDefined();
      const dependencies = Array.isArray(service.depends_on)
        ? service.depends_on
        : Object.keys(service.depends_on ?? {});
      for (const dependency of dependencies)
        expect(names, `${name} depends on ${dependency}`).toContain(dependency);
      if (!service.build) continue;
      // Services built from this repository: the Dockerfile exists, every variable they set is one
      // the platform reads, each SERVICE names a service, and each command runs a built script.
      const context = typeof service.build === 'string' ? service.build : (service.build.context ?? '.');
      expect(existsSync(join(root, context, 'Dockerfile')), `${name}'s Dockerfile`).toBe(true);
      if (context !== '.') {
        // The database images of the ha profile (docker/ha): PostgreSQL's own variables only.
        for (const variable of Object.keys(service.environment ?? {}))
          expect(['PGDATA', 'PGPORT'], `${name} sets ${variable}`).toContain(variable);
        continue;
      }
      for (const variable of Object.keys(service.environment ?? {}))
        expect(known.has(variable), `${name} sets ${variable}, which nothing reads`).toBe(true);
      const selected = service.environment?.SERVICE;
      if (selected)
        expect(existsSync(join(root, 'services', selected, 'src/server.ts')), selected).toBe(true);
      if (service.command) {
        const line = Array.isArray(service.command) ? service.command.join(' ') : service.command;
        expect(line, `${name} runs node on the build`).toMatch(/^node --conditions=built /);
        const script = scriptOf(line) ?? '';
        expect(script, `${name} runs a built script`).toMatch(/\/dist\/.+\.js$/);
        const source = script.replace('/dist/', '/src/').replace(/\.js$/, '.ts');
        expect(existsSync(join(root, source)), `${name}: ${script} is built from ${source}`).toBe(true);
      }
    }
  });

  it('installs no test tooling as a production dependency', async () => {
    const { stdout } = await run('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
      cwd: root,
      maxBuffer: 16 * 1024 * 1024,
    });
    const installed = new Set(stdout.split('\n').map((path) => path.split('node_modules/').at(-1)));
    expect(testTooling.filter((name) => installed.has(name))).toEqual([]);
    expect(installed.has('fastify')).toBe(true);
  });
});

describe('the built server', () => {
  let server: ChildProcess | undefined;
  let dataDir: string;
  let dropDatabase: (() => Promise<void>) | undefined;
  let baseUrl = '';
  let databaseUrl: string | undefined;
  const output: string[] = [];

  /** Node without any loader or inherited options, resolving packages to their builds. */
  const builtEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    ...extra,
  });

  beforeAll(async () => {
    const database = await provisionDatabase();
    dropDatabase = database.drop;
    if (database.target.kind !== 'postgres') return;
    databaseUrl = database.target.url;
    // The build is made once per run, as the image's build stage makes it.
    await run('npm', ['run', '--silent', 'build'], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    dataDir = await mkdtemp(join(tmpdir(), 'credit-built-'));
    // The image has no TypeScript loader: here one is installed, so any attempt to load
    // TypeScript or tsx (a worker thread's entry, a dynamic import) is made to fail as it would there.
    await writeFile(
      join(dataDir, 'no-typescript-hooks.mjs'),
      `export async function resolve(specifier, context, next) {
        if (/\\.ts$|^tsx(\\/|$)|\\/node_modules\\/tsx\\//.test(specifier))
          throw new Error('TypeScript at runtime: ' + specifier);
        return next(specifier, context);
      }\n`,
    );
    await writeFile(
      join(dataDir, 'no-typescript.mjs'),
      "import { register } from 'node:module';\nregister('./no-typescript-hooks.mjs', import.meta.url);\n",
    );
    const noTypeScript = `--import=${pathToFileURL(join(dataDir, 'no-typescript.mjs')).href}`;
    const env = builtEnv({
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: '0',
      WORKER_THREADS: '1',
      LOG_LEVEL: 'info',
    });
    // The compose file's migration job, then the server, each as the image runs them.
    const migrated = await run(
      process.execPath,
      ['--conditions=built', 'apps/platform/dist/cli/migrate.js'],
      {
        cwd: root,
        env,
      },
    );
    expect(migrated.stdout).toMatch(/up to date|applied/);
    server = spawn(process.execPath, [noTypeScript, '--conditions=built', 'apps/platform/dist/server.js'], {
      cwd: root,
      env,
    });
    server.stdout?.on('data', (chunk) => output.push(String(chunk)));
    server.stderr?.on('data', (chunk) => output.push(String(chunk)));
    const deadline = Date.now() + 90_000;
    while (!baseUrl) {
      baseUrl = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output.join(''))?.[1] ?? '';
      if (server.exitCode !== null || Date.now() > deadline)
        throw new Error(`the built server did not start:\n${output.join('')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 300_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server?.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    captureChildLogs(output.join(''));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    await dropDatabase?.();
  }, 60_000);

  it('starts against the database, answers /ready, and takes a batch on its intake threads', async (context) => {
    if (!databaseUrl)
      return context.skip('needs PostgreSQL: a second process cannot open the in-memory database');
    const ready = await fetch(`${baseUrl}/ready`);
    expect(ready.status, await ready.clone().text()).toBe(200);

    const issuer = await openDevIssuer(dataDir);
    const admin = await issuer.sign({ roles: ['admin'], org: 'credit-office' });
    const call = (method: string, path: string, token: string, body: unknown) =>
      fetch(`${baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const registered = await call('POST', '/v1/providers', admin, {
      code: 'dept-built',
      name: '市场监管局',
      categories: ['administrative_penalty'],
    });
    expect(registered.status, await registered.clone().text()).toBe(201);
    const provider = await issuer.sign({ roles: ['provider'], org: 'dept-built' });
    const entry = findEntry('administrative_penalty');
    const batch = Array.from({ length: 3 }, () => ({
      sourceId: sourceId('BUILT'),
      category: 'administrative_penalty',
      subject: { kind: 'legal_person', id: uscc(), name: '淄博某构建测试有限公司' },
      occurredAt: '2026-01-10',
      data: entry?.sample,
    }));
    const pushed = await call('POST', '/v1/records/batch', provider, batch);
    expect(pushed.status, await pushed.clone().text()).toBe(200);
    expect(await pushed.json()).toMatchObject({ created: 3, refused: 0 });
  });
});
