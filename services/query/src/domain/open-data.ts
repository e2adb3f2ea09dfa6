import { shanghaiDate } from '@credit/calendar';
import { canonicalJson, type Keyring, type PlatformSigner } from '@credit/crypto';
import { type Database, inTransaction } from '@credit/db';
import {
  type ExportPreset,
  type OpenDataManifest,
  openDataManifestFormat,
  openDataSignatureType,
} from '@credit/schema';
import { sql } from 'drizzle-orm';
import type { OpenDataCutPool } from '../open-data-threads/cut-pool.ts';
import type { RangePart } from '../open-data-threads/messages.ts';
import type { OpenDataRepository, SubjectRange } from '../repositories/open-data-repository.ts';
import { CutFiles, identityOpener, type Published, writeItems } from './open-data-files.ts';

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
  /** Threads that read and encode the cut's key ranges (PostgreSQL); without them the cut's own thread does. */
  cutThreads?: OpenDataCutPool | undefined;
}

export interface OpenDataOptions {
  /** Items read per statement. */
  batchSize?: number;
  /** Bytes per stored chunk of a file. */
  chunkBytes?: number;
  /** Days of full files kept (a mirror starts from the newest); increments are kept `keepIncrementDays`. */
  keepFullDays?: number;
  keepIncrementDays?: number;
  /** Organisations per key range a cut thread reads at a time. */
  rangeSubjects?: number;
}

const defaults = {
  batchSize: 2_000,
  chunkBytes: 1 << 20,
  keepFullDays: 2,
  keepIncrementDays: 31,
  rangeSubjects: 400,
};

/** Bytes per buffer a cut thread hands a range's lines over in. */
const partBytes = 1 << 16;

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
    const flush = async (final: boolean) => {
      const chunks = files.sinks.flatMap((sink) =>
        sink.take(final).map((c) => ({ day, name: sink.name, ...c })),
      );
      await openData.storeChunks(tx, chunks);
      files.recycle(chunks);
    };

    const batchSize = settings.batchSize;
    const quiet = <T>(promise: Promise<T>): Promise<T> => {
      // Awaited later; a failure meanwhile (the transaction aborted) must not go unhandled.
      promise.catch(() => undefined);
      return promise;
    };

    const publish = async (fresh: Published[], changed: Published[]) => {
      const chunks = files.sinks.flatMap((sink) =>
        sink.take(false).map((c) => ({ day, name: sink.name, ...c })),
      );
      await openData.publishNew(tx, fresh);
      await openData.publishChanged(tx, changed);
      await openData.storeChunks(tx, chunks);
      files.recycle(chunks);
    };

    if (context.cutThreads) {
      // Everything public, in key ranges read and encoded on the threads, each range in this
      // transaction's snapshot; their lines are appended here in key order, hashed and stored
      // while the next ranges are encoded. At most two ranges a thread are out at once, so
      // what waits here stays a few megabytes whatever the size of the tables.
      const pool = context.cutThreads;
      const snapshot = await openData.exportSnapshot(tx);
      const bounds = await openData.subjectRangeBounds(tx, settings.rangeSubjects);
      const ranges: SubjectRange[] = [...bounds, null].map((upTo, i) => ({
        after: i === 0 ? null : (bounds[i - 1] as Buffer),
        upTo,
      }));
      const parts: (Promise<RangePart> | undefined)[] = [];
      const ask = (i: number) => {
        const range = ranges[i];
        if (range)
          parts[i] = quiet(
            pool.run({
              snapshot,
              now: now.getTime(),
              day,
              increments: previous !== undefined,
              partBytes,
              range,
            }),
          );
      };
      // The threads live for the cut: a job of once a day does not hold their memory the rest of it.
      try {
        const ahead = pool.size * 2;
        for (let i = 0; i < ahead; i++) ask(i);
        let writing: Promise<void> = Promise.resolve();
        for (let i = 0; i < ranges.length; i++) {
          const part = await (parts[i] as Promise<RangePart>);
          parts[i] = undefined;
          ask(i + ahead);
          part.files.forEach((file, f) => {
            const sink = files.sinks[f];
            if (!sink) throw new Error('a cut thread wrote a file this cut does not have');
            sink.records += file.records;
            for (const chunk of file.chunks) sink.writeBytes(chunk, 0);
          });
          const { fresh, changed } = publishedOf(part.published);
          await writing;
          writing = quiet(publish(fresh, changed));
        }
        await writing;
      } finally {
        await pool.close();
      }
    } else {
      // Everything public, in key order, from one cursor: the full files; what differs from the
      // previous cut: the increment's upserts. The next batch is fetched, and the last one
      // written, while this one is turned into rows: the statements queue on the transaction's
      // connection, the work overlaps.
      await openData.openPublicItems(tx, now);
      let reading = quiet(openData.fetchPublicItems(tx, batchSize));
      let writing: Promise<void> = Promise.resolve();
      for (;;) {
        const rows = await reading;
        const more = rows.length === batchSize;
        if (more) reading = quiet(openData.fetchPublicItems(tx, batchSize));
        const { fresh, changed } = writeItems(rows, files, open);
        await writing;
        writing = quiet(publish(fresh, changed));
        if (!more) break;
      }
      await writing;
    }

    // What the previous cut published and public disclosure no longer shows: the increment's
    // deletions, after its upserts (a first cut has no baseline to sweep).
    if (previous) {
      await openData.openUnshownItems(tx, now);
      for (;;) {
        const rows = await openData.fetchUnshownItems(tx, batchSize);
        for (const row of rows) files.delete(row.preset as ExportPreset, row.item_id);
        await flush(false);
        if (rows.length < batchSize) break;
      }
      await openData.unpublishUnshown(tx, now);
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

/** The baseline's rows of a range a thread cut, from its columns (views on its buffers, not copies). */
function publishedOf(columns: RangePart['published']): { fresh: Published[]; changed: Published[] } {
  const keys = Buffer.from(columns.keys.buffer, columns.keys.byteOffset, columns.keys.byteLength);
  const digests = Buffer.from(columns.digests.buffer, columns.digests.byteOffset, columns.digests.byteLength);
  const fresh: Published[] = [];
  const changed: Published[] = [];
  for (let i = 0; i < columns.itemIds.length; i++) {
    const item = {
      subjectKey: keys.subarray(i === 0 ? 0 : columns.keyEnds[i - 1], columns.keyEnds[i]),
      itemId: columns.itemIds[i] as string,
      preset: columns.presets[i] as string,
      digest: digests.subarray(i * 16, i * 16 + 16),
    };
    (i < columns.fresh ? fresh : changed).push(item);
  }
  return { fresh, changed };
}

export function parseCut(row: { manifest: string; signature: string }): {
  manifest: OpenDataManifest;
  signature: string;
} {
  return { manifest: JSON.parse(row.manifest) as OpenDataManifest, signature: row.signature };
}
