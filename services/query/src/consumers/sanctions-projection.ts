import type { Executor } from '@credit/db';
import type { FeedEvent } from '@credit/events';
import { type ListingChange, listingChangeSchema } from '@credit/schema';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { listEntries } from '../db/schema.ts';
import { entryBody, storedBody } from '../domain/open-data-files.ts';

export const listProjectionName = 'query-list-entries';
export const listEventTypes = [
  'list.entry.noticed',
  'list.entry.proposed',
  'list.entry.published',
  'list.entry.rejected',
  'list.entry.cancelled',
  'list.entry.exited',
];

/** Follows the sanctions feed: the newest state of each list entry, by subject. */
export async function applySanctionsEvents(tx: Executor, events: FeedEvent[]): Promise<void> {
  const latest = new Map<string, { key: Buffer; change: ListingChange; at: Date }>();
  for (const event of events) {
    const change = listingChangeSchema.parse({ ...(event.payload as object), eventId: event.eventId });
    latest.set(change.entry.id, { key: event.subjectKey, change, at: event.createdAt });
  }
  for (const { key, change, at } of latest.values()) {
    await tx
      .insert(listEntries)
      .values(listEntryRowOf(key, change, at))
      .onConflictDoUpdate({
        target: [listEntries.subjectKey, listEntries.entryId],
        set: {
          status: sql`excluded.status`,
          validFrom: sql`excluded.valid_from`,
          validUntil: sql`excluded.valid_until`,
          endReason: sql`excluded.end_reason`,
          measures: sql`excluded.measures`,
          updatedAt: sql`excluded.updated_at`,
          exportCsv: sql`excluded.export_csv`,
          exportJson: sql`excluded.export_json`,
          exportStamp: sql`excluded.export_stamp`,
          exportDigest: sql`excluded.export_digest`,
        },
        setWhere: sql`${listEntries.updatedAt} <= excluded.updated_at`,
      });
  }
}

/** The read-model row of a listing change (also what the benchmark's world loader writes). */
export function listEntryRowOf(
  key: Buffer,
  change: ListingChange,
  at: Date,
): typeof listEntries.$inferInsert {
  const { entry } = change;
  const validFrom = entry.validFrom ? new Date(entry.validFrom) : null;
  const validUntil = entry.validUntil ? new Date(entry.validUntil) : null;
  return {
    subjectKey: key,
    entryId: entry.id,
    listKind: entry.listKind,
    domain: entry.domain,
    status: entry.status,
    validFrom,
    validUntil,
    endReason: entry.endReason,
    measures: entry.measures,
    updatedAt: at,
    // Red and black lists are public (a watch list never is); whose entry open data shows, the cut decides.
    ...storedBody(
      entry.listKind === 'watch'
        ? null
        : entryBody({
            entryId: entry.id,
            listKind: entry.listKind,
            domain: entry.domain,
            validFrom,
            validUntil,
            measures: entry.measures,
          }),
    ),
  };
}

export type ListEntryRow = typeof listEntries.$inferSelect;

/** Entries in force: published and within validity. */
export async function entriesInForce(
  executor: Executor,
  keys: Buffer[],
  now: Date,
): Promise<Map<string, ListEntryRow[]>> {
  const result = new Map<string, ListEntryRow[]>();
  if (keys.length === 0) return result;
  const rows = await executor
    .select()
    .from(listEntries)
    .where(
      and(
        inArray(listEntries.subjectKey, keys),
        eq(listEntries.status, 'published'),
        sql`(${listEntries.validUntil} IS NULL OR ${listEntries.validUntil} > ${now})`,
      ),
    );
  for (const row of rows) {
    const list = result.get(row.subjectKey.toString('hex')) ?? [];
    list.push(row);
    result.set(row.subjectKey.toString('hex'), list);
  }
  return result;
}
