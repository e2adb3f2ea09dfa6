import { identityAad, type Keyring } from '@credit/crypto';
import type { Database, Executor } from '@credit/db';
import { and, desc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import { consents, records, subjects } from '../db/schema.ts';

export type RecordRow = typeof records.$inferSelect;
export type ConsentRow = typeof consents.$inferSelect;
export type SubjectRow = typeof subjects.$inferSelect;

/** Decrypts what the feed carried about a subject; AAD binds each cipher to its subject key. */
export function openSubject(keyring: Keyring, row: SubjectRow): { identifier: string; name: string } {
  return {
    identifier: keyring.decrypt(row.keyId, row.identifierCipher, identityAad('identifier', row.subjectKey)),
    name: keyring.decrypt(row.keyId, row.nameCipher, identityAad('name', row.subjectKey)),
  };
}

export interface RecordPageCursor {
  occurredAt: Date;
  recordId: string;
}

/** Reads of the query service's own read model (built from the ingest feed). */
export function createReadModelRepository(db: Database) {
  return {
    async subject(subjectKey: Buffer, executor: Executor = db): Promise<SubjectRow | undefined> {
      const [row] = await executor.select().from(subjects).where(eq(subjects.subjectKey, subjectKey));
      return row;
    },

    async subjectsByKey(keys: Buffer[], executor: Executor = db): Promise<Map<string, SubjectRow>> {
      if (keys.length === 0) return new Map();
      const rows = await executor.select().from(subjects).where(inArray(subjects.subjectKey, keys));
      return new Map(rows.map((r) => [r.subjectKey.toString('hex'), r]));
    },

    /** The consents the given records cite, keyed `subjectHex/consentId` (domain/consent-scope). */
    async consentsCitedBy(
      rows: readonly RecordRow[],
      executor: Executor = db,
    ): Promise<Map<string, ConsentRow>> {
      const cited = rows.filter((row) => row.consentRef !== null);
      if (cited.length === 0) return new Map();
      const found = await executor
        .select()
        .from(consents)
        .where(
          and(
            inArray(consents.subjectKey, [
              ...new Map(cited.map((r) => [r.subjectKey.toString('hex'), r.subjectKey])).values(),
            ]),
            inArray(consents.consentId, [...new Set(cited.map((r) => r.consentRef as string))]),
          ),
        );
      return new Map(found.map((c) => [`${c.subjectKey.toString('hex')}/${c.consentId}`, c]));
    },

    /** Every record of a subject, newest fact first. */
    async recordsOf(subjectKey: Buffer, executor: Executor = db): Promise<RecordRow[]> {
      return executor
        .select()
        .from(records)
        .where(eq(records.subjectKey, subjectKey))
        .orderBy(desc(records.occurredAt), desc(records.recordId));
    },

    /** The records of many subjects in one query (the GraphQL loader). */
    async recordsOfMany(subjectKeys: Buffer[], executor: Executor = db): Promise<Map<string, RecordRow[]>> {
      const result = new Map<string, RecordRow[]>();
      if (subjectKeys.length === 0) return result;
      const rows = await executor
        .select()
        .from(records)
        .where(inArray(records.subjectKey, subjectKeys))
        .orderBy(desc(records.occurredAt), desc(records.recordId));
      for (const row of rows) {
        const key = row.subjectKey.toString('hex');
        const list = result.get(key) ?? [];
        list.push(row);
        result.set(key, list);
      }
      return result;
    },

    /** One keyset page, newest first, optionally one class only. */
    async recordPage(
      subjectKey: Buffer,
      classCode: string | undefined,
      after: RecordPageCursor | undefined,
      limit: number,
    ) {
      const conditions = [eq(records.subjectKey, subjectKey)];
      if (classCode) conditions.push(eq(records.classCode, classCode));
      if (after) {
        const before = or(
          lt(records.occurredAt, after.occurredAt),
          and(eq(records.occurredAt, after.occurredAt), lt(records.recordId, after.recordId)),
        );
        if (before) conditions.push(before);
      }
      return db
        .select()
        .from(records)
        .where(and(...conditions))
        .orderBy(desc(records.occurredAt), desc(records.recordId))
        .limit(limit);
    },

    async count(subjectKey: Buffer): Promise<number> {
      const [row] = await db
        .select({ n: sql<string>`count(*)` })
        .from(records)
        .where(eq(records.subjectKey, subjectKey));
      return Number(row?.n ?? 0);
    },
  };
}

export type ReadModelRepository = ReturnType<typeof createReadModelRepository>;
