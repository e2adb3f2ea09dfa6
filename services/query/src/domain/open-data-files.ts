import { createHash, type Hash, hash } from 'node:crypto';
import { formatOccurrence } from '@credit/calendar';
import { identityAad, type Keyring } from '@credit/crypto';
import { asBuffer } from '@credit/db';
import {
  type ExportPreset,
  exportColumns,
  exportIdItem,
  exportLeadColumns,
  exportLeadValues,
  exportPresetOf,
  exportPresets,
  exportRenderingStamp,
  listEntryValues,
  type NationalExportValues,
  type OpenDataManifest,
  type SubjectKind,
  toNationalValues,
} from '@credit/schema';
import type { PublicItemRow } from '../repositories/open-data-repository.ts';
import { gatedFieldsOf } from './consent-scope.ts';

/**
 * The bytes of a cut's files (docs/open-data.md): items as national rows, written as CSV and
 * JSON Lines straight into the file's current chunk, hashed a chunk at a time.
 *
 * An item's lines are rendered when its record or list entry is written to the read model, not
 * by every cut: a cut joins each item's stored body (its lines after the subject's three lead
 * cells) to its subject's cells, opened once a subject. The body is stamped with
 * `exportRenderingStamp`; a body of another stamp (or none: a row written before bodies were
 * kept) is rendered by the cut itself, which also stores it again for the next.
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

  full(preset: ExportPreset, id: string, head: SubjectHead, body: ItemBody): void {
    const csv = this.csv.get(`full/${preset}`);
    csv?.write(head.csv, true);
    csv?.write(body.csv, false);
    const lines = this.jsonl.get('full');
    lines?.write(`{"preset":${JSON.stringify(preset)},"id":${JSON.stringify(id)},"row":${head.json}`, true);
    lines?.write(`${body.json}}\n`, false);
  }

  upsert(preset: ExportPreset, id: string, head: SubjectHead, body: ItemBody): void {
    if (!this.increments) return;
    const csv = this.csv.get(`increment/${preset}`);
    csv?.write(`upsert,${head.csv}`, true);
    csv?.write(body.csv, false);
    const lines = this.jsonl.get('increment');
    lines?.write(
      `{"op":"upsert","preset":${JSON.stringify(preset)},"id":${JSON.stringify(id)},"row":${head.json}`,
      true,
    );
    lines?.write(`${body.json}}\n`, false);
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

/** An item's lines after its subject's lead cells: CSV cells each after a comma, to the line's end; JSON members each after a comma, and the row's closing brace. */
export interface ItemBody {
  csv: string;
  json: string;
}

/** An organisation's lead cells, as each file begins its items' lines with them. */
export interface SubjectHead {
  csv: string;
  /** The row object opened, its lead members written: `{"行政相对人名称":…,…,"统一社会信用代码":…`. */
  json: string;
}

const leadNames = exportLeadColumns.map((column, i) => `${i === 0 ? '{' : ','}${JSON.stringify(column)}:`);

function subjectHead(values: readonly string[]): SubjectHead {
  let csv = '';
  let json = '';
  for (let i = 0; i < exportLeadColumns.length; i++) {
    csv += `${i === 0 ? '' : ','}${csvCell(values[i] as string)}`;
    json += `${leadNames[i]}${JSON.stringify(values[i])}`;
  }
  return { csv, json };
}

/** The lines of a row after its lead cells. */
function itemBody(values: readonly string[], preset: ExportPreset): ItemBody {
  const names = jsonNames[preset];
  let csv = '';
  let json = '';
  for (let i = exportLeadColumns.length; i < values.length; i++) {
    csv += `,${csvCell(values[i] as string)}`;
    json += `${names[i]}${JSON.stringify(values[i])}`;
  }
  return { csv: `${csv}\r\n`, json: `${json}}` };
}

/**
 * The first 16 bytes of SHA-256 over an item's row (its preset and JSON row, which tells every
 * value apart): what the published baseline keeps to tell a changed row.
 */
export function itemDigest(preset: ExportPreset, head: SubjectHead, body: ItemBody): Buffer {
  return hash('sha256', `${preset}\u0000${head.json}${body.json}`, 'buffer').subarray(0, 16);
}

/**
 * Writes public items (rows of the cut's cursor) to `files`: each to the full files, and to the
 * increment when its row differs from what the last cut published. Returns what the baseline
 * gets: items published for the first time (`fresh`), and those whose row changed; and the
 * bodies the cut rendered itself (their stored ones were of another stamp), to store again.
 */
export function writeItems(
  rows: readonly PublicItemRow[],
  files: CutFiles,
  open: ReturnType<typeof identityOpener>,
): { fresh: Published[]; changed: Published[]; rendered: RenderedBody[] } {
  const fresh: Published[] = [];
  const changed: Published[] = [];
  const rendered: RenderedBody[] = [];
  for (const row of rows) {
    const head = open(row);
    let preset: ExportPreset;
    let body: ItemBody;
    if (row.export_csv !== null && row.export_json !== null) {
      preset = row.source === 'entry' ? 'platform-list-entry' : exportPresetOf(row.category as string);
      body = { csv: row.export_csv, json: row.export_json };
    } else {
      ({ preset, body } = renderedRow(row));
      rendered.push({ row, body });
    }
    files.full(preset, row.item_id, head, body);
    const digest = itemDigest(preset, head, body);
    const before = row.published_digest ? asBuffer(row.published_digest) : null;
    if (before?.equals(digest)) continue;
    files.upsert(preset, row.item_id, head, body);
    const published = { subjectKey: asBuffer(row.subject_key), itemId: row.item_id, preset, digest };
    (before ? changed : fresh).push(published);
  }
  return { fresh, changed, rendered };
}

/** A body the cut rendered, with the row it rendered it from (whose version it must still be when stored). */
export type RenderedBody = { row: PublicItemRow; body: ItemBody };

const asDate = (value: Date | string | null): Date | null =>
  value === null ? null : value instanceof Date ? value : new Date(value);

/** Subjects repeat across consecutive items (the cut reads in subject order): each is opened once. */
export function identityOpener(keyring: Keyring) {
  let last: { key: Buffer; head: SubjectHead } | undefined;
  return (row: PublicItemRow): SubjectHead => {
    const key = asBuffer(row.subject_key);
    if (last?.key.equals(key)) return last.head;
    const id = keyring.decrypt(
      row.key_id as string,
      asBuffer(row.identifier_cipher as Buffer),
      identityAad('identifier', key),
    );
    const name = keyring.decrypt(
      row.key_id as string,
      asBuffer(row.name_cipher as Buffer),
      identityAad('name', key),
    );
    const head = subjectHead(exportLeadValues({ kind: row.subject_kind as SubjectKind, id, name }));
    last = { key, head };
    return head;
  };
}

/** Rows are rendered without their subject, whose lead cells each cut writes: an organisation's other subject cells are empty. */
const anyOrganisation = { kind: 'legal_person', id: '', name: '' } as const;

/** What a record's body is rendered from: the read model's columns. */
export interface RecordToRender {
  recordId: string;
  version: number;
  category: string;
  /** The fact's plain date (YYYY-MM-DD), when it has one; else `occurredAt` is. */
  occurredOn: string | null;
  occurredAt: Date;
  data: Record<string, unknown>;
  providerCode: string;
  displayUntil: Date | null;
}

/** What a list entry's body is rendered from. */
export interface EntryToRender {
  entryId: string;
  listKind: 'red' | 'black';
  domain: string;
  validFrom: Date | null;
  validUntil: Date | null;
  measures: readonly string[];
}

/** A record as disclosure shows it, in national items: the public never sees consent-gated values or related persons. */
function recordValues(record: RecordToRender): NationalExportValues {
  let data = record.data;
  const gated = gatedFieldsOf(record.category, data);
  if (gated.length > 0) {
    // A copy without them: the row the caller holds stays as it was.
    data = { ...data };
    for (const field of gated) delete data[field];
  }
  return toNationalValues({
    recordId: record.recordId,
    version: record.version,
    category: record.category,
    subject: anyOrganisation,
    occurredOn: record.occurredOn ?? formatOccurrence({ at: record.occurredAt, date: null }),
    data,
    providerCode: record.providerCode,
    displayUntil: record.displayUntil,
  });
}

/** A public record's body, as the read model stores it beside the record (with `exportRenderingStamp`). */
export function recordBody(record: RecordToRender): ItemBody {
  const { preset, values } = recordValues(record);
  return itemBody(values, preset);
}

/** A published red or black list entry's body, as the read model stores it beside the entry. */
export function entryBody(entry: EntryToRender): ItemBody {
  const { preset, values } = listEntryValues({ ...entry, subject: anyOrganisation });
  return itemBody(values, preset);
}

/** The read model's columns of a stored body: null where open data never shows the item. */
export function storedBody(body: ItemBody | null): {
  exportCsv: string | null;
  exportJson: string | null;
  exportStamp: string | null;
} {
  return body
    ? { exportCsv: body.csv, exportJson: body.json, exportStamp: exportRenderingStamp }
    : { exportCsv: null, exportJson: null, exportStamp: null };
}

/** A row of the cut whose stored body was of another stamp, rendered here. */
function renderedRow(row: PublicItemRow): { preset: ExportPreset; body: ItemBody } {
  if (row.source === 'entry') {
    return {
      preset: 'platform-list-entry',
      body: entryBody({
        entryId: row.item_id,
        listKind: row.list_kind as 'red' | 'black',
        domain: row.domain ?? '',
        validFrom: asDate(row.valid_from),
        validUntil: asDate(row.valid_until),
        measures: row.measures ?? [],
      }),
    };
  }
  const category = row.category as string;
  return {
    preset: exportPresetOf(category),
    body: recordBody({
      recordId: row.item_id,
      version: row.version ?? 1,
      category,
      occurredOn: row.occurred_on,
      occurredAt: asDate(row.occurred_at) as Date,
      data: row.data ?? {},
      providerCode: row.provider_code ?? '',
      displayUntil: asDate(row.display_until),
    }),
  };
}
