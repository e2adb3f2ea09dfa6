/**
 * `npm run bench:search`: finding organisations by name (issue #18) and report PDFs (issue #19),
 * measured through the real HTTP routes of the all-in-one server on a throwaway database, beside
 * the bare route in the same run. Not part of `npm test`. Writes its section of bench/RESULTS.md
 * (below the notes marker, between its own markers) and bench/SEARCH-RESULTS.json.
 *
 * - Name search quality: BENCH_SEARCH_SAMPLE organisations of the name world (bench/name-world.ts)
 *   each asked for by every kind of variant (typos, legal forms, full-width dress, traditional
 *   characters, region dropped, branch, former name): recall@5 and precision@1 over all of them,
 *   and every answer checked for a person.
 * - GET /v1/public/search p50/p99 at BENCH_SEARCH_ORGS organisations (default 1,000,000), one
 *   caller, beside the bare route answering a captured search; POST /v1/screening of 1,000 names,
 *   server time median, beside the bare POST route answering a captured screening.
 * - GET /v1/subjects/{id}/report of a 500-record subject as PDF beside the same report as JSON.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyMaterial } from '@credit/crypto';
import { inTransaction, openDatabase } from '@credit/db';
import { generateCitizenId, seededRandom } from '@credit/schema';
import pg from 'pg';
import { upsertOrganisationNames } from '../services/query/src/consumers/organisation-names.ts';
import { type LoadResult, loadTest, serverTimes } from './measure.ts';
import { type NamedOrganisation, nameRowOf, nameWorld, type Variant, variantsOf } from './name-world.ts';
import { refuseArguments, startScript, stop, waitForHttp } from './processes.ts';
import { machineDescription, type ResultRow, resultsTable, writeResultsSection } from './results.ts';
import { loadMeasures, loadWorld, worldSubject } from './world.ts';
import { benchPlatformEnvironment, prepareWorldDatabase } from './world-database.ts';

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const organisationCount = Number(process.env.BENCH_SEARCH_ORGS ?? 1_000_000);
const personCount = Math.ceil(organisationCount / 20);
/** Organisations asked for: eight or nine variants each, so 700 make over 5,000 queries. */
const sampleSize = Number(process.env.BENCH_SEARCH_SAMPLE ?? 700);
const latencySeconds = Number(process.env.BENCH_LATENCY_DURATION ?? 20);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const screeningCalls = Number(process.env.BENCH_SCREENING_CALLS ?? 15);
const reportRecords = 500;
const resultsPath = process.env.BENCH_RESULTS ?? 'bench/RESULTS.md';

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function bestByLatency(run: () => Promise<LoadResult>): Promise<LoadResult> {
  let best: LoadResult | undefined;
  for (let i = 0; i < repeats; i++) {
    const result = await run();
    if (!best || result.p99 < best.p99 || (result.p99 === best.p99 && result.p50 < best.p50)) best = result;
  }
  return best as LoadResult;
}

const subjectKeyOf = (id: string) => createHash('sha256').update(`bench-name:${id}`).digest('hex');

/** Writes the name world through the name consumer's own writer, in chunks of one transaction each. */
async function loadNames(
  url: string,
  organisations: NamedOrganisation[],
  persons: { id: string; name: string }[],
) {
  const handle = await openDatabase({ kind: 'postgres', url, poolSize: 2 });
  const registered = new Date('2020-03-01T00:00:00Z');
  const renamed = new Date('2024-06-01T00:00:00Z');
  let indexedPersons = 0;
  for (const person of persons) {
    const row = nameRowOf(
      { id: person.id, kind: 'natural_person', key: subjectKeyOf(person.id) },
      person.name,
      renamed,
    );
    if (row) indexedPersons += 1;
  }
  if (indexedPersons > 0) throw new Error(`the name consumer indexed ${indexedPersons} persons`);
  const chunk = 2_000;
  try {
    for (let start = 0; start < organisations.length; start += chunk) {
      const rows = organisations.slice(start, start + chunk).flatMap((o) => {
        const subject = { id: o.id, kind: 'legal_person' as const, key: subjectKeyOf(o.id) };
        const current = nameRowOf(subject, o.name, o.formerName ? renamed : registered);
        const former = o.formerName ? nameRowOf(subject, o.formerName, registered) : null;
        return [current, former].filter((r) => r !== null);
      });
      await inTransaction(handle.db, (tx) => upsertOrganisationNames(tx, rows));
      if ((start / chunk) % 50 === 0) process.stdout.write(`  names ${start} / ${organisations.length}\n`);
    }
  } finally {
    await handle.close();
  }
}

interface SearchItem {
  id: string;
  kind: string;
}

interface Evaluation {
  queries: number;
  recallAt5: number;
  precisionAt1: number;
  personsReturned: number;
  byKind: Record<string, { queries: number; recallAt5: number; precisionAt1: number }>;
  personQueries: number;
  misses: { kind: string; query: string; top: string[] }[];
}

/** Every variant through GET /v1/public/search, two at a time; then the persons' own names. */
async function evaluate(
  base: string,
  variants: Variant[],
  personNames: string[],
  personIds: Set<string>,
  names: Map<string, string>,
): Promise<Evaluation> {
  const results: { variant: Variant; items: SearchItem[] }[] = [];
  let personsReturned = 0;
  const search = async (q: string): Promise<SearchItem[]> => {
    const response = await fetch(`${base}/v1/public/search?q=${encodeURIComponent(q)}&limit=5`);
    if (!response.ok) throw new Error(`search ${q}: ${response.status} ${await response.text()}`);
    const items = ((await response.json()) as { items: SearchItem[] }).items;
    personsReturned += items.filter((i) => i.kind === 'natural_person' || personIds.has(i.id)).length;
    return items;
  };
  let next = 0;
  const worker = async () => {
    for (;;) {
      const variant = variants[next++];
      if (!variant) return;
      results.push({ variant, items: await search(variant.query) });
    }
  };
  await Promise.all([worker(), worker()]);
  for (const name of personNames) await search(name);
  const score = (list: typeof results) => ({
    queries: list.length,
    recallAt5:
      list.filter((r) => r.items.slice(0, 5).some((i) => i.id === r.variant.expected)).length / list.length,
    precisionAt1: list.filter((r) => r.items[0]?.id === r.variant.expected).length / list.length,
  });
  const byKind: Evaluation['byKind'] = {};
  for (const kind of new Set(variants.map((v) => v.kind)))
    byKind[kind] = score(results.filter((r) => r.variant.kind === kind));
  const all = score(results);
  return {
    ...all,
    personsReturned,
    byKind,
    personQueries: personNames.length,
    misses: results
      .filter((r) => r.items[0]?.id !== r.variant.expected)
      .slice(0, 40)
      .map((r) => ({
        kind: r.variant.kind,
        query: r.variant.query,
        top: r.items
          .slice(0, 3)
          .map((i) => `${names.get(i.id) ?? i.id}${i.id === r.variant.expected ? ' ✓' : ''}`),
      })),
  };
}

async function main() {
  const started = Date.now();
  const database = `credit_search_${randomBytes(4).toString('hex')}`;
  const workDir = `/tmp/${database}`;
  await mkdir(join(workDir, 'data'), { recursive: true });
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = withDatabase(adminUrl, database);
  const loaders: pg.Client[] = [];
  let platform: ReturnType<typeof startScript> | undefined;
  let bare: ReturnType<typeof startScript> | undefined;
  try {
    const material = generateKeyMaterial();
    const platformEnv = {
      ...benchPlatformEnvironment({
        url,
        dataDir: join(workDir, 'data'),
        port: process.env.BENCH_PORT ?? '3957',
        material,
      }),
      RATE_LIMIT_PUBLIC_PER_MINUTE: '1000000000',
      RATE_LIMIT_CHECKS_PER_MINUTE: '1000000000',
      RATE_LIMIT_LISTING_PER_MINUTE: '1000000000',
    };
    const base = `http://127.0.0.1:${platformEnv.PORT}`;
    const { keyring, devIssuer, setup } = await prepareWorldDatabase(url, platformEnv, material, loaders);
    const machine = await machineDescription(setup);

    // A small world of records for the report, its first subject holding 500 of them.
    const reportSubject = worldSubject(0, reportRecords);
    const context = { keyring, measures: await loadMeasures(setup), now: new Date() };
    await loadWorld(loaders, context, 0, 1_000, { special: new Map([[0, reportSubject]]) });

    const generated = Date.now();
    const world = nameWorld(organisationCount, personCount);
    const random = seededRandom(20);
    const persons = world.persons.map((p) => ({ ...p, id: generateCitizenId(random) }));
    await loadNames(url, world.organisations, persons);
    await setup.query('VACUUM (ANALYZE)');
    await setup.query('CHECKPOINT');
    const loadSeconds = (Date.now() - generated) / 1000;
    process.stdout.write(
      `name world: ${organisationCount} organisations, ${persons.length} persons (${loadSeconds.toFixed(0)} s)\n`,
    );

    bare = startScript('bench/bare-server.ts', { PORT: '3958', FIXTURE_DIR: workDir });
    const bareBase = 'http://127.0.0.1:3958';
    await waitForHttp(`${bareBase}/bare/x`, bare);
    platform = startScript('apps/platform/src/server.ts', platformEnv);
    await waitForHttp(`${base}/ready`, platform);

    const step = Math.max(1, Math.floor(organisationCount / sampleSize));
    const sample = world.organisations.filter((_, i) => i % step === 0).slice(0, sampleSize);
    const variants = variantsOf(sample);
    const names = new Map(world.organisations.map((o) => [o.id, o.name]));
    const evaluation = await evaluate(
      base,
      variants,
      persons.slice(0, 200).map((p) => p.name),
      new Set(persons.map((p) => p.id)),
      names,
    );
    process.stdout.write(
      `evaluation: ${JSON.stringify({ ...evaluation, misses: evaluation.misses.length })}\n`,
    );

    // Search latency: one caller, rotating through the evaluation's queries, beside the bare route.
    const searchPaths = variants.map((v) => `/v1/public/search?q=${encodeURIComponent(v.query)}&limit=10`);
    const searchSample = await serverTimes(`${base}${searchPaths[0]}`, () => ({}), 1);
    await writeFile(join(workDir, 'search.json'), searchSample.body);
    const bareSearch = await bestByLatency(() =>
      loadTest(workDir, 'bare-search', {
        url: bareBase,
        method: 'GET',
        variants: ['/bare/fixture/search'],
        connections: 1,
        durationSeconds: latencySeconds,
      }),
    );
    const search = await bestByLatency(() =>
      loadTest(workDir, 'search', {
        url: base,
        method: 'GET',
        variants: searchPaths,
        connections: 1,
        durationSeconds: latencySeconds,
      }),
    );

    // Screening: 1,000 names a call, from the evaluation's queries.
    const platformToken = await devIssuer.sign({
      roles: ['platform'],
      org: 'bench-shop',
      ttlSeconds: 86_400,
    });
    const screeningBodies = Array.from({ length: screeningCalls }, (_, call) =>
      JSON.stringify({
        items: Array.from({ length: 1_000 }, (_, i) => ({
          name: (variants[(call * 1_000 + i) % variants.length] as Variant).query,
          ref: String(i),
        })),
      }),
    );
    const screeningInit = (i: number): RequestInit => ({
      method: 'POST',
      headers: { authorization: `Bearer ${platformToken}`, 'content-type': 'application/json' },
      body: screeningBodies[i % screeningBodies.length] as string,
    });
    const screening = await serverTimes(`${base}/v1/screening`, screeningInit, screeningCalls);
    await writeFile(join(workDir, 'screening.json'), screening.body);
    const bareScreening = await serverTimes(
      `${bareBase}/bare/fixture/screening`,
      screeningInit,
      screeningCalls,
    );

    // The 500-record report as PDF beside the same report as JSON, one caller each.
    const subjectToken = await devIssuer.sign({
      roles: ['subject'],
      subjectId: reportSubject.id,
      ttlSeconds: 86_400,
    });
    const reportPath = `/v1/subjects/${reportSubject.id}/report`;
    const pdfSample = await fetch(`${base}${reportPath}`, {
      headers: { authorization: `Bearer ${subjectToken}`, accept: 'application/pdf' },
    });
    const pdfBytes = (await pdfSample.arrayBuffer()).byteLength;
    if (!pdfSample.ok) throw new Error(`PDF report: ${pdfSample.status}`);
    const jsonReport = await bestByLatency(() =>
      loadTest(workDir, 'report-json', {
        url: base,
        method: 'GET',
        token: subjectToken,
        variants: [reportPath],
        connections: 1,
        durationSeconds: latencySeconds,
      }),
    );
    const pdfReport = await bestByLatency(() =>
      loadTest(workDir, 'report-pdf', {
        url: base,
        method: 'GET',
        token: subjectToken,
        headers: { accept: 'application/pdf' },
        variants: [reportPath],
        connections: 1,
        durationSeconds: latencySeconds,
      }),
    );

    const at = `${organisationCount.toLocaleString('en')} organisations`;
    const rows: ResultRow[] = [
      {
        measure: `N1. name search recall@5 over ${evaluation.queries.toLocaleString('en')} query variants of ${sample.length} organisations (${at})`,
        figure: evaluation.recallAt5,
        baseline: 1,
        unit: '',
        ratio: 'figure',
        target: { min: 0.98 },
      },
      {
        measure: 'N1. name search precision@1 over the same queries',
        figure: evaluation.precisionAt1,
        baseline: 1,
        unit: '',
        ratio: 'figure',
        target: { min: 0.95 },
      },
      {
        measure: `N1. persons returned, over those queries and ${evaluation.personQueries} persons' own names (${persons.length.toLocaleString('en')} persons in the world)`,
        figure: evaluation.personsReturned,
        baseline: 0,
        unit: '',
        target: { maxValue: 0 },
      },
      {
        measure: `N2. GET /v1/public/search p50 (${at}, 1 connection, rotating through the queries above)`,
        figure: search.p50,
        baseline: bareSearch.p50,
        unit: 'ms',
      },
      {
        measure: 'N2. public search p99',
        figure: search.p99,
        baseline: bareSearch.p99,
        unit: 'ms',
        target: { maxValue: 20 },
      },
      {
        measure: `N3. POST /v1/screening, 1,000 names, server time median (${screeningCalls} calls)`,
        figure: screening.median,
        baseline: bareScreening.median,
        unit: 'ms',
        target: { maxValue: 1000 },
      },
      {
        measure: 'N3. screening of 1,000 names, server time p99',
        figure: screening.p99,
        baseline: bareScreening.p99,
        unit: 'ms',
      },
      {
        measure: `R1. GET /v1/subjects/{id}/report as PDF, ${reportRecords} records (${(pdfBytes / 1024).toFixed(0)} KiB), median, beside the same report as JSON (1 connection)`,
        figure: pdfReport.p50,
        baseline: jsonReport.p50,
        unit: 'ms',
        target: { maxValue: 300 },
      },
      {
        measure: 'R1. PDF report p99, beside the JSON report',
        figure: pdfReport.p99,
        baseline: jsonReport.p99,
        unit: 'ms',
        target: { maxValue: 600 },
      },
    ];
    const kinds = Object.entries(evaluation.byKind)
      .map(
        ([kind, k]) =>
          `| ${kind} | ${k.queries} | ${(k.recallAt5 * 100).toFixed(1)} % | ${(k.precisionAt1 * 100).toFixed(1)} % |`,
      )
      .join('\n');
    const misses = evaluation.misses
      .slice(0, 12)
      .map((m) => `- ${m.kind}: 「${m.query}」 → ${m.top.join('；') || '(nothing)'}`)
      .join('\n');
    const markdown = `## Name search and report PDFs (\`npm run bench:search\`, bench/search.ts)

**Machine:** ${machine}.
**Run:** ${new Date().toISOString()}, ${at} and ${persons.length.toLocaleString('en')} persons in the name index's world (built through the name consumer's own writer in ${loadSeconds.toFixed(0)} s), latency runs of ${latencySeconds} s with one connection, best of ${repeats} by p99; whole run ${((Date.now() - started) / 60_000).toFixed(1)} min.

${resultsTable(rows)}

By kind of variant:

| variant | queries | recall@5 | precision@1 |
|---|---|---|---|
${kinds}

First of the queries whose first answer was not the organisation asked for (its answers, ✓ the one asked for):

${misses || '- none'}
`;
    await writeResultsSection(resultsPath, 'search', markdown);
    await writeFile(
      resultsPath.replace(/RESULTS\.md$/, 'SEARCH-RESULTS.json'),
      `${JSON.stringify({ runAt: new Date().toISOString(), machine, organisationCount, rows, evaluation }, null, 2)}\n`,
    );
    process.stdout.write(`\n${resultsTable(rows)}\n\nwritten to ${resultsPath}\n`);
  } finally {
    if (platform) await stop(platform);
    if (bare) await stop(bare);
    for (const client of loaders) await client.end();
    if (!process.env.BENCH_KEEP) await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    if (!process.env.BENCH_KEEP) await rm(workDir, { recursive: true, force: true });
  }
}

refuseArguments('npm run bench:search', {
  BENCH_SEARCH_ORGS: 'organisations in the name world',
  BENCH_SEARCH_SAMPLE: 'queries evaluated',
  BENCH_LATENCY_DURATION: 'seconds per latency run',
  BENCH_REPEATS: 'repeats',
  BENCH_SCREENING_CALLS: 'screening calls',
  BENCH_DATABASE_URL: 'the PostgreSQL server to use',
  BENCH_KEEP: 'keep the database afterwards',
  BENCH_PORT: 'the platform’s port',
  BENCH_RESULTS: 'where the results go',
});
await main();
