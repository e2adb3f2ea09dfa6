import { idFromDigest, sha256 } from '@credit/crypto';
import { bulkInsert, type Executor } from '@credit/db';
import { type FeedEvent, upsertSubjectIdentities } from '@credit/events';
import {
  type ExportPreset,
  exportPresetOf,
  listingChangeSchema,
  recordErasedSchema,
  recordErasedType,
  recordEventSchema,
  repairEventSchemas,
  subjectIdentities,
} from '@credit/schema';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { exchangeLog, subjects } from '../../db/schema.ts';

export const exchangeIngestName = 'query-exchange-records';
export const exchangeListName = 'query-exchange-lists';
export const exchangeRepairName = 'query-exchange-repairs';

export const exchangeIngestTypes = [
  'record.created',
  'record.corrected',
  'record.withdrawn',
  recordErasedType,
] as const;
export const exchangeListTypes = [
  'list.entry.published',
  'list.entry.exited',
  'list.entry.cancelled',
] as const;
export const exchangeRepairTypes = ['record.repaired', 'record.display_ended'] as const;

type NewChange = Omit<typeof exchangeLog.$inferInsert, 'position' | 'itemId' | 'createdAt'>;

/** One lock for every transaction that appends to the log: positions then commit in their order. */
const appendLock = sql`SELECT pg_advisory_xact_lock(hashtextextended('query.exchange_log', 0))`;

interface Announced {
  subjectKind: string;
  operation: 'upsert' | 'delete';
  preset: string;
  refVersion: number;
  upserts: number;
}

/** What the log last said of each (subject, ref), and how many times it announced it. */
async function announced(tx: Executor, refs: { subjectKey: Buffer; refId: string }[]) {
  const found = new Map<string, Announced>();
  if (refs.length === 0) return found;
  // The pairs travel as one JSON parameter. A list of hundreds of (key, id) row constructors,
  // two parameters each, aborted the embedded database's WebAssembly at commit (PGlite), and
  // costs PostgreSQL a plan per batch size.
  const wanted = JSON.stringify(refs.map((r) => ({ k: r.subjectKey.toString('hex'), r: r.refId })));
  const result = await tx.execute(sql`
    SELECT DISTINCT ON (l.subject_key, l.ref_id) l.subject_key, l.ref_id, l.subject_kind, l.operation,
      l.preset, l.ref_version,
      count(*) FILTER (WHERE l.operation = 'upsert') OVER (PARTITION BY l.subject_key, l.ref_id) AS upserts
    FROM (SELECT DISTINCT decode(x.k, 'hex') AS subject_key, x.r AS ref_id
          FROM json_to_recordset(${wanted}::json) AS x(k text, r text)) w
    JOIN query.exchange_log l ON l.subject_key = w.subject_key AND l.ref_id = w.ref_id
    ORDER BY l.subject_key, l.ref_id, l.position DESC`);
  const rows = ((result as { rows?: unknown[] }).rows ?? result) as {
    subject_key: Buffer | Uint8Array;
    ref_id: string;
    subject_kind: string;
    operation: 'upsert' | 'delete';
    preset: string;
    ref_version: number;
    upserts: string | number;
  }[];
  for (const row of rows)
    found.set(refKey(Buffer.from(row.subject_key), row.ref_id), {
      subjectKind: row.subject_kind,
      operation: row.operation,
      preset: row.preset,
      refVersion: row.ref_version,
      upserts: Number(row.upserts),
    });
  return found;
}

const refKey = (subjectKey: Buffer, refId: string) => `${subjectKey.toString('hex')}:${refId}`;

/**
 * Turns one feed's events into log changes, in feed order. `decide` sees what the log last
 * announced of the same record or entry (this batch's earlier changes included) and answers the
 * change to log, or nothing: a deletion is logged only for what was announced and stands.
 */
async function appendChanges(
  tx: Executor,
  events: FeedEvent[],
  refOf: (event: FeedEvent) => { subjectKey: Buffer; refId: string } | undefined,
  decide: (event: FeedEvent, last: Announced | undefined) => NewChange | undefined,
): Promise<void> {
  const refs = events.flatMap((e) => refOf(e) ?? []);
  if (refs.length === 0) return;
  const last = await announced(tx, refs);
  const changes: { change: NewChange; event: FeedEvent }[] = [];
  for (const event of events) {
    const ref = refOf(event);
    if (!ref) continue;
    const key = refKey(ref.subjectKey, ref.refId);
    const before = last.get(key);
    const change = decide(event, before);
    if (!change) continue;
    changes.push({ change, event });
    last.set(key, {
      subjectKind: change.subjectKind,
      operation: change.operation,
      preset: change.preset,
      refVersion: change.refVersion,
      upserts: (before?.upserts ?? 0) + (change.operation === 'upsert' ? 1 : 0),
    });
  }
  if (changes.length === 0) return;
  await tx.execute(appendLock);
  const result = await tx.execute(
    sql`SELECT nextval('query.exchange_positions') AS position FROM generate_series(1, ${changes.length})`,
  );
  const positions = (((result as { rows?: unknown[] }).rows ?? result) as { position: string | number }[])
    .map((r) => Number(r.position))
    .sort((a, b) => a - b);
  await bulkInsert(
    tx,
    exchangeLog,
    changes.map(({ change, event }, index) => ({
      ...change,
      position: positions[index] as number,
      itemId: idFromDigest('xit', sha256(`${event.eventId}`)),
      createdAt: event.createdAt,
    })),
  );
}

/** Public disclosure shows organisations only; so does the exchange. */
const isOrganisation = (kind: string) => kind !== 'natural_person';

/**
 * Ingest's record versions: a public version of an organisation's record is announced (upsert),
 * a withdrawal or erasure of one announced is a deletion. Identities are upserted as the
 * read-model projection does (convergent), so the sender finds every announced subject's.
 */
export async function applyIngestChanges(tx: Executor, events: FeedEvent[]): Promise<void> {
  const versions = events
    .filter((e) => e.type !== recordErasedType)
    .map((e) => recordEventSchema.parse(e.payload))
    .filter((v) => v.erased !== true);
  if (versions.length > 0) await upsertSubjectIdentities(tx, subjects, subjectIdentities(versions));
  // Erased content leaves the log too: a batch cut or replayed later carries the item without it.
  for (const event of events.filter((e) => e.type === recordErasedType)) {
    const erased = recordErasedSchema.parse(event.payload);
    await tx
      .update(exchangeLog)
      .set({ content: null })
      .where(
        and(
          eq(exchangeLog.subjectKey, event.subjectKey),
          eq(exchangeLog.refId, erased.recordId),
          inArray(exchangeLog.refVersion, erased.versions),
        ),
      );
  }
  await appendChanges(
    tx,
    events,
    (event) => {
      const payload = event.payload as { recordId?: unknown };
      return typeof payload.recordId === 'string'
        ? { subjectKey: event.subjectKey, refId: payload.recordId }
        : undefined;
    },
    (event, last) => {
      if (event.type === recordErasedType) {
        const erased = recordErasedSchema.parse(event.payload);
        return deletion(event, erased.recordId, last, 'record');
      }
      const version = recordEventSchema.parse(event.payload);
      const shown =
        version.status === 'active' &&
        version.erased !== true &&
        version.publicity === 'public' &&
        isOrganisation(version.subject.kind) &&
        // A version whose display period was over when it was written is not shown, so not sent.
        (version.displayUntil === null || new Date(version.displayUntil) > event.createdAt);
      if (!shown) return deletion(event, version.recordId, last, 'record', version.version);
      const preset: ExportPreset = exportPresetOf(version.category);
      return {
        subjectKey: event.subjectKey,
        subjectKind: version.subject.kind,
        refKind: 'record',
        refId: version.recordId,
        refVersion: version.version,
        operation: 'upsert',
        cause: event.type,
        preset,
        content: {
          recordId: version.recordId,
          version: version.version,
          category: version.category,
          occurredOn: version.occurredAt,
          data: version.data,
          providerCode: version.provider,
          displayUntil: version.displayUntil,
        },
        sourceEventId: event.eventId,
      };
    },
  );
}

function deletion(
  event: FeedEvent,
  refId: string,
  last: Announced | undefined,
  refKind: 'record' | 'list_entry',
  version?: number,
): NewChange | undefined {
  if (last?.operation !== 'upsert') return undefined;
  return {
    subjectKey: event.subjectKey,
    subjectKind: last.subjectKind,
    refKind,
    refId,
    refVersion: version ?? last.refVersion,
    operation: 'delete',
    cause: event.type,
    preset: last.preset,
    content: null,
    sourceEventId: event.eventId,
  };
}

/** The sanctions feed: a published red or black entry of an organisation, and its end. */
export async function applyListChanges(tx: Executor, events: FeedEvent[]): Promise<void> {
  await appendChanges(
    tx,
    events,
    (event) => {
      const { entry } = listingChangeSchema.parse({ ...(event.payload as object), eventId: event.eventId });
      return { subjectKey: event.subjectKey, refId: entry.id };
    },
    (event, last) => {
      const { entry } = listingChangeSchema.parse({ ...(event.payload as object), eventId: event.eventId });
      if (event.type !== 'list.entry.published') return deletion(event, entry.id, last, 'list_entry');
      if (entry.listKind === 'watch' || !isOrganisation(entry.subject.kind)) return undefined;
      return {
        subjectKey: event.subjectKey,
        subjectKind: entry.subject.kind,
        refKind: 'list_entry',
        refId: entry.id,
        refVersion: (last?.upserts ?? 0) + 1,
        operation: 'upsert',
        cause: event.type,
        preset: 'platform-list-entry',
        content: {
          entryId: entry.id,
          listKind: entry.listKind,
          domain: entry.domain,
          validFrom: entry.validFrom,
          validUntil: entry.validUntil,
          measures: entry.measures,
        },
        sourceEventId: event.eventId,
      };
    },
  );
}

/** The repair feed: a repaired record, or one past its display period, leaves the upper platforms too. */
export async function applyRepairChanges(tx: Executor, events: FeedEvent[]): Promise<void> {
  const recordIdOf = (event: FeedEvent) =>
    event.type === 'record.repaired'
      ? repairEventSchemas['record.repaired'].parse(event.payload).recordId
      : repairEventSchemas['record.display_ended'].parse(event.payload).recordId;
  await appendChanges(
    tx,
    events,
    (event) => ({ subjectKey: event.subjectKey, refId: recordIdOf(event) }),
    (event, last) => deletion(event, recordIdOf(event), last, 'record'),
  );
}
