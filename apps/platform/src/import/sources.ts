import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { parse } from 'csv-parse';
import iconv from 'iconv-lite';

export interface SourceRow {
  /** 1-based data row number (CSV: excluding the header line; NDJSON: line number). */
  row: number;
  fields?: Record<string, string>;
  record?: Record<string, unknown>;
  error?: string;
  /** The byte offset in the file where this row ends: how far through the file it is. */
  end: number;
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

/** Counts the bytes passing one point of a pipeline. */
function byteCounter(count: { bytes: number }) {
  return new Transform({
    transform(chunk: Buffer | string, _encoding, done) {
      count.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      done(null, chunk);
    },
  });
}

/**
 * CSV rows with where each ends in the file. The parser counts the bytes of the decoded text it
 * has consumed; a GBK file's decoded text is longer than the file, so that count is scaled by
 * the ratio of file bytes to decoded bytes read so far (exact for UTF-8, within the current
 * chunk for GBK). Counting file bytes as they are read would not do: the stream reads ahead, and
 * a file smaller than its first chunk would show as read whole before the first row is sent.
 */
export async function* csvRows(path: string, encoding: 'utf8' | 'gbk'): AsyncGenerator<SourceRow> {
  const raw = { bytes: 0 };
  const decoded = { bytes: 0 };
  const parser = createReadStream(path)
    .pipe(byteCounter(raw))
    .pipe(iconv.decodeStream(encoding))
    .pipe(byteCounter(decoded))
    .pipe(
      parse({
        columns: true,
        bom: true,
        skip_empty_lines: true,
        relax_column_count: true,
        trim: true,
        info: true,
      }),
    );
  let row = 0;
  for await (const { record, info } of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { bytes: number };
  }>) {
    row++;
    const end = decoded.bytes > 0 ? Math.round((info.bytes * raw.bytes) / decoded.bytes) : 0;
    yield { row, fields: record, end };
  }
}

function lineRow(row: number, line: Buffer, end: number): SourceRow | undefined {
  let text = line.toString('utf8');
  if (row === 1 && text.startsWith('\uFEFF')) text = text.slice(1);
  if (text.endsWith('\r')) text = text.slice(0, -1);
  if (text.trim() === '') return undefined;
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    // A line is a whole record, or a row of columns like a CSV row.
    if ('subject' in value || 'data' in value) return { row, record: value, end };
    return { row, fields: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)])), end };
  } catch {
    return { row, error: 'the line is not valid JSON', end };
  }
}

/** NDJSON lines with the byte offset each ends at (split here, not by readline, to know it). */
export async function* ndjsonRows(path: string): AsyncGenerator<SourceRow> {
  let row = 0;
  let end = 0;
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    const data = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    let start = 0;
    for (let newline = data.indexOf(10); newline !== -1; newline = data.indexOf(10, start)) {
      end += newline + 1 - start;
      const parsed = lineRow(++row, data.subarray(start, newline), end);
      start = newline + 1;
      if (parsed) yield parsed;
    }
    pending = data.subarray(start);
  }
  if (pending.length > 0) {
    const parsed = lineRow(++row, pending, end + pending.length);
    if (parsed) yield parsed;
  }
}

/** A cell's value as text: dates as the calendar date they show, formulas as their result. */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) {
    // Spreadsheet dates carry no zone: the reader gives the day shown at 00:00 UTC.
    return value.toISOString().slice(0, 10);
  }
  if (typeof value === 'object') {
    const cell = value as {
      richText?: { text: string }[];
      text?: unknown;
      result?: unknown;
      error?: string;
    };
    if (cell.richText) return cell.richText.map((part) => part.text).join('');
    if ('result' in cell) return cellText(cell.result);
    if ('text' in cell) return cellText(cell.text);
    if (cell.error) return '';
  }
  return String(value);
}

/**
 * The first worksheet of an XLSX workbook, read as a stream (the workbook is never held whole):
 * its first row is the header, each later row a row of fields. Where a row ends is counted in
 * the compressed file read so far, which the reader reads ahead of the rows it yields.
 */
export async function* xlsxRows(path: string): AsyncGenerator<SourceRow> {
  const { default: ExcelJS } = await import('exceljs');
  const raw = { bytes: 0 };
  const input = createReadStream(path).pipe(byteCounter(raw));
  const workbook = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache',
    hyperlinks: 'ignore',
  });
  let row = 0;
  try {
    for await (const worksheet of workbook) {
      let headers: string[] | undefined;
      for await (const sheetRow of worksheet as AsyncIterable<{ values: unknown }>) {
        // `values` is 1-based: index 0 is always empty.
        const cells = (Array.isArray(sheetRow.values) ? sheetRow.values.slice(1) : []).map(cellText);
        if (!headers) {
          headers = cells.map((cell) => cell.trim());
          continue;
        }
        if (cells.every((cell) => cell.trim() === '')) continue;
        const fields: Record<string, string> = {};
        headers.forEach((header, i) => {
          if (header !== '') fields[header] = cells[i] ?? '';
        });
        yield { row: ++row, fields, end: raw.bytes };
      }
      // Only the first worksheet holds the table.
      break;
    }
  } finally {
    input.destroy();
  }
}
