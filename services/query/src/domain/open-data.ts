import { randomUUID } from 'node:crypto';
import { shanghaiDate } from '@credit/calendar';
import { canonicalJson, type Keyring, type PlatformSigner } from '@credit/crypto';
import {
  asBuffer,
  type Database,
  type Executor,
  holdsConcurrentTransactions,
  inTransaction,
  readBinaryCopy,
  readsBinaryCopy,
} from '@credit/db';
import {
  type ExportPreset,
  type OpenDataManifest,
  openDataManifestFormat,
  openDataSignatureType,
} from '@credit/schema';
import { sql } from 'drizzle-orm';
import { BaselineRows, type EncodedBaseline, uuidBytes } from '../repositories/open-data-baseline.ts';
import { type OpenDataRepository, publicItemColumns } from '../repositories/open-data-repository.ts';
import { CutFiles, ItemWriter, type RenderedBody } from './open-data-files.ts';

/**
 * Open data (开放数据): once a day, everything public disclosure shows, cut in one snapshot into
 * files of national items: a full file set and an increment against the previous cut, with a
 * signed manifest. Read from one cursor a batch at a time and written in chunks as it goes, so
 * a cut holds a batch and a chunk or two per file in memory whatever the size of the tables.
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

const defaults = {
  batchSize: 2_000,
  chunkBytes: 1 << 20,
  keepFullDays: 2,
  keepIncrementDays: 31,
};

export type CutOutcome = { created: boolean; day: string; manifest: OpenDataManifest; signature: string };

/** Staged batches applied to the baseline per transaction (a batch is a fetch, or a thread's range). */
const batchesApplied = 10;

/**
 * Cuts the day `now` falls on (Asia/Shanghai), unless it is cut already. The cut reads in one
 * snapshot, so files, increment and checkpoint agree; it becomes visible whole, in one short
 * transaction that stores its files' list and manifest, or not at all.
 *
 * On PostgreSQL the snapshot is a read-only transaction, which takes no transaction id, and the
 * cut writes in short transactions of its own beside it: every event feed releases an event only
 * once all older transaction ids have ended, so a cut that wrote as it read would stop every
 * consumer for as long as it ran (minutes a day at a city's size). The embedded database has one
 * connection, and cuts in one transaction there.
 */
export async function cutOpenData(
  context: OpenDataContext,
  now: Date,
  options: OpenDataOptions = {},
  signal?: AbortSignal,
): Promise<CutOutcome> {
  // A pass that found the baseline behind, or another process's cut newer than its snapshot,
  // brings it up to date and reads again in a snapshot that sees it; a pass that found another
  // cut running waits for it without holding a connection.
  for (let rereads = 0; ; ) {
    signal?.throwIfAborted();
    const outcome = await cutPass(context, now, { ...defaults, ...options }, signal);
    if (outcome === 'another cut runs') await new Promise((resolve) => setTimeout(resolve, 250));
    else if (outcome !== 'read again') return outcome;
    else if (++rereads > 3) throw new Error('open data: the published baseline kept changing under the cut');
  }
}

async function cutPass(
  context: OpenDataContext,
  now: Date,
  settings: Required<OpenDataOptions>,
  signal: AbortSignal | undefined,
): Promise<CutOutcome | 'read again' | 'another cut runs'> {
  const { openData } = context;
  const day = shanghaiDate(now);
  const separate = holdsConcurrentTransactions(context.db);
  return inTransaction(context.db, async (reader) => {
    await reader.execute(
      separate
        ? sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`
        : sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`,
    );
    /** A short transaction of its own beside the snapshot; the snapshot's own on one connection. */
    const write = <T>(work: (tx: Executor) => Promise<T>): Promise<T> =>
      separate ? inTransaction(context.db, work) : work(reader);
    // Held to the snapshot's end, so one cut runs at a time across processes. What another cut
    // stored just before is read outside the snapshot (`current`) as well as in it.
    if (!(await openData.tryCutLock(reader))) return 'another cut runs';
    const current = separate ? context.db : reader;
    const existing = await openData.cut(day, current);
    if (existing) return { created: false, day, ...parseCut(existing) };
    const pending = await openData.pendingBaselines(current);
    if (pending.length > 0) {
      for (const cut of pending) await applyBaseline(openData, write, cut);
      return 'read again';
    }
    const previous = await openData.newestCut(reader);
    if ((await openData.newestCut(current))?.day !== previous?.day) return 'read again';
    if (previous && previous.day > day)
      throw new Error(`open data was cut for ${previous.day}, after ${day}`);
    // A first cut (no cut stored) writes the baseline itself as it goes, rather than staging it
    // and applying it after: the baseline must then be empty, so what is there was written by
    // a first attempt that failed, and goes. Nothing reads it until this cut is stored.
    const first = previous === undefined;
    await write(async (tx) => {
      await openData.dropAbandoned(tx);
      if (first) await openData.clearBaseline(tx);
    });

    const attempt = randomUUID();
    const checkpoint = await openData.newestCheckpoint(reader);
    const files = new CutFiles(day, settings.chunkBytes, previous !== undefined);
    // A first cut has no deletions: every change it makes carries its digest, into the baseline itself.
    const baseline = new BaselineRows(first ? null : uuidBytes(attempt));
    const writer = new ItemWriter(files, context.keyring, baseline);
    const quiet = <T>(promise: Promise<T>): Promise<T> => {
      // Awaited later; a failure meanwhile must not go unhandled.
      promise.catch(() => undefined);
      return promise;
    };
    // What a batch gave, in one transaction: the files' chunks so far, the baseline's changes and
    // the bodies the cut rendered. Committed without waiting for the WAL to reach the disk: none
    // of it is read before the cut is stored, and the cut's own commit, which waits, flushes all
    // WAL written before it; a crash before that loses only an attempt the next one replaces. A
    // commit that waited for each batch (two a batch, five hundred batches a million items) was
    // most of a cut's wall time on a slow disk.
    const store = async (changes: EncodedBaseline | null, final = false, rendered: RenderedBody[] = []) => {
      const chunks = files.sinks.flatMap((sink) =>
        sink.take(final).map((c) => ({ day, name: sink.name, ...c })),
      );
      if (chunks.length === 0 && !changes && rendered.length === 0) return;
      await write(async (tx) => {
        if (separate) await tx.execute(sql`SET LOCAL synchronous_commit = off`);
        if (rendered.length > 0) await storeRendered(openData, tx, rendered);
        if (chunks.length > 0) await openData.storeChunks(tx, chunks);
        if (changes) await openData.storeBaseline(tx, baseline, changes);
      });
      files.recycle(chunks);
      if (changes) baseline.recycle(changes);
    };
    // A pass that fails lets its writes in flight end before its snapshot, and with it the lock,
    // is released: the next attempt's clearing must not be followed by one of this one's writes.
    // Two batches are stored at once while the next is read: waiting for each store before
    // reading on left both the reading backend and this thread idle half of a cut.
    const writes: Promise<void>[] = [];
    // On one connection (the embedded database) they would only queue behind each other.
    const storesAtOnce = separate ? 2 : 1;
    const stored = async (most: number) => {
      while (writes.length > most) await writes.shift();
    };

    try {
      // Everything public, in key order: the full files; what differs from the previous cut:
      // the increment's upserts. On PostgreSQL the items come by binary COPY, their bodies
      // copied into the files as the bytes the server sent; on the embedded database, from a
      // cursor. What a batch gave is stored while the next is read.
      const flush = async (final: boolean) => {
        // Stopped between batches: what was stored is an attempt the next cut drops.
        signal?.throwIfAborted();
        const { baseline: changes, rendered } = writer.take();
        await stored(storesAtOnce - 1);
        writes.push(quiet(store(changes, false, rendered)));
        if (final) await stored(0);
      };
      if (readsBinaryCopy(reader)) {
        let written = 0;
        await readBinaryCopy(
          reader,
          openData.publicItemsStatement(now, !first),
          publicItemColumns.length,
          (tuple) => {
            writer.tuple(tuple);
            written++;
          },
          // Nothing to wait for until a batch is read: the socket is paused only for a flush.
          () => {
            if (written < settings.batchSize) return undefined;
            written = 0;
            return flush(false);
          },
        );
        await flush(true);
      } else {
        await openData.openPublicItems(reader, now, !first);
        let reading = quiet(openData.fetchPublicItems(reader, settings.batchSize));
        for (;;) {
          const rows = await reading;
          const more = rows.length === settings.batchSize;
          if (more) reading = quiet(openData.fetchPublicItems(reader, settings.batchSize));
          for (const row of rows) writer.row(row);
          await flush(!more);
          if (!more) break;
        }
      }

      // What the previous cut published and public disclosure no longer shows: the increment's
      // deletions, after its upserts (a first cut has no baseline to sweep).
      if (previous) {
        await openData.openUnshownItems(reader, now);
        for (;;) {
          const rows = await openData.fetchUnshownItems(reader, settings.batchSize);
          for (const row of rows) {
            files.delete(row.preset as ExportPreset, row.item_id);
            const id = Buffer.from(row.item_id);
            baseline.add(asBuffer(row.subject_key), id, 0, id.length, row.preset as ExportPreset, null);
          }
          await store(baseline.take());
          if (rows.length < settings.batchSize) break;
        }
      }
      await store(null, true);
    } catch (error) {
      await Promise.allSettled(writes);
      throw error;
    }

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
    // The cut appears here, whole; a later cut's baseline changes follow in batches, finished by
    // the next cut if this process stops first (a first cut's baseline is written already).
    await write((tx) =>
      openData.storeCut(
        tx,
        {
          day,
          previousDay: manifest.previousDay,
          cutAt: now,
          manifest: text,
          signature,
          baselinePending: first ? null : attempt,
        },
        manifest.files.map((f) => ({ ...f, day, chunkBytes: settings.chunkBytes })),
      ),
    );
    if (!first) await applyBaseline(openData, write, { day, attempt });
    // Files of days before the kept ones go; their manifests stay, as the history of what was published.
    const keptFrom = (days: number) => shanghaiDate(new Date(now.getTime() - (days - 1) * 86_400_000));
    await write(async (tx) => {
      await openData.pruneFiles(tx, 'full', keptFrom(settings.keepFullDays));
      await openData.pruneFiles(tx, 'increment', keptFrom(settings.keepIncrementDays));
    });
    return { created: true, day, manifest, signature };
  });
}

/** Bodies the cut rendered itself (stale or none stored), stored for the next cut. */
async function storeRendered(openData: OpenDataRepository, tx: Executor, rendered: RenderedBody[]) {
  const records = [];
  const entries = [];
  for (const { row, body, readAs } of rendered) {
    const subjectKey = asBuffer(row.subject_key);
    if ('updatedAt' in readAs)
      entries.push({ subjectKey, entryId: row.item_id, updatedAt: readAs.updatedAt, ...body });
    else records.push({ subjectKey, recordId: row.item_id, version: readAs.version, ...body });
  }
  await openData.storeBodies(tx, records, entries);
}

/** Applies a stored cut's staged baseline changes, a batch a transaction, then marks them applied. */
async function applyBaseline(
  openData: OpenDataRepository,
  write: <T>(work: (tx: Executor) => Promise<T>) => Promise<T>,
  cut: { day: string; attempt: string },
): Promise<void> {
  const last = await write((tx) => openData.lastStagedBatch(tx, cut.attempt));
  for (let from = 0; last !== undefined && from <= last; from += batchesApplied)
    await write((tx) => openData.applyStaged(tx, cut.attempt, from, from + batchesApplied));
  await write((tx) => openData.baselineApplied(tx, cut.day));
}

export function parseCut(row: { manifest: string; signature: string }): {
  manifest: OpenDataManifest;
  signature: string;
} {
  return { manifest: JSON.parse(row.manifest) as OpenDataManifest, signature: row.signature };
}
