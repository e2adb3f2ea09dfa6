import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DatabaseHandle, openDatabase, openReplicaSet } from '@credit/db';
import { findEntry } from '@credit/schema';
import { conformingFetch, eventually, uscc } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  devTokens,
  registerLicenceProvider,
  type ServerProcess,
  startServer,
} from './support/server-process.ts';
import {
  postgresBinariesPresent,
  startCluster,
  startReplica,
  type ThrowawayCluster,
} from './support/throwaway-cluster.ts';

// Every answer these tests receive over the socket is checked against docs/openapi.json.
const fetch = conformingFetch();

/**
 * Reads on a streaming replica: the all-in-one server on a primary and a hot standby of the
 * test's own (initdb, pg_basebackup -R), DATABASE_REPLICA_URLS naming the standby. Public
 * disclosure, search and listing status are read there (the standby's own statistics show it);
 * a write's Consistency-Token makes a later read see it even while the standby has stopped
 * replaying; a token not issued here is refused; a stopped standby changes nothing for callers;
 * and a "replica" that is a primary is refused at start, by name.
 */
const present = postgresBinariesPresent();
if (!present) console.log('replica-reads: skipped, no PostgreSQL binaries (initdb, pg_basebackup) here');

let primary: ThrowawayCluster | undefined;
let replica: ThrowawayCluster | undefined;
let server: ServerProcess | undefined;
let dataDir: string | undefined;
let onPrimary: DatabaseHandle | undefined;
let onReplica: DatabaseHandle | undefined;
let providerToken: string;
let platformToken: string;
const providerCode = `replica-${Math.random().toString(36).slice(2, 8)}`;
const licenceData = findEntry('org_licence')?.sample;
let sequence = 0;

beforeAll(async () => {
  if (!present) return;
  primary = await startCluster();
  replica = await startReplica(primary);
  dataDir = await mkdtemp(join(tmpdir(), 'credit-replica-'));
  const token = await devTokens(dataDir);
  server = await startServer({
    DATABASE_URL: primary.url,
    DATABASE_REPLICA_URLS: replica.url,
    // A standby paused on purpose below must stay eligible: its lag is what the token covers.
    REPLICA_MAX_LAG_MS: '600000',
    REPLICA_WAIT_MS: '300',
    DATA_DIR: dataDir,
  });
  providerToken = await registerLicenceProvider(server, token, providerCode);
  platformToken = await token('platform', 'replica-mall');
  onPrimary = await openDatabase({ kind: 'postgres', url: primary.url, poolSize: 1 });
  onReplica = await openDatabase({ kind: 'postgres', url: replica.url, poolSize: 1 });
}, 120_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  await onPrimary?.close().catch(() => undefined);
  await onReplica?.close().catch(() => undefined);
  await replica?.destroy();
  await primary?.destroy();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const base = () => (server as ServerProcess).baseUrl;

/** Pushes a licence for a new organisation; answers its code and the write's consistency token. */
async function pushLicence(): Promise<{ id: string; token: string }> {
  const id = uscc();
  const response = await fetch(`${base()}/v1/records`, {
    method: 'POST',
    headers: { authorization: `Bearer ${providerToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      sourceId: `RPL-${providerCode}-${sequence++}`,
      category: 'org_licence',
      subject: { kind: 'legal_person', id, name: '淄博某陶瓷有限公司' },
      occurredAt: '2025-10-20',
      data: licenceData,
    }),
  });
  expect(response.status).toBe(201);
  const token = response.headers.get('consistency-token');
  expect(token).toMatch(/^\d+-[0-9a-f]{16}$/);
  return { id, token: token as string };
}

function disclosure(id: string, consistencyToken?: string) {
  return fetch(`${base()}/v1/public/subjects/${id}`, {
    headers: consistencyToken ? { 'consistency-token': consistencyToken } : {},
  });
}

/** Index and sequential scans of the query service's records the standby itself has served. */
async function recordScansOnReplica(): Promise<number> {
  const [row] = await (onReplica as DatabaseHandle).query<{ scans: string }>(
    `SELECT (coalesce(sum(idx_scan), 0) + coalesce(sum(seq_scan), 0))::text AS scans
       FROM pg_stat_user_tables WHERE schemaname = 'query' AND relname = 'records'`,
  );
  return Number(row?.scans ?? 0);
}

async function servedBy(): Promise<Record<string, number>> {
  const text = await (await globalThis.fetch(`${base()}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^database_lag_tolerant_reads_total\{served_by="([^"]+)"\} (\d+)/gm))
    counts[match[1] as string] = Number(match[2]);
  return counts;
}

describe.skipIf(!present)('reads on a streaming replica', () => {
  it('serves public disclosure, search and listing status from the replica', async () => {
    const { id } = await pushLicence();
    const before = await recordScansOnReplica();
    const shown = await eventually(
      async () => (await disclosure(id)).status,
      (status) => status === 200,
    );
    expect(shown).toBe(200);
    const listing = await fetch(`${base()}/v1/listing-status/${id}`, {
      headers: { authorization: `Bearer ${platformToken}` },
    });
    expect(listing.status).toBe(200);
    expect((await fetch(`${base()}/v1/public/search?q=${encodeURIComponent('淄博某陶瓷')}`)).status).toBe(
      200,
    );
    // The standby counts what it served; its statistics reach the view within a second or so.
    const after = await eventually(recordScansOnReplica, (scans) => scans > before);
    expect(after).toBeGreaterThan(before);
    const counts = await servedBy();
    expect(
      counts[new URL((replica as ThrowawayCluster).url).host.concat('/postgres')],
    ).toBeGreaterThanOrEqual(3);
    expect(counts.primary ?? 0).toBe(0);
  });

  it('lets a read that presents a write’s token see it while the replica has stopped replaying', async () => {
    await (onReplica as DatabaseHandle).query('SELECT pg_wal_replay_pause()');
    try {
      const subjectsOnPrimary = async () =>
        Number(
          (
            await (onPrimary as DatabaseHandle).query<{ n: string }>(
              'SELECT count(*)::text AS n FROM query.subjects',
            )
          )[0]?.n,
        );
      const before = await subjectsOnPrimary();
      const { id } = await pushLicence();
      // The query service projects the record on the primary; the paused standby does not have it.
      expect(await eventually(subjectsOnPrimary, (n) => n > before)).toBeGreaterThan(before);
      // Without a token the standby answers, as it stood.
      expect((await disclosure(id)).status).toBe(404);
      // A later write's token covers everything committed before it, the projection included.
      const { token } = await pushLicence();
      const seen = await disclosure(id, token);
      expect(seen.status).toBe(200);
      expect((await servedBy()).primary).toBeGreaterThanOrEqual(1);
    } finally {
      await (onReplica as DatabaseHandle).query('SELECT pg_wal_replay_resume()');
    }
  });

  it('refuses a consistency token it did not issue, with a coded problem', async () => {
    const { id, token } = await pushLicence();
    const [sysid] = token.split('-') as [string, string];
    for (const bad of [
      'not-a-token',
      `${sysid}-zz00000000000000`,
      `1${sysid.slice(1)}9-0000000000000001`,
      `${sysid}-7fffffffffffffff`,
    ]) {
      const answer = await disclosure(id, bad);
      expect(answer.status, bad).toBe(400);
      const problem = (await answer.json()) as { code: string; errors: { path: string }[] };
      expect(problem.code).toBe('invalid_consistency_token');
      expect(problem.errors[0]?.path).toBe('header.consistency-token');
    }
  });

  it('goes on answering from the primary with the replica stopped, and /ready stays 200', async () => {
    const { id } = await pushLicence();
    await eventually(
      async () => (await disclosure(id)).status,
      (status) => status === 200,
    );
    await (replica as ThrowawayCluster).stop();
    try {
      const primaryBefore = (await servedBy()).primary ?? 0;
      // Within one probe the replica is marked down; until then a read may fail over by itself.
      const answers = await Promise.all([1, 2, 3].map(() => disclosure(id)));
      for (const answer of answers) expect([200]).toContain(answer.status);
      await new Promise((r) => setTimeout(r, 600));
      expect((await disclosure(id)).status).toBe(200);
      expect((await servedBy()).primary ?? 0).toBeGreaterThan(primaryBefore);
      expect((await globalThis.fetch(`${base()}/ready`)).status).toBe(200);
    } finally {
      await (replica as ThrowawayCluster).start();
    }
  });

  it('refuses at start a "replica" that is a primary, naming it', async () => {
    // What the server does at start (openRuntime), without starting another one.
    const cluster = primary as ThrowawayCluster;
    await expect(
      openReplicaSet(onPrimary as DatabaseHandle, { urls: [cluster.url], maxLagMs: 1000, waitMs: 0 }),
    ).rejects.toThrow(
      `DATABASE_REPLICA_URLS names ${new URL(cluster.url).host}/postgres, which is not a replica`,
    );
  });
});
