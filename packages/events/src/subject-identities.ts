import { bytea, type Executor } from '@credit/db';
import { sql } from 'drizzle-orm';
import { pgSchema, text, timestamp } from 'drizzle-orm/pg-core';

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
  });
}

export type SubjectIdentities = ReturnType<typeof defineSubjectIdentities>;
export type SubjectIdentityRow = SubjectIdentities['$inferInsert'];

/** Newer identities replace older ones (a renamed organisation); older ones never win. */
export async function upsertSubjectIdentities(
  tx: Executor,
  table: SubjectIdentities,
  rows: SubjectIdentityRow[],
): Promise<void> {
  if (rows.length === 0) return;
  await tx
    .insert(table)
    .values(rows)
    .onConflictDoUpdate({
      target: table.subjectKey,
      set: {
        nameCipher: sql`excluded.name_cipher`,
        identifierCipher: sql`excluded.identifier_cipher`,
        keyId: sql`excluded.key_id`,
        updatedAt: sql`excluded.updated_at`,
      },
      setWhere: sql`${table.updatedAt} <= excluded.updated_at`,
    });
}
