import { type CipherStore, type Executor, resultRows } from '@credit/db';
import { and, asc, gt, ne, or, sql } from 'drizzle-orm';
import {
  ingestOutbox,
  practitioners,
  recordVersions,
  type StoredRelatedPerson,
  subjects,
} from '../db/schema.ts';

/**
 * Where the ingest service keeps identity ciphertexts, for key rotation: the subjects' identity
 * numbers, the names on record versions (the subject's and related persons'), and the identity
 * that record events carry to the other services. None of them is covered by a hash: the chain
 * commits to names as keyed MACs and the log to commitments, so a rewrap changes no hash.
 */

async function countKeyIds(executor: Executor, query: ReturnType<typeof sql>): Promise<Map<string, number>> {
  const rows = resultRows<{ key_id: string; n: string | number }>(await executor.execute(query));
  return new Map(rows.map((r) => [r.key_id, Number(r.n)]));
}

/** Record versions and the outbox are append-only: a rewrap declares itself (migrations/ingest/0004). */
async function declareRewrap(tx: Executor): Promise<void> {
  await tx.execute(sql`SET LOCAL credit.rewrap = 'on'`);
}

const subjectsStore: CipherStore = {
  table: 'ingest.subjects',
  countByKey: (executor) =>
    countKeyIds(executor, sql`SELECT key_id, count(*) AS n FROM ingest.subjects GROUP BY key_id`),
  async rewrapBatch(tx, target, rewrap, cursor, limit) {
    const rows = await tx
      .select()
      .from(subjects)
      .where(
        and(
          ne(subjects.keyId, target),
          cursor ? gt(subjects.subjectKey, Buffer.from(cursor, 'hex')) : undefined,
        ),
      )
      .orderBy(asc(subjects.subjectKey))
      .limit(limit);
    const updates: [key: string, cipher: string, old: string][] = [];
    let failed = 0;
    for (const row of rows) {
      const cipher = rewrap({
        keyId: row.keyId,
        ciphertext: row.identifierCipher,
        field: 'identifier',
        subjectKey: row.subjectKey,
      });
      if (cipher) updates.push([row.subjectKey.toString('hex'), cipher.toString('hex'), row.keyId]);
      else failed++;
    }
    const done = updates.length
      ? resultRows(
          await tx.execute(sql`
            UPDATE ingest.subjects AS s SET identifier_cipher = decode(u.c, 'hex'), key_id = ${target}
            FROM unnest(${sql.param(updates.map((u) => u[0]))}::text[],
                        ${sql.param(updates.map((u) => u[1]))}::text[],
                        ${sql.param(updates.map((u) => u[2]))}::text[]) AS u(k, c, o)
            WHERE s.subject_key = decode(u.k, 'hex') AND s.key_id = u.o
            RETURNING 1`),
        )
      : [];
    const last = rows.at(-1);
    return {
      cursor: rows.length < limit || !last ? undefined : last.subjectKey.toString('hex'),
      rewrapped: done.length,
      failed,
    };
  },
};

const versionsStore: CipherStore = {
  table: 'ingest.record_versions',
  countByKey: (executor) =>
    countKeyIds(
      executor,
      // Rows, not ciphertexts: a version naming a key for its subject and its related persons counts once.
      sql`SELECT k.key_id, count(*) AS n FROM ingest.record_versions AS v
          CROSS JOIN LATERAL (
            SELECT v.key_id UNION SELECT p->>'keyId' FROM jsonb_array_elements(v.related_persons) AS p
          ) AS k(key_id)
          GROUP BY k.key_id`,
    ),
  async rewrapBatch(tx, target, rewrap, cursor, limit) {
    await declareRewrap(tx);
    const after = cursor ? (JSON.parse(cursor) as [string, string, number]) : undefined;
    const v = recordVersions;
    const rows = await tx
      .select({
        subjectKey: v.subjectKey,
        recordId: v.recordId,
        version: v.version,
        nameCipher: v.subjectNameCipher,
        keyId: v.keyId,
        relatedPersons: v.relatedPersons,
      })
      .from(v)
      .where(
        and(
          or(
            ne(v.keyId, target),
            sql`EXISTS (SELECT 1 FROM jsonb_array_elements(${v.relatedPersons}) AS p WHERE p->>'keyId' <> ${target})`,
          ),
          after
            ? sql`(${v.subjectKey}, ${v.recordId}, ${v.version}) > (decode(${after[0]}, 'hex'), ${after[1]}, ${after[2]}::int)`
            : undefined,
        ),
      )
      .orderBy(asc(v.subjectKey), asc(v.recordId), asc(v.version))
      .limit(limit);
    const updates: { row: (typeof rows)[number]; name: Buffer; related: StoredRelatedPerson[] }[] = [];
    let failed = 0;
    for (const row of rows) {
      // An erased version has no name left: it moves to the new key with nothing to re-encrypt.
      const name =
        row.nameCipher.length === 0
          ? row.nameCipher
          : rewrap({
              keyId: row.keyId,
              ciphertext: row.nameCipher,
              field: 'name',
              subjectKey: row.subjectKey,
            });
      const related = row.relatedPersons.map((person) => {
        const cipher = rewrap({
          keyId: person.keyId,
          ciphertext: Buffer.from(person.nameCipher, 'base64'),
          field: 'name',
          subjectKey: Buffer.from(person.subjectKey, 'hex'),
        });
        return cipher && { ...person, nameCipher: cipher.toString('base64'), keyId: target };
      });
      if (!name || related.some((p) => !p)) failed++;
      else updates.push({ row, name, related: related as StoredRelatedPerson[] });
    }
    const column = <T>(pick: (u: (typeof updates)[number]) => T) => sql.param(updates.map(pick));
    const done = updates.length
      ? resultRows(
          await tx.execute(sql`
            UPDATE ingest.record_versions AS v
            SET subject_name_cipher = decode(u.n, 'hex'), key_id = ${target}, related_persons = u.rp::jsonb
            FROM unnest(${column((u) => u.row.subjectKey.toString('hex'))}::text[],
                        ${column((u) => u.row.recordId)}::text[],
                        ${column((u) => u.row.version)}::int[],
                        ${column((u) => u.name.toString('hex'))}::text[],
                        ${column((u) => JSON.stringify(u.related))}::text[],
                        ${column((u) => u.row.keyId)}::text[],
                        ${column((u) => JSON.stringify(u.row.relatedPersons))}::text[])
                 AS u(k, r, ver, n, rp, o, orp)
            WHERE v.subject_key = decode(u.k, 'hex') AND v.record_id = u.r AND v.version = u.ver
              AND v.key_id = u.o AND v.related_persons = u.orp::jsonb
            RETURNING 1`),
        )
      : [];
    const last = rows.at(-1);
    return {
      cursor:
        rows.length < limit || !last
          ? undefined
          : JSON.stringify([last.subjectKey.toString('hex'), last.recordId, last.version]),
      rewrapped: done.length,
      failed,
    };
  },
};

/** Record events carry the subject's identity to the other services under `payload.subject`. */
const eventsStore: CipherStore = {
  table: 'ingest.events',
  countByKey: (executor) =>
    countKeyIds(
      executor,
      sql`SELECT payload->'subject'->>'keyId' AS key_id, count(*) AS n FROM ingest.events
          WHERE payload->'subject'->>'keyId' IS NOT NULL GROUP BY 1`,
    ),
  async rewrapBatch(tx, target, rewrap, cursor, limit) {
    await declareRewrap(tx);
    const after = cursor ? (JSON.parse(cursor) as [string, number]) : undefined;
    const e = ingestOutbox;
    const keyIdOf = sql`${e.payload}->'subject'->>'keyId'`;
    const rows = await tx
      .select({
        subjectKey: e.subjectKey,
        seq: e.seq,
        subject: sql<{
          keyId: string;
          identifierCipher: string;
          nameCipher: string;
        }>`${e.payload}->'subject'`,
      })
      .from(e)
      .where(
        and(
          sql`${keyIdOf} IS NOT NULL AND ${keyIdOf} <> ${target}`,
          after
            ? sql`(${e.subjectKey}, ${e.seq}) > (decode(${after[0]}, 'hex'), ${after[1]}::bigint)`
            : undefined,
        ),
      )
      .orderBy(asc(e.subjectKey), asc(e.seq))
      .limit(limit);
    const updates: [key: string, seq: number, identifier: string, name: string, old: string][] = [];
    let failed = 0;
    for (const row of rows) {
      const subject = typeof row.subject === 'string' ? JSON.parse(row.subject) : row.subject;
      const at = { keyId: subject.keyId as string, subjectKey: row.subjectKey };
      const identifier = rewrap({
        ...at,
        ciphertext: Buffer.from(subject.identifierCipher, 'base64'),
        field: 'identifier',
      });
      // Erasure empties the name on the feed too.
      const name =
        subject.nameCipher === ''
          ? Buffer.alloc(0)
          : rewrap({ ...at, ciphertext: Buffer.from(subject.nameCipher, 'base64'), field: 'name' });
      if (!identifier || !name) failed++;
      else
        updates.push([
          row.subjectKey.toString('hex'),
          row.seq,
          identifier.toString('base64'),
          name.toString('base64'),
          at.keyId,
        ]);
    }
    const done = updates.length
      ? resultRows(
          await tx.execute(sql`
            UPDATE ingest.events AS e
            SET payload = jsonb_set(e.payload, '{subject}', (e.payload->'subject')
                  || jsonb_build_object('keyId', ${target}::text, 'identifierCipher', u.i, 'nameCipher', u.n))
            FROM unnest(${sql.param(updates.map((u) => u[0]))}::text[],
                        ${sql.param(updates.map((u) => u[1]))}::bigint[],
                        ${sql.param(updates.map((u) => u[2]))}::text[],
                        ${sql.param(updates.map((u) => u[3]))}::text[],
                        ${sql.param(updates.map((u) => u[4]))}::text[]) AS u(k, s, i, n, o)
            WHERE e.subject_key = decode(u.k, 'hex') AND e.seq = u.s AND e.payload->'subject'->>'keyId' = u.o
            RETURNING 1`),
        )
      : [];
    const last = rows.at(-1);
    return {
      cursor:
        rows.length < limit || !last
          ? undefined
          : JSON.stringify([last.subjectKey.toString('hex'), last.seq]),
      rewrapped: done.length,
      failed,
    };
  },
};

/** Practitioners' names (migrations/ingest/0009), bound to the person's key. */
const practitionersStore: CipherStore = {
  table: 'ingest.practitioners',
  countByKey: (executor) =>
    countKeyIds(executor, sql`SELECT key_id, count(*) AS n FROM ingest.practitioners GROUP BY key_id`),
  async rewrapBatch(tx, target, rewrap, cursor, limit) {
    const after = cursor ? (JSON.parse(cursor) as [string, string]) : undefined;
    const p = practitioners;
    const rows = await tx
      .select()
      .from(p)
      .where(
        and(
          ne(p.keyId, target),
          after
            ? sql`(${p.agencyKey}, ${p.practitionerId}) > (decode(${after[0]}, 'hex'), ${after[1]})`
            : undefined,
        ),
      )
      .orderBy(asc(p.agencyKey), asc(p.practitionerId))
      .limit(limit);
    const updates: [agency: string, id: string, cipher: string, old: string][] = [];
    let failed = 0;
    for (const row of rows) {
      const cipher = rewrap({
        keyId: row.keyId,
        ciphertext: row.nameCipher,
        field: 'name',
        subjectKey: row.personKey,
      });
      if (cipher)
        updates.push([row.agencyKey.toString('hex'), row.practitionerId, cipher.toString('hex'), row.keyId]);
      else failed++;
    }
    const done = updates.length
      ? resultRows(
          await tx.execute(sql`
            UPDATE ingest.practitioners AS p SET name_cipher = decode(u.c, 'hex'), key_id = ${target}
            FROM unnest(${sql.param(updates.map((u) => u[0]))}::text[],
                        ${sql.param(updates.map((u) => u[1]))}::text[],
                        ${sql.param(updates.map((u) => u[2]))}::text[],
                        ${sql.param(updates.map((u) => u[3]))}::text[]) AS u(a, i, c, o)
            WHERE p.agency_key = decode(u.a, 'hex') AND p.practitioner_id = u.i AND p.key_id = u.o
            RETURNING 1`),
        )
      : [];
    const last = rows.at(-1);
    return {
      cursor:
        rows.length < limit || !last
          ? undefined
          : JSON.stringify([last.agencyKey.toString('hex'), last.practitionerId]),
      rewrapped: done.length,
      failed,
    };
  },
};

export const ingestCipherStores: readonly CipherStore[] = [
  subjectsStore,
  versionsStore,
  eventsStore,
  practitionersStore,
];
