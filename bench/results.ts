import { readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import type pg from 'pg';
import type { IngestFigures } from './ingest-phase.ts';
import type { LoadResult } from './measure.ts';

/** Everything below this line in RESULTS.md is written by hand and kept across runs. */
export const notesMarker = '<!-- notes -->';

export interface ResultRow {
  measure: string;
  figure: number;
  baseline: number;
  unit: string;
  /** Throughput rows compare as figure / baseline; latency rows as a multiple of the baseline. */
  ratio?: 'figure';
  /**
   * `min`: lowest acceptable figure / baseline; `maxValue`: highest acceptable figure; `maxRatio`:
   * highest figure / baseline, where a difference of at most `resolution` (the measuring tool's
   * step, e.g. autocannon's 1 ms) also passes, since it cannot be told from no difference.
   */
  target?: { min?: number; maxValue?: number; maxRatio?: number; resolution?: number };
}

export interface GrowthFigures {
  subjects: number;
  records: number;
  loadSeconds: number;
  listing: LoadResult;
  /**
   * The bare GET route of the same (median) round as `listing`: the machine's speed at that size.
   * Absent in runs before the sixth session.
   */
  bareListing?: LoadResult;
  report: LoadResult;
  residentBytes: number;
  cache: { subjects: number; bytesPerSubject: number; loadSeconds: number };
}

export async function machineDescription(client: pg.ClientBase): Promise<string> {
  const version = (await client.query('SHOW server_version')).rows[0].server_version as string;
  const buffers = (await client.query('SHOW shared_buffers')).rows[0].shared_buffers as string;
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB memory, Node ${process.version}, PostgreSQL ${version} (shared_buffers ${buffers}) on the same machine`;
}

function format(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '—';
  if (unit === 'req/s' || unit === 'records/s') return `${Math.round(value).toLocaleString('en')} ${unit}`;
  if (unit === 'MiB') return `${value.toFixed(0)} MiB`;
  return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ${unit}`;
}

function judge(row: ResultRow): { ratio: string; target: string; verdict: string } {
  const ratio = row.baseline > 0 ? row.figure / row.baseline : Number.NaN;
  const shown = !Number.isFinite(ratio)
    ? '—'
    : row.ratio === 'figure'
      ? `${(ratio * 100).toFixed(1)} %`
      : `${ratio.toFixed(2)}×`;
  const t = row.target;
  if (!t) return { ratio: shown, target: '', verdict: '' };
  if (t.min !== undefined)
    return {
      ratio: shown,
      target: `≥ ${(t.min * 100).toFixed(0)} %`,
      verdict: ratio >= t.min ? 'pass' : 'FAIL',
    };
  if (t.maxRatio !== undefined) {
    const withinStep = t.resolution !== undefined && row.figure - row.baseline <= t.resolution;
    return {
      ratio: shown,
      target:
        t.resolution !== undefined
          ? `≤ ${t.maxRatio}× (or ± ${t.resolution} ${row.unit})`
          : `≤ ${t.maxRatio}×`,
      verdict: ratio <= t.maxRatio || withinStep ? 'pass' : 'FAIL',
    };
  }
  const max = t.maxValue as number;
  return { ratio: shown, target: `≤ ${max} ${row.unit}`, verdict: row.figure <= max ? 'pass' : 'FAIL' };
}

function table(header: string[], body: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** Rows as the results table shows them: figure, baseline, their ratio, the target and the verdict. */
export function resultsTable(rows: readonly ResultRow[]): string {
  return table(
    ['measure', 'figure', 'baseline', 'ratio', 'target', 'result'],
    rows.map((row) => {
      const { ratio, target, verdict } = judge(row);
      return [
        row.measure,
        format(row.figure, row.unit),
        format(row.baseline, row.unit),
        ratio,
        target,
        verdict,
      ];
    }),
  );
}

export function growthRows(growth: GrowthFigures[]): ResultRow[] {
  const first = growth[0];
  const last = growth.at(-1);
  if (!first || !last || first === last) return [];
  const at = `${last.subjects.toLocaleString('en')} vs ${first.subjects.toLocaleString('en')} subjects`;
  const share = (g: GrowthFigures) =>
    g.bareListing ? (100 * g.listing.rps) / g.bareListing.rps : Number.NaN;
  // The sizes are measured tens of minutes apart, and this machine's speed drifts by a third in that
  // time: the throughput is judged as a share of the bare route measured beside it at each size.
  const judgedShare = first.bareListing !== undefined && last.bareListing !== undefined;
  return [
    ...(judgedShare
      ? [
          {
            measure: `6. listing status throughput as a share of the bare GET route beside it, ${at}`,
            figure: share(last),
            baseline: share(first),
            unit: '%',
            ratio: 'figure' as const,
            target: { min: 1 / 1.2 },
          },
        ]
      : []),
    {
      measure: `6. listing status throughput, ${at}${judgedShare ? ', as measured (the machine’s speed included), for comparison' : ''}`,
      figure: last.listing.rps,
      baseline: first.listing.rps,
      unit: 'req/s',
      ratio: 'figure',
      ...(judgedShare ? {} : { target: { min: 1 / 1.2 } }),
    },
    {
      measure: `6. listing status p99, ${at}`,
      figure: last.listing.p99,
      baseline: first.listing.p99,
      unit: 'ms',
      target: { maxRatio: 1.2, resolution: 1 },
    },
    {
      measure: `6. report p50, ${at}`,
      figure: last.report.p50,
      baseline: first.report.p50,
      unit: 'ms',
      target: { maxRatio: 1.2, resolution: 1 },
    },
    {
      measure: `6. report p99, ${at}`,
      figure: last.report.p99,
      baseline: first.report.p99,
      unit: 'ms',
      target: { maxRatio: 1.2, resolution: 1 },
    },
  ];
}

export type ResultsInput = Parameters<typeof renderResults>[0];

/**
 * Writes RESULTS.md (keeping the hand-written notes below the marker) and, beside it, the raw
 * figures as JSON, so the document can be rendered again (`npm run bench:render`) when the way
 * figures are judged or shown changes, without measuring again.
 */
export async function writeResultsFile(path: string, input: ResultsInput): Promise<string> {
  const markdown = renderResults(input);
  const previous = await readFile(path, 'utf8').catch(() => '');
  const notes = previous.includes(notesMarker)
    ? previous.slice(previous.indexOf(notesMarker) + notesMarker.length)
    : '\n';
  await writeFile(path, `${markdown.document}${notes}`);
  await writeFile(path.replace(/\.md$/, '.json'), `${JSON.stringify(input, null, 2)}\n`);
  return markdown.table;
}

export function renderResults(input: {
  /** When the figures were taken (ISO), as printed on the "Run" line. */
  runAt: string;
  machine: string;
  rows: ResultRow[];
  growth: GrowthFigures[];
  ingest: IngestFigures | undefined;
  settings: {
    durationSeconds: number;
    repeats: number;
    connections: number;
    checkConnections: number;
    reportSeconds: number;
    batchRequests: number;
    sizes: number[];
  };
  totalSeconds: number;
}): { table: string; document: string } {
  const rows = [...input.rows];
  if (input.ingest) {
    const i = input.ingest;
    const perSecond = (seconds: number) => i.records / seconds;
    const at = rows.findIndex((row) => row.measure.startsWith('5.'));
    rows.splice(
      at < 0 ? rows.length : at,
      0,
      {
        measure: `4. batch ingest over HTTP to the ingest service (${i.records.toLocaleString('en')} records, ${i.batchSize}/batch, ${i.clients} clients) vs COPY of the ${i.storedRows.toLocaleString('en')} rows it stored, into tables like the store's${i.rounds ? ` (median of ${i.rounds.length} rounds, each a push then COPY of what it stored: ${i.rounds.map((r) => `${((100 * r.copyStoredSeconds) / r.ingestSeconds).toFixed(1)} %`).join(', ')})` : ''}`,
        figure: perSecond(i.ingestSeconds),
        baseline: perSecond(i.copyStoredSeconds),
        unit: 'records/s',
        ratio: 'figure',
        target: { min: 0.25 },
      },
      {
        measure:
          '4. the same push vs COPY of the pushed records as they arrived, one row each into a plain table, for comparison',
        figure: perSecond(i.ingestSeconds),
        baseline: perSecond(i.copyRawSeconds),
        unit: 'records/s',
        ratio: 'figure',
      },
      {
        measure: `4. as many other records pushed to the all-in-one process, its projections consuming at the same time, for comparison (projections caught up with the first push ${i.settleSeconds.toFixed(1)} s after it)`,
        figure: perSecond(i.allInOneSeconds),
        baseline: perSecond(i.copyStoredSeconds),
        unit: 'records/s',
        ratio: 'figure',
      },
    );
  }
  rows.push(...growthRows(input.growth));
  const last = input.growth.at(-1);
  const main = resultsTable(rows);
  const memory = last
    ? `\nResident memory of the all-in-one process at ${last.subjects.toLocaleString('en')} subjects, after the measurements: **${(last.residentBytes / 2 ** 20).toFixed(0)} MiB**.\n`
    : '';
  const growthTable = table(
    [
      'subjects',
      'records',
      'load (s)',
      'listing req/s (bare GET beside it)',
      'listing p50 / p99 (ms)',
      'report p50 / p99 (ms)',
      'resident (MiB)',
      'listing cache: subjects held, bytes each, load (s)',
    ],
    input.growth.map((g) => [
      g.subjects.toLocaleString('en'),
      g.records.toLocaleString('en'),
      g.loadSeconds.toFixed(0),
      `${Math.round(g.listing.rps).toLocaleString('en')}${g.bareListing ? ` (${Math.round(g.bareListing.rps).toLocaleString('en')})` : ''}`,
      `${g.listing.p50} / ${g.listing.p99}`,
      `${g.report.p50} / ${g.report.p99}`,
      (g.residentBytes / 2 ** 20).toFixed(0),
      `${g.cache.subjects.toLocaleString('en')}, ${g.cache.bytesPerSubject.toFixed(0)}, ${g.cache.loadSeconds.toFixed(2)}`,
    ]),
  );
  const s = input.settings;
  const document = `# Benchmark results

Written by \`npm run bench\` (bench/run.ts); see "How it was run" and "What this round's changes bought" below.

**Machine:** ${input.machine}.
**Run:** ${input.runAt}, sizes ${s.sizes.map((n) => n.toLocaleString('en')).join(', ')}, best of ${s.repeats} load tests of ${s.durationSeconds} s with ${s.connections} connections (checks also with ${s.checkConnections}; reports with 1 for ${s.reportSeconds} s, best by p99), ${s.batchRequests} batch requests; whole run ${(input.totalSeconds / 60).toFixed(1)} min.

${main}
${memory}
## Growth

${growthTable}

"load (s)" is the time to build and COPY the subjects added at that size (cumulative sizes).

${notesMarker}`;
  return { table: main, document };
}

/**
 * Puts a bench's own section (between `<!-- bench:<name> -->` markers) into the results file,
 * replacing the section of an earlier run, or adding it after the notes marker.
 */
export async function writeResultsSection(path: string, name: string, markdown: string): Promise<void> {
  const sectionStart = `<!-- bench:${name} -->`;
  const sectionEnd = `<!-- /bench:${name} -->`;
  let previous = '';
  try {
    previous = await readFile(path, 'utf8');
  } catch {
    previous = `${notesMarker}\n`;
  }
  if (!previous.includes(notesMarker)) previous = `${previous}\n${notesMarker}\n`;
  const section = `${sectionStart}\n${markdown}\n${sectionEnd}`;
  const start = previous.indexOf(sectionStart);
  const end = previous.indexOf(sectionEnd);
  const next =
    start >= 0 && end > start
      ? `${previous.slice(0, start)}${section}${previous.slice(end + sectionEnd.length)}`
      : previous.replace(notesMarker, `${notesMarker}\n\n${section}\n`);
  await writeFile(path, next);
}
