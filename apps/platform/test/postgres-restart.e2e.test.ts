import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DatabaseHandle, openDatabase } from '@credit/db';
import { findEntry } from '@credit/schema';
import { conformingFetch, uscc } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  devTokens,
  registerLicenceProvider,
  type ServerProcess,
  startServer,
} from './support/server-process.ts';
import { postgresBinariesPresent, startCluster, type ThrowawayCluster } from './support/throwaway-cluster.ts';

// Every answer these tests receive over the socket is checked against docs/openapi.json.
const fetch = conformingFetch();

/**
 * PostgreSQL restarted under load: the all-in-one server on a cluster of the test's own, writers
 * and readers running throughout, the cluster stopped (fast), left down, and started again.
 * While it is down every answer is a prompt 503 problem with Retry-After (GraphQL: 200 by its
 * convention, its error coded `database_unavailable`, with Retry-After); once it is back the
 * platform serves again within 5 seconds; every write that was acknowledged is still there.
 */
const present = postgresBinariesPresent();
if (!present)
  console.log('postgres-restart: skipped, no PostgreSQL binaries (initdb, pg_ctl) on this machine');

const outageMs = 2500;
const requestTimeoutMs = 8000;
const recoveryLimitMs = 5000;

let cluster: ThrowawayCluster | undefined;
let server: ServerProcess | undefined;
let dataDir: string | undefined;
let db: DatabaseHandle | undefined;
let providerToken: string;
let governmentToken: string;
const providerCode = `restart-${Math.random().toString(36).slice(2, 8)}`;
const licenceData = findEntry('org_licence')?.sample;

beforeAll(async () => {
  if (!present) return;
  cluster = await startCluster();
  dataDir = await mkdtemp(join(tmpdir(), 'credit-pgrestart-'));
  const token = await devTokens(dataDir);
  server = await startServer({ DATABASE_URL: cluster.url, DATA_DIR: dataDir });
  providerToken = await registerLicenceProvider(server, token, providerCode);
  // A registered department, whose reads the query service admits (and logs).
  const department = await fetch(`${server.baseUrl}/v1/departments`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await token('admin', 'credit-office')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      code: 'restart-licensing',
      name: '行政审批服务局',
      remit: ['dishonesty', 'good_credit', 'org_basic'],
    }),
  });
  if (!department.ok) throw new Error(`department: ${department.status} ${await department.text()}`);
  governmentToken = await token('government', 'restart-licensing');
}, 90_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  await db?.close().catch(() => undefined);
  await cluster?.destroy();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

interface Sample {
  kind: 'write' | 'read' | 'graphql' | 'ready';
  startedAt: number;
  endedAt: number;
  /** The HTTP status, or what went wrong instead of an answer. */
  status: number | 'timeout' | 'network';
  problemJson: boolean;
  retryAfter: string | null;
  code: string | undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A problem's code, or for a GraphQL answer the code of its first error (undefined when it has none). */
function codeOf(body: unknown): string | undefined {
  const answer = body as { code?: string; errors?: { extensions?: { code?: string } }[] } | null;
  return answer?.code ?? answer?.errors?.[0]?.extensions?.code;
}

async function timed(kind: Sample['kind'], url: string, init: RequestInit = {}): Promise<[Sample, unknown]> {
  const startedAt = Date.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(requestTimeoutMs) });
    const type = response.headers.get('content-type') ?? '';
    const body: unknown = type.includes('json') ? await response.json() : await response.text();
    return [
      {
        kind,
        startedAt,
        endedAt: Date.now(),
        status: response.status,
        problemJson: type.startsWith('application/problem+json'),
        retryAfter: response.headers.get('retry-after'),
        code: codeOf(body),
      },
      body,
    ];
  } catch (error) {
    const status = (error as Error).name === 'TimeoutError' ? 'timeout' : 'network';
    return [
      { kind, startedAt, endedAt: Date.now(), status, problemJson: false, retryAfter: null, code: undefined },
      undefined,
    ];
  }
}

/** Writers, readers and a readiness probe, each in a loop until `running` turns false. */
function startLoad(baseUrl: string) {
  const samples: Sample[] = [];
  const acknowledged: { sourceId: string; id: string; uscc: string; at: number }[] = [];
  let running = true;
  let sequence = 0;
  const auth = { authorization: `Bearer ${providerToken}` };

  const writer = async () => {
    while (running) {
      const sourceId = `PGR-${providerCode}-${sequence++}`;
      const subjectId = uscc();
      const [sample, body] = await timed('write', `${baseUrl}/v1/records`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({
          sourceId,
          category: 'org_licence',
          subject: { kind: 'legal_person', id: subjectId, name: '淄博某陶瓷有限公司' },
          occurredAt: '2025-10-20',
          data: licenceData,
        }),
      });
      samples.push(sample);
      if (sample.status === 201)
        acknowledged.push({ sourceId, id: (body as { id: string }).id, uscc: subjectId, at: Date.now() });
      // A client told to come back later does so, though sooner than Retry-After, to time the recovery.
      await sleep(sample.status === 201 ? 20 : 100);
    }
  };
  const reader = async () => {
    while (running) {
      const known = acknowledged[Math.floor(Math.random() * acknowledged.length)];
      const url = known
        ? `${baseUrl}/v1/records/by-source/${encodeURIComponent(known.sourceId)}`
        : `${baseUrl}/v1/providers/${providerCode}/statistics`;
      const [sample] = await timed('read', url, { headers: auth });
      samples.push(sample);
      await sleep(sample.status === 200 ? 20 : 100);
    }
  };
  // A government caller reading a subject through GraphQL (the subject's file, then its records).
  // It reads subjects the query service has already shown it: how soon a new write is projected
  // depends on the machine's load, and is not what this test is about.
  const shown: string[] = [];
  const graphql = async () => {
    while (running) {
      const settled = acknowledged.filter((a) => a.at < Date.now() - 2000 && !shown.includes(a.uscc));
      const fresh = shown.length === 0 || Math.random() < 0.2;
      const subject = fresh
        ? settled[Math.floor(Math.random() * settled.length)]?.uscc
        : shown[Math.floor(Math.random() * shown.length)];
      if (!subject) {
        await sleep(50);
        continue;
      }
      const [sample] = await timed('graphql', `${baseUrl}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${governmentToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          query:
            'query ($id: ID!) { subject(id: $id, purpose: "licence review") { kind records { totalCount } } }',
          variables: { id: subject },
        }),
      });
      if (fresh && sample.code === 'not_found') {
        // Not projected yet: try another.
        await sleep(100);
        continue;
      }
      if (fresh && sample.code === undefined && sample.status === 200) shown.push(subject);
      samples.push(sample);
      await sleep(sample.code === undefined ? 20 : 100);
    }
  };
  const probe = async () => {
    while (running) {
      const [sample] = await timed('ready', `${baseUrl}/ready`);
      samples.push(sample);
      await sleep(100);
    }
  };
  const loops = [writer(), writer(), writer(), reader(), reader(), graphql(), probe()];
  return {
    samples,
    acknowledged,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** An answer with data: a 2xx, and for GraphQL one without errors. */
function succeeded(s: Sample): boolean {
  return typeof s.status === 'number' && s.status < 300 && (s.kind !== 'graphql' || s.code === undefined);
}

/** When, after `from`, a request of this kind that started after `from` first succeeded. */
function firstSuccessAfter(samples: Sample[], kind: Sample['kind'], from: number): number | undefined {
  const ends = samples
    .filter((s) => s.kind === kind && s.startedAt >= from && succeeded(s))
    .map((s) => s.endedAt);
  return ends.length > 0 ? Math.min(...ends) - from : undefined;
}

function tally(samples: Sample[]): string {
  const counts = new Map<string, number>();
  for (const s of samples) counts.set(String(s.status), (counts.get(String(s.status)) ?? 0) + 1);
  return [...counts.entries()].map(([status, n]) => `${n}×${status}`).join(', ');
}

describe.skipIf(!present)('PostgreSQL restarted under load', () => {
  it('answers 503 with Retry-After while down, recovers within 5 s, and loses no acknowledged write', async () => {
    const live = server as ServerProcess;
    const pg = cluster as ThrowawayCluster;
    const load = startLoad(live.baseUrl);
    // Long enough for GraphQL readers to have settled subjects to read before the stop.
    await sleep(3000);
    const acknowledgedBefore = load.acknowledged.length;

    const stopping = Date.now();
    await pg.stop();
    const downAt = Date.now();
    await sleep(outageMs);
    const restarting = Date.now();
    await pg.start();
    const upAt = Date.now();

    // Keep the load on until both writes and readiness are back, and a little longer.
    const deadline = upAt + 15_000;
    while (
      (firstSuccessAfter(load.samples, 'write', upAt) === undefined ||
        firstSuccessAfter(load.samples, 'ready', upAt) === undefined) &&
      Date.now() < deadline
    ) {
      await sleep(50);
    }
    await sleep(1000);
    await load.stop();

    const outage = load.samples.filter((s) => s.startedAt >= downAt && s.endedAt <= restarting);
    const outageServices = outage.filter((s) => s.kind === 'write' || s.kind === 'read');
    const outageGraphql = outage.filter((s) => s.kind === 'graphql');
    const outageReady = outage.filter((s) => s.kind === 'ready');
    expect(outageServices.length).toBeGreaterThan(0);
    expect(outageGraphql.length).toBeGreaterThan(0);
    expect(outageReady.length).toBeGreaterThan(0);
    // GraphQL answers 200 by its convention, with the error coded as REST codes it, and Retry-After.
    for (const s of outageGraphql) {
      expect(s).toMatchObject({ status: 200, code: 'database_unavailable' });
      expect(Number(s.retryAfter)).toBeGreaterThan(0);
      expect(s.endedAt - s.startedAt).toBeLessThan(2000);
    }
    // While down: prompt 503 problem documents with Retry-After, never a 500 or a hang.
    for (const s of outageServices) {
      expect(s).toMatchObject({ status: 503, problemJson: true, code: 'database_unavailable' });
      expect(Number(s.retryAfter)).toBeGreaterThan(0);
      expect(s.endedAt - s.startedAt).toBeLessThan(2000);
    }
    for (const s of outageReady) expect(s).toMatchObject({ status: 503, retryAfter: expect.any(String) });
    // Around the stop and start too: a request either succeeds or is refused as unavailable.
    const unexpected = load.samples.filter(
      (s) =>
        !(
          typeof s.status === 'number' &&
          (s.status < 300 || (s.status === 503 && s.retryAfter)) &&
          (s.kind !== 'graphql' ||
            s.code === undefined ||
            (s.code === 'database_unavailable' && s.retryAfter))
        ),
    );
    expect(unexpected).toEqual([]);

    const writeRecoveryMs = firstSuccessAfter(load.samples, 'write', upAt);
    const readRecoveryMs = firstSuccessAfter(load.samples, 'read', upAt);
    const readyRecoveryMs = firstSuccessAfter(load.samples, 'ready', upAt);
    const graphqlRecoveryMs = firstSuccessAfter(load.samples, 'graphql', upAt);
    expect(writeRecoveryMs).toBeLessThanOrEqual(recoveryLimitMs);
    expect(readRecoveryMs).toBeLessThanOrEqual(recoveryLimitMs);
    expect(graphqlRecoveryMs).toBeLessThanOrEqual(recoveryLimitMs);
    expect(readyRecoveryMs).toBeLessThanOrEqual(recoveryLimitMs);
    expect(live.alive()).toBe(true);
    expect(load.acknowledged.length).toBeGreaterThan(acknowledgedBefore);

    // Every acknowledged write is in the database, and reads back through the API.
    db = await openDatabase({ kind: 'postgres', url: pg.url, poolSize: 2, applicationName: 'restart-test' });
    const stored = await db.query<{ source_id: string }>(
      'SELECT source_id FROM ingest.records WHERE provider_code = $1',
      [providerCode],
    );
    const storedIds = new Set(stored.map((row) => row.source_id));
    const lost = load.acknowledged.filter((a) => !storedIds.has(a.sourceId));
    expect(lost).toEqual([]);
    for (const { sourceId, id } of load.acknowledged.filter(
      (_, i, all) => i % 10 === 0 || i === all.length - 1,
    )) {
      const view = await fetch(`${live.baseUrl}/v1/records/by-source/${encodeURIComponent(sourceId)}`, {
        headers: { authorization: `Bearer ${providerToken}` },
      });
      expect(view.status).toBe(200);
      expect(await view.json()).toMatchObject({ id, chainValid: true });
    }
    // The event consumers lived through it: the last write reaches the query service's read model.
    const last = load.acknowledged.at(-1);
    const followedAt = Date.now();
    let published = 0;
    while (published !== 200 && Date.now() - followedAt < recoveryLimitMs) {
      published = (await fetch(`${live.baseUrl}/v1/public/subjects/${last?.uscc}`)).status;
      if (published !== 200) await sleep(200);
    }
    expect(published).toBe(200);
    const ready = await fetch(`${live.baseUrl}/ready`);
    expect(ready.status).toBe(200);
    expect(live.output()).not.toContain('unhandled failure');

    const during = (kind: Sample['kind']) => tally(outage.filter((s) => s.kind === kind));
    console.log(
      `postgres-restart: stopped in ${downAt - stopping} ms, down ${restarting - downAt} ms, started in ${upAt - restarting} ms; during the outage writes ${during('write')}, reads ${during('read')}, /ready ${during('ready')} (all problem+json with Retry-After), GraphQL ${outageGraphql.length}×database_unavailable with Retry-After (slowest ${Math.max(...outage.map((s) => s.endedAt - s.startedAt))} ms); recovered writes in ${writeRecoveryMs} ms, reads in ${readRecoveryMs} ms, GraphQL in ${graphqlRecoveryMs} ms, /ready in ${readyRecoveryMs} ms; ${load.acknowledged.length} acknowledged writes checked, ${lost.length} lost; ${load.samples.length} requests in all: ${tally(load.samples)}`,
    );
  }, 60_000);
});
