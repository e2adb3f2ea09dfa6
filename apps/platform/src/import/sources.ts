import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Transform } from 'node:stream';
import { parse } from 'csv-parse';
import iconv from 'iconv-lite';

export interface SourceRow {
  /** 1-based data row number (CSV: excluding the header line; NDJSON: line number). */
  row: number;
  fields?: Record<string, string>;
  record?: Record<string, unknown>;
  error?: string;
}

/** Spreadsheets exported on Chinese Windows are often GBK: decode as UTF-8 if the start is valid UTF-8, else GBK. */
export async function detectEncoding(path: string): Promise<'utf8' | 'gbk'> {
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, 0);
    const sample = buffer.subarray(0, bytesRead);
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(sample.subarray(0, lastCompleteUtf8(sample)));
      return 'utf8';
    } catch {
      return 'gbk';
    }
  } finally {
    await handle.close();
  }
}

/** Cuts a sample before a possibly truncated final UTF-8 sequence. */
function lastCompleteUtf8(sample: Buffer): number {
  let end = sample.length;
  for (let i = Math.max(0, sample.length - 4); i < sample.length; i++) {
    const byte = sample[i] as number;
    if (byte >= 0xc0) end = i;
  }
  return end;
}

/** Counts bytes as they are read, for progress. */
function byteCounter(onBytes: (n: number) => void) {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
}

export async function* csvRows(
  path: string,
  encoding: 'utf8' | 'gbk',
  onBytes: (n: number) => void,
): AsyncGenerator<SourceRow> {
  const parser = createReadStream(path)
    .pipe(byteCounter(onBytes))
    .pipe(iconv.decodeStream(encoding))
    .pipe(parse({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: true, trim: true }));
  let row = 0;
  for await (const fields of parser) {
    row++;
    yield { row, fields: fields as Record<string, string> };
  }
}

export async function* ndjsonRows(path: string, onBytes: (n: number) => void): AsyncGenerator<SourceRow> {
  const lines = createInterface({
    input: createReadStream(path).pipe(byteCounter(onBytes)),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let row = 0;
  for await (const line of lines) {
    row++;
    if (line.trim() === '') continue;
    try {
      const value = JSON.parse(line) as Record<string, unknown>;
      // A line is a whole record, or a row of columns like a CSV row.
      if ('subject' in value || 'data' in value) yield { row, record: value };
      else yield { row, fields: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)])) };
    } catch {
      yield { row, error: 'the line is not valid JSON' };
    }
  }
}
