import { createHash } from 'node:crypto';
import { formatOccurrence, shanghaiDate } from '@credit/calendar';
import { canonicalJson, identityAad, type Keyring, type PlatformSigner } from '@credit/crypto';
import { asBuffer, type Database, inTransaction } from '@credit/db';
import {
  type ExportPreset,
  exportColumns,
  exportIdItem,
  exportPresets,
  listEntryToItems,
  type NationalExportRow,
  type OpenDataManifest,
  openDataManifestFormat,
  openDataSignatureType,
  type SubjectKind,
  toNationalItems,
} from '@credit/schema';
import { sql } from 'drizzle-orm';
import type { ItemKey, OpenDataRepository, PublicItemRow } from '../repositories/open-data-repository.ts';
import { gatedFieldsOf } from './consent-scope.ts';

/**
 * Open data (开放数据): once a day, everything public disclosure shows, cut in one snapshot into
 * files of national items: a full file set and an increment against the previous cut, with a
 * signed manifest. Read by keyset batches and written in chunks as it goes, so a cut holds a
 * batch and one chunk per file in memory whatever the size of the tables.
 */

export interface OpenDataContext {
  db: Database;
  keyring: Keyring;
  signer: PlatformSigner;
  openData: OpenDataRepository;
}

export interface OpenDataOptions {
  /** Items read per statement. */
  batchSize?: number;
  /** Bytes per stored chunk of a file. */
  chunkBytes?: number;
  /** Days of full files kept (a mirror starts from the newest); increments are kept `keepIncrementDays`. */
  keepFullDays?: number;
  keepIncrementDays?: number;
}

const defaults = { batchSize: 2_000, chunkBytes: 1 << 20, keepFullDays: 2, keepIncrementDays: 31 };

const bom = '\uFEFF';
const incrementOpColumn = '操作';

/** A cell as CSV writes it: quoted when it must be; a leading = + - @ is guarded (OWASP CSV injection), the JSON Lines keep it as is. */
const formulaStart = new Set(['=', '+', '-', '@', '\t', '\r']);
const needsQuotes = /[",\r\n]/;

function csvCell(value: string): string {
  if (value === '') return value;
  const guarded = formulaStart.has(value.charAt(0)) ? `'${value}` : value;
  return needsQuotes.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

function csvLine(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

type FileMeta = OpenDataManifest['files'][number];

/** One file being written: hashed and counted as it goes, handed out in whole chunks. */
class FileSink {
  private readonly hash = createHash('sha256');
  /** Text written since the last `take`, encoded and hashed there in one piece. */
  private texts: string[] = [];
  private rest: Buffer = Buffer.alloc(0);
  private nextChunk = 0;
  bytes = 0;
  records = 0;

  constructor(
    readonly name: string,
    readonly kind: 'full' | 'increment',
    readonly format: 'csv' | 'jsonl',
    readonly preset: ExportPreset | null,
    private readonly chunkBytes: number,
  ) {}

  write(text: string, isRecord = true): void {
    this.texts.push(text);
    if (isRecord) this.records += 1;
  }

  /** Whole chunks written so far (and with `final`, the rest). */
  take(final: boolean): { chunkNo: number; content: Buffer }[] {
    if (this.texts.length > 0) {
      const encoded = Buffer.from(this.texts.join(''), 'utf8');
      this.texts = [];
      this.hash.update(encoded);
      this.bytes += encoded.length;
      this.rest = this.rest.length > 0 ? Buffer.concat([this.rest, encoded]) : encoded;
    }
    const chunks: { chunkNo: number; content: Buffer }[] = [];
    let offset = 0;
    while (this.rest.length - offset >= this.chunkBytes || (final && offset < this.rest.length)) {
      const end = Math.min(offset + this.chunkBytes, this.rest.length);
      chunks.push({ chunkNo: this.nextChunk++, content: this.rest.subarray(offset, end) });
      offset = end;
    }
    // The remainder is copied so the chunks handed out do not keep the whole buffer alive.
    this.rest = offset === 0 ? this.rest : Buffer.from(this.rest.subarray(offset));
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

/** The file set of one cut: per kind, a CSV per preset and one JSON Lines file. */
class CutFiles {
  readonly sinks: FileSink[] = [];
  private readonly csv = new Map<string, FileSink>();
  private readonly jsonl = new Map<string, FileSink>();

  /** The first cut has no increment: a mirror starts from its full files. */
  constructor(
    day: string,
    chunkBytes: number,
    private readonly increments: boolean,
  ) {
    for (const kind of increments ? (['full', 'increment'] as const) : (['full'] as const)) {
      for (const preset of exportPresets) {
        const sink = new FileSink(`${day}-${kind}-${preset}.csv`, kind, 'csv', preset, chunkBytes);
        const header =
          kind === 'full' ? exportColumns[preset] : [incrementOpColumn, ...exportColumns[preset]];
        sink.write(bom + csvLine(header), false);
        this.csv.set(`${kind}/${preset}`, sink);
        this.sinks.push(sink);
      }
      const lines = new FileSink(`${day}-${kind}.jsonl`, kind, 'jsonl', null, chunkBytes);
      this.jsonl.set(kind, lines);
      this.sinks.push(lines);
    }
  }

  full(item: NationalExportRow): void {
    const id = item.row[exportIdItem] ?? '';
    this.csv.get(`full/${item.preset}`)?.write(csvLine(Object.values(item.row)));
    this.jsonl.get('full')?.write(`${JSON.stringify({ preset: item.preset, id, row: item.row })}\n`);
  }

  upsert(item: NationalExportRow): void {
    if (!this.increments) return;
    const id = item.row[exportIdItem] ?? '';
    this.csv.get(`increment/${item.preset}`)?.write(csvLine(['upsert', ...Object.values(item.row)]));
    this.jsonl
      .get('increment')
      ?.write(`${JSON.stringify({ op: 'upsert', preset: item.preset, id, row: item.row })}\n`);
  }

  delete(preset: ExportPreset, id: string): void {
    if (!this.increments) return;
    const columns = exportColumns[preset];
    this.csv
      .get(`increment/${preset}`)
      ?.write(csvLine(['delete', ...columns.map((c) => (c === exportIdItem ? id : ''))]));
    this.jsonl.get('increment')?.write(`${JSON.stringify({ op: 'delete', preset, id })}\n`);
  }
}

const asDate = (value: Date | string | null): Date | null =>
  value === null ? null : value instanceof Date ? value : new Date(value);

/** Subjects repeat across consecutive items (keyset order is by subject): each is opened once. */
function identityOpener(keyring: Keyring) {
  let last: { key: string; identity: { id: string; name: string } } | undefined;
  return (row: PublicItemRow): { id: string; name: string } => {
    const key = asBuffer(row.subject_key);
    const hex = key.toString('hex');
    if (last?.key === hex) return last.identity;
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
    last = { key: hex, identity };
    return identity;
  };
}

/** An item as disclosure shows it, in national items: the public never sees consent-gated values or related persons. */
function exportedRow(row: PublicItemRow, subject: { kind: SubjectKind; id: string; name: string }) {
  if (row.source === 'entry') {
    return listEntryToItems({
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
  const data = { ...(row.data ?? {}) };
  for (const field of gatedFieldsOf(category, data)) delete data[field];
  return toNationalItems({
    recordId: row.item_id,
    version: row.version ?? 1,
    category,
    subject,
    occurredOn: formatOccurrence({ at: asDate(row.occurred_at) as Date, date: row.occurred_on }),
    data,
    providerCode: row.provider_code ?? '',
    displayUntil: asDate(row.display_until),
  });
}

export type CutOutcome = { created: boolean; day: string; manifest: OpenDataManifest; signature: string };

/**
 * Cuts the day `now` falls on (Asia/Shanghai), unless it is cut already: one transaction, so a cut
 * exists whole or not at all, and one snapshot, so files, increment and checkpoint agree.
 */
export async function cutOpenData(
  context: OpenDataContext,
  now: Date,
  options: OpenDataOptions = {},
): Promise<CutOutcome> {
  const settings = { ...defaults, ...options };
  const { openData } = context;
  const day = shanghaiDate(now);
  return inTransaction(context.db, async (tx) => {
    await tx.execute(sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`);
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended('query.open_data_cuts', 0))`);
    const existing = await openData.cut(day, tx);
    if (existing) return { created: false, day, ...parseCut(existing) };
    const previous = await openData.newestCut(tx);
    if (previous && previous.day > day)
      throw new Error(`open data was cut for ${previous.day}, after ${day}`);
    const checkpoint = await openData.newestCheckpoint(tx);
    const files = new CutFiles(day, settings.chunkBytes, previous !== undefined);
    const open = identityOpener(context.keyring);
    const flush = async (final: boolean) =>
      openData.storeChunks(
        tx,
        files.sinks.flatMap((sink) => sink.take(final).map((c) => ({ day, name: sink.name, ...c }))),
      );

    type Published = { subjectKey: Buffer; itemId: string; preset: string; digest: Buffer };
    const batchSize = settings.batchSize;
    // What was published in (from, upTo] and is not shown now: the increment's deletions.
    const sweep = async (from: ItemKey | undefined, upTo: ItemKey | undefined, shown: string[]) => {
      let cursor = from;
      for (;;) {
        const rows = await openData.unshownItems(tx, cursor, upTo, shown, batchSize);
        if (rows.length === 0) return;
        for (const row of rows) files.delete(row.preset as ExportPreset, row.item_id);
        const keys = rows.map((r) => ({ subjectKey: asBuffer(r.subject_key), itemId: r.item_id }));
        await openData.unpublish(tx, keys);
        cursor = keys[keys.length - 1];
        if (rows.length < batchSize) return;
      }
    };
    const quiet = <T>(promise: Promise<T>): Promise<T> => {
      // Awaited later; a failure meanwhile (the transaction aborted) must not go unhandled.
      promise.catch(() => undefined);
      return promise;
    };

    // Everything public, in key order: the full files; what differs from the previous cut: the
    // increment. The next batch is read, and the last one written, while this one is turned
    // into rows: the statements queue on the transaction's connection, the work overlaps.
    let key: ItemKey | undefined;
    let reading = quiet(openData.publicItems(tx, undefined, now, batchSize));
    let writing: Promise<void> = Promise.resolve();
    for (;;) {
      const rows = await reading;
      const from = key;
      const last = rows[rows.length - 1];
      if (last) key = { subjectKey: asBuffer(last.subject_key), itemId: last.item_id };
      const more = rows.length === batchSize;
      if (more) reading = quiet(openData.publicItems(tx, key, now, batchSize));
      const shown: string[] = [];
      const fresh: Published[] = [];
      const changed: Published[] = [];
      for (const row of rows) {
        if (row.subject_kind === null || row.subject_kind === 'natural_person') continue;
        const item = exportedRow(row, { kind: row.subject_kind as SubjectKind, ...open(row) });
        files.full(item);
        shown.push(row.item_id);
        const digest = createHash('sha256')
          .update(`${item.preset}\u0000${Object.values(item.row).join('\u0000')}`)
          .digest()
          .subarray(0, 16);
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
      const chunks = files.sinks.flatMap((sink) =>
        sink.take(false).map((c) => ({ day, name: sink.name, ...c })),
      );
      const upTo = more ? key : undefined;
      await writing;
      writing = quiet(
        (async () => {
          await openData.publishNew(tx, fresh);
          await openData.publishChanged(tx, changed);
          await openData.storeChunks(tx, chunks);
          await sweep(from, upTo, shown);
        })(),
      );
      if (!more) break;
    }
    await writing;
    await flush(true);

    const manifest: OpenDataManifest = {
      format: openDataManifestFormat,
      day,
      cutAt: now.toISOString(),
      previousDay: previous?.day ?? null,
      checkpoint: checkpoint
        ? {
            treeSize: checkpoint.treeSize,
            rootHash: checkpoint.rootHash,
            issuedAt: checkpoint.issuedAt.toISOString(),
          }
        : null,
      files: files.sinks.map((sink) => sink.meta()),
    };
    const text = canonicalJson(manifest);
    const signature = await context.signer.signDetached(text, openDataSignatureType);
    await openData.storeCut(
      tx,
      { day, previousDay: manifest.previousDay, cutAt: now, manifest: text, signature },
      manifest.files.map((f) => ({ ...f, day, chunkBytes: settings.chunkBytes })),
    );
    // Files of days before the kept ones go; their manifests stay, as the history of what was published.
    const keptFrom = (days: number) => shanghaiDate(new Date(now.getTime() - (days - 1) * 86_400_000));
    await openData.pruneFiles(tx, 'full', keptFrom(settings.keepFullDays));
    await openData.pruneFiles(tx, 'increment', keptFrom(settings.keepIncrementDays));
    return { created: true, day, manifest, signature };
  });
}

export function parseCut(row: { manifest: string; signature: string }): {
  manifest: OpenDataManifest;
  signature: string;
} {
  return { manifest: JSON.parse(row.manifest) as OpenDataManifest, signature: row.signature };
}
