import { bulkUpsert, bytea, type CipherStore, type Executor, resultRows } from '@credit/db';
import { and, asc, getTableName, gt, ne, sql } from 'drizzle-orm';
import { boolean, getTableConfig, pgSchema, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * A consumer's copy of subjects' identities as the ingest feed carries them (encrypted, keyed by
 * the blind index): `<schema>.subjects` in each service that reads the feed, written only here.
 */
export function defineSubjectIdentities(schemaName: string) {
  return pgSchema(schemaName).table('subjects', {
    subjectKey: bytea('subject_key').primaryKey(),
    kind: text('kind').notNull(),
    identifierCipher: bytea('identifier_cipher').notNull(),
    nameCipher: bytea('name_cipher').notNull(),
    keyId: text('key_id').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** Whether the name came from the registering authority’s record (each service’s …_registered_names.sql migration). */
    nameAuthoritative: boolean('name_authoritative').notNull().default(false),
  });
}

export type SubjectIdentities = ReturnType<typeof defineSubjectIdentities>;
export type SubjectIdentityRow = SubjectIdentities['$inferInsert'];

/**
 * `nameReplaces` of @credit/schema over the stored row `t` and the incoming `excluded`: the
 * registering authority's newest name, else the first name seen. Identifier and name ciphers
 * move together, as they share one key id.
 */
const subjectNameReplaces = `CASE WHEN t.name_authoritative <> excluded.name_authoritative THEN excluded.name_authoritative
  WHEN excluded.name_authoritative THEN t.updated_at <= excluded.updated_at
  ELSE excluded.updated_at < t.updated_at END`;

/** Identities as `subjectIdentities` decided them for a batch; the stored one yields by the same rule. */
export async function upsertSubjectIdentities(
  tx: Executor,
  table: SubjectIdentities,
  rows: SubjectIdentityRow[],
): Promise<void> {
  if (rows.length === 0) return;
  await bulkUpsert(tx, table, rows, {
    target: ['subjectKey'],
    update: ['nameCipher', 'identifierCipher', 'keyId', 'updatedAt', 'nameAuthoritative'],
    newer: subjectNameReplaces,
  });
}

/**
 * The identity copies for key rotation. `updated_at` stays as it was: it orders the feed's
 * versions of an identity, and a rewrap is not a newer version. A feed event still under the old
 * key that lands afterwards simply leaves the row for the next run (the retire check sees it).
 */
export function subjectIdentityCipherStore(table: SubjectIdentities): CipherStore {
  return {
    table: `${getTableConfig(table).schema}.${getTableName(table)}`,
    async countByKey(executor) {
      const rows = await executor
        .select({ keyId: table.keyId, n: sql<string>`count(*)` })
        .from(table)
        .groupBy(table.keyId);
      return new Map(rows.map((r) => [r.keyId, Number(r.n)]));
    },
    async rewrapBatch(tx, target, rewrap, cursor, limit) {
      const rows = await tx
        .select()
        .from(table)
        .where(
          and(ne(table.keyId, target), cursor ? gt(table.subjectKey, Buffer.from(cursor, 'hex')) : undefined),
        )
        .orderBy(asc(table.subjectKey))
        .limit(limit);
      const updates: { key: string; identifier: string; name: string; old: string }[] = [];
      let failed = 0;
      for (const row of rows) {
        const at = { keyId: row.keyId, subjectKey: row.subjectKey };
        const identifier = rewrap({ ...at, ciphertext: row.identifierCipher, field: 'identifier' });
        // An erased name is empty: nothing to re-encrypt, but the row still moves to the new key.
        const name =
          row.nameCipher.length === 0
            ? row.nameCipher
            : rewrap({ ...at, ciphertext: row.nameCipher, field: 'name' });
        if (!identifier || !name) {
          failed++;
          continue;
        }
        updates.push({
          key: row.subjectKey.toString('hex'),
          identifier: identifier.toString('hex'),
          name: name.toString('hex'),
          old: row.keyId,
        });
      }
      const done =
        updates.length === 0
          ? []
          : resultRows(
              await tx.execute(sql`
                UPDATE ${table} AS s
                SET identifier_cipher = decode(u.i, 'hex'), name_cipher = decode(u.n, 'hex'), key_id = ${target}
                FROM unnest(${sql.param(updates.map((u) => u.key))}::text[],
                            ${sql.param(updates.map((u) => u.identifier))}::text[],
                            ${sql.param(updates.map((u) => u.name))}::text[],
                            ${sql.param(updates.map((u) => u.old))}::text[]) AS u(k, i, n, o)
                WHERE s.subject_key = decode(u.k, 'hex') AND s.key_id = u.o
                RETURNING 1`),
            );
      const last = rows.at(-1);
      return {
        cursor: rows.length < limit || !last ? undefined : last.subjectKey.toString('hex'),
        rewrapped: done.length,
        failed,
      };
    },
  };
}
