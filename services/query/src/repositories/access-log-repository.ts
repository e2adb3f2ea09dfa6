import { canonicalJson, chainHash, genesisHash, newId } from '@credit/crypto';
import { asBuffer, type Database, type Executor, resultRows } from '@credit/db';
import { appendEvents } from '@credit/events';
import type { QueryEvent } from '@credit/schema';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
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
        SELECT DISTINCT ON (subject_key) subject_key, entry_no, hash FROM ${accessLog}
        WHERE subject_key IN (SELECT decode(k, 'hex') FROM unnest(${sql.param(keys)}::text[]) AS k)
        ORDER BY subject_key, entry_no DESC`),
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
