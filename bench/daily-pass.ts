/**
 * `npm run bench:daily-pass`: the sanctions service's daily pass (POST /v1/evaluations on the
 * all-in-one server) over BENCH_DAILY_PASS_SUBJECTS subjects (default 50,000) of the bench's
 * usual world (bench/world.ts), first with every subject due — what every pass was before due
 * instants (docs/lists-and-grades.md, "The daily pass") — then with 1 % of them due, as on an
 * ordinary day. The figure is the ratio of the two in the same run, both on a settled world (the
 * first pass, which creates the rules' entries, runs before and is not measured). Not part of
 * `npm test`. Writes its section of bench/RESULTS.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { generateKeyMaterial } from '@credit/crypto';
import pg from 'pg';
import { processorSeconds, refuseArguments, startScript, stop, waitForHttp } from './processes.ts';
import { machineDescription, type ResultRow, resultsTable, writeResultsSection } from './results.ts';
import { loadMeasures, loadWorld } from './world.ts';
import { benchPlatformEnvironment, prepareWorldDatabase } from './world-database.ts';

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const subjectCount = Number(process.env.BENCH_DAILY_PASS_SUBJECTS ?? 50_000);
const resultsPath = process.env.BENCH_RESULTS ?? 'bench/RESULTS.md';

/** Rules of each kind over the world's records, with windows, absences and amounts of none. */
const rules = [
  {
    code: 'bench-black',
    name: '严重失信主体',
    kind: 'black',
    domain: 'general',
    subjectKinds: ['legal_person', 'natural_person'],
    identifyingDepartment: 'bench-dept',
    condition: { type: 'records', match: { classes: ['dishonesty'], severities: ['serious'] }, minCount: 1 },
  },
  {
    code: 'bench-watch',
    name: '一年内两次失信',
    kind: 'watch',
    domain: 'general',
    subjectKinds: ['legal_person', 'natural_person'],
    identifyingDepartment: 'bench-dept',
    condition: { type: 'records', match: { classes: ['dishonesty'] }, minCount: 2, withinMonths: 12 },
  },
  {
    code: 'bench-red',
    name: '守信激励对象',
    kind: 'red',
    domain: 'general',
    subjectKinds: ['legal_person'],
    identifyingDepartment: 'bench-dept',
    condition: {
      type: 'all',
      conditions: [
        { type: 'records', match: { classes: ['good_credit'] }, minCount: 1, withinMonths: 36 },
        { type: 'absence', match: { classes: ['dishonesty'] }, withinMonths: 36 },
      ],
    },
  },
];

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * POST without a time limit: a pass over every subject runs longer than fetch waits for response
 * headers (300 s).
 */
function post(url: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      { method: 'POST', headers: { authorization: `Bearer ${token}` } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

interface PassFigures {
  seconds: number;
  cpu: number;
  subjects: number;
}

async function main() {
  const database = `credit_dailypass_${randomBytes(4).toString('hex')}`;
  const workDir = `/tmp/${database}`;
  await mkdir(join(workDir, 'data'), { recursive: true });
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = withDatabase(adminUrl, database);
  const loaders: pg.Client[] = [];
  let platform: ReturnType<typeof startScript> | undefined;
  try {
    const material = generateKeyMaterial();
    const platformEnv = {
      ...benchPlatformEnvironment({
        url,
        dataDir: join(workDir, 'data'),
        port: process.env.BENCH_PORT ?? '3968',
        material,
      }),
      // A pass over every subject answers after minutes; the socket must stay open until then.
      CONNECTION_TIMEOUT_MS: '7200000',
    };
    const base = `http://127.0.0.1:${platformEnv.PORT}`;
    const { keyring, devIssuer, setup } = await prepareWorldDatabase(url, platformEnv, material, loaders);
    const machine = await machineDescription(setup);
    const context = { keyring, measures: await loadMeasures(setup), now: new Date() };
    await loadWorld(loaders, context, 0, subjectCount, {
      progress: (done) => {
        if (done % 10_000 === 0) process.stdout.write(`  world ${done} / ${subjectCount}\n`);
      },
    });
    for (const rule of rules)
      await setup.query(
        `INSERT INTO sanctions.rules (code, version, definition, status, created_by, created_at)
         VALUES ($1, 1, $2, 'active', 'bench', now())`,
        [rule.code, JSON.stringify(rule)],
      );
    await setup.query('VACUUM (ANALYZE)');
    const { rows: counted } = await setup.query(
      'SELECT count(DISTINCT subject_key)::int AS subjects, count(*)::int AS records FROM sanctions.records',
    );
    const { subjects: withRecords, records } = counted[0] as { subjects: number; records: number };
    process.stdout.write(`world: ${withRecords} subjects with ${records} records\n`);

    platform = startScript('apps/platform/src/server.ts', platformEnv);
    await waitForHttp(`${base}/ready`, platform);
    const pid = platform.pid as number;
    const token = await devIssuer.sign({ roles: ['admin'], org: 'credit-office', ttlSeconds: 86_400 });
    const runPass = async (): Promise<PassFigures> => {
      const cpuBefore = await processorSeconds(pid);
      const started = process.hrtime.bigint();
      const response = await post(`${base}/v1/evaluations`, token);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const cpu = (await processorSeconds(pid)) - cpuBefore;
      if (response.status !== 200) throw new Error(`pass: ${response.status} ${response.body}`);
      const summary = JSON.parse(response.body) as { subjects: number };
      process.stdout.write(
        `pass: ${summary.subjects} subjects in ${seconds.toFixed(1)} s (server processor ${cpu.toFixed(1)} s)\n`,
      );
      return { seconds, cpu, subjects: summary.subjects };
    };

    // The rules are new to the pass: every subject with records is evaluated, and the entries
    // the rules call for are created. Not measured: a settled day is.
    const first = await runPass();
    const makeDue = async (share: number) => {
      await setup.query(
        `UPDATE sanctions.evaluation_due SET due_at = now() - interval '1 minute'
         WHERE subject_key IN (SELECT subject_key FROM sanctions.evaluation_due ORDER BY md5(subject_key) LIMIT $1)`,
        [Math.round(withRecords * share)],
      );
      await setup.query('VACUUM (ANALYZE) sanctions.evaluation_due');
    };
    // Every subject due, nothing to change: what every pass did before due instants.
    await makeDue(1);
    const all = await runPass();
    // An ordinary day: 1 % of the subjects due (a display ending, a record leaving a window).
    await makeDue(0.01);
    const some = await runPass();

    const rows: ResultRow[] = [
      {
        measure: `daily pass, 1 % of ${withRecords.toLocaleString('en')} subjects due (baseline: all due, as every pass was before due instants)`,
        figure: some.seconds,
        baseline: all.seconds,
        unit: 's',
        target: { maxRatio: 0.05 },
      },
    ];
    const section = [
      `### Daily pass (npm run bench:daily-pass), ${new Date().toISOString().slice(0, 10)}`,
      '',
      `${machine}. ${withRecords.toLocaleString('en')} subjects with ${records.toLocaleString('en')} records, three rules (black, watch within 12 months, red with a 36-month absence). The first pass under the rules evaluated ${first.subjects.toLocaleString('en')} subjects and created their entries in ${first.seconds.toFixed(1)} s; then, settled, all due: ${all.subjects.toLocaleString('en')} subjects evaluated in ${all.seconds.toFixed(1)} s (server processor ${all.cpu.toFixed(1)} s); 1 % due: ${some.subjects.toLocaleString('en')} in ${some.seconds.toFixed(2)} s (${some.cpu.toFixed(2)} s).`,
      '',
      resultsTable(rows),
    ].join('\n');
    await writeResultsSection(resultsPath, 'daily-pass', section);
    process.stdout.write(`${section}\n`);
  } finally {
    if (platform) await stop(platform);
    for (const client of loaders) await client.end();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    await rm(workDir, { recursive: true, force: true });
  }
}

refuseArguments('npm run bench:daily-pass', {
  BENCH_DAILY_PASS_SUBJECTS: 'subjects in the world',
  BENCH_DATABASE_URL: 'the PostgreSQL server to use',
  BENCH_PORT: 'the platform’s port',
  BENCH_RESULTS: 'where the results go',
});
main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
