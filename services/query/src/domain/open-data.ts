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
function csvCell(value: string): string {
  const guarded = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

function csvLine(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

type FileMeta = OpenDataManifest['files'][number];

/** One file being written: hashed and counted as it goes, handed out in whole chunks. */
class FileSink {
  private readonly hash = createHash('sha256');
  private parts: Buffer[] = [];
  private pending = 0;
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
    const buffer = Buffer.from(text, 'utf8');
    this.hash.update(buffer);
    this.parts.push(buffer);
    this.pending += buffer.length;
    this.bytes += buffer.length;
    if (isRecord) this.records += 1;
  }

  /** Whole chunks written so far (and with `final`, the rest). */
  take(final: boolean): { chunkNo: number; content: Buffer }[] {
    if (this.pending < this.chunkBytes && !(final && this.pending > 0)) return [];
    const all = Buffer.concat(this.parts, this.pending);
    const chunks: { chunkNo: number; content: Buffer }[] = [];
    let offset = 0;
    while (all.length - offset >= this.chunkBytes || (final && offset < all.length)) {
      const end = Math.min(offset + this.chunkBytes, all.length);
      chunks.push({ chunkNo: this.nextChunk++, content: all.subarray(offset, end) });
      offset = end;
    }
    const rest = all.subarray(offset);
    this.parts = rest.length > 0 ? [Buffer.from(rest)] : [];
    this.pending = rest.length;
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

  constructor(day: string, chunkBytes: number) {
    for (const kind of ['full', 'increment'] as const) {
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
    const id = item.row[exportIdItem] ?? '';
    this.csv.get(`increment/${item.preset}`)?.write(csvLine(['upsert', ...Object.values(item.row)]));
    this.jsonl
      .get('increment')
      ?.write(`${JSON.stringify({ op: 'upsert', preset: item.preset, id, row: item.row })}\n`);
  }

  delete(preset: ExportPreset, id: string): void {
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
    const files = new CutFiles(day, settings.chunkBytes);
    const open = identityOpener(context.keyring);
    const flush = async (final: boolean) =>
      openData.storeChunks(
        tx,
        files.sinks.flatMap((sink) => sink.take(final).map((c) => ({ day, name: sink.name, ...c }))),
      );

    // Everything public: the full files; what differs from the previous cut: the increment.
    let key: ItemKey | undefined;
    for (;;) {
      const rows = await openData.publicItems(tx, key, now, settings.batchSize);
      if (rows.length === 0) break;
      const last = rows[rows.length - 1] as PublicItemRow;
      key = { subjectKey: asBuffer(last.subject_key), itemId: last.item_id };
      const changed: { subjectKey: Buffer; itemId: string; preset: string; digest: Buffer }[] = [];
      for (const row of rows) {
        if (row.subject_kind === null || row.subject_kind === 'natural_person') continue;
        const identity = open(row);
        const item = exportedRow(row, { kind: row.subject_kind as SubjectKind, ...identity });
        files.full(item);
        const digest = createHash('sha256')
          .update(`${item.preset}\u0000${Object.values(item.row).join('\u0000')}`)
          .digest()
          .subarray(0, 16);
        if (row.published_digest && asBuffer(row.published_digest).equals(digest)) continue;
        files.upsert(item);
        changed.push({
          subjectKey: asBuffer(row.subject_key),
          itemId: row.item_id,
          preset: item.preset,
          digest,
        });
      }
      await openData.publish(tx, changed);
      await flush(false);
      if (rows.length < settings.batchSize) break;
    }

    // What the previous cut published and disclosure no longer shows: deletions.
    let gone: ItemKey | undefined;
    for (;;) {
      const rows = await openData.withdrawnItems(tx, gone, now, settings.batchSize);
      if (rows.length === 0) break;
      const keys = rows.map((r) => ({ subjectKey: asBuffer(r.subject_key), itemId: r.item_id }));
      for (const row of rows) files.delete(row.preset as ExportPreset, row.item_id);
      await openData.unpublish(tx, keys);
      gone = keys[keys.length - 1];
      await flush(false);
      if (rows.length < settings.batchSize) break;
    }
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
