import { canonicalJson, chainHash, genesisHash, newId } from '@credit/crypto';
import { asBuffer, type Database, type Executor, resultRows } from '@credit/db';
import { appendEvents } from '@credit/events';
import type { QueryEvent } from '@credit/schema';
import { and, asc, desc, eq, gt, gte, lt, lte, sql } from 'drizzle-orm';
import { accessLog, accessLogHeads, queryOutbox, querySchemaName } from '../db/schema.ts';

export type AccessLogRow = typeof accessLog.$inferSelect;

export interface AccessEntry {
  subjectKey: Buffer;
  accessedAt: Date;
  role: string;
  org: string | null;
  tokenSubject: string;
  purpose: string | null;
  authorisationId: string | null;
  reportId: string | null;
  /** SHA-256 of the issued report's canonical JSON, when the read issued a signed report. */
  reportDigest: Buffer | null;
  channel: 'rest' | 'graphql';
  records: { id: string; version: number }[];
}

/** Where a newest-first read resumes: before this entry number, at or before this time. */
export interface AccessLogPosition {
  entryNo: number;
  at: Date;
}

function monthStart(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

/** The condition of a newest-first read: one subject, one month, before a position. */
export function monthBefore(subjectKey: Buffer, position: AccessLogPosition) {
  return and(
    eq(accessLog.subjectKey, subjectKey),
    gte(accessLog.accessedAt, monthStart(position.at)),
    lte(accessLog.accessedAt, position.at),
    lt(accessLog.entryNo, position.entryNo),
  );
}

function header(row: Omit<AccessLogRow, 'prevHash' | 'hash'>): Record<string, unknown> {
  // Entries written before reports had digests hash without the field, and still verify.
  const digest = row.reportDigest ? { reportDigest: row.reportDigest.toString('hex') } : {};
  return {
    ...digest,
    entryNo: row.entryNo,
    entryId: row.entryId,
    subjectKey: row.subjectKey.toString('hex'),
    accessedAt: row.accessedAt.toISOString(),
    role: row.role,
    org: row.org,
    tokenSubject: row.tokenSubject,
    purpose: row.purpose,
    authorisationId: row.authorisationId,
    reportId: row.reportId,
    channel: row.channel,
    records: canonicalJson(row.records),
  };
}

/**
 * 查询使用登记: one append-only, hash-chained log per subject. Appends to one subject's log are
 * serialised by a transaction-scoped advisory lock on its key, so entry numbers never collide
 * and every entry links onto the one before it.
 */
export function createAccessLogRepository(db: Database) {
  async function headPosition(subjectKey: Buffer): Promise<AccessLogPosition | null> {
    const [head] = await db.select().from(accessLogHeads).where(eq(accessLogHeads.subjectKey, subjectKey));
    return head ? { entryNo: head.entryNo + 1, at: head.accessedAt } : null;
  }

  /**
   * Many entries in a few statements (a screening call reads up to thousands of subjects): the
   * subjects' locks are taken in key order, so two batches touching the same subjects queue
   * rather than deadlock; entries of one subject follow each other in the order given.
   */
  async function appendMany(tx: Executor, entries: readonly AccessEntry[]): Promise<AccessLogRow[]> {
    if (entries.length === 0) return [];
    const keys = [...new Set(entries.map((e) => e.subjectKey.toString('hex')))].sort();
    await tx.execute(
      sql`SELECT pg_advisory_xact_lock(hashtextextended(k, 7)) FROM unnest(${sql.param(keys)}::text[]) WITH ORDINALITY AS t(k, n) ORDER BY n`,
    );
    const lastRows = resultRows<{
      subject_key: Buffer | Uint8Array;
      entry_no: string | number;
      hash: Buffer | Uint8Array;
    }>(
      await tx.execute(sql`
        SELECT subject_key, entry_no, hash FROM ${accessLogHeads}
        WHERE subject_key IN (SELECT decode(k, 'hex') FROM unnest(${sql.param(keys)}::text[]) AS k)`),
    );
    const heads = new Map(
      lastRows.map((r) => [
        asBuffer(r.subject_key).toString('hex'),
        { entryNo: Number(r.entry_no), hash: asBuffer(r.hash) },
      ]),
    );
    const rows: AccessLogRow[] = entries.map((entry) => {
      const key = entry.subjectKey.toString('hex');
      const last = heads.get(key);
      const base = {
        ...entry,
        entryNo: (last?.entryNo ?? 0) + 1,
        entryId: newId('acc', entry.accessedAt.getTime()),
      };
      const prevHash = last?.hash ?? genesisHash;
      const row: AccessLogRow = { ...base, prevHash, hash: chainHash(prevHash, header(base)) };
      heads.set(key, { entryNo: row.entryNo, hash: row.hash });
      return row;
    });
    await tx.insert(accessLog).values(rows);
    const newest = new Map(rows.map((row) => [row.subjectKey.toString('hex'), row]));
    await tx
      .insert(accessLogHeads)
      .values(
        [...newest.values()].map((row) => ({
          subjectKey: row.subjectKey,
          entryNo: row.entryNo,
          hash: row.hash,
          accessedAt: row.accessedAt,
        })),
      )
      .onConflictDoUpdate({
        target: accessLogHeads.subjectKey,
        set: {
          entryNo: sql`excluded.entry_no`,
          hash: sql`excluded.hash`,
          accessedAt: sql`excluded.accessed_at`,
        },
      });
    const byTime = new Map<number, AccessLogRow[]>();
    for (const row of rows)
      byTime.set(row.accessedAt.getTime(), [...(byTime.get(row.accessedAt.getTime()) ?? []), row]);
    for (const [at, logged] of byTime) {
      await appendEvents(
        tx,
        queryOutbox,
        querySchemaName,
        logged.map((row) => {
          const payload: QueryEvent<'access.logged'> = {
            entryId: row.entryId,
            entryNo: row.entryNo,
            accessedAt: row.accessedAt.toISOString(),
            role: row.role,
            org: row.org,
            channel: row.channel,
            hash: row.hash.toString('hex'),
          };
          return { type: 'access.logged', subjectKey: row.subjectKey, aggregateId: row.entryId, payload };
        }),
        new Date(at),
      );
    }
    return rows;
  }

  return {
    async append(tx: Executor, entry: AccessEntry): Promise<AccessLogRow> {
      const [row] = await appendMany(tx, [entry]);
      return row as AccessLogRow;
    },

    appendMany,

    async page(subjectKey: Buffer, afterEntryNo: number, limit: number): Promise<AccessLogRow[]> {
      return db
        .select()
        .from(accessLog)
        .where(and(eq(accessLog.subjectKey, subjectKey), gt(accessLog.entryNo, afterEntryNo)))
        .orderBy(asc(accessLog.entryNo))
        .limit(limit);
    },

    /**
     * The subject's entries newest first, before `before` (null: from the newest). The log is
     * partitioned by month of accessed_at and each read here is bounded to one month, so a page
     * of recent entries reads one partition. Entry numbers are contiguous from 1, so the page
     * takes entries while they run on from the position, and where a month runs out (or a clock
     * set back put an entry in another month) it finds the next entry by its number and goes on
     * in that entry's month.
     */
    async pageNewest(
      subjectKey: Buffer,
      before: AccessLogPosition | null,
      limit: number,
    ): Promise<AccessLogRow[]> {
      let position = before ?? (await headPosition(subjectKey));
      const rows: AccessLogRow[] = [];
      while (position && position.entryNo > 1 && rows.length < limit) {
        let expected = position.entryNo - 1;
        for (const row of await db
          .select()
          .from(accessLog)
          .where(monthBefore(subjectKey, position))
          .orderBy(desc(accessLog.entryNo))
          .limit(limit - rows.length)) {
          if (row.entryNo !== expected) break;
          rows.push(row);
          expected -= 1;
        }
        if (rows.length >= limit || expected < 1) break;
        const [next] = await db
          .select({ accessedAt: accessLog.accessedAt })
          .from(accessLog)
          .where(and(eq(accessLog.subjectKey, subjectKey), eq(accessLog.entryNo, expected)));
        position = next ? { entryNo: expected + 1, at: next.accessedAt } : null;
      }
      return rows;
    },

    /** Recomputes the subject's whole chain; false when any entry was altered, removed or reordered. */
    async verify(subjectKey: Buffer): Promise<boolean> {
      const rows = await db
        .select()
        .from(accessLog)
        .where(eq(accessLog.subjectKey, subjectKey))
        .orderBy(asc(accessLog.entryNo));
      let previous = genesisHash;
      for (const [index, row] of rows.entries()) {
        if (row.entryNo !== index + 1 || !row.prevHash.equals(previous)) return false;
        const { prevHash: _p, hash, ...rest } = row;
        if (!chainHash(previous, header(rest)).equals(hash)) return false;
        previous = hash;
      }
      return true;
    },
  };
}

export type AccessLogRepository = ReturnType<typeof createAccessLogRepository>;

/** An access-log entry as the API shows it (REST and GraphQL alike). */
export function accessLogView(row: AccessLogRow) {
  return {
    id: row.entryId,
    entryNo: row.entryNo,
    accessedAt: row.accessedAt.toISOString(),
    role: row.role,
    org: row.org,
    purpose: row.purpose,
    authorisationId: row.authorisationId,
    reportId: row.reportId,
    reportDigest: row.reportDigest?.toString('hex') ?? null,
    channel: row.channel,
    records: row.records,
    hash: row.hash.toString('hex'),
  };
}
