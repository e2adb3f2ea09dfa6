import { identityAad, type Keyring } from '@credit/crypto';
import { asBuffer, type Executor, resultRows } from '@credit/db';
import type { FeedEvent } from '@credit/events';
import {
  erasuresIn,
  intermediaryRegisteredSchema,
  intermediaryRegisteredType,
  nameGrams,
  namesSubject,
  normaliseOrganisationName,
  type RecordEvent,
  recordEventSchema,
  standingVersionPayloads,
} from '@credit/schema';
import { sql } from 'drizzle-orm';
import { nameGramCounts, organisationNameSightings, organisationNames } from '../db/schema.ts';

export const organisationNameProjectionName = 'query-organisation-names';

/**
 * The sighting an intermediary's registration (intermediary.registered) keeps of the name its
 * supervising department registered it under: its own row beside the record versions', under a
 * record id no record has, which no erasure names (a registration is never erased), so the name
 * stays found while no record carries it and after the records that also carried it are erased.
 */
export const registrationSighting = { recordId: intermediaryRegisteredType, version: 0 } as const;

type NameRow = typeof organisationNames.$inferInsert;
type SightingRow = typeof organisationNameSightings.$inferInsert;
type EncryptedSubject = RecordEvent['subject'];

/**
 * The name index row an organisation's record version carries, or null for a person (never
 * indexed by name), an erased name, or a name with nothing left to search by.
 */
export function organisationNameRowOf(
  event: RecordEvent,
  open: (cipher: Buffer, field: 'identifier' | 'name') => string,
): NameRow | null {
  const registered = event.origin === 'pushed' && event.status === 'active' && namesSubject(event.category);
  return nameRowOf(event.subject, new Date(event.receivedAt), registered, open);
}

/** The name index row of an organisation's identity seen at `at`, or null (see organisationNameRowOf). */
function nameRowOf(
  subject: EncryptedSubject,
  at: Date,
  registered: boolean,
  open: (cipher: Buffer, field: 'identifier' | 'name') => string,
): NameRow | null {
  if (subject.kind === 'natural_person') return null;
  const nameCipher = Buffer.from(subject.nameCipher, 'base64');
  if (nameCipher.length === 0) return null;
  const name = open(nameCipher, 'name');
  const normalised = normaliseOrganisationName(name);
  if (normalised.core === '') return null;
  return {
    subjectKey: Buffer.from(subject.key, 'hex'),
    nameKey: normalised.key,
    name,
    uscc: open(Buffer.from(subject.identifierCipher, 'base64'), 'identifier'),
    kind: subject.kind,
    core: normalised.core,
    regions: normalised.regions,
    legalForm: normalised.legalForm,
    branch: normalised.branch,
    grams: nameGrams(normalised),
    registeredAt: registered ? at : null,
    firstSeen: at,
    lastSeen: at,
  };
}

/** Two sightings of one name of one subject, as one row: the newest spelling, the widest span. */
function merged(held: NameRow, next: NameRow): NameRow {
  const newer = next.lastSeen > held.lastSeen ? next : held;
  const registeredAt =
    held.registeredAt && next.registeredAt
      ? new Date(Math.max(held.registeredAt.getTime(), next.registeredAt.getTime()))
      : (held.registeredAt ?? next.registeredAt);
  return {
    ...newer,
    registeredAt,
    firstSeen: next.firstSeen < held.firstSeen ? next.firstSeen : held.firstSeen,
    lastSeen: newer.lastSeen,
  };
}

/**
 * Follows the ingest feed for the names organisations are found by: every name a standing
 * version of an organisation's record carried, whether the registering authority carried it, and
 * which one is current by the same rule as the subject's identity (nameReplaces in
 * @credit/schema: the registering authority's newest name, else the first seen). Every version
 * counts, not only a record's newest, since a renamed registration leaves its former name behind.
 * Each version's name is kept as a sighting, so that an erasure (`record.erased`) takes out the
 * names only erased versions carried: a copy of an erased name is the name. An intermediary's
 * registration adds its name as a sighting of its own (registrationSighting): found by name from
 * its registration on, but, its department not being the registering authority, current only
 * while no registration record names the agency otherwise.
 */
export async function applyOrganisationNameEvents(
  tx: Executor,
  events: FeedEvent[],
  keyring: Keyring,
): Promise<void> {
  const rows = new Map<string, NameRow>();
  const sightings = new Map<string, SightingRow>();
  const seen = (row: NameRow, recordId: string, version: number) => {
    const subjectHex = row.subjectKey.toString('hex');
    const id = `${subjectHex}/${row.nameKey}`;
    const held = rows.get(id);
    rows.set(id, held ? merged(held, row) : row);
    sightings.set(`${subjectHex}/${recordId}/${version}`, {
      subjectKey: row.subjectKey,
      recordId,
      version,
      nameKey: row.nameKey,
      name: row.name,
      registered: row.registeredAt !== null,
      seenAt: row.lastSeen,
    });
  };
  const opener = (subject: EncryptedSubject) => {
    const key = Buffer.from(subject.key, 'hex');
    return (cipher: Buffer, field: 'identifier' | 'name') =>
      keyring.decrypt(subject.keyId, cipher, identityAad(field, key));
  };
  for (const payload of standingVersionPayloads(events)) {
    const event = recordEventSchema.parse(payload);
    const row = organisationNameRowOf(event, opener(event.subject));
    if (row) seen(row, event.recordId, event.version);
  }
  for (const event of events) {
    if (event.type !== intermediaryRegisteredType) continue;
    const { subject, registeredAt } = intermediaryRegisteredSchema.parse(event.payload);
    const row = nameRowOf(subject, new Date(registeredAt), false, opener(subject));
    if (row) seen(row, registrationSighting.recordId, registrationSighting.version);
  }
  if (rows.size > 0) {
    await tx
      .insert(organisationNameSightings)
      .values([...sightings.values()])
      .onConflictDoNothing();
    await upsertOrganisationNames(tx, [...rows.values()]);
  }
  // After the batch's versions: a batch may hold a version and its erasure both.
  await forgetErasedNames(tx, erasuresIn(events));
}

/**
 * Drops the sightings of erased versions; a name no standing version carries any more leaves the
 * index (and its n-grams their counts), a name still carried takes the span, spelling and
 * registration of the versions left, and each subject's current name is settled again.
 */
async function forgetErasedNames(
  tx: Executor,
  erasures: readonly { subjectKey: Buffer; recordId: string; versions: number[] }[],
): Promise<void> {
  if (erasures.length === 0) return;
  const touched = resultRows<{ subject_key: Buffer | Uint8Array; name_key: string }>(
    await tx.execute(sql`
      DELETE FROM query.organisation_name_sightings s
      USING jsonb_to_recordset(${JSON.stringify(
        erasures.flatMap((e) =>
          e.versions.map((version) => ({
            key: e.subjectKey.toString('hex'),
            record_id: e.recordId,
            version,
          })),
        ),
      )}::jsonb) AS x(key text, record_id text, version int)
      WHERE s.subject_key = decode(x.key, 'hex') AND s.record_id = x.record_id AND s.version = x.version
      RETURNING s.subject_key, s.name_key`),
  );
  if (touched.length === 0) return;
  const names = JSON.stringify(
    [...new Set(touched.map((t) => `${asBuffer(t.subject_key).toString('hex')}/${t.name_key}`))].map((id) => {
      const at = id.indexOf('/');
      return { key: id.slice(0, at), name_key: id.slice(at + 1) };
    }),
  );
  const removed = resultRows<{ gram: string; names: number | string }>(
    await tx.execute(sql`
      WITH gone AS (
      DELETE FROM query.organisation_names n
      USING jsonb_to_recordset(${names}::jsonb) AS x(key text, name_key text)
      WHERE n.subject_key = decode(x.key, 'hex') AND n.name_key = x.name_key
        AND NOT EXISTS (
          SELECT 1 FROM query.organisation_name_sightings s
          WHERE s.subject_key = n.subject_key AND s.name_key = n.name_key)
      RETURNING n.grams)
      SELECT g AS gram, count(*) AS names FROM gone, unnest(gone.grams) AS g GROUP BY g`),
  );
  await tx.execute(sql`
    UPDATE query.organisation_names n
    SET name = s.name, registered_at = s.registered_at, first_seen = s.first_seen, last_seen = s.last_seen
    FROM (
      SELECT s.subject_key, s.name_key, (array_agg(s.name ORDER BY s.seen_at DESC))[1] AS name,
        max(s.seen_at) FILTER (WHERE s.registered) AS registered_at,
        min(s.seen_at) AS first_seen, max(s.seen_at) AS last_seen
      FROM query.organisation_name_sightings s
      JOIN jsonb_to_recordset(${names}::jsonb) AS x(key text, name_key text)
        ON s.subject_key = decode(x.key, 'hex') AND s.name_key = x.name_key
      GROUP BY s.subject_key, s.name_key
    ) s
    WHERE n.subject_key = s.subject_key AND n.name_key = s.name_key`);
  if (removed.length > 0) {
    const sorted = removed
      .map((r): [string, number] => [r.gram, Number(r.names)])
      .sort(([a], [b]) => (a < b ? -1 : 1));
    await tx.execute(sql`
      UPDATE query.name_gram_counts c SET names = c.names - x.names
      FROM unnest(${sql.param(sorted.map(([gram]) => gram))}::text[], ${sql.param(sorted.map(([, n]) => n))}::int[])
        AS x(gram, names)
      WHERE c.gram = x.gram`);
    await tx.execute(sql`
      DELETE FROM query.name_gram_counts
      WHERE gram = ANY(${sql.param(sorted.map(([gram]) => gram))}::text[]) AND names <= 0`);
  }
  await settleCurrentNames(tx, [...new Set(touched.map((t) => asBuffer(t.subject_key).toString('hex')))]);
}

/** Writes name rows, counts the n-grams of names new to the index and settles current names. */
export async function upsertOrganisationNames(tx: Executor, rows: NameRow[]): Promise<void> {
  const inserted = await tx
    .insert(organisationNames)
    .values(rows)
    .onConflictDoUpdate({
      target: [organisationNames.subjectKey, organisationNames.nameKey],
      set: {
        name: sql`CASE WHEN excluded.last_seen >= ${organisationNames.lastSeen} THEN excluded.name ELSE ${organisationNames.name} END`,
        registeredAt: sql`GREATEST(${organisationNames.registeredAt}, excluded.registered_at)`,
        firstSeen: sql`LEAST(${organisationNames.firstSeen}, excluded.first_seen)`,
        lastSeen: sql`GREATEST(${organisationNames.lastSeen}, excluded.last_seen)`,
      },
    })
    .returning({ grams: organisationNames.grams, inserted: sql<boolean>`(xmax = 0)` });
  const counts = new Map<string, number>();
  for (const row of inserted) {
    if (!row.inserted) continue;
    for (const gram of row.grams) counts.set(gram, (counts.get(gram) ?? 0) + 1);
  }
  if (counts.size > 0) {
    await tx
      .insert(nameGramCounts)
      .values([...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([gram, names]) => ({ gram, names })))
      .onConflictDoUpdate({
        target: nameGramCounts.gram,
        set: { names: sql`${nameGramCounts.names} + excluded.names` },
      });
  }
  await settleCurrentNames(tx, [...new Set(rows.map((r) => r.subjectKey.toString('hex')))]);
}

/** Marks each subject's current name: its newest registered one, else the first one seen. */
async function settleCurrentNames(tx: Executor, subjectHexes: string[]): Promise<void> {
  await tx.execute(sql`
    UPDATE query.organisation_names n SET is_current = (n.name_key = c.name_key)
    FROM (
      SELECT DISTINCT ON (subject_key) subject_key, name_key
      FROM query.organisation_names
      WHERE subject_key IN (SELECT decode(h, 'hex') FROM unnest(${sql.param(subjectHexes)}::text[]) AS h)
      ORDER BY subject_key, registered_at DESC NULLS LAST, first_seen, name_key
    ) c
    WHERE n.subject_key = c.subject_key AND n.is_current IS DISTINCT FROM (n.name_key = c.name_key)`);
}
