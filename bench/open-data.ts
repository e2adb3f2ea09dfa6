/**
 * `npm run bench:open-data`: producing a day's open-data files (#20 point 2) of BENCH_OPEN_DATA_RECORDS
 * public records (default 1,000,000) through the all-in-one server's own job (POST
 * /v1/open-data/cuts), beside `COPY (…) TO STDOUT` of the same rows in the same run, and the
 * server's resident memory while it cuts, above its idle. Not part of `npm test`. Writes its
 * section of bench/RESULTS.md (between its own markers).
 *
 * The world is the bench's usual one (bench/world.ts: 1 subject in 5 a person, ~10 records
 * each); enough subjects are loaded for the target count of records public disclosure shows. The
 * cut measured is a first cut: every item is written to the published baseline as well as to
 * the full files, so it is the heaviest cut there is.
 *
 * BENCH_KEEP=1 keeps the database and writes its keys beside it (/tmp/<database>.keys.json);
 * BENCH_OPEN_DATA_REUSE=<database> then measures again on that world without loading it (the
 * open-data tables emptied first), for iterating on the cut.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { generateKeyMaterial, type KeyMaterial } from '@credit/crypto';
import { exportRenderingStamp } from '@credit/schema';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import {
  backendSeconds,
  processorSeconds,
  refuseArguments,
  residentBytes,
  startScript,
  stop,
  waitForHttp,
} from './processes.ts';
import { machineDescription, type ResultRow, resultsTable, writeResultsSection } from './results.ts';
import { loadMeasures, loadWorld } from './world.ts';
import { benchPlatformEnvironment, prepareWorldDatabase } from './world-database.ts';

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const targetRecords = Number(process.env.BENCH_OPEN_DATA_RECORDS ?? 1_000_000);
const resultsPath = process.env.BENCH_RESULTS ?? 'bench/RESULTS.md';

/**
 * The record's own columns: not the open-data body a record carries beside them (rendered when it
 * is written, migrations/query/0029), which would make COPY read more than the rows themselves.
 */
const recordColumns = [
  'subject_key',
  'record_id',
  'version',
  'status',
  'provider_code',
  'source_id',
  'category',
  'class_code',
  'subject_kind',
  'occurred_at',
  'occurred_on',
  'received_at',
  'severity',
  'publicity',
  'display_until',
  'data',
  'related_persons',
  'origin',
  'linked_from',
  'reason_code',
  'reason',
  'hash',
  'disputed',
  'repaired_at',
  'consent_ref',
  'withheld_since',
]
  .map((column) => `r.${column}`)
  .join(', ');

/** The rows public disclosure shows, as the cut reads them (its predicate in open-data-repository.ts). */
const publicFrom = `
  FROM query.records r JOIN query.subjects s ON s.subject_key = r.subject_key
  WHERE r.status = 'active' AND r.repaired_at IS NULL
    AND (r.display_until IS NULL OR r.display_until > now())
    AND NOT (r.withheld_since IS NOT NULL AND r.received_at < r.withheld_since)
    AND r.publicity = 'public' AND (r.severity IS NULL OR r.severity <> 'minor')
    AND s.kind <> 'natural_person'`;
const publicRows = `
  SELECT ${recordColumns}, s.kind AS subject_kind, s.key_id, s.identifier_cipher, s.name_cipher
  ${publicFrom}
  ORDER BY r.subject_key, r.record_id`;

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function publicCount(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query(`SELECT count(*)::bigint AS n FROM (${publicRows}) x`);
  return Number(rows[0].n);
}

/** COPY of the same rows to the client, bytes counted and dropped. */
async function copyOut(client: pg.ClientBase): Promise<{ seconds: number; bytes: number }> {
  const started = process.hrtime.bigint();
  let bytes = 0;
  await pipeline(
    client.query(copyTo(`COPY (${publicRows}) TO STDOUT`)),
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done();
      },
    }),
  );
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, bytes };
}

/**
 * Asks the server for a cut and waits for it however long it takes: a cut still running after the
 * wait `Prefer` asks for is answered 202, and asking again joins it. node:http, not fetch: the
 * platform's 60 s longest wait is past nothing here, but undici's header timeout would be a
 * second limit to keep in mind.
 */
async function postCut(base: string, token: string): Promise<unknown> {
  for (;;) {
    const { status, text, retryAfter } = await new Promise<{
      status: number;
      text: string;
      retryAfter: number;
    }>((resolve, reject) => {
      const call = request(`${base}/v1/open-data/cuts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, prefer: 'wait=60' },
      });
      call.on('response', (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            text: Buffer.concat(parts).toString('utf8'),
            retryAfter: Number(response.headers['retry-after'] ?? 1),
          }),
        );
      });
      call.on('error', reject);
      call.end();
    });
    // 200: a cut joined after a 202 (the bench empties open data first, so never an older one).
    if (status === 201 || status === 200) return JSON.parse(text);
    // 503: the server is under pressure (its event loop stalled, as on a machine busy with other
    // work) and asks to be asked again later; the cut it may have started goes on.
    if (status === 503) await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
    else if (status !== 202) throw new Error(`cut: ${status} ${text}`);
  }
}

/** Takes a kept world's open data away, so the cut measured is a first cut again. */
async function emptyOpenData(client: pg.ClientBase): Promise<void> {
  await client.query(
    `TRUNCATE query.open_data_chunks, query.open_data_files, query.open_data_cuts, query.open_data_published, query.open_data_staged`,
  );
  await client.query(`DELETE FROM query.job_runs WHERE job = 'open-data'`);
}

type StoredKeys = {
  blindIndexKey: { id: string; key: string };
  encryptionKeys: { id: string; key: string }[];
};

const keysPath = (database: string) => `/tmp/${database}.keys.json`;

async function keyMaterialOf(reused: string | undefined): Promise<KeyMaterial> {
  if (!reused) return generateKeyMaterial();
  const stored = JSON.parse(await readFile(keysPath(reused), 'utf8')) as StoredKeys;
  return {
    blindIndexKey: { id: stored.blindIndexKey.id, key: Buffer.from(stored.blindIndexKey.key, 'base64') },
    encryptionKeys: stored.encryptionKeys.map((k) => ({ id: k.id, key: Buffer.from(k.key, 'base64') })),
  };
}

async function main() {
  const reused = process.env.BENCH_OPEN_DATA_REUSE;
  const database = reused ?? `credit_opendata_${randomBytes(4).toString('hex')}`;
  const workDir = `/tmp/${database}`;
  await mkdir(join(workDir, 'data'), { recursive: true });
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  if (!reused) await admin.query(`CREATE DATABASE ${database}`);
  const url = withDatabase(adminUrl, database);
  const loaders: pg.Client[] = [];
  let platform: ReturnType<typeof startScript> | undefined;
  try {
    const material = await keyMaterialOf(reused);
    if (process.env.BENCH_KEEP && !reused) {
      const stored: StoredKeys = {
        blindIndexKey: { id: material.blindIndexKey.id, key: material.blindIndexKey.key.toString('base64') },
        encryptionKeys: material.encryptionKeys.map((k) => ({ id: k.id, key: k.key.toString('base64') })),
      };
      await writeFile(keysPath(database), JSON.stringify(stored), { mode: 0o600 });
    }
    const platformEnv = {
      ...benchPlatformEnvironment({
        url,
        dataDir: join(workDir, 'data'),
        port: process.env.BENCH_PORT ?? '3967',
        material,
      }),
    };
    const base = `http://127.0.0.1:${platformEnv.PORT}`;
    const { keyring, devIssuer, setup } = await prepareWorldDatabase(
      url,
      platformEnv,
      material,
      loaders,
      reused !== undefined,
    );
    const machine = await machineDescription(setup);

    let subjects: number;
    if (reused) {
      await emptyOpenData(setup);
      const { rows } = await setup.query('SELECT count(*)::bigint AS n FROM query.subjects');
      subjects = Number(rows[0].n);
    } else {
      // A first slice tells how many records a subject gives public disclosure; then the rest.
      const context = { keyring, measures: await loadMeasures(setup), now: new Date() };
      const probe = 10_000;
      await loadWorld(loaders, context, 0, probe);
      const perSubject = (await publicCount(setup)) / probe;
      subjects = Math.ceil(targetRecords / perSubject);
      await loadWorld(loaders, context, probe, subjects, {
        progress: (done) => {
          if (done % 100_000 === 0) process.stdout.write(`  world ${probe + done} / ${subjects}\n`);
        },
      });
    }
    await setup.query('VACUUM (ANALYZE)');
    await setup.query('CHECKPOINT');
    const records = await publicCount(setup);
    process.stdout.write(`world: ${subjects} subjects, ${records} public records\n`);

    // Records carry their open-data bodies from when they were written (world.ts writes them
    // so). A kept world written before that, or by an older rendering, gets them from one cut
    // first, not measured: the next cut renders nothing itself.
    const { rows: staleRows } = await setup.query(
      `SELECT count(*)::bigint AS n ${publicFrom} AND r.export_stamp IS DISTINCT FROM $1`,
      [exportRenderingStamp],
    );
    if (Number(staleRows[0].n) > 0) {
      process.stdout.write(
        `${staleRows[0].n} public records without a current body: one cut renders them first\n`,
      );
      const warming = startScript('apps/platform/src/server.ts', platformEnv, []);
      try {
        await waitForHttp(`${base}/ready`, warming);
        const token = await devIssuer.sign({ roles: ['admin'], org: 'credit-office', ttlSeconds: 86_400 });
        await postCut(base, token);
      } finally {
        await stop(warming);
      }
      await emptyOpenData(setup);
      await setup.query('VACUUM (ANALYZE)');
      await setup.query('CHECKPOINT');
    }

    // COPY first, so both read warm pages; then the cut, in the server, as its job runs.
    const copy = await copyOut(setup);
    process.stdout.write(`COPY TO: ${copy.seconds.toFixed(1)} s, ${(copy.bytes / 2 ** 20).toFixed(0)} MiB\n`);

    platform = startScript(
      'apps/platform/src/server.ts',
      platformEnv,
      [],
      (process.env.BENCH_PLATFORM_NODE_ARGS ?? '').split(' ').filter(Boolean),
    );
    await waitForHttp(`${base}/ready`, platform);
    // Idle once the server's threads have warmed up: resident memory steady for three seconds.
    const pid = platform.pid as number;
    let idle = await residentBytes(pid);
    for (let steady = 0, waited = 0; steady < 3 && waited < 60; waited++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const now = await residentBytes(pid);
      steady = Math.abs(now - idle) < 2 * 2 ** 20 ? steady + 1 : 0;
      idle = now;
    }
    let peak = idle;
    // The database's side of the cut: the processor time of its backends (those the cut opens
    // and closes too, by their last sample), from the same /proc.
    const backendsBefore = await backendSeconds(database);
    const backendsSeen = new Map(backendsBefore);
    const sampleBackends = async () => {
      for (const [backend, seconds] of await backendSeconds(database)) backendsSeen.set(backend, seconds);
    };
    const sampler = setInterval(() => {
      residentBytes(pid)
        .then((rss) => {
          peak = Math.max(peak, rss);
        })
        .catch(() => undefined);
    }, 100);
    // Less often: it reads every process's title.
    const backendSampler = setInterval(() => sampleBackends().catch(() => undefined), 500);
    const token = await devIssuer.sign({ roles: ['admin'], org: 'credit-office', ttlSeconds: 86_400 });
    const cpuBefore = await processorSeconds(pid);
    const started = process.hrtime.bigint();
    const answer = await postCut(base, token);
    const cutSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(sampler);
    clearInterval(backendSampler);
    // The server's processor time for the cut (all its threads): steadier than seconds on a shared machine.
    const cutCpu = (await processorSeconds(pid)) - cpuBefore;
    await sampleBackends();
    let databaseCpu = 0;
    for (const [backend, seconds] of backendsSeen)
      databaseCpu += seconds - (backendsBefore.get(backend) ?? 0);
    const { manifest } = answer as {
      manifest: { files: { name: string; kind: string; format: string; bytes: number; records: number }[] };
    };
    const full = manifest.files.filter((f) => f.kind === 'full');
    const fullRows = full.filter((f) => f.format === 'jsonl').reduce((n, f) => n + f.records, 0);
    const fullBytes = full.reduce((n, f) => n + f.bytes, 0);
    const cutRate = fullRows / cutSeconds;
    const copyRate = records / copy.seconds;
    const ratio = cutRate / copyRate;
    const above = (peak - idle) / 2 ** 20;
    process.stdout.write(
      `cut: ${cutSeconds.toFixed(1)} s, ${fullRows} items (${(fullBytes / 2 ** 20).toFixed(0)} MiB of full files), ${(ratio * 100).toFixed(0)} % of COPY; server processor ${cutCpu.toFixed(1)} s (${((cutCpu / fullRows) * 1e6).toFixed(0)} µs an item), PostgreSQL backends ${databaseCpu.toFixed(1)} s (${((databaseCpu / fullRows) * 1e6).toFixed(0)} µs an item); RSS +${above.toFixed(0)} MiB over idle ${(idle / 2 ** 20).toFixed(0)} MiB\n`,
    );

    const rows: ResultRow[] = [
      {
        measure: `open-data full cut, ${records.toLocaleString('en')} public records (vs COPY TO of the same rows)`,
        figure: cutRate,
        baseline: copyRate,
        unit: 'records/s',
        ratio: 'figure',
        target: { min: 0.3 },
      },
      {
        measure: 'open-data cut, resident memory above idle (baseline: idle)',
        figure: above,
        baseline: idle / 2 ** 20,
        unit: 'MiB',
        target: { maxValue: 100 },
      },
    ];
    const section = [
      `### Open data (npm run bench:open-data), ${new Date().toISOString().slice(0, 10)}`,
      '',
      `${machine}. ${records.toLocaleString('en')} public records of ${subjects.toLocaleString('en')} subjects; the cut is a first cut (no increment; every item enters the published baseline): ${cutSeconds.toFixed(1)} s for ${(fullBytes / 2 ** 20).toFixed(0)} MiB of full files (CSV and JSON Lines), using ${cutCpu.toFixed(1)} s of the server's processor time (all threads) and ${databaseCpu.toFixed(1)} s of its PostgreSQL backends', beside COPY TO of the same rows in ${copy.seconds.toFixed(1)} s (${(copy.bytes / 2 ** 20).toFixed(0)} MiB).`,
      '',
      resultsTable(rows),
    ].join('\n');
    await writeResultsSection(resultsPath, 'open-data', section);
    process.stdout.write(`${section}\n`);
  } finally {
    if (platform) await stop(platform);
    for (const client of loaders) await client.end();
    if (process.env.BENCH_KEEP || reused) process.stdout.write(`kept database ${database}\n`);
    else await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    await rm(workDir, { recursive: true, force: true });
  }
}

refuseArguments('npm run bench:open-data', {
  BENCH_OPEN_DATA_RECORDS: 'public records in the world',
  BENCH_OPEN_DATA_REUSE: 'a kept database to measure again',
  BENCH_KEEP: 'keep the database afterwards',
  BENCH_DATABASE_URL: 'the PostgreSQL server to use',
  BENCH_PLATFORM_NODE_ARGS: 'node arguments for the platform (e.g. --cpu-prof)',
  BENCH_PORT: 'the platform’s port',
  BENCH_RESULTS: 'where the results go',
});
main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
