import { createHash, type Hash, hash } from 'node:crypto';
import { formatOccurrence } from '@credit/calendar';
import { identityAad, type Keyring } from '@credit/crypto';
import { asBuffer, type CopiedTuple } from '@credit/db';
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
import type { BaselineRows, EncodedBaseline } from '../repositories/open-data-baseline.ts';
import { type PublicItemRow, publicItemColumns } from '../repositories/open-data-repository.ts';
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
  private readonly hash: Hash = createHash('sha256');
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
  ) {
    this.chunk = allocate();
  }

  /** `source[start..end)`, part of a line already encoded. */
  copy(source: Buffer, start: number, end: number): void {
    for (let at = start; at < end; ) {
      const length = Math.min(end - at, this.chunkBytes - this.offset);
      source.copy(this.chunk, this.offset, at, at + length);
      this.offset += length;
      at += length;
      if (this.offset === this.chunkBytes) this.seal();
    }
    this.bytes += end - start;
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
    this.hash.update(content);
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
      sha256: this.hash.digest('hex'),
      records: this.records,
    };
  }
}

/** Chunk buffers kept for reuse once stored. */
const spareChunks = 16;

/** An item's CSV line: `opening` (an increment's op), the subject's cells, the body's. */
function writeCsvLine(
  sink: FileSink | undefined,
  opening: Buffer | null,
  head: SubjectHead,
  csv: Buffer,
  start: number,
  end: number,
): void {
  if (!sink) return;
  sink.records += 1;
  if (opening) sink.copy(opening, 0, opening.length);
  sink.copy(head.csv, 0, head.csv.length);
  sink.copy(csv, start, end);
}

/** An item's JSON line: `opening` up to its id, the id, the subject's members, the body's, the end. */
function writeJsonLine(
  sink: FileSink | undefined,
  opening: Buffer,
  head: SubjectHead,
  id: Buffer,
  idStart: number,
  idEnd: number,
  json: Buffer,
  start: number,
  end: number,
): void {
  if (!sink) return;
  sink.records += 1;
  sink.copy(opening, 0, opening.length);
  sink.copy(id, idStart, idEnd);
  sink.copy(rowMember, 0, rowMember.length);
  sink.copy(head.json, 0, head.json.length);
  sink.copy(json, start, end);
  sink.copy(lineEnd, 0, lineEnd.length);
}

/** The file set of one cut: per kind, a CSV per preset and one JSON Lines file. */
export class CutFiles {
  readonly sinks: FileSink[] = [];
  private readonly csv = new Map<string, FileSink>();
  private readonly jsonl = new Map<string, FileSink>();
  /** Chunk buffers stored and given back: the files are written into a few buffers over and over. */
  private readonly spare: Buffer[] = [];

  /** The first cut has no increment: a mirror starts from its full files. */
  constructor(
    day: string,
    private readonly chunkBytes: number,
    private readonly increments: boolean,
  ) {
    const allocate = () => this.spare.pop() ?? Buffer.allocUnsafe(chunkBytes);
    for (const kind of increments ? (['full', 'increment'] as const) : (['full'] as const)) {
      for (const preset of exportPresets) {
        const sink = new FileSink(`${day}-${kind}-${preset}.csv`, kind, 'csv', preset, chunkBytes, allocate);
        const header =
          kind === 'full' ? exportColumns[preset] : [incrementOpColumn, ...exportColumns[preset]];
        sink.write(bom + csvLine(header), false);
        this.csv.set(`${kind}/${preset}`, sink);
        this.sinks.push(sink);
      }
      const lines = new FileSink(`${day}-${kind}.jsonl`, kind, 'jsonl', null, chunkBytes, allocate);
      this.jsonl.set(kind, lines);
      this.sinks.push(lines);
    }
  }

  /** Chunks the database has stored: their buffers are written again. */
  recycle(chunks: readonly Chunk[]): void {
    // As many as the stores in flight hold (a few each): a buffer not kept is garbage V8 frees
    // only at its next full collection, and a cut writes a thousand of them at a million items.
    for (const { content } of chunks)
      if (content.length === this.chunkBytes && this.spare.length < spareChunks) this.spare.push(content);
  }

  /**
   * An item: its CSV line (the subject's cells, then the body's) to its preset's file, and its
   * JSON line (`{"preset":…,"id":"…","row":` the subject's members, the body's, `}`) to the JSON
   * Lines, each written piece by piece into the file's chunk; to the increment's too when `upsert`.
   * `id`: the item's id as JSON writes it inside its quotes.
   */
  item(
    preset: ExportPreset,
    head: SubjectHead,
    id: Buffer,
    idStart: number,
    idEnd: number,
    csv: Buffer,
    csvStart: number,
    csvEnd: number,
    json: Buffer,
    jsonStart: number,
    jsonEnd: number,
    upsert: boolean,
  ): void {
    writeCsvLine(this.csv.get(`full/${preset}`), null, head, csv, csvStart, csvEnd);
    writeJsonLine(
      this.jsonl.get('full'),
      linePrefix[preset],
      head,
      id,
      idStart,
      idEnd,
      json,
      jsonStart,
      jsonEnd,
    );
    if (!upsert || !this.increments) return;
    writeCsvLine(this.csv.get(`increment/${preset}`), upsertCsv, head, csv, csvStart, csvEnd);
    writeJsonLine(
      this.jsonl.get('increment'),
      upsertLinePrefix[preset],
      head,
      id,
      idStart,
      idEnd,
      json,
      jsonStart,
      jsonEnd,
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

/** An item's lines after its subject's lead cells: CSV cells each after a comma, to the line's end; JSON members each after a comma, and the row's closing brace. */
export interface ItemBody {
  csv: string;
  json: string;
  /** The first 16 bytes of SHA-256 over its preset and JSON. */
  digest: Buffer;
}

/** An organisation's lead cells, encoded as each file begins its items' lines with them. */
interface SubjectHead {
  csv: Buffer;
  /** The row object opened, its lead members written: `{"行政相对人名称":…,…,"统一社会信用代码":…`. */
  json: Buffer;
  /** The first 16 bytes of SHA-256 over `json`. */
  digest: Buffer;
}

const upsertCsv = Buffer.from('upsert,');
const upsertJson = Buffer.from('{"op":"upsert",');
const leadNames = exportLeadColumns.map((column, i) => `${i === 0 ? '{' : ','}${JSON.stringify(column)}:`);

function subjectHead(values: readonly string[]): SubjectHead {
  let csv = '';
  let json = '';
  for (let i = 0; i < exportLeadColumns.length; i++) {
    csv += `${i === 0 ? '' : ','}${csvCell(values[i] as string)}`;
    json += `${leadNames[i]}${JSON.stringify(values[i])}`;
  }
  const encoded = Buffer.from(json);
  return { csv: Buffer.from(csv), json: encoded, digest: hash('sha256', encoded, 'buffer').subarray(0, 16) };
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
  json += '}';
  return {
    csv: `${csv}\r\n`,
    json,
    digest: hash('sha256', `${preset}\u0000${json}`, 'buffer').subarray(0, 16),
  };
}

/** Each preset's JSON line up to its id: `{"preset":"…","id":"`. */
const linePrefix = Object.fromEntries(
  exportPresets.map((preset) => [preset, Buffer.from(`{"preset":${JSON.stringify(preset)},"id":"`)]),
) as Record<ExportPreset, Buffer>;
const rowMember = Buffer.from('","row":');
/** An increment's upsert line up to its id: `{"op":"upsert","preset":"…","id":"`. */
const upsertLinePrefix = Object.fromEntries(
  exportPresets.map((preset) => [preset, Buffer.concat([upsertJson, linePrefix[preset].subarray(1)])]),
) as Record<ExportPreset, Buffer>;
const lineEnd = Buffer.from('}\n');

/** Whether bytes are an id JSON writes as they are (ids are letters, digits, `_` and `-`). */
function plainId(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = bytes[i] as number;
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45))
      return false;
  }
  return end > start;
}

/** Field positions in a copied tuple (`publicItemColumns`). */
const field = Object.fromEntries(publicItemColumns.map((name, i) => [name, i])) as Record<
  (typeof publicItemColumns)[number],
  number
>;

/** A list entry's preset, or a record's by its category. */
const itemPreset = (source: PublicItemRow['source'], category: string | null): ExportPreset =>
  source === 'entry' ? 'platform-list-entry' : exportPresetOf(category as string);

const start = (tuple: CopiedTuple, i: number): number => tuple.starts[i] as number;
const end = (tuple: CopiedTuple, i: number): number =>
  (tuple.starts[i] as number) + (tuple.lengths[i] as number);
const isNull = (tuple: CopiedTuple, i: number): boolean => (tuple.lengths[i] as number) < 0;
const text = (tuple: CopiedTuple, i: number): string | null =>
  isNull(tuple, i) ? null : tuple.data.toString('utf8', start(tuple, i), end(tuple, i));

/**
 * Writes a cut's public items to its files, in the order read: each to the full files, and to
 * the increment when its row differs from what the last cut published. Items come as rows of
 * the cursor (`row`) or as tuples of binary COPY (`tuple`), whose bodies are copied into the
 * files as the bytes the database sent. Writes what the baseline gets (items published for the
 * first time and those whose row changed) into `baseline`, and collects the bodies it rendered
 * itself (stored ones of another stamp), to store again.
 *
 * A row's digest is SHA-256 over its line in the full JSON Lines (preset, id and every value).
 */
export class ItemWriter {
  rendered: RenderedBody[] = [];
  private subject: { key: Buffer; head: SubjectHead } | undefined;
  /** The item's digest as it is worked out. */
  private readonly digest = Buffer.alloc(16);

  constructor(
    private readonly files: CutFiles,
    private readonly keyring: Keyring,
    private readonly baseline: BaselineRows,
  ) {}

  /** What this batch gave the baseline and rendered, handed over; the writer starts the next batch empty. */
  take(): { baseline: EncodedBaseline | null; rendered: RenderedBody[] } {
    const taken = { baseline: this.baseline.take(), rendered: this.rendered };
    this.rendered = [];
    return taken;
  }

  row(row: PublicItemRow): void {
    const key = asBuffer(row.subject_key);
    const head =
      this.cachedHead(key, 0, key.length) ??
      this.openHead(
        key,
        row.key_id as string,
        asBuffer(row.identifier_cipher as Buffer),
        asBuffer(row.name_cipher as Buffer),
        row.subject_kind as SubjectKind,
      );
    this.writeRow(key, head, row);
  }

  tuple(tuple: CopiedTuple): void {
    const { data } = tuple;
    const head =
      this.cachedHead(data, start(tuple, field.subject_key), end(tuple, field.subject_key)) ??
      this.openHead(
        data.subarray(start(tuple, field.subject_key), end(tuple, field.subject_key)),
        text(tuple, field.key_id) as string,
        data.subarray(start(tuple, field.identifier_cipher), end(tuple, field.identifier_cipher)),
        data.subarray(start(tuple, field.name_cipher), end(tuple, field.name_cipher)),
        text(tuple, field.subject_kind) as SubjectKind,
      );
    const key = (this.subject as { key: Buffer }).key;
    const source = data[start(tuple, field.source)] === 101 /* e */ ? 'entry' : 'record';
    const idStart = start(tuple, field.item_id);
    const idEnd = end(tuple, field.item_id);
    const published = isNull(tuple, field.published_digest) ? null : data;
    if (
      !isNull(tuple, field.export_csv) &&
      !isNull(tuple, field.export_json) &&
      (tuple.lengths[field.export_digest] as number) === 16
    ) {
      const preset = itemPreset(source, text(tuple, field.category));
      this.write(
        key,
        preset,
        head,
        data,
        idStart,
        idEnd,
        data,
        start(tuple, field.export_csv),
        end(tuple, field.export_csv),
        data,
        start(tuple, field.export_json),
        end(tuple, field.export_json),
        data,
        start(tuple, field.export_digest),
        published,
        start(tuple, field.published_digest),
        end(tuple, field.published_digest),
      );
      return;
    }
    // A stale body: rendered from what the row sent, as a row of the cursor would be.
    const row: PublicItemRow = {
      subject_key: key,
      item_id: data.toString('utf8', idStart, idEnd),
      source,
      category: text(tuple, field.category),
      export_csv: null,
      export_json: null,
      export_digest: null,
      key_id: null,
      identifier_cipher: null,
      name_cipher: null,
      subject_kind: null,
      // A copy: the tuple's bytes are read into again.
      published_digest:
        published &&
        Buffer.from(data.subarray(start(tuple, field.published_digest), end(tuple, field.published_digest))),
      render: text(tuple, field.render),
    };
    this.writeRow(key, head, row);
  }

  /** A row whose body is a string: its stored one from the cursor, or one rendered here. */
  private writeRow(key: Buffer, head: SubjectHead, row: PublicItemRow): void {
    const { preset, body } = this.bodyOf(row);
    const csv = Buffer.from(body.csv);
    const json = Buffer.from(body.json);
    const id = Buffer.from(row.item_id);
    this.write(
      key,
      preset,
      head,
      id,
      0,
      id.length,
      csv,
      0,
      csv.length,
      json,
      0,
      json.length,
      body.digest,
      0,
      row.published_digest,
      0,
      row.published_digest?.length ?? 0,
    );
  }

  /** The head of the last subject when `key[start..end)` is its key: its items come in a row (the cut reads in subject order). */
  private cachedHead(key: Buffer, start: number, end: number): SubjectHead | undefined {
    const last = this.subject;
    if (
      last &&
      last.key.length === end - start &&
      key.compare(last.key, 0, last.key.length, start, end) === 0
    )
      return last.head;
    return undefined;
  }

  /** A subject's head, its identity opened. */
  private openHead(
    key: Buffer,
    keyId: string,
    identifier: Buffer,
    name: Buffer,
    kind: SubjectKind,
  ): SubjectHead {
    const copy = Buffer.from(key);
    const head = subjectHead(
      exportLeadValues({
        kind,
        id: this.keyring.decrypt(keyId, identifier, identityAad('identifier', copy)),
        name: this.keyring.decrypt(keyId, name, identityAad('name', copy)),
      }),
    );
    this.subject = { key: copy, head };
    return head;
  }

  private bodyOf(row: PublicItemRow): { preset: ExportPreset; body: ItemBody } {
    if (row.export_csv !== null && row.export_json !== null && row.export_digest !== null)
      return {
        preset: itemPreset(row.source, row.category),
        body: { csv: row.export_csv, json: row.export_json, digest: asBuffer(row.export_digest) },
      };
    const { preset, body, readAs } = renderedRow(row);
    this.rendered.push({ row, body, readAs });
    return { preset, body };
  }

  private write(
    subjectKey: Buffer,
    preset: ExportPreset,
    head: SubjectHead,
    id: Buffer,
    idStart: number,
    idEnd: number,
    csv: Buffer,
    csvStart: number,
    csvEnd: number,
    json: Buffer,
    jsonStart: number,
    jsonEnd: number,
    bodyDigest: Buffer,
    bodyDigestStart: number,
    published: Uint8Array | null,
    publishedStart: number,
    publishedEnd: number,
  ): void {
    const quotedId = plainId(id, idStart, idEnd)
      ? null
      : Buffer.from(JSON.stringify(id.toString('utf8', idStart, idEnd)).slice(1, -1));
    // The subject's digest and the body's, combined: either changing changes it.
    const { digest } = this;
    const headDigest = head.digest;
    for (let i = 0; i < 16; i++)
      digest[i] = (headDigest[i] as number) ^ (bodyDigest[bodyDigestStart + i] as number);
    const upsert = published === null || digest.compare(published, publishedStart, publishedEnd) !== 0;
    this.files.item(
      preset,
      head,
      quotedId ?? id,
      quotedId ? 0 : idStart,
      quotedId ? quotedId.length : idEnd,
      csv,
      csvStart,
      csvEnd,
      json,
      jsonStart,
      jsonEnd,
      upsert,
    );
    if (upsert) this.baseline.add(subjectKey, id, idStart, idEnd, preset, digest);
  }
}

/** A body the cut rendered, with the row it rendered it from (whose version it must still be when stored). */
export type RenderedBody = {
  row: PublicItemRow;
  body: ItemBody;
  /** The version of the record or entry it was rendered from: a record's version, an entry's last change. */
  readAs: { version: number } | { updatedAt: Date };
};

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
  exportDigest: Buffer | null;
  exportStamp: string | null;
} {
  return body
    ? {
        exportCsv: body.csv,
        exportJson: body.json,
        exportDigest: body.digest,
        exportStamp: exportRenderingStamp,
      }
    : { exportCsv: null, exportJson: null, exportDigest: null, exportStamp: null };
}

const asDate = (value: Date | string | null): Date | null =>
  value === null ? null : value instanceof Date ? value : new Date(value);

/** What a stale row sends to render it from (`render`, as JSON). */
type RenderSource = {
  version?: number;
  occurred_on?: string | null;
  occurred_at?: string;
  display_until?: string | null;
  provider_code?: string;
  data?: Record<string, unknown>;
  list_kind?: 'red' | 'black';
  domain?: string;
  valid_from?: string | null;
  valid_until?: string | null;
  measures?: string[];
  updated_at?: string;
};

/** A row of the cut whose stored body was of another stamp, rendered here. */
function renderedRow(row: PublicItemRow): {
  preset: ExportPreset;
  body: ItemBody;
  readAs: RenderedBody['readAs'];
} {
  const source = JSON.parse(row.render ?? '{}') as RenderSource;
  if (row.source === 'entry') {
    return {
      preset: 'platform-list-entry',
      body: entryBody({
        entryId: row.item_id,
        listKind: source.list_kind as 'red' | 'black',
        domain: source.domain ?? '',
        validFrom: asDate(source.valid_from ?? null),
        validUntil: asDate(source.valid_until ?? null),
        measures: source.measures ?? [],
      }),
      readAs: { updatedAt: new Date(source.updated_at as string) },
    };
  }
  const category = row.category as string;
  const version = source.version ?? 1;
  return {
    preset: exportPresetOf(category),
    readAs: { version },
    body: recordBody({
      recordId: row.item_id,
      version,
      category,
      occurredOn: source.occurred_on ?? null,
      occurredAt: asDate(source.occurred_at ?? null) as Date,
      data: source.data ?? {},
      providerCode: source.provider_code ?? '',
      displayUntil: asDate(source.display_until ?? null),
    }),
  };
}
