import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findEntry } from '@credit/schema';
import { captureChildLogs, conformingFetch, eventually, uscc } from '@credit/testing';
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
const root = resolve(import.meta.dirname, '../../..');

/**
 * A failover that loses no acknowledged write: a primary with a synchronous standby (so an
 * answered batch is on both machines), DATABASE_URL naming both servers as an HA group does,
 * batches pushed without pause, the primary SIGKILLed mid-batch (postmaster and backends, as a
 * dead machine) and the standby promoted (`pg_ctl promote`, what pg_auto_failover or Patroni do).
 * The platform finds the new primary by itself and goes on writing; while there is none it
 * answers 503 database_unavailable with Retry-After, never 500. Afterwards every acknowledged
 * record is on the new primary, resubmitting every batch duplicates nothing, and `npm run
 * verify` finds the store whole.
 */
const present = postgresBinariesPresent();
if (!present) console.log('failover: skipped, no PostgreSQL binaries (initdb, pg_basebackup) here');

let primary: ThrowawayCluster | undefined;
let standby: ThrowawayCluster | undefined;
let server: ServerProcess | undefined;
let dataDir: string;
let databaseUrl: string;
let providerToken: string;
const providerCode = `failover-${Math.random().toString(36).slice(2, 8)}`;
const licence = findEntry('org_licence')?.sample;

beforeAll(async () => {
  if (!present) return;
  primary = await startCluster();
  standby = await startReplica(primary);
  // Set after the base backup, so the standby does not inherit it and stall once promoted alone.
  await primary.sql("ALTER SYSTEM SET synchronous_standby_names = '*'");
  await primary.sql('SELECT pg_reload_conf()');
  const syncState = await eventually(
    () => (primary as ThrowawayCluster).sql('SELECT sync_state FROM pg_stat_replication'),
    (state) => state.trim() === 'sync',
  );
  expect(syncState.trim()).toBe('sync');
  const port = (cluster: ThrowawayCluster) => new URL(cluster.url).port;
  databaseUrl = `postgres://postgres@127.0.0.1:${port(primary)},127.0.0.1:${port(standby)}/postgres`;
  dataDir = await mkdtemp(join(tmpdir(), 'credit-failover-'));
  const token = await devTokens(dataDir);
  server = await startServer({ DATABASE_URL: databaseUrl, DATA_DIR: dataDir, WORKER_THREADS: '2' });
  providerToken = await registerLicenceProvider(server, token, providerCode);
}, 120_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  await standby?.destroy();
  await primary?.destroy();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

let sent = 0;
function newBatch(size: number): string[] {
  return Array.from({ length: size }, () =>
    JSON.stringify({
      sourceId: `FO-${providerCode}-${String(sent++).padStart(5, '0')}`,
      category: 'org_licence',
      subject: { kind: 'legal_person', id: uscc(), name: '淄博某陶瓷有限公司' },
      occurredAt: '2025-10-20',
      data: licence,
    }),
  );
}

interface Answer {
  status: number | 'network';
  retryAfter: string | null;
  code?: string;
  items?: { sourceId: string; status: number }[];
}

async function push(lines: string[]): Promise<Answer> {
  try {
    const response = await fetch(`${(server as ServerProcess).baseUrl}/v1/records/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${providerToken}`, 'content-type': 'application/x-ndjson' },
      body: lines.join('\n'),
      signal: AbortSignal.timeout(20_000),
    });
    const body = (await response.json()) as { code?: string; items?: Answer['items'] };
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      ...(body.code ? { code: body.code } : {}),
      ...(body.items ? { items: body.items } : {}),
    };
  } catch {
    return { status: 'network', retryAfter: null };
  }
}

function verify(): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'apps/platform/src/cli/verify.ts'],
      {
        cwd: root,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: databaseUrl, DATA_DIR: dataDir },
      },
      (error, stdout, stderr) => {
        captureChildLogs(`${stdout}${stderr}`);
        done({ code: error ? Number(error.code) : 0, output: `${stdout}${stderr}` });
      },
    );
  });
}

describe.skipIf(!present)('failover to a synchronous standby', () => {
  it('loses no acknowledged record, duplicates none, and answers 503 (never 500) while there is no primary', async () => {
    const acknowledged: string[][] = [];
    const unanswered: string[][] = [];
    const answers: Answer[] = [];
    let killedAt = 0;
    let firstWriteAfter = 0;
    let running = true;

    const writer = async () => {
      while (running) {
        const batch = newBatch(25);
        const answer = await push(batch);
        answers.push(answer);
        if (answer.status === 200 && answer.items?.every((item) => item.status === 201)) {
          acknowledged.push(batch);
          if (killedAt > 0 && firstWriteAfter === 0) firstWriteAfter = Date.now();
        } else {
          unanswered.push(batch);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };
    const writers = [writer(), writer()];
    await eventually(
      async () => acknowledged.length,
      (n) => n >= 4,
      30_000,
    );
    // The machine dies in the middle of the writers' batches; the HA manager promotes the standby.
    await (primary as ThrowawayCluster).kill();
    killedAt = Date.now();
    await (standby as ThrowawayCluster).promote();
    const before = acknowledged.length;
    await eventually(
      async () => acknowledged.length,
      (n) => n >= before + 4,
      60_000,
    );
    running = false;
    await Promise.all(writers);
    console.info(
      `failover: ${acknowledged.length} batches acknowledged, ${unanswered.length} not; first write ${firstWriteAfter - killedAt} ms after the primary died`,
    );

    expect(acknowledged.length).toBeGreaterThanOrEqual(before + 4);
    // No primary for a moment: an honest 503 with Retry-After, or the connection cut by the kill.
    for (const answer of answers.filter((a) => a.status !== 200)) {
      expect(answer.status === 'network' || answer.status === 503, JSON.stringify(answer)).toBe(true);
      if (answer.status === 503) {
        expect(answer.code).toBe('database_unavailable');
        expect(answer.retryAfter).toMatch(/^\d+$/);
      }
    }

    // Every batch again: what was acknowledged is there (200 unchanged), nothing is there twice,
    // and what was never acknowledged is written now or was already whole.
    for (const batch of acknowledged) {
      const again = await push(batch);
      expect(again.status).toBe(200);
      expect(again.items?.every((item) => item.status === 200)).toBe(true);
    }
    for (const batch of unanswered) {
      const again = await push(batch);
      expect(again.status).toBe(200);
      expect(again.items?.every((item) => item.status === 200 || item.status === 201)).toBe(true);
    }
    const rows = await (standby as ThrowawayCluster).sql(
      `SELECT count(*) || ' ' || count(DISTINCT source_id) FROM ingest.records WHERE provider_code = '${providerCode}'`,
    );
    expect(rows.trim()).toBe(`${sent} ${sent}`);

    const verified = await verify();
    expect(verified.code, verified.output).toBe(0);
  }, 180_000);
});
