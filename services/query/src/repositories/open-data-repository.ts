import { bulkInsert, copyEncodedTuples, type Database, type Executor, resultRows } from '@credit/db';
import { exportRenderingStamp, severityRules } from '@credit/schema';
import { and, asc, desc, eq, gte, isNotNull, lt, lte, type SQL, sql } from 'drizzle-orm';
import {
  checkpointsSeen,
  jobRuns,
  openDataChunks,
  openDataCuts,
  openDataFiles,
  openDataPublished,
  openDataStaged,
} from '../db/schema.ts';
import { type BaselineRows, baselineRowsOf, type EncodedBaseline } from './open-data-baseline.ts';

/**
 * One public item as a cut reads it: a record or a list entry, its stored body (null when it
 * was not rendered with the current stamp, and then `render` holds what to render it from, as
 * JSON), its subject's sealed identity, and what the last cut published of it. The columns in
 * `publicItemColumns` order: binary COPY hands them over by position.
 */
export interface PublicItemRow {
  subject_key: Buffer;
  item_id: string;
  source: 'record' | 'entry';
  category: string | null;
  export_csv: string | null;
  export_json: string | null;
  export_digest: Buffer | Uint8Array | null;
  key_id: string | null;
  identifier_cipher: Buffer | Uint8Array | null;
  name_cipher: Buffer | Uint8Array | null;
  subject_kind: string | null;
  published_digest: Buffer | Uint8Array | null;
  /** A record's version, dates, provider and data, or an entry's kind, domain, validity, measures and last change. */
  render: string | null;
}

export const publicItemColumns = [
  'subject_key',
  'item_id',
  'source',
  'category',
  'export_csv',
  'export_json',
  'export_digest',
  'key_id',
  'identifier_cipher',
  'name_cipher',
  'subject_kind',
  'published_digest',
  'render',
] as const satisfies readonly (keyof PublicItemRow)[];

const publishedSeverities = Object.entries(severityRules)
  .filter(([, rule]) => rule.published)
  .map(([severity]) => severity);

/**
 * `publiclyDisclosed` of domain/access-policy.ts as SQL, over `query.records` aliased `r`: active,
 * not repaired, within its display period, not withheld after an upheld objection, public, of a
 * published severity. Both must say the same; the open-data test compares the mirror with what
 * the disclosure route answers.
 */
function recordDisclosed(now: Date): SQL {
  return sql`r.status = 'active' AND r.repaired_at IS NULL
    AND (r.display_until IS NULL OR r.display_until > ${now.toISOString()}::timestamptz)
    AND NOT (r.withheld_since IS NOT NULL AND r.received_at < r.withheld_since)
    AND r.publicity = 'public'
    AND (r.severity IS NULL OR r.severity IN (${sql.join(
      publishedSeverities.map((s) => sql`${s}`),
      sql`, `,
    )}))`;
}

/** `entriesInForce` of the disclosure route, red and black lists only (watch lists are not public), over `e`. */
function entryDisclosed(now: Date): SQL {
  return sql`e.status = 'published' AND (e.valid_until IS NULL OR e.valid_until > ${now.toISOString()}::timestamptz) AND e.list_kind <> 'watch'`;
}

/** A published item (`p`) that public disclosure no longer shows: neither a disclosed record nor an entry in force of an organisation. */
function notShown(now: Date): SQL {
  return sql`NOT EXISTS (
      SELECT 1 FROM query.records r JOIN query.subjects s ON s.subject_key = r.subject_key
      WHERE r.subject_key = p.subject_key AND r.record_id = p.item_id AND ${recordDisclosed(now)}
        AND s.kind <> 'natural_person')
    AND NOT EXISTS (
      SELECT 1 FROM query.list_entries e JOIN query.subjects s ON s.subject_key = e.subject_key
      WHERE e.subject_key = p.subject_key AND e.entry_id = p.item_id AND ${entryDisclosed(now)}
        AND s.kind <> 'natural_person')`;
}

/**
 * Every public item in (subject, item) order: records and list entries of organisations (a
 * person's items are never open data), with their subjects' sealed identities and the digest
 * the last cut published of each (null when it published none).
 * Without `baseline` (a first cut: no cut was stored, so nothing was published) the digests are
 * all null and the baseline table is not read: what is in it then is a failed attempt's, and goes.
 */
function publicItems(now: Date, baseline: boolean): SQL {
  const published = baseline
    ? sql`LEFT JOIN query.open_data_published p ON p.subject_key = u.subject_key AND p.item_id = u.item_id`
    : sql``;
  // What a body is rendered from is read only where the stored body is stale.
  const r = sql`r.export_stamp IS DISTINCT FROM ${exportRenderingStamp}`;
  const e = sql`e.export_stamp IS DISTINCT FROM ${exportRenderingStamp}`;
  return sql`
    SELECT u.subject_key, u.item_id, u.source, u.category, u.export_csv, u.export_json, u.export_digest,
           s.key_id, s.identifier_cipher, s.name_cipher, s.kind AS subject_kind,
           ${baseline ? sql`p.digest` : sql`NULL::bytea`} AS published_digest, u.render
    FROM (
      SELECT r.subject_key, r.record_id AS item_id, 'record' AS source, r.category,
             CASE WHEN ${r} THEN NULL ELSE r.export_csv END AS export_csv,
             CASE WHEN ${r} THEN NULL ELSE r.export_json END AS export_json,
             CASE WHEN ${r} THEN NULL ELSE r.export_digest END AS export_digest,
             CASE WHEN ${r} THEN json_build_object(
               'version', r.version, 'occurred_on', r.occurred_on, 'occurred_at', r.occurred_at,
               'display_until', r.display_until, 'provider_code', r.provider_code, 'data', r.data)::text
             END AS render
      FROM query.records r
      WHERE ${recordDisclosed(now)}
      UNION ALL
      SELECT e.subject_key, e.entry_id, 'entry', NULL,
             CASE WHEN ${e} THEN NULL ELSE e.export_csv END,
             CASE WHEN ${e} THEN NULL ELSE e.export_json END,
             CASE WHEN ${e} THEN NULL ELSE e.export_digest END,
             CASE WHEN ${e} THEN json_build_object(
               'list_kind', e.list_kind, 'domain', e.domain, 'valid_from', e.valid_from,
               'valid_until', e.valid_until, 'measures', e.measures, 'updated_at', e.updated_at)::text
             END
      FROM query.list_entries e
      WHERE ${entryDisclosed(now)}
    ) u
    JOIN query.subjects s ON s.subject_key = u.subject_key AND s.kind <> 'natural_person'
    ${published}
    ORDER BY u.subject_key, u.item_id`;
}

/** The advisory lock a cut holds to its snapshot's end, so one cut runs at a time across processes. */
const cutLockKey = sql`hashtextextended('query.open_data_cuts', 0)`;

/** A FETCH count: the statement takes no parameter there. */
function fetchCount(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`not a fetch size: ${limit}`);
  return limit;
}

/** The open-data files and what a cut reads; every method takes the cut's transaction. */
export function createOpenDataRepository(db: Database) {
  return {
    /**
     * Opens the cut's cursor over every public item in (subject, item) order: records and list
     * entries of organisations (a person's items are never open data), with their subjects'
     * sealed identities and the digest the last cut published of each (null when it published
     * none). One statement, planned once, read `fetchPublicItems` at a time: a keyset statement
     * per batch looked each batch's subjects up anew, and the planner hash-joined the whole
     * subjects table into every one of them. `baseline`: a cut was stored before (see `publicItems`).
     */
    async openPublicItems(tx: Executor, now: Date, baseline: boolean): Promise<void> {
      // The cut reads every row: plan for the whole result, not for its first rows.
      await tx.execute(sql`SET LOCAL cursor_tuple_fraction = 1`);
      await tx.execute(sql`DECLARE open_data_items NO SCROLL CURSOR FOR ${publicItems(now, baseline)}`);
    },

    /** The statement of every public item, in the cursor's order and columns (`publicItemColumns`), for binary COPY. */
    publicItemsStatement(now: Date, baseline: boolean): SQL {
      return publicItems(now, baseline);
    },

    /** The next `limit` items of the cursor `openPublicItems` opened. */
    async fetchPublicItems(tx: Executor, limit: number) {
      return resultRows<PublicItemRow>(
        await tx.execute(sql.raw(`FETCH FORWARD ${fetchCount(limit)} FROM open_data_items`)),
      );
    },

    /**
     * Stores bodies a cut rendered because the stored ones were stale, each only on the version
     * it was rendered from (a record's version, an entry's last change): a row written since
     * carries its own body already.
     */
    async storeBodies(
      tx: Executor,
      records: readonly {
        subjectKey: Buffer;
        recordId: string;
        version: number;
        csv: string;
        json: string;
        digest: Buffer;
      }[],
      entries: readonly {
        subjectKey: Buffer;
        entryId: string;
        updatedAt: Date;
        csv: string;
        json: string;
        digest: Buffer;
      }[],
    ): Promise<void> {
      if (records.length > 0)
        await tx.execute(sql`
          UPDATE query.records r
          SET export_csv = b.csv, export_json = b.json, export_digest = decode(b.digest_hex, 'hex'),
              export_stamp = ${exportRenderingStamp}
          FROM unnest(${sql.param(records.map((b) => b.subjectKey.toString('hex')))}::text[],
                      ${sql.param(records.map((b) => b.recordId))}::text[],
                      ${sql.param(records.map((b) => b.version))}::integer[],
                      ${sql.param(records.map((b) => b.csv))}::text[],
                      ${sql.param(records.map((b) => b.json))}::text[],
                      ${sql.param(records.map((b) => b.digest.toString('hex')))}::text[])
            AS b(key_hex, record_id, version, csv, json, digest_hex)
          WHERE r.subject_key = decode(b.key_hex, 'hex') AND r.record_id = b.record_id
            AND r.version = b.version`);
      if (entries.length > 0)
        await tx.execute(sql`
          UPDATE query.list_entries e
          SET export_csv = b.csv, export_json = b.json, export_digest = decode(b.digest_hex, 'hex'),
              export_stamp = ${exportRenderingStamp}
          FROM unnest(${sql.param(entries.map((b) => b.subjectKey.toString('hex')))}::text[],
                      ${sql.param(entries.map((b) => b.entryId))}::text[],
                      ${sql.param(entries.map((b) => b.updatedAt.toISOString()))}::timestamptz[],
                      ${sql.param(entries.map((b) => b.csv))}::text[],
                      ${sql.param(entries.map((b) => b.json))}::text[],
                      ${sql.param(entries.map((b) => b.digest.toString('hex')))}::text[])
            AS b(key_hex, entry_id, updated_at, csv, json, digest_hex)
          WHERE e.subject_key = decode(b.key_hex, 'hex') AND e.entry_id = b.entry_id
            AND e.updated_at = b.updated_at`);
    },

    /**
     * Opens a cursor over the items the last cut published that are not public now, in (subject,
     * item) order: the increment's deletions. The cut's own changes to the baseline wait in
     * staging until it is stored, so the baseline read here is the previous cut's.
     */
    async openUnshownItems(tx: Executor, now: Date): Promise<void> {
      await tx.execute(sql`
        DECLARE open_data_unshown NO SCROLL CURSOR FOR
        SELECT p.subject_key, p.item_id, p.preset FROM query.open_data_published p
        WHERE ${notShown(now)}
        ORDER BY p.subject_key, p.item_id`);
    },

    async fetchUnshownItems(tx: Executor, limit: number) {
      return resultRows<{ subject_key: Buffer; item_id: string; preset: string }>(
        await tx.execute(sql.raw(`FETCH FORWARD ${fetchCount(limit)} FROM open_data_unshown`)),
      );
    },

    /**
     * A batch of baseline changes (binary COPY): into the baseline itself on a first cut (no
     * increment is measured against it until this cut is stored, and a failed attempt's is
     * cleared), else staged (items to publish with their digests, items to drop with a null
     * one), applied once the cut is stored.
     */
    async storeBaseline(tx: Executor, rows: BaselineRows, encoded: EncodedBaseline): Promise<void> {
      const into = rows.staged ? 'query.open_data_staged' : 'query.open_data_published';
      if (await copyEncodedTuples(tx, into, rows.columns, encoded.tuples)) return;
      // The embedded database takes no binary COPY.
      const decoded = baselineRowsOf(encoded);
      if (rows.staged)
        await bulkInsert(
          tx,
          openDataStaged,
          decoded.map(({ attempt, ...row }) => ({ ...row, attempt: attempt as string })),
        );
      else
        await bulkInsert(
          tx,
          openDataPublished,
          decoded.map(({ subjectKey, itemId, preset, digest }) => ({
            subjectKey,
            itemId,
            preset,
            digest: digest as Buffer,
          })),
        );
    },

    /**
     * Empties the published baseline, before a first cut writes it: with no cut stored, what is
     * there was written by a first cut that failed before it was stored.
     */
    async clearBaseline(tx: Executor): Promise<void> {
      await tx.execute(sql`DELETE FROM query.open_data_published`);
    },

    /** The number of the last batch an attempt staged (undefined: none). */
    async lastStagedBatch(executor: Executor, attempt: string): Promise<number | undefined> {
      const [row] = await executor
        .select({ batch: openDataStaged.batch })
        .from(openDataStaged)
        .where(eq(openDataStaged.attempt, attempt))
        .orderBy(desc(openDataStaged.batch))
        .limit(1);
      return row?.batch;
    },

    /**
     * Applies an attempt's staged changes of batches `from` to `to` (exclusive) to the baseline,
     * and removes them from staging in the same statement: a range applies once or not at all,
     * so an apply cut short goes on where it stopped.
     */
    async applyStaged(tx: Executor, attempt: string, from: number, to: number): Promise<void> {
      await tx.execute(sql`
        WITH batch AS (
          DELETE FROM query.open_data_staged s
          WHERE s.attempt = ${attempt} AND s.batch >= ${from} AND s.batch < ${to}
          RETURNING s.subject_key, s.item_id, s.preset, s.digest),
        upserted AS (
          INSERT INTO query.open_data_published (subject_key, item_id, preset, digest)
          SELECT subject_key, item_id, preset, digest FROM batch WHERE digest IS NOT NULL
          ON CONFLICT (subject_key, item_id) DO UPDATE SET preset = excluded.preset, digest = excluded.digest
          RETURNING 1)
        DELETE FROM query.open_data_published p USING batch b
        WHERE b.digest IS NULL AND p.subject_key = b.subject_key AND p.item_id = b.item_id`);
    },

    /** Marks a cut's baseline changes applied. */
    async baselineApplied(tx: Executor, day: string): Promise<void> {
      await tx.update(openDataCuts).set({ baselinePending: null }).where(eq(openDataCuts.day, day));
    },

    /** Stored cuts whose staged baseline changes are not all applied yet. */
    async pendingBaselines(executor: Executor = db) {
      const rows = await executor
        .select({ day: openDataCuts.day, attempt: openDataCuts.baselinePending })
        .from(openDataCuts)
        .where(isNotNull(openDataCuts.baselinePending));
      return rows.flatMap((row) => (row.attempt ? [{ day: row.day, attempt: row.attempt }] : []));
    },

    /**
     * Drops what attempts that failed before their cut was stored left behind: staged changes
     * no stored cut names, and chunks of files no stored cut lists.
     */
    async dropAbandoned(tx: Executor): Promise<void> {
      await tx.execute(sql`
        DELETE FROM query.open_data_staged s WHERE NOT EXISTS (
          SELECT 1 FROM query.open_data_cuts c WHERE c.baseline_pending = s.attempt)`);
      await tx.execute(sql`
        DELETE FROM query.open_data_chunks c WHERE NOT EXISTS (
          SELECT 1 FROM query.open_data_files f WHERE f.day = c.day AND f.name = c.name)`);
    },

    async storeChunks(
      tx: Executor,
      chunks: readonly { day: string; name: string; chunkNo: number; content: Buffer }[],
    ): Promise<void> {
      // A chunk is a megabyte: binary COPY sends it as it is, where a parameter would be hex text.
      await bulkInsert(tx, openDataChunks, chunks, { copyFrom: 1 });
    },

    async storeCut(
      tx: Executor,
      cut: typeof openDataCuts.$inferInsert,
      files: (typeof openDataFiles.$inferInsert)[],
    ): Promise<void> {
      await tx.insert(openDataCuts).values(cut);
      if (files.length > 0) await tx.insert(openDataFiles).values(files);
      await tx
        .insert(jobRuns)
        .values({ job: 'open-data', lastRunAt: cut.cutAt })
        .onConflictDoUpdate({ target: jobRuns.job, set: { lastRunAt: cut.cutAt } });
    },

    /** The newest checkpoint the read model has applied, in the caller's snapshot. */
    async newestCheckpoint(tx: Executor) {
      const [row] = await tx.select().from(checkpointsSeen).orderBy(desc(checkpointsSeen.treeSize)).limit(1);
      return row;
    },

    /** Takes the cut lock for the transaction `tx`, unless another cut holds it. */
    async tryCutLock(tx: Executor): Promise<boolean> {
      const [lock] = resultRows<{ held: boolean }>(
        await tx.execute(sql`SELECT pg_try_advisory_xact_lock(${cutLockKey}) AS held`),
      );
      return lock?.held === true;
    },

    /** Whether a cut runs anywhere (its lock is held), this process or another. */
    async cutLockHeld(): Promise<boolean> {
      // A bigint advisory key is shown as its high (classid) and low (objid) 32 bits.
      const [row] = resultRows<{ held: boolean }>(
        await db.execute(sql`SELECT EXISTS (
          SELECT 1 FROM pg_locks
          WHERE locktype = 'advisory' AND granted AND objsubid = 1
            AND ((classid::bigint << 32) | objid::bigint) = ${cutLockKey}) AS held`),
      );
      return row?.held === true;
    },

    async cut(day: string, executor: Executor = db) {
      const [row] = await executor.select().from(openDataCuts).where(eq(openDataCuts.day, day));
      return row;
    },

    async newestCut(executor: Executor = db) {
      const [row] = await executor.select().from(openDataCuts).orderBy(desc(openDataCuts.day)).limit(1);
      return row;
    },

    /** Cuts newest first, after the cursor's day. */
    async cutPage(before: string | undefined, limit: number) {
      return db
        .select({ day: openDataCuts.day, previousDay: openDataCuts.previousDay, cutAt: openDataCuts.cutAt })
        .from(openDataCuts)
        .where(before ? lt(openDataCuts.day, before) : undefined)
        .orderBy(desc(openDataCuts.day))
        .limit(limit);
    },

    async file(day: string, name: string) {
      const [row] = await db
        .select()
        .from(openDataFiles)
        .where(and(eq(openDataFiles.day, day), eq(openDataFiles.name, name)));
      return row;
    },

    /** Chunks `from`..`to` (inclusive) of a file, in order. */
    async chunks(day: string, name: string, from: number, to: number) {
      return db
        .select({ chunkNo: openDataChunks.chunkNo, content: openDataChunks.content })
        .from(openDataChunks)
        .where(
          and(
            eq(openDataChunks.day, day),
            eq(openDataChunks.name, name),
            gte(openDataChunks.chunkNo, from),
            lte(openDataChunks.chunkNo, to),
          ),
        )
        .orderBy(asc(openDataChunks.chunkNo));
    },

    /** Drops the files of days before `day` of the given kind (their manifests stay). */
    async pruneFiles(tx: Executor, kind: 'full' | 'increment', before: string): Promise<void> {
      await tx.execute(sql`
        DELETE FROM query.open_data_chunks c USING query.open_data_files f
        WHERE c.day = f.day AND c.name = f.name AND f.kind = ${kind} AND f.day < ${before}`);
      await tx.delete(openDataFiles).where(and(eq(openDataFiles.kind, kind), lt(openDataFiles.day, before)));
    },
  };
}

export type OpenDataRepository = ReturnType<typeof createOpenDataRepository>;
