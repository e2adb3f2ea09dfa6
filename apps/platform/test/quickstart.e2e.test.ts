import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createCreditClient } from '@credit/client';
import { captureChildLogs, citizenId, conformingFetch, uscc } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './support/free-port.ts';

// Every answer these tests receive over the socket is checked against docs/openapi.json.
const fetch = conformingFetch();

/**
 * The quick start from a newcomer's point of view: `npm start` with nothing configured (embedded
 * database under a fresh DATA_DIR, development issuer), `npm run token` for a token, and a record
 * pushed over a real socket.
 */
const root = resolve(import.meta.dirname, '../../..');
const run = promisify(execFile);
let server: ChildProcess;
let dataDir: string;
let baseUrl: string;
const output: string[] = [];

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
  return env;
}

async function token(args: string[]): Promise<string> {
  const { stdout } = await run('npm', ['run', '--silent', 'token', '--', ...args], {
    cwd: root,
    env: cleanEnv({ DATA_DIR: dataDir }),
  });
  return stdout.trim();
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'credit-quickstart-'));
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  server = spawn('npm', ['start'], {
    cwd: root,
    env: cleanEnv({ DATA_DIR: dataDir, PORT: String(port) }),
    detached: true,
  });
  server.stdout?.on('data', (chunk) => output.push(String(chunk)));
  server.stderr?.on('data', (chunk) => output.push(String(chunk)));
  // First start loads the demo before opening the port.
  const deadline = Date.now() + 150_000;
  for (;;) {
    try {
      const health = await fetch(`${baseUrl}/health`);
      if (health.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the server did not start:\n${output.join('')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}, 180_000);

afterAll(async () => {
  if (server?.pid) {
    process.kill(-server.pid, 'SIGTERM');
    await new Promise((r) => server.once('exit', r));
    // npm exits before the node process under it has closed its embedded database: wait for
    // the whole process group to be gone before removing the data directory.
    for (let waited = 0; waited < 15_000; waited += 100) {
      try {
        process.kill(-server.pid, 0);
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  // The server's log lines join the suite's log scan (the demo's generated names and numbers included).
  captureChildLogs(output.join(''));
  if (dataDir) await rm(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

/** The server's log entries at level error or above (pino JSON lines), as `message (field=value…)`. */
function errorsLogged(): string[] {
  return output
    .join('')
    .split('\n')
    .flatMap((line) => {
      if (!line.startsWith('{')) return [];
      const entry = JSON.parse(line) as { level: number; msg: string; errorName?: string; consumer?: string };
      return entry.level >= 50 ? [`${entry.msg} (${entry.consumer ?? ''} ${entry.errorName ?? ''})`] : [];
    });
}

describe('quick start', () => {
  it('loaded the demo on first start, and every example call it printed succeeds', async () => {
    const { examples } = JSON.parse(await readFile(join(dataDir, 'demo', 'examples.json'), 'utf8')) as {
      examples: {
        title: string;
        method: string;
        path: string;
        headers: Record<string, string>;
        body?: unknown;
      }[];
    };
    expect(examples.length).toBeGreaterThanOrEqual(10);
    expect(output.join('')).toContain('Demo loaded');
    // Nothing failed on the way: the embedded database once aborted in a consumer's commit on
    // every large demo batch, retried until it passed, and the start still looked fine.
    expect(errorsLogged()).toEqual([]);
    for (const example of examples) {
      const response = await fetch(`${baseUrl}${example.path}`, {
        method: example.method,
        headers: example.headers,
        ...(example.body === undefined ? {} : { body: JSON.stringify(example.body) }),
      });
      expect(response.status, `${example.title}: ${await response.clone().text()}`).toBe(200);
    }
  });

  it('serves health, the OpenAPI document and the catalogue', async () => {
    expect(await (await fetch(`${baseUrl}/health`)).json()).toMatchObject({
      status: 'ok',
      services: expect.arrayContaining(['ingest']),
    });
    const openapi = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as { openapi: string };
    expect(openapi.openapi).toBe('3.1.0');
    expect((await fetch(`${baseUrl}/v1/catalogue`)).status).toBe(200);
  });

  it('registers a provider and pushes a record over a real socket with tokens from npm run token', async () => {
    // Through the typed client, as the README shows an integrator: what compiles is what the
    // document promises, and the conforming fetch checks every answer against it.
    const office = createCreditClient({
      baseUrl,
      token: await token(['--role', 'admin', '--org', 'credit-office']),
      fetch,
    });
    const registered = await office.POST('/v1/providers', {
      body: { code: 'e2e-court', name: '淄博市中级人民法院', categories: ['dishonest_judgement_debtor'] },
    });
    expect(registered.response.status).toBe(201);

    const provider = createCreditClient({
      baseUrl,
      token: await token(['--role', 'provider', '--org', 'e2e-court']),
      fetch,
    });
    const record = {
      sourceId: 'ZX-2025-0001',
      category: 'dishonest_judgement_debtor',
      subject: { kind: 'legal_person' as const, id: uscc(), name: '淄博某建材有限公司' },
      occurredAt: '2025-09-01',
      data: {
        caseNumber: '（2025）鲁03执100号',
        court: '淄博市中级人民法院',
        basisDocument: '（2024）鲁03民初9号',
        obligation: '支付货款',
        dishonestBehaviour: 'refusing_to_perform_with_ability',
        amount: 120000,
        publishedOn: '2025-09-01',
      },
      relatedPersons: [{ role: 'legal_representative' as const, id: citizenId(), name: '韩梅' }],
    };
    const pushed = await provider.POST('/v1/records', { body: record });
    expect(pushed.response.status).toBe(201);
    const receipt = pushed.data;
    expect(receipt).toMatchObject({
      id: expect.stringMatching(/^rec_/),
      version: 1,
      linkedRecords: [{ role: 'legal_representative' }],
    });

    const again = await provider.POST('/v1/records', { body: record });
    expect(again.response.status).toBe(200);
    expect(again.data?.id).toBe(receipt?.id);
    // The query service's read model follows the ingest feed: the pushed record reaches the
    // representative's own report (a linked record) within one second.
    const representative = record.relatedPersons[0]?.id as string;
    const subjectToken = await token(['--role', 'subject', '--subject', representative]);
    const second = {
      ...record,
      sourceId: 'ZX-2025-0002',
      data: { ...record.data, caseNumber: '（2025）鲁03执101号' },
    };
    const started = Date.now();
    const pushedAgain = await provider.POST('/v1/records', { body: second });
    const linkedId = pushedAgain.data?.linkedRecords?.[0]?.id;
    const reader = createCreditClient({ baseUrl, token: subjectToken, fetch });
    let lag = Number.POSITIVE_INFINITY;
    while (Date.now() - started < 5000) {
      const { data } = await reader.GET('/v1/subjects/{id}/report', {
        params: { path: { id: representative } },
      });
      // The route also answers a PDF; this request takes the default, JSON.
      const items = typeof data === 'object' ? data.report.items : [];
      if (items.some((item) => item.recordId === linkedId)) {
        lag = Date.now() - started;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    console.log(`push-to-report lag on the all-in-one server: ${lag} ms`);
    expect(lag).toBeLessThan(1000);

    // Logs name routes, never the identifiers in bodies.
    expect(output.join('')).not.toContain(record.subject.id);
    expect(output.join('')).not.toContain(representative);
  });
});
