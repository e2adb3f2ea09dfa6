import { identityAad, type Keyring } from '@credit/crypto';
import type { Executor } from '@credit/db';
import type { FeedEvent } from '@credit/events';
import {
  nameGrams,
  namesSubject,
  normaliseOrganisationName,
  type RecordEvent,
  recordEventSchema,
  standingVersionPayloads,
} from '@credit/schema';
import { sql } from 'drizzle-orm';
import { nameGramCounts, organisationNames } from '../db/schema.ts';

export const organisationNameProjectionName = 'query-organisation-names';

type NameRow = typeof organisationNames.$inferInsert;

/**
 * The name index row an organisation's record version carries, or null for a person (never
 * indexed by name), an erased name, or a name with nothing left to search by.
 */
export function organisationNameRowOf(
  event: RecordEvent,
  open: (cipher: Buffer, field: 'identifier' | 'name') => string,
): NameRow | null {
  if (event.subject.kind === 'natural_person') return null;
  const nameCipher = Buffer.from(event.subject.nameCipher, 'base64');
  if (nameCipher.length === 0) return null;
  const name = open(nameCipher, 'name');
  const normalised = normaliseOrganisationName(name);
  if (normalised.core === '') return null;
  const at = new Date(event.receivedAt);
  const registered = event.origin === 'pushed' && event.status === 'active' && namesSubject(event.category);
  return {
    subjectKey: Buffer.from(event.subject.key, 'hex'),
    nameKey: normalised.key,
    name,
    uscc: open(Buffer.from(event.subject.identifierCipher, 'base64'), 'identifier'),
    kind: event.subject.kind,
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
 */
export async function applyOrganisationNameEvents(
  tx: Executor,
  events: FeedEvent[],
  keyring: Keyring,
): Promise<void> {
  const rows = new Map<string, NameRow>();
  for (const payload of standingVersionPayloads(events)) {
    const event = recordEventSchema.parse(payload);
    const key = Buffer.from(event.subject.key, 'hex');
    const row = organisationNameRowOf(event, (cipher, field) =>
      keyring.decrypt(event.subject.keyId, cipher, identityAad(field, key)),
    );
    if (!row) continue;
    const id = `${event.subject.key}/${row.nameKey}`;
    const held = rows.get(id);
    rows.set(id, held ? merged(held, row) : row);
  }
  if (rows.size === 0) return;
  await upsertOrganisationNames(tx, [...rows.values()]);
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
