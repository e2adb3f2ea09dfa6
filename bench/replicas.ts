/**
 * Past one machine (issue #25), measured on clusters of the bench's own (initdb, pg_basebackup -R,
 * pg_ctl promote: the machine's PostgreSQL binaries, its server untouched):
 *
 * 1. Lag-tolerant reads served by a streaming replica against the same reads on the primary, in
 *    alternating rounds of the same run: listing status, public disclosure and the listing change
 *    feed. On one 2-core machine the replica shares the cores, so this shows the overhead of the
 *    replica path (health probe, routing, a second pool), not the gain. Target ≥ 90 %.
 * 2. Read-your-writes: a write, then a read presenting its Consistency-Token, against the same read
 *    without one; p50 and p99 of the read.
 * 3. Failover: one writer pushing records one at a time to a platform whose DATABASE_URL names a
 *    primary and its synchronous standby; the primary SIGKILLed, the standby promoted at once (the
 *    HA manager's detection time is not the platform's); acknowledged records lost, duplicated on
 *    resubmission, and seconds from the death to the first accepted write.
 *
 * `npm run bench:replicas` (BENCH_SUBJECTS, BENCH_SECONDS, BENCH_ROUNDS). Writes its section of
 * bench/RESULTS.md.
 */
import { mkdir, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { generateKeyMaterial } from '@credit/crypto';
import { findEntry } from '@credit/schema';
import pg from 'pg';
import {
  postgresBinariesPresent,
  startCluster,
  startReplica,
  type ThrowawayCluster,
} from '../apps/platform/test/support/throwaway-cluster.ts';
import { type LoadResult, loadTest, percentiles, type Timings } from './measure.ts';
import { refuseArguments, startScript, stop, waitForHttp } from './processes.ts';
import { machineDescription, writeResultsSection } from './results.ts';
import { loadMeasures, loadWorld, worldCategories, worldProvider, worldSubject } from './world.ts';
import { benchPlatformEnvironment, prepareWorldDatabase } from './world-database.ts';

const subjectCount = Number(process.env.BENCH_SUBJECTS ?? 20_000);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const roundCount = Number(process.env.BENCH_ROUNDS ?? 3);
const port = process.env.BENCH_PORT ?? '3961';
const base = `http://127.0.0.1:${port}`;
const resultsPath = join(import.meta.dirname, 'RESULTS.md');

type Route = 'listing' | 'disclosure' | 'changes';

function environment(url: string, dataDir: string, material: ReturnType<typeof generateKeyMaterial>) {
  return {
    ...benchPlatformEnvironment({ url, dataDir, port, material }),
    RATE_LIMIT_PUBLIC_PER_MINUTE: '1000000000',
    RATE_LIMIT_CHECKS_PER_MINUTE: '1000000000',
    RATE_LIMIT_LISTING_PER_MINUTE: '1000000000',
  };
}

/** Waits until the replica has replayed everything the primary has written so far. */
async function caughtUp(primary: ThrowawayCluster, replica: ThrowawayCluster): Promise<void> {
  const target = (await primary.sql('SELECT pg_current_wal_lsn()')).trim();
  for (let i = 0; i < 600; i++) {
    const done = (await replica.sql(`SELECT pg_last_wal_replay_lsn() >= '${target}'::pg_lsn`)).trim();
    if (done === 't') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the replica did not catch up within a minute');
}

async function replicaReads(): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  // served_by names the replica that served (its host, port and database), or "primary".
  return text
    .split('\n')
    .filter((l) => l.startsWith('database_lag_tolerant_reads_total{') && !l.includes('served_by="primary"'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1) ?? 0), 0);
}

function sampleRecord(subject: { id: string; name: string }, n: number) {
  const category = worldCategories.find((code) => {
    const entry = findEntry(code);
    return entry?.subjectKinds.includes('legal_person') && entry.publicity === 'public';
  });
  const entry = category ? findEntry(category) : undefined;
  if (!category || !entry) throw new Error('no catalogue entry for the bench’s writes');
  return {
    sourceId: `BENCH-RYW-${Date.now().toString(36)}-${n}`,
    category,
    subject: { kind: 'legal_person', id: subject.id, name: subject.name },
    occurredAt: new Date().toISOString().slice(0, 10),
    data: { ...entry.sample },
  };
}

interface ReadRounds {
  ratios: Record<Route, number[]>;
  primary: Record<Route, LoadResult[]>;
  replica: Record<Route, LoadResult[]>;
  replicaServed: number;
}

async function readRounds(
  env: Record<string, string>,
  replicaUrl: string,
  workDir: string,
  tokens: { platform: string },
  ids: { all: string[]; organisations: string[] },
): Promise<ReadRounds> {
  const routes: Record<Route, { variants: string[]; token?: string }> = {
    listing: { variants: ids.all.map((id) => `/v1/listing-status/${id}`), token: tokens.platform },
    disclosure: { variants: ids.organisations.map((id) => `/v1/public/subjects/${id}`) },
    changes: { variants: ['/v1/listing-changes?limit=100'], token: tokens.platform },
  };
  const names = Object.keys(routes) as Route[];
  const empty = () => ({ listing: [], disclosure: [], changes: [] }) as Record<Route, LoadResult[]>;
  const result: ReadRounds = {
    ratios: { listing: [], disclosure: [], changes: [] },
    primary: empty(),
    replica: empty(),
    replicaServed: 0,
  };
  for (let round = 0; round < roundCount; round++) {
    const order = round % 2 === 0 ? (['primary', 'replica'] as const) : (['replica', 'primary'] as const);
    const rps: Record<'primary' | 'replica', Partial<Record<Route, number>>> = { primary: {}, replica: {} };
    for (const variant of order) {
      const server = startScript(
        'apps/platform/src/server.ts',
        variant === 'replica' ? { ...env, DATABASE_REPLICA_URLS: replicaUrl } : env,
      );
      try {
        await waitForHttp(`${base}/ready`, server);
        // Unmeasured first pass: the process's JIT, pools and caches warm as on a live server.
        for (const name of names)
          await loadTest(workDir, `warm-${name}`, {
            url: base,
            method: 'GET',
            variants: routes[name].variants,
            ...(routes[name].token ? { token: routes[name].token } : {}),
            connections: 16,
            durationSeconds: 2,
          });
        for (const name of names) {
          const load = await loadTest(workDir, `${variant}-${name}`, {
            url: base,
            method: 'GET',
            variants: routes[name].variants,
            ...(routes[name].token ? { token: routes[name].token } : {}),
            connections: 16,
            durationSeconds: seconds,
          });
          result[variant][name].push(load);
          rps[variant][name] = load.rps;
        }
        if (variant === 'replica') result.replicaServed += await replicaReads();
      } finally {
        await stop(server);
      }
    }
    for (const name of names) result.ratios[name].push((rps.replica[name] ?? 0) / (rps.primary[name] ?? 1));
    process.stdout.write(
      `round ${round + 1}: ${names.map((n) => `${n} ${(((rps.replica[n] ?? 0) / (rps.primary[n] ?? 1)) * 100).toFixed(1)} %`).join(', ')}\n`,
    );
  }
  return result;
}

async function readYourWrites(
  env: Record<string, string>,
  replicaUrl: string,
  tokens: { provider: string; platform: string },
  subject: { id: string; name: string },
  count: number,
): Promise<{ withToken: Timings; without: Timings; servedByReplica: number }> {
  const server = startScript('apps/platform/src/server.ts', { ...env, DATABASE_REPLICA_URLS: replicaUrl });
  const withToken: number[] = [];
  const without: number[] = [];
  try {
    await waitForHttp(`${base}/ready`, server);
    const before = await replicaReads();
    const read = async (token?: string) => {
      const started = performance.now();
      const response = await fetch(`${base}/v1/listing-changes?limit=1`, {
        headers: {
          authorization: `Bearer ${tokens.platform}`,
          ...(token ? { 'consistency-token': token } : {}),
        },
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`listing changes: ${response.status}`);
      return performance.now() - started;
    };
    for (let n = 0; n < count; n++) {
      const written = await fetch(`${base}/v1/records`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.provider}`, 'content-type': 'application/json' },
        body: JSON.stringify(sampleRecord(subject, n)),
      });
      const body = await written.text();
      if (written.status !== 201) throw new Error(`write: ${written.status} ${body.slice(0, 300)}`);
      const token = written.headers.get('consistency-token');
      if (!token) throw new Error('a write with replicas configured answered no Consistency-Token');
      withToken.push(await read(token));
      without.push(await read());
    }
    return {
      withToken: percentiles(withToken),
      without: percentiles(without),
      servedByReplica: (await replicaReads()) - before,
    };
  } finally {
    await stop(server);
  }
}

interface FailoverFigures {
  acknowledged: number;
  lost: number;
  duplicated: number;
  secondsToFirstWrite: number;
  answersBetween: Record<string, number>;
}

async function failover(workDir: string): Promise<FailoverFigures> {
  const primary = await startCluster();
  const standby = await startReplica(primary);
  const loaders: pg.Client[] = [];
  let server: ReturnType<typeof startScript> | undefined;
  try {
    await primary.sql("ALTER SYSTEM SET synchronous_standby_names = '*'");
    await primary.sql('SELECT pg_reload_conf()');
    for (
      let i = 0;
      (await primary.sql('SELECT sync_state FROM pg_stat_replication')).trim() !== 'sync';
      i++
    ) {
      if (i > 100) throw new Error('the standby did not become synchronous');
      await new Promise((r) => setTimeout(r, 100));
    }
    const hosts = [primary, standby].map((c) => `127.0.0.1:${new URL(c.url).port}`).join(',');
    const url = `postgres://postgres@${hosts}/postgres`;
    const material = generateKeyMaterial();
    const dataDir = join(workDir, 'failover-data');
    await mkdir(dataDir, { recursive: true });
    const env = environment(url, dataDir, material);
    const { devIssuer } = await prepareWorldDatabase(primary.url, env, material, loaders);
    for (const client of loaders.splice(0)) await client.end();
    const provider = await devIssuer.sign({ roles: ['provider'], org: worldProvider, ttlSeconds: 3600 });
    server = startScript('apps/platform/src/server.ts', env);
    await waitForHttp(`${base}/ready`, server);

    const subject = worldSubject(1);
    const acknowledged: ReturnType<typeof sampleRecord>[] = [];
    const answersBetween: Record<string, number> = {};
    let killedAt = 0;
    let firstAfter = 0;
    const push = async (record: ReturnType<typeof sampleRecord>) => {
      try {
        const response = await fetch(`${base}/v1/records`, {
          method: 'POST',
          headers: { authorization: `Bearer ${provider}`, 'content-type': 'application/json' },
          body: JSON.stringify(record),
        });
        await response.arrayBuffer();
        return response.status;
      } catch {
        return 0;
      }
    };
    const writer = (async () => {
      for (let n = 0; firstAfter === 0 || performance.now() - firstAfter < 2_000; n++) {
        const record = sampleRecord(subject, n);
        const status = await push(record);
        if (status === 201) acknowledged.push(record);
        if (killedAt > 0 && firstAfter === 0) {
          if (status === 201) firstAfter = performance.now();
          else answersBetween[String(status)] = (answersBetween[String(status)] ?? 0) + 1;
        }
        if (killedAt > 0 && performance.now() - killedAt > 120_000)
          throw new Error('no write accepted within 2 minutes');
      }
    })();
    await new Promise((r) => setTimeout(r, 3_000));
    await primary.kill();
    killedAt = performance.now();
    await standby.promote();
    await writer;

    const check = new pg.Client({ connectionString: standby.url });
    await check.connect();
    try {
      const count = async () =>
        Number(
          (
            await check.query<{ n: string }>(
              'SELECT count(*) AS n FROM ingest.records WHERE provider_code = $1 AND source_id = ANY($2)',
              [worldProvider, acknowledged.map((r) => r.sourceId)],
            )
          ).rows[0]?.n ?? 0,
        );
      const present = await count();
      for (const record of acknowledged) {
        const status = await push(record);
        if (status !== 200 && status !== 201) throw new Error(`resubmission answered ${status}`);
      }
      const after = await count();
      return {
        acknowledged: acknowledged.length,
        lost: acknowledged.length - present,
        duplicated: after - present,
        secondsToFirstWrite: (firstAfter - killedAt) / 1000,
        answersBetween,
      };
    } finally {
      await check.end();
    }
  } finally {
    if (server) await stop(server);
    for (const client of loaders) await client.end().catch(() => undefined);
    await standby.destroy();
    await primary.destroy();
  }
}

const percent = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
  return `**${(median * 100).toFixed(1)} %** (rounds: ${values.map((v) => `${(v * 100).toFixed(1)} %`).join(', ')})`;
};

async function main() {
  if (!postgresBinariesPresent()) {
    process.stderr.write(
      'bench:replicas needs the PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup)\n',
    );
    process.exit(2);
  }
  const started = Date.now();
  const loadAtStart = loadavg()[0] ?? 0;
  const workDir = `/tmp/credit-replicas-${process.pid}`;
  await mkdir(join(workDir, 'data'), { recursive: true });
  const primary = await startCluster();
  const replica = await startReplica(primary);
  const loaders: pg.Client[] = [];
  try {
    const material = generateKeyMaterial();
    const env = environment(primary.url, join(workDir, 'data'), material);
    const { keyring, devIssuer, setup } = await prepareWorldDatabase(primary.url, env, material, loaders);
    const machine = await machineDescription(setup);
    await loadWorld(
      loaders,
      { keyring, measures: await loadMeasures(setup), now: new Date() },
      0,
      subjectCount,
    );
    await setup.query('VACUUM (ANALYZE)');
    await setup.query('CHECKPOINT');
    for (const client of loaders.splice(0)) await client.end();
    await caughtUp(primary, replica);
    process.stdout.write(`world: ${subjectCount} subjects on the primary, replayed by the replica\n`);

    const tokens = {
      platform: await devIssuer.sign({ roles: ['platform'], org: 'bench-shop', ttlSeconds: 7200 }),
      provider: await devIssuer.sign({ roles: ['provider'], org: worldProvider, ttlSeconds: 7200 }),
    };
    const step = Math.max(1, Math.floor(subjectCount / 2_000));
    const subjects = Array.from({ length: Math.ceil(subjectCount / step) }, (_, i) => worldSubject(i * step));
    const ids = {
      all: subjects.map((s) => s.id),
      organisations: subjects.filter((s) => s.kind === 'legal_person').map((s) => s.id),
    };
    const reads = await readRounds(env, replica.url, workDir, tokens, ids);
    if (reads.replicaServed === 0)
      throw new Error('no read was served by the replica: the measurement would be meaningless');
    const writeSubject = subjects.find((s) => s.kind === 'legal_person') ?? worldSubject(0);
    const ryw = await readYourWrites(env, replica.url, tokens, writeSubject, 200);
    process.stdout.write(`read-your-writes: ${JSON.stringify(ryw)}\n`);
    const failed = await failover(workDir);
    process.stdout.write(`failover: ${JSON.stringify(failed)}\n`);

    const median = (results: LoadResult[]) =>
      [...results].sort((a, b) => a.rps - b.rps)[Math.floor((results.length - 1) / 2)];
    const row = (route: Route, label: string) => {
      const p = median(reads.primary[route]);
      const r = median(reads.replica[route]);
      return `| ${label} | ${p?.rps.toFixed(0)} req/s, p99 ${p?.p99} ms | ${r?.rps.toFixed(0)} req/s, p99 ${r?.p99} ms | ${percent(reads.ratios[route])} |`;
    };
    const markdown = [
      `## Past one machine: replica reads, read-your-writes, failover (issue #25)`,
      '',
      `\`npm run bench:replicas\` on ${new Date().toISOString().slice(0, 10)}: ${machine}. A primary and a streaming replica the bench makes with initdb and pg_basebackup -R on this machine, ${subjectCount.toLocaleString('en')} subjects, ${roundCount} alternating rounds of ${seconds} s per route and variant, 16 connections; ${((Date.now() - started) / 60_000).toFixed(0)} minutes in all; load average ${loadAtStart.toFixed(1)} at the start and ${(loadavg()[0] ?? 0).toFixed(1)} at the end (other work on the machine moves single rounds; the median of the alternating rounds is the figure).`,
      '',
      '| reads (lag-tolerant) | primary only | with the replica | replica / primary (target ≥ 90 %) |',
      '|---|---|---|---|',
      row('listing', '`GET /v1/listing-status/{id}`'),
      row('disclosure', '`GET /v1/public/subjects/{uscc}`'),
      row('changes', '`GET /v1/listing-changes`'),
      '',
      `Reads the replica served in the replica rounds: ${reads.replicaServed.toLocaleString('en')} (\`database_lag_tolerant_reads_total\` served by the replica). Listing status answers mostly from the in-memory listing cache, so its replica part is the incentive check only.`,
      '',
      `**Read-your-writes** (a \`POST /v1/records\`, then \`GET /v1/listing-changes\` presenting its \`Consistency-Token\`, 200 times): with the token p50 ${ryw.withToken.median.toFixed(1)} ms, p99 ${ryw.withToken.p99.toFixed(1)} ms; the same read without one p50 ${ryw.without.median.toFixed(1)} ms, p99 ${ryw.without.p99.toFixed(1)} ms; ${ryw.servedByReplica} of the ${2 * 200} reads served by the replica.`,
      '',
      `**Failover** (one writer, records one at a time; primary SIGKILLed after 3 s, standby promoted at once): ${failed.acknowledged} records acknowledged, **${failed.lost} lost**, **${failed.duplicated} duplicated** on resubmitting all of them, first accepted write **${failed.secondsToFirstWrite.toFixed(1)} s** after the death; answers in between: ${
        Object.entries(failed.answersBetween)
          .map(([status, n]) => `${n} × ${status === '0' ? 'connection refused' : status}`)
          .join(', ') || 'none'
      }.`,
    ].join('\n');
    await writeResultsSection(resultsPath, 'replicas', markdown);
    process.stdout.write(`${markdown}\n`);
  } finally {
    for (const client of loaders) await client.end().catch(() => undefined);
    await replica.destroy();
    await primary.destroy();
    await rm(workDir, { recursive: true, force: true });
  }
}

refuseArguments('npm run bench:replicas', {
  BENCH_SUBJECTS: 'subjects in the world (20000)',
  BENCH_SECONDS: 'seconds per route and variant (10)',
  BENCH_ROUNDS: 'alternating rounds (3)',
  BENCH_PORT: 'the platform’s port (3961)',
});
await main();
