import { canonicalJson, chainHash, genesisHash, newId } from '@credit/crypto';
import type { Database, Executor } from '@credit/db';
import { appendEvents } from '@credit/events';
import type { QueryEvent } from '@credit/schema';
import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import { accessLog, queryOutbox, querySchemaName } from '../db/schema.ts';

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
  return {
    async append(tx: Executor, entry: AccessEntry): Promise<AccessLogRow> {
      await tx.execute(
        sql`SELECT pg_advisory_xact_lock(hashtextextended(${entry.subjectKey.toString('hex')}, 7))`,
      );
      const [last] = await tx
        .select({ entryNo: accessLog.entryNo, hash: accessLog.hash })
        .from(accessLog)
        .where(eq(accessLog.subjectKey, entry.subjectKey))
        .orderBy(desc(accessLog.entryNo))
        .limit(1);
      const base = {
        ...entry,
        entryNo: (last?.entryNo ?? 0) + 1,
        entryId: newId('acc', entry.accessedAt.getTime()),
      };
      const prevHash = last?.hash ?? genesisHash;
      const row: AccessLogRow = { ...base, prevHash, hash: chainHash(prevHash, header(base)) };
      await tx.insert(accessLog).values(row);
      const payload: QueryEvent<'access.logged'> = {
        entryId: row.entryId,
        entryNo: row.entryNo,
        accessedAt: row.accessedAt.toISOString(),
        role: row.role,
        org: row.org,
        channel: row.channel,
        hash: row.hash.toString('hex'),
      };
      await appendEvents(
        tx,
        queryOutbox,
        querySchemaName,
        [{ type: 'access.logged', subjectKey: row.subjectKey, aggregateId: row.entryId, payload }],
        entry.accessedAt,
      );
      return row;
    },

    async page(subjectKey: Buffer, afterEntryNo: number, limit: number): Promise<AccessLogRow[]> {
      return db
        .select()
        .from(accessLog)
        .where(and(eq(accessLog.subjectKey, subjectKey), gt(accessLog.entryNo, afterEntryNo)))
        .orderBy(asc(accessLog.entryNo))
        .limit(limit);
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
