import { createHash, type Hash, hash } from 'node:crypto';
import { formatOccurrence } from '@credit/calendar';
import { identityAad, type Keyring } from '@credit/crypto';
import { asBuffer } from '@credit/db';
import {
  type ExportPreset,
  exportColumns,
  exportIdItem,
  exportPresets,
  listEntryValues,
  type NationalExportValues,
  type OpenDataManifest,
  type SubjectKind,
  toNationalValues,
} from '@credit/schema';
import type { PublicItemRow } from '../repositories/open-data-repository.ts';
import { gatedFieldsOf } from './consent-scope.ts';

/**
 * The bytes of a cut's files (docs/open-data.md): items turned into national rows, written as
 * CSV and JSON Lines straight into the file's current chunk, hashed a chunk at a time. This is
 * where a cut spends its processor time, so a row is built once and each file's line is
 * written from its values without further objects.
 */

const bom = '\uFEFF';
const incrementOpColumn = '操作';

/** A cell as CSV writes it: quoted when it must be; a leading = + - @ tab or CR is guarded (OWASP CSV injection), the JSON Lines keep it as is. */
const needsQuotes = /[",\r\n]/;

function csvCell(value: string): string {
  if (value === '') return value;
  const first = value.charCodeAt(0);
  // = + - @ \t \r
  const guarded =
    first === 61 || first === 43 || first === 45 || first === 64 || first === 9 || first === 13
      ? `'${value}`
      : value;
  return needsQuotes.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

/** A CSV line of `values`, after an `op` cell when given (the increment's first column). */
function csvLine(values: readonly string[], op?: string): string {
  let line = op === undefined ? '' : `${op},`;
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += ',';
    line += csvCell(values[i] as string);
  }
  return `${line}\r\n`;
}

for (const preset of exportPresets) {
  // The JSON Lines write a row from its values under these names: a repeated name would make
  // the row object hold fewer values than the columns.
  if (new Set(exportColumns[preset]).size !== exportColumns[preset].length)
    throw new Error(`the open-data columns of ${preset} repeat a name`);
}

/** Per preset, the text before each value of a row's JSON object: `{"name":`, `,"name":`, … */
const jsonNames = Object.fromEntries(
  exportPresets.map((preset) => [
    preset,
    exportColumns[preset].map((column, i) => `${i === 0 ? '{' : ','}${JSON.stringify(column)}:`),
  ]),
) as Record<ExportPreset, string[]>;

/** `JSON.stringify(row)` of a complete row (its values in column order), without building it again. */
function rowJson(preset: ExportPreset, values: readonly string[]): string {
  const names = jsonNames[preset];
  let json = '';
  for (let i = 0; i < values.length; i++) json += `${names[i]}${JSON.stringify(values[i])}`;
  return values.length === 0 ? '{}' : `${json}}`;
}

type FileMeta = OpenDataManifest['files'][number];
export type Chunk = { chunkNo: number; content: Buffer };

/** One file being written: encoded into its current chunk, hashed and counted as it goes, handed out in whole chunks. */
export class FileSink {
  private readonly hash: Hash | null;
  private chunk: Buffer;
  private offset = 0;
  private sealed: Chunk[] = [];
  private nextChunk = 0;
  bytes = 0;
  records = 0;

  constructor(
    readonly name: string,
    readonly kind: 'full' | 'increment',
    readonly format: 'csv' | 'jsonl',
    readonly preset: ExportPreset | null,
    private readonly chunkBytes: number,
    /** A chunk buffer to write into: a stored one given back, or a new one. */
    private readonly allocate: () => Buffer = () => Buffer.allocUnsafe(chunkBytes),
    /** Off for a part of a file written on a thread: the thread that writes the whole file hashes it. */
    hashing = true,
  ) {
    this.chunk = allocate();
    this.hash = hashing ? createHash('sha256') : null;
  }

  /** Bytes of lines already encoded (a part of the file written on a thread), holding `records` records. */
  writeBytes(bytes: Uint8Array, records: number): void {
    this.records += records;
    for (let at = 0; at < bytes.length; ) {
      const length = Math.min(bytes.length - at, this.chunkBytes - this.offset);
      this.chunk.set(bytes.subarray(at, at + length), this.offset);
      this.offset += length;
      at += length;
      if (this.offset === this.chunkBytes) this.seal();
    }
    this.bytes += bytes.length;
  }

  write(text: string, isRecord = true): void {
    if (isRecord) this.records += 1;
    // Most lines fit what is left of the chunk (a UTF-16 unit is at most 3 bytes of UTF-8).
    if (text.length * 3 <= this.chunkBytes - this.offset) {
      const written = this.chunk.write(text, this.offset, 'utf8');
      this.offset += written;
      this.bytes += written;
      if (this.offset === this.chunkBytes) this.seal();
      return;
    }
    const encoded = Buffer.from(text, 'utf8');
    for (let at = 0; at < encoded.length; ) {
      const length = Math.min(encoded.length - at, this.chunkBytes - this.offset);
      encoded.copy(this.chunk, this.offset, at, at + length);
      this.offset += length;
      at += length;
      if (this.offset === this.chunkBytes) this.seal();
    }
    this.bytes += encoded.length;
  }

  private seal(): void {
    const content = this.offset === this.chunkBytes ? this.chunk : this.chunk.subarray(0, this.offset);
    this.hash?.update(content);
    this.sealed.push({ chunkNo: this.nextChunk++, content });
    this.chunk = this.allocate();
    this.offset = 0;
  }

  /** Whole chunks written so far (and with `final`, the rest). */
  take(final: boolean): Chunk[] {
    if (final && this.offset > 0) this.seal();
    const chunks = this.sealed;
    this.sealed = [];
    return chunks;
  }

  meta(): FileMeta {
    return {
      name: this.name,
      kind: this.kind,
      format: this.format,
      preset: this.preset,
      bytes: this.bytes,
      sha256: this.hash?.digest('hex') ?? '',
      records: this.records,
    };
  }
}

/** An item of the cut as its files write it: its preset, id and values in column order. */
export interface CutItem {
  preset: ExportPreset;
  id: string;
  values: string[];
}

/** The file set of one cut: per kind, a CSV per preset and one JSON Lines file. */
export class CutFiles {
  readonly sinks: FileSink[] = [];
  private readonly csv = new Map<string, FileSink>();
  private readonly jsonl = new Map<string, FileSink>();
  /** Chunk buffers stored and given back: the files are written into a few buffers over and over. */
  private readonly spare: Buffer[] = [];

  /**
   * The first cut has no increment: a mirror starts from its full files. `part`: the lines of a
   * range of items a thread writes, for the whole files another thread writes (no headers, no
   * hashes, each chunk a buffer of its own, to be handed over); the sinks are in the same order.
   */
  constructor(
    day: string,
    private readonly chunkBytes: number,
    private readonly increments: boolean,
    part = false,
  ) {
    const allocate = part
      ? () => Buffer.allocUnsafeSlow(chunkBytes)
      : () => this.spare.pop() ?? Buffer.allocUnsafe(chunkBytes);
    for (const kind of increments ? (['full', 'increment'] as const) : (['full'] as const)) {
      for (const preset of exportPresets) {
        const sink = new FileSink(
          `${day}-${kind}-${preset}.csv`,
          kind,
          'csv',
          preset,
          chunkBytes,
          allocate,
          !part,
        );
        const header =
          kind === 'full' ? exportColumns[preset] : [incrementOpColumn, ...exportColumns[preset]];
        if (!part) sink.write(bom + csvLine(header), false);
        this.csv.set(`${kind}/${preset}`, sink);
        this.sinks.push(sink);
      }
      const lines = new FileSink(`${day}-${kind}.jsonl`, kind, 'jsonl', null, chunkBytes, allocate, !part);
      this.jsonl.set(kind, lines);
      this.sinks.push(lines);
    }
  }

  /** Chunks the database has stored: their buffers are written again. */
  recycle(chunks: readonly Chunk[]): void {
    // A few: the sinks' current chunks and those stored meanwhile are all the cut writes into at once.
    for (const { content } of chunks)
      if (content.length === this.chunkBytes && this.spare.length < 4) this.spare.push(content);
  }

  full(item: CutItem): void {
    this.csv.get(`full/${item.preset}`)?.write(csvLine(item.values));
    this.jsonl
      .get('full')
      ?.write(
        `{"preset":${JSON.stringify(item.preset)},"id":${JSON.stringify(item.id)},"row":${rowJson(item.preset, item.values)}}\n`,
      );
  }

  upsert(item: CutItem): void {
    if (!this.increments) return;
    this.csv.get(`increment/${item.preset}`)?.write(csvLine(item.values, 'upsert'));
    this.jsonl
      .get('increment')
      ?.write(
        `{"op":"upsert","preset":${JSON.stringify(item.preset)},"id":${JSON.stringify(item.id)},"row":${rowJson(item.preset, item.values)}}\n`,
      );
  }

  delete(preset: ExportPreset, id: string): void {
    if (!this.increments) return;
    const columns = exportColumns[preset];
    this.csv.get(`increment/${preset}`)?.write(
      csvLine(
        columns.map((c) => (c === exportIdItem ? id : '')),
        'delete',
      ),
    );
    this.jsonl.get('increment')?.write(`${JSON.stringify({ op: 'delete', preset, id })}\n`);
  }
}

/** What the published baseline gets of an item this cut writes. */
export type Published = { subjectKey: Buffer; itemId: string; preset: string; digest: Buffer };

/**
 * Writes public items (rows of the cut's cursor) to `files`: each to the full files, and to the
 * increment when its row differs from what the last cut published. Returns what the baseline
 * gets: items published for the first time (`fresh`), and those whose row changed.
 */
export function writeItems(
  rows: readonly PublicItemRow[],
  files: CutFiles,
  open: ReturnType<typeof identityOpener>,
): { fresh: Published[]; changed: Published[] } {
  const fresh: Published[] = [];
  const changed: Published[] = [];
  for (const row of rows) {
    const item = cutItem(row, open);
    files.full(item);
    const digest = rowDigest(item);
    const before = row.published_digest ? asBuffer(row.published_digest) : null;
    if (before?.equals(digest)) continue;
    files.upsert(item);
    const published = {
      subjectKey: asBuffer(row.subject_key),
      itemId: row.item_id,
      preset: item.preset,
      digest,
    };
    (before ? changed : fresh).push(published);
  }
  return { fresh, changed };
}

/** The first 16 bytes of SHA-256 over a row: what the published baseline keeps to tell a changed row. */
export function rowDigest(item: CutItem): Buffer {
  return hash('sha256', `${item.preset}\u0000${item.values.join('\u0000')}`, 'buffer').subarray(0, 16);
}

const asDate = (value: Date | string | null): Date | null =>
  value === null ? null : value instanceof Date ? value : new Date(value);

/** Subjects repeat across consecutive items (the cut reads in subject order): each is opened once. */
export function identityOpener(keyring: Keyring) {
  let last: { key: Buffer; identity: { id: string; name: string } } | undefined;
  return (row: PublicItemRow): { id: string; name: string } => {
    const key = asBuffer(row.subject_key);
    if (last?.key.equals(key)) return last.identity;
    const identity = {
      id: keyring.decrypt(
        row.key_id as string,
        asBuffer(row.identifier_cipher as Buffer),
        identityAad('identifier', key),
      ),
      name: keyring.decrypt(
        row.key_id as string,
        asBuffer(row.name_cipher as Buffer),
        identityAad('name', key),
      ),
    };
    last = { key, identity };
    return identity;
  };
}

/** An item as disclosure shows it, in national items: the public never sees consent-gated values or related persons. */
function exportedRow(
  row: PublicItemRow,
  subject: { kind: SubjectKind; id: string; name: string },
): NationalExportValues {
  if (row.source === 'entry') {
    return listEntryValues({
      entryId: row.item_id,
      subject,
      listKind: row.list_kind as 'red' | 'black',
      domain: row.domain ?? '',
      validFrom: asDate(row.valid_from),
      validUntil: asDate(row.valid_until),
      measures: row.measures ?? [],
    });
  }
  const category = row.category as string;
  let data = row.data ?? {};
  const gated = gatedFieldsOf(category, data);
  if (gated.length > 0) {
    // A copy without them: the row the driver parsed stays as it was.
    data = { ...data };
    for (const field of gated) delete data[field];
  }
  return toNationalValues({
    recordId: row.item_id,
    version: row.version ?? 1,
    category,
    subject,
    // The instant is parsed only for a fact without a plain date: most have one.
    occurredOn: row.occurred_on ?? formatOccurrence({ at: asDate(row.occurred_at) as Date, date: null }),
    data,
    providerCode: row.provider_code ?? '',
    displayUntil: asDate(row.display_until),
  });
}

const idColumn = Object.fromEntries(
  exportPresets.map((preset) => [preset, exportColumns[preset].indexOf(exportIdItem)]),
) as Record<ExportPreset, number>;

/** A public item as a row of the cut's files. */
export function cutItem(row: PublicItemRow, open: ReturnType<typeof identityOpener>): CutItem {
  const { preset, values } = exportedRow(row, { kind: row.subject_kind as SubjectKind, ...open(row) });
  return { preset, id: values[idColumn[preset]] ?? '', values };
}
