import { appendFile, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { openDevIssuer } from '@credit/auth';
import { baseEnvironmentSchema, parseEnvironment } from '@credit/config';
import { findEntry } from '@credit/schema';
import { type ColumnMapping, rowMapper } from '../import/row-mapping.ts';
import { csvRows, detectEncoding, ndjsonRows, type SourceRow } from '../import/sources.ts';

/**
 * `npm run import -- --provider CODE --category ENTRY --file FILE [--mapping FILE] [--encoding auto|utf8|gbk]
 *   [--url URL] [--token TOKEN] [--batch N] [--restart]`
 *
 * Streams a department's CSV (UTF-8 or GBK) or NDJSON file to the ingest API in batches, with a
 * progress line (rows/s, ETA), a refusal report (FILE.refusals.csv: row, sourceId, field, code,
 * message) and a state file (FILE.import-state.json) so an interrupted import resumes where it
 * stopped; pushes are idempotent, so nothing is ever duplicated.
 */
const { values } = parseArgs({
  options: {
    provider: { type: 'string' },
    category: { type: 'string' },
    file: { type: 'string' },
    mapping: { type: 'string' },
    encoding: { type: 'string', default: 'auto' },
    url: { type: 'string', default: 'http://127.0.0.1:3000' },
    token: { type: 'string' },
    batch: { type: 'string', default: '500' },
    restart: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  process.stderr.write(`import: ${message}\n`);
  process.exit(2);
}

const file = values.file ?? fail('--file is required');
const provider = values.provider ?? fail('--provider is required');
const entry =
  findEntry(values.category ?? '') ??
  fail(`--category must be a catalogue entry (GET /v1/catalogue); got '${values.category}'`);
const batchSize = Number(values.batch);
if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000)
  fail('--batch must be between 1 and 10000');
const mapping: ColumnMapping = values.mapping ? JSON.parse(await readFile(values.mapping, 'utf8')) : {};

async function bearer(): Promise<string> {
  if (values.token) return values.token;
  if (process.env.CREDIT_TOKEN) return process.env.CREDIT_TOKEN;
  const env = parseEnvironment(baseEnvironmentSchema);
  if (env.AUTH_ISSUER)
    fail('pass --token (or CREDIT_TOKEN): tokens come from the configured identity provider');
  const issuer = await openDevIssuer(env.DATA_DIR);
  return issuer.sign({ roles: ['provider'], org: provider, ttlSeconds: 24 * 3600 });
}

interface ImportState {
  fingerprint: string;
  doneRows: number;
}

const statePath = `${file}.import-state.json`;
const reportPath = `${file}.refusals.csv`;
const info = await stat(file);
const fingerprint = `${info.size}:${info.mtimeMs}:${entry.code}:${provider}`;
let state: ImportState = { fingerprint, doneRows: 0 };
if (!values.restart) {
  try {
    const saved = JSON.parse(await readFile(statePath, 'utf8')) as ImportState;
    if (saved.fingerprint === fingerprint) state = saved;
  } catch {
    // no state: a fresh import
  }
}
const resuming = state.doneRows > 0;
if (!resuming) await writeFile(reportPath, 'row,sourceId,field,code,message\n');

async function saveState(): Promise<void> {
  await writeFile(`${statePath}.tmp`, JSON.stringify(state));
  await rename(`${statePath}.tmp`, statePath);
}

function csvCell(value: unknown): string {
  const text = String(value ?? '');
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const token = await bearer();
const totals = { rows: 0, created: 0, unchanged: 0, refused: 0, skipped: 0 };
let bytesRead = 0;
const started = Date.now();
const interactive = process.stderr.isTTY;

function progress(final = false): void {
  const seconds = (Date.now() - started) / 1000;
  const rate = totals.rows / Math.max(seconds, 0.001);
  const fraction = info.size > 0 ? Math.min(bytesRead / info.size, 1) : 1;
  const eta = fraction > 0 && fraction < 1 ? Math.round((seconds / fraction) * (1 - fraction)) : 0;
  const line = `${totals.rows.toLocaleString()} rows · ${Math.round(rate).toLocaleString()} rows/s · ${Math.round(fraction * 100)}% · ETA ${eta}s · created ${totals.created} · unchanged ${totals.unchanged} · refused ${totals.refused}`;
  process.stderr.write(interactive && !final ? `\r${line}` : `${line}\n`);
}

interface Pending {
  row: number;
  sourceId: string | null;
  line: string;
}

async function send(batch: Pending[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    let response: Response | undefined;
    try {
      response = await fetch(`${values.url}/v1/records/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
        body: batch.map((p) => p.line).join('\n'),
      });
    } catch {
      response = undefined;
    }
    if (response && response.status < 500) {
      const body = (await response.json()) as {
        items?: {
          index: number;
          status: number;
          problem?: {
            code: string;
            detail?: string;
            errors?: { path: string; code: string; message: string }[];
          };
        }[];
        detail?: string;
      };
      if (!body.items) fail(`the batch was refused (${response.status}): ${body.detail ?? ''}`);
      const lines: string[] = [];
      for (const item of body.items) {
        const pending = batch[item.index] as Pending;
        if (item.status === 201) totals.created++;
        else if (item.status === 200) totals.unchanged++;
        else {
          totals.refused++;
          const errors = item.problem?.errors?.length
            ? item.problem.errors
            : [
                {
                  path: '',
                  code: item.problem?.code ?? String(item.status),
                  message: item.problem?.detail ?? '',
                },
              ];
          for (const error of errors)
            lines.push(
              [pending.row, pending.sourceId, error.path, error.code, error.message].map(csvCell).join(','),
            );
        }
      }
      if (lines.length > 0) await appendFile(reportPath, `${lines.join('\n')}\n`);
      return;
    }
    if (attempt >= 6)
      fail(`the platform did not accept the batch after ${attempt} attempts; run again to resume`);
    await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
  }
}

const encoding =
  values.encoding === 'auto'
    ? file.endsWith('.ndjson') || file.endsWith('.jsonl')
      ? 'utf8'
      : await detectEncoding(file)
    : values.encoding;
if (encoding !== 'utf8' && encoding !== 'gbk') fail('--encoding must be auto, utf8 or gbk');
const onBytes = (n: number) => {
  bytesRead += n;
};
const rows: AsyncGenerator<SourceRow> =
  file.endsWith('.ndjson') || file.endsWith('.jsonl')
    ? ndjsonRows(file, onBytes)
    : csvRows(file, encoding, onBytes);
const mapper = rowMapper(entry, mapping);
let warnedHeaders = false;
let batch: Pending[] = [];
const timer = interactive ? setInterval(() => progress(), 250) : undefined;

async function flush(): Promise<void> {
  if (batch.length === 0) return;
  await send(batch);
  state.doneRows = batch.at(-1)?.row ?? state.doneRows;
  await saveState();
  batch = [];
  if (!interactive) progress();
}

for await (const source of rows) {
  if (source.row <= state.doneRows) {
    totals.skipped++;
    continue;
  }
  totals.rows++;
  if (source.error) {
    totals.refused++;
    await appendFile(
      reportPath,
      `${[source.row, '', '', 'malformed_json', source.error].map(csvCell).join(',')}\n`,
    );
    continue;
  }
  if (source.fields && !warnedHeaders) {
    warnedHeaders = true;
    const unmapped = mapper.unmapped(Object.keys(source.fields));
    if (unmapped.length > 0)
      process.stderr.write(
        `import: columns not mapped to ${entry.code} are ignored: ${unmapped.join(', ')}\n`,
      );
  }
  const record = source.record ?? mapper.toRecord(source.fields ?? {});
  batch.push({
    row: source.row,
    sourceId: typeof record.sourceId === 'string' ? record.sourceId : null,
    line: JSON.stringify(record),
  });
  if (batch.length >= batchSize) await flush();
}
await flush();
if (timer) clearInterval(timer);
progress(true);
process.stdout.write(
  `${JSON.stringify({ file, category: entry.code, ...totals, resumed: resuming, report: reportPath, seconds: Math.round((Date.now() - started) / 100) / 10 })}\n`,
);
