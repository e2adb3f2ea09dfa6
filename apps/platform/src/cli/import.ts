import { appendFile, readFile, rename, stat, writeFile } from 'node:fs/promises';
import type { Schemas } from '@credit/client';
import { CommandError, readNamedFile, runCommand } from '../cli-support/command.ts';
import { describeError, networkFailureOf, unreachable } from '../cli-support/platform-client.ts';
import type { ColumnMapping } from '../import/row-mapping.ts';
import type { SourceRow } from '../import/sources.ts';

const usage = `npm run import -- --provider CODE --category ENTRY --file FILE [--mapping FILE]
  [--encoding auto|utf8|gbk] [--url URL] [--token TOKEN] [--batch N] [--restart]
npm run import -- --provider CODE --preset shuanggongshi-penalty|shuanggongshi-licence --file FILE [...]

Streams a department's CSV (UTF-8 or GBK), NDJSON or (with --preset) XLSX file to the platform's batch API
(POST /v1/records/batch) with a progress line (rows/s, how far through the file the rows the
platform has answered reach, ETA), a refusal report (FILE.refusals.csv: row, sourceId, field,
code, message) and a state file (FILE.import-state.json), so an interrupted import resumes
where it stopped; pushes are idempotent, so nothing is ever duplicated.

  --provider CODE     the providing department's registered code
  --category ENTRY    the catalogue entry of every row (GET /v1/catalogue)
  --preset FORMAT     instead of --category and --mapping: the file is a 双公示 table in the
                      national data items (行政处罚 or 行政许可), headed as the standard names
                      them; the platform converts each row (POST /v1/records/batch?format=…)
  --file FILE         .csv, or .ndjson/.jsonl with one record (or one row of columns) a line,
                      or with --preset .xlsx (its first worksheet, headers in the first row)
  --mapping FILE      JSON {"column header": "field"}: sourceId, subjectKind, subjectId,
                      subjectName, occurredAt, data.<field>
  --encoding E        auto (default: UTF-8 if the start decodes as UTF-8, else GBK), utf8, gbk
  --url URL           the platform; default: http://HOST:PORT from the same HOST and PORT
                      that configure \`npm start\` (127.0.0.1 and 3000 when unset)
  --token TOKEN       a provider token (or CREDIT_TOKEN); default: one from the development
                      issuer under DATA_DIR, as \`npm run token\` prints it
  --batch N           rows per request (default 500, at most 10000)
  --restart           ignore the state file and start from the first row
  -h, --help          print this text
Exit status 0: every row was answered (refusals are in the report); 2: cannot run (the
platform cannot be reached, refuses the token or the batch, or a bad option).`;

interface ImportState {
  fingerprint: string;
  doneRows: number;
  /** Where in the file the last answered row ends. */
  doneBytes?: number;
}

interface Pending {
  row: number;
  end: number;
  sourceId: string | null;
  /** The row as read, unchecked: the platform validates each record and answers it by its index. */
  record: Record<string, unknown>;
}

const attempts = 5;

function csvCell(value: unknown): string {
  const text = String(value ?? '');
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function retryDelayMs(response: Response | undefined, attempt: number): number {
  const retryAfter = Number(response?.headers.get('retry-after'));
  if (Number.isFinite(retryAfter) && retryAfter > 0) return Math.min(retryAfter, 30) * 1000;
  return 500 * 2 ** attempt;
}

await runCommand({
  name: 'import',
  usage,
  options: {
    provider: { type: 'string' },
    category: { type: 'string' },
    preset: { type: 'string' },
    file: { type: 'string' },
    mapping: { type: 'string' },
    encoding: { type: 'string', default: 'auto' },
    url: { type: 'string' },
    token: { type: 'string' },
    batch: { type: 'string', default: '500' },
    restart: { type: 'boolean', default: false },
  },
  async run(values) {
    const { openDevIssuer } = await import('@credit/auth');
    const { baseEnvironmentSchema, localUrlOf, parseEnvironment } = await import('@credit/config');
    const { findEntry, isNationalFormat, matchNationalHeader, nationalPresets } = await import(
      '@credit/schema'
    );
    const { createCreditClient, ndjson: asNdjson } = await import('@credit/client');
    const { rowMapper } = await import('../import/row-mapping.ts');
    const { csvRows, detectEncoding, ndjsonRows, xlsxRows } = await import('../import/sources.ts');
    const { CsvError } = await import('csv-parse');

    const file = values.file ?? fail('--file is required');
    const provider = values.provider ?? fail('--provider is required');
    const format =
      values.preset === undefined || isNationalFormat(values.preset)
        ? values.preset
        : fail(`--preset must be shuanggongshi-penalty or shuanggongshi-licence; got '${values.preset}'`);
    const preset = format ? nationalPresets[format] : undefined;
    if (preset && values.mapping) fail('--preset maps the national items itself: leave out --mapping');
    if (preset && values.category && values.category !== preset.category)
      fail(`--preset ${preset.format} pushes ${preset.category}: leave out --category`);
    const entry =
      findEntry(preset?.category ?? values.category ?? '') ??
      fail(`--category must be a catalogue entry (GET /v1/catalogue); got '${values.category ?? ''}'`);
    const batchSize = Number(values.batch);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000)
      fail('--batch must be between 1 and 10000');
    const ndjson = file.endsWith('.ndjson') || file.endsWith('.jsonl');
    const xlsx = file.toLowerCase().endsWith('.xlsx');
    if (xlsx && !preset)
      fail('an .xlsx file is read with --preset; save it as CSV to import it with a mapping');
    const encoding =
      values.encoding === 'auto' ? (ndjson || xlsx ? 'utf8' : await detectEncoding(file)) : values.encoding;
    if (encoding !== 'utf8' && encoding !== 'gbk') fail('--encoding must be auto, utf8 or gbk');
    const mapping = values.mapping ? await readMapping(values.mapping) : {};

    const env = parseEnvironment(baseEnvironmentSchema);
    const baseUrl = (values.url ?? localUrlOf(env)).replace(/\/+$/, '');
    const endpoint = `${baseUrl}/v1/records/batch`;
    const unreachableHint = values.url
      ? 'Check --url.'
      : `This is where HOST and PORT put \`npm start\` (HOST=${env.HOST}, PORT=${env.PORT}): start the platform, run this with the HOST and PORT it runs with, or pass --url.`;

    const token = await bearer();
    async function bearer(): Promise<string> {
      if (values.token) return values.token;
      if (process.env.CREDIT_TOKEN) return process.env.CREDIT_TOKEN;
      if (env.AUTH_ISSUER)
        fail('pass --token (or CREDIT_TOKEN): tokens come from the configured identity provider');
      const issuer = await openDevIssuer(env.DATA_DIR);
      return issuer.sign({ roles: ['provider'], org: provider, ttlSeconds: 24 * 3600 });
    }

    const statePath = `${file}.import-state.json`;
    const reportPath = `${file}.refusals.csv`;
    const info = await stat(file);
    const fingerprint = `${info.size}:${info.mtimeMs}:${preset?.format ?? entry.code}:${provider}`;
    let state: ImportState = { fingerprint, doneRows: 0, doneBytes: 0 };
    if (!values.restart) {
      try {
        const saved = JSON.parse(await readFile(statePath, 'utf8')) as ImportState;
        if (saved.fingerprint === fingerprint) state = saved;
      } catch {
        // no state: a fresh import
      }
    }
    const resuming = state.doneRows > 0;
    // A preset's refusals also name the national item (column) the field was read from.
    if (!resuming) await writeFile(reportPath, `row,sourceId,${preset ? 'item,' : ''}field,code,message\n`);

    async function saveState(): Promise<void> {
      await writeFile(`${statePath}.tmp`, JSON.stringify(state));
      await rename(`${statePath}.tmp`, statePath);
    }

    const totals = { rows: 0, created: 0, unchanged: 0, refused: 0, skipped: 0 };
    const started = Date.now();
    const startBytes = state.doneBytes ?? 0;
    const interactive = process.stderr.isTTY;

    // How far through the file the rows the platform has answered reach: never the rows only read.
    function progress(final = false): void {
      const seconds = (Date.now() - started) / 1000;
      const rate = totals.rows / Math.max(seconds, 0.001);
      const done = final ? info.size : (state.doneBytes ?? 0);
      const fraction = info.size > 0 ? Math.min(done / info.size, 1) : 1;
      const doneThisRun = done - startBytes;
      const eta =
        doneThisRun > 0 && fraction < 1 ? Math.round((seconds / doneThisRun) * (info.size - done)) : 0;
      const line = `${totals.rows.toLocaleString()} rows · ${Math.round(rate).toLocaleString()} rows/s · ${Math.floor(fraction * 100)}% · ETA ${eta}s · created ${totals.created} · unchanged ${totals.unchanged} · refused ${totals.refused}`;
      process.stderr.write(interactive ? `\r${line}${final ? '\n' : ''}` : `${line}\n`);
    }

    const client = createCreditClient({ baseUrl, token });

    // As NDJSON, which the platform reads line by line as it arrives and answers by line index.
    async function post(batch: Pending[]) {
      try {
        return await client.POST('/v1/records/batch', {
          ...asNdjson,
          ...(format ? { params: { query: { format } } } : {}),
          // Rows as read: the platform checks each item (with a preset, a row of national items).
          body: batch.map((p) => p.record as Schemas['RecordSubmission']),
        });
      } catch (error) {
        // A successful answer whose body is not JSON: something else listens at --url.
        if (error instanceof SyntaxError) fail(`${endpoint} did not take the batch (its answer is not JSON)`);
        return { failure: networkFailureOf(error) };
      }
    }

    async function send(batch: Pending[]): Promise<void> {
      const rows = `rows ${batch[0]?.row}–${batch.at(-1)?.row}`;
      let lastCause = '';
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const answer = await post(batch);
        let response: Response | undefined;
        if ('failure' in answer) {
          // Nothing listening there will not start listening within a retry's patience.
          if (!answer.failure.transient) throw unreachable(baseUrl, answer.failure, unreachableHint);
          lastCause = answer.failure.cause;
        } else {
          response = answer.response;
          // Something other than the platform may answer 200 with JSON of its own.
          if (Array.isArray(answer.data?.items)) return record(batch, answer.data);
          const what = describeError(response, answer.error);
          if (response.status < 500 && response.status !== 429)
            fail(
              response.status === 401 || response.status === 403
                ? `the platform at ${baseUrl} refused the token (${what}); a provider token for ${provider} is needed`
                : `${endpoint} did not take the batch (${what})`,
            );
          lastCause = what;
        }
        if (attempt < attempts) await new Promise((r) => setTimeout(r, retryDelayMs(response, attempt)));
      }
      fail(
        `the platform at ${baseUrl} did not accept ${rows} after ${attempts} attempts (last: ${lastCause}); run again to resume from there`,
      );
    }

    async function record(batch: Pending[], answer: Schemas['BatchResult']): Promise<void> {
      const lines: string[] = [];
      for (const item of answer.items) {
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
              [
                pending.row,
                item.sourceId ?? pending.sourceId,
                ...(preset ? [(error as { item?: string }).item ?? ''] : []),
                error.path,
                error.code,
                error.message,
              ]
                .map(csvCell)
                .join(','),
            );
        }
      }
      if (lines.length > 0) await appendFile(reportPath, `${lines.join('\n')}\n`);
    }

    const rows: AsyncGenerator<SourceRow> = ndjson
      ? ndjsonRows(file)
      : xlsx
        ? xlsxRows(file)
        : csvRows(file, encoding);
    const mapper = rowMapper(entry, mapping);
    /** With a preset, a row as the platform reads it: the national items only (and a sourceId). */
    const nationalRow = (fields: Record<string, string>): Record<string, unknown> =>
      Object.fromEntries(
        Object.entries(fields).filter(
          ([header]) => header === 'sourceId' || (format && matchNationalHeader(format, header)),
        ),
      );
    function warnHeaders(headers: string[]): void {
      if (!format) {
        const unmapped = mapper.unmapped(headers);
        if (unmapped.length > 0)
          process.stderr.write(
            `import: columns not mapped to ${entry.code} are ignored: ${unmapped.join(', ')}\n`,
          );
        return;
      }
      const unknown = headers.filter((h) => h !== 'sourceId' && !matchNationalHeader(format, h));
      if (unknown.length > 0)
        process.stderr.write(
          `import: columns that are no ${format} item are ignored: ${unknown.join(', ')}\n`,
        );
      const keptNowhere = headers
        .map((h) => matchNationalHeader(format, h)?.item)
        .filter((item) => item && item.target === null)
        .map((item) => `${item?.name} (${item?.why})`);
      if (keptNowhere.length > 0)
        process.stderr.write(`import: national items read but kept nowhere: ${keptNowhere.join('; ')}\n`);
    }
    let warnedHeaders = false;
    let batch: Pending[] = [];
    const timer = interactive ? setInterval(() => progress(), 250) : undefined;

    async function flush(): Promise<void> {
      const last = batch.at(-1);
      if (!last) return;
      await send(batch);
      state.doneRows = last.row;
      state.doneBytes = last.end;
      await saveState();
      batch = [];
      if (!interactive) progress();
    }

    try {
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
          warnHeaders(Object.keys(source.fields));
        }
        const converted =
          source.record ?? (format ? nationalRow(source.fields ?? {}) : mapper.toRecord(source.fields ?? {}));
        batch.push({
          row: source.row,
          end: source.end,
          // With a preset the platform derives it and answers it with each item.
          sourceId: typeof converted.sourceId === 'string' ? converted.sourceId : null,
          record: converted,
        });
        if (batch.length >= batchSize) await flush();
      }
      await flush();
    } catch (error) {
      // The message starts on a line of its own, not after the progress line.
      if (interactive) process.stderr.write('\n');
      if (error instanceof CsvError) {
        // The rows read before the bad line are good: send them, so a run after the fix adds nothing twice.
        await flush();
        fail(
          `${file} cannot be read as CSV at line ${error.lines}: ${error.message}. The rows before it were answered; correct the file and run again`,
        );
      }
      throw error;
    } finally {
      if (timer) clearInterval(timer);
    }
    progress(true);
    process.stdout.write(
      `${JSON.stringify({ file, category: entry.code, ...(format ? { preset: format } : {}), url: baseUrl, ...totals, resumed: resuming, report: reportPath, seconds: Math.round((Date.now() - started) / 100) / 10 })}\n`,
    );
    return 0;
  },
});

async function readMapping(path: string): Promise<ColumnMapping> {
  const text = (await readNamedFile(path)).toString('utf8');
  try {
    return JSON.parse(text) as ColumnMapping;
  } catch (error) {
    fail(`--mapping ${path} is not JSON: ${(error as Error).message}`);
  }
}

function fail(message: string): never {
  throw new CommandError(message);
}
