import { canonicalJson } from '@credit/crypto';
import { type Database, type Executor, inTransaction, resultRows } from '@credit/db';
import { type FeedPosition, feedStart } from '@credit/events';
import { recordVersions, records as storeRecords } from '@credit/ingest/verification';
import {
  listEntries,
  listEntryRowOf,
  listEventTypes,
  listProjectionName,
  queryFollowedRepairEvents,
  queryRepairFollowName,
  records as readModelRecords,
  recordBodyColumns,
  recordsProjectionName,
} from '@credit/query/verification';
import { exportRenderingStamp, findEntry, listingChangeSchema, repairEventSchemas } from '@credit/schema';
import { and, asc, inArray, type SQL, sql } from 'drizzle-orm';
import type { Finding } from './findings.ts';

type Report = (kind: Finding['kind'], where: string, detail: string) => void;
type StoreRecord = typeof storeRecords.$inferSelect;
type StoreVersion = typeof recordVersions.$inferSelect;
type RecordRow = typeof readModelRecords.$inferSelect;
type ListEntryRow = typeof listEntries.$inferSelect;

const batchSize = 1000;

/**
 * The query service's read models against what they are projected from. Callers are served from
 * query.records and query.list_entries, not from the store: a row changed there would be served
 * while the store and its log still verify. Each row is recomputed from the store (record
 * versions, checked against the log by the rest of the audit) or from the decisions the log
 * commits to (the sanctions and repair feeds), and every divergence is a finding.
 *
 * Everything is read in one snapshot: a consumer applies a batch and moves its cursor in one
 * transaction, so in a snapshot each read model is exactly the projection of the events up to its
 * cursor, and a server running beside the audit causes no false findings.
 */
export async function checkReadModels(
  db: Database,
  report: Report,
): Promise<{ readModelRecords: number; readModelListEntries: number }> {
  return inTransaction(db, async (tx) => {
    await tx.execute(sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`);
    if (!(await tableExists(tx, 'query.records'))) return { readModelRecords: 0, readModelListEntries: 0 };
    const readModelRecords = await checkRecords(tx, report);
    const readModelListEntries = await checkListEntries(tx, report);
    return { readModelRecords, readModelListEntries };
  });
}

async function tableExists(tx: Executor, name: string): Promise<boolean> {
  const [row] = resultRows<{ present: boolean }>(
    await tx.execute(sql`SELECT to_regclass(${name}) IS NOT NULL AS present`),
  );
  return row?.present === true;
}

async function cursorOf(tx: Executor, consumer: string, source: string): Promise<FeedPosition> {
  const [row] = resultRows<{ tx_id: string; seq: string | number }>(
    await tx.execute(
      sql`SELECT tx_id::text AS tx_id, seq FROM query.event_cursors WHERE consumer = ${consumer} AND source = ${source}`,
    ),
  );
  return row ? { txId: row.tx_id, seq: Number(row.seq) } : feedStart;
}

/** Events of `source` a consumer at `cursor` has applied (`upTo`) or not yet (`after`). */
function feedRange(cursor: FeedPosition, side: 'upTo' | 'after'): SQL {
  return side === 'upTo'
    ? sql`(tx_id, seq) <= (${cursor.txId}::xid8, ${cursor.seq}::bigint)`
    : sql`(tx_id, seq) > (${cursor.txId}::xid8, ${cursor.seq}::bigint)`;
}

/** Values as comparable text: instants as ISO strings, JSON canonically, absent as null. */
function comparable(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('hex');
  return canonicalJson(value);
}

function differingFields<T extends Record<string, unknown>>(expected: T, actual: Record<string, unknown>) {
  return Object.keys(expected).filter((field) => comparable(expected[field]) !== comparable(actual[field]));
}

const bodyColumns = new Set(['exportCsv', 'exportJson', 'exportDigest', 'exportStamp']);

/**
 * The fields of a row that differ from what it should hold, its open-data body included only when
 * stamped with the current rendering: a body of another stamp is never written to a file (a cut
 * renders the item again and stores it), so it is not a fault until it is.
 */
function differingServed<T extends Record<string, unknown>>(expected: T, actual: Record<string, unknown>) {
  const current = actual.exportStamp === exportRenderingStamp;
  return differingFields(expected, actual).filter((field) => current || !bodyColumns.has(field));
}

/** The read-model row the query projection makes of a store version (the fields it copies). */
function projectedRecord(record: StoreRecord, version: StoreVersion) {
  return {
    version: version.version,
    status: version.status,
    providerCode: version.providerCode,
    sourceId: record.sourceId,
    category: version.category,
    classCode: findEntry(version.category)?.classCode ?? 'unknown',
    subjectKind: version.subjectKind,
    occurredAt: version.occurredAt,
    occurredOn: version.occurredOn,
    receivedAt: version.receivedAt,
    severity: version.severity,
    publicity: version.publicity,
    displayUntil: version.displayUntil,
    data: version.data ?? {},
    relatedPersons: version.relatedPersons.map((p) => ({
      role: p.role,
      subjectKey: p.subjectKey,
      recordId: p.linkedRecordId,
    })),
    origin: record.origin,
    linkedFrom: record.parentRecordId ? { recordId: record.parentRecordId, role: record.relatedRole } : null,
    reasonCode: version.reasonCode,
    reason: version.reason,
    hash: version.hash.toString('hex'),
  };
}

interface RepairState {
  disputed: boolean;
  repairedAt: Date | null;
  /** When an upheld objection began withholding the record (query's repair follow). */
  withheldSince: Date | null;
}

/** What the repair decisions the query service has applied say about each record. */
async function repairStates(tx: Executor): Promise<Map<string, RepairState>> {
  const states = new Map<string, RepairState>();
  if (!(await tableExists(tx, 'repair.events'))) return states;
  const cursor = await cursorOf(tx, queryRepairFollowName, 'repair');
  const events = resultRows<{ type: string; payload: unknown; created_at: Date | string }>(
    await tx.execute(sql`
      SELECT type, payload, created_at FROM repair.events
      WHERE ${feedRange(cursor, 'upTo')} AND type IN (${sql.join(
        queryFollowedRepairEvents.map((t) => sql`${t}`),
        sql`, `,
      )})
      ORDER BY tx_id, seq`),
  );
  const stateOf = (recordId: string) => {
    const state = states.get(recordId) ?? { disputed: false, repairedAt: null, withheldSince: null };
    states.set(recordId, state);
    return state;
  };
  for (const event of events) {
    if (event.type === 'record.repaired') {
      const { recordId, repairedAt } = repairEventSchemas['record.repaired'].parse(event.payload);
      stateOf(recordId).repairedAt = new Date(repairedAt);
      continue;
    }
    const objection = repairEventSchemas['objection.opened'].parse(event.payload);
    if (objection.targetType !== 'record') continue;
    if (event.type === 'objection.upheld')
      stateOf(objection.targetId).withheldSince = new Date(event.created_at);
    else stateOf(objection.targetId).disputed = event.type === 'objection.opened';
  }
  return states;
}

/** The store's versions of some records, newest last, by record id. */
async function versionsOf(tx: Executor, keys: Buffer[], ids: string[]): Promise<Map<string, StoreVersion[]>> {
  const byRecord = new Map<string, StoreVersion[]>();
  if (ids.length === 0) return byRecord;
  const rows = await tx
    .select()
    .from(recordVersions)
    .where(and(inArray(recordVersions.subjectKey, keys), inArray(recordVersions.recordId, ids)))
    .orderBy(asc(recordVersions.recordId), asc(recordVersions.version));
  for (const row of rows) byRecord.set(row.recordId, [...(byRecord.get(row.recordId) ?? []), row]);
  return byRecord;
}

const uniqueKeys = (keys: Buffer[]) => [...new Map(keys.map((k) => [k.toString('hex'), k])).values()];

async function checkRecords(tx: Executor, report: Report): Promise<number> {
  const cursor = await cursorOf(tx, recordsProjectionName, 'ingest');
  // Records with an event the projection has not applied yet are in flight, not tampered with.
  const inFlight = new Set(
    resultRows<{ aggregate_id: string }>(
      await tx.execute(
        sql`SELECT DISTINCT aggregate_id FROM ingest.events WHERE ${feedRange(cursor, 'after')}`,
      ),
    ).map((row) => row.aggregate_id),
  );
  const repairs = await repairStates(tx);
  let checked = 0;
  let after: RecordRow | undefined;
  for (;;) {
    const rows: RecordRow[] = await tx
      .select()
      .from(readModelRecords)
      .where(
        after
          ? sql`(${readModelRecords.subjectKey}, ${readModelRecords.recordId}) > (${after.subjectKey}, ${after.recordId})`
          : undefined,
      )
      .orderBy(asc(readModelRecords.subjectKey), asc(readModelRecords.recordId))
      .limit(batchSize);
    if (rows.length === 0) break;
    after = rows.at(-1);
    const ids = rows.map((r) => r.recordId);
    const directory = new Map(
      (await tx.select().from(storeRecords).where(inArray(storeRecords.recordId, ids))).map((r) => [
        r.recordId,
        r,
      ]),
    );
    const versions = await versionsOf(tx, uniqueKeys(rows.map((r) => r.subjectKey)), ids);
    for (const row of rows) {
      checked += 1;
      const where = `query.records ${row.recordId}`;
      const record = directory.get(row.recordId);
      const newest = versions.get(row.recordId)?.at(-1);
      if (!record?.subjectKey.equals(row.subjectKey) || !newest) {
        report(
          'read_model_unfounded',
          where,
          'served, but the record store has no such record of this subject',
        );
        continue;
      }
      if (inFlight.has(row.recordId)) continue;
      if (newest.erasedAt) {
        report(
          'read_model_unfounded',
          where,
          `served, but the store erased its content on ${newest.erasedAt.toISOString()}`,
        );
        continue;
      }
      if (row.version !== newest.version) {
        report(
          'read_model_changed',
          where,
          `serves version ${row.version}; the store's newest is version ${newest.version}`,
        );
        continue;
      }
      const repair = repairs.get(row.recordId) ?? { disputed: false, repairedAt: null, withheldSince: null };
      const projected = projectedRecord(record, newest);
      const differing = [
        ...differingServed(
          { ...projected, ...recordBodyColumns({ ...projected, recordId: row.recordId }) },
          row,
        ),
        ...differingFields({ ...repair }, row),
      ];
      if (differing.length > 0) {
        report(
          'read_model_changed',
          where,
          `differs from version ${newest.version} in the store and the repair decisions: ${differing.join(', ')}`,
        );
      }
    }
    if (rows.length < batchSize) break;
  }
  await checkRecordsServed(tx, inFlight, report);
  return checked;
}

/** Every record the store holds content for, once the projection has seen it, is served. */
async function checkRecordsServed(tx: Executor, inFlight: Set<string>, report: Report): Promise<void> {
  for (let after = ''; ; ) {
    const absent = resultRows<{ record_id: string; subject_key: Buffer | Uint8Array }>(
      await tx.execute(sql`
        SELECT r.record_id, r.subject_key FROM ingest.records r
        WHERE r.record_id > ${after} AND NOT EXISTS (
          SELECT 1 FROM query.records q WHERE q.subject_key = r.subject_key AND q.record_id = r.record_id)
        ORDER BY r.record_id LIMIT ${batchSize}`),
    );
    if (absent.length === 0) return;
    const waiting = absent.filter((r) => !inFlight.has(r.record_id));
    const versions = await versionsOf(
      tx,
      uniqueKeys(waiting.map((r) => Buffer.from(r.subject_key))),
      waiting.map((r) => r.record_id),
    );
    for (const row of waiting) {
      const newest = versions.get(row.record_id)?.at(-1);
      // Erased content is rightly gone; a version missing from the store is reported by its own check.
      if (!newest || newest.erasedAt) continue;
      report(
        'read_model_missing',
        `query.records ${row.record_id}`,
        `the store holds version ${newest.version} of this record, but it is not served`,
      );
    }
    if (absent.length < batchSize) return;
    after = absent.at(-1)?.record_id ?? after;
  }
}

async function checkListEntries(tx: Executor, report: Report): Promise<number> {
  if (!(await tableExists(tx, 'sanctions.events'))) return 0;
  const cursor = await cursorOf(tx, listProjectionName, 'sanctions');
  // The newest state of each entry among the listing decisions the projection applied, as it
  // applies them: a later change replaces an earlier one unless it is older.
  const expected = new Map<string, ReturnType<typeof listEntryRowOf>>();
  const events = resultRows<{
    event_id: string;
    subject_key: Buffer | Uint8Array;
    payload: unknown;
    created_at: Date | string;
  }>(
    await tx.execute(sql`
      SELECT event_id, subject_key, payload, created_at FROM sanctions.events
      WHERE ${feedRange(cursor, 'upTo')} AND type IN (${sql.join(
        listEventTypes.map((t) => sql`${t}`),
        sql`, `,
      )})
      ORDER BY tx_id, seq`),
  );
  for (const event of events) {
    const change = listingChangeSchema.parse({ ...(event.payload as object), eventId: event.event_id });
    const row = listEntryRowOf(Buffer.from(event.subject_key), change, new Date(event.created_at));
    const current = expected.get(change.entry.id);
    if (!current || (current.updatedAt as Date).getTime() <= (row.updatedAt as Date).getTime())
      expected.set(change.entry.id, row);
  }
  let checked = 0;
  let after: ListEntryRow | undefined;
  for (;;) {
    const rows: ListEntryRow[] = await tx
      .select()
      .from(listEntries)
      .where(
        after
          ? sql`(${listEntries.subjectKey}, ${listEntries.entryId}) > (${after.subjectKey}, ${after.entryId})`
          : undefined,
      )
      .orderBy(asc(listEntries.subjectKey), asc(listEntries.entryId))
      .limit(batchSize);
    if (rows.length === 0) break;
    after = rows.at(-1);
    for (const row of rows) {
      checked += 1;
      const where = `query.list_entries ${row.entryId}`;
      const wanted = expected.get(row.entryId);
      expected.delete(row.entryId);
      if (!wanted) {
        report('read_model_unfounded', where, 'served, but no listing decision the log commits to names it');
        continue;
      }
      const differing = differingServed(wanted, row);
      if (differing.length > 0)
        report(
          'read_model_changed',
          where,
          `differs from its newest listing decision in: ${differing.join(', ')}`,
        );
    }
    if (rows.length < batchSize) break;
  }
  for (const entryId of expected.keys()) {
    report(
      'read_model_missing',
      `query.list_entries ${entryId}`,
      'a listing decision names it, but it is not served',
    );
  }
  return checked;
}
