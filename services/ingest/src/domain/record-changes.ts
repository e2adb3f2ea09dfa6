import { formatOccurrence } from '@credit/calendar';
import type { Keyring } from '@credit/crypto';
import type { Executor } from '@credit/db';
import { effectivePublicity, findEntry, type Severity } from '@credit/schema';
import { and, desc, eq, inArray } from 'drizzle-orm';
import { records, recordVersions, type StoredRelatedPerson, subjects } from '../db/schema.ts';
import type { LeafRef } from '../transparency/record-leaf.ts';
import { identifierAad, nameAad, nameMacOf } from './identity.ts';
import type { PreparedRecord } from './prepared-record.ts';
import type { RecordContent } from './record-content.ts';
import { attachLeaves, createLinkedVersion, type LinkedRef, WriteSet } from './record-writer.ts';
import { buildVersion, type VersionInput } from './version-builder.ts';

type RecordRow = typeof records.$inferSelect;
type VersionRow = typeof recordVersions.$inferSelect;

export type ChangeOutcome =
  | {
      kind: 'changed' | 'unchanged';
      recordId: string;
      sourceId: string;
      version: number;
      status: 'active' | 'withdrawn';
      receivedAt: Date;
      hash: Buffer;
      linked: LinkedRef[];
      subjectKey: Buffer;
      /** Where the version sits in the transparency log. */
      leaf?: LeafRef;
    }
  | { kind: 'not_found' }
  | { kind: 'withdrawn'; recordId: string }
  | { kind: 'erased'; recordId: string }
  | { kind: 'precondition_failed'; currentVersion: number }
  | { kind: 'immutable'; path: 'subject.id' | 'subject.kind' | 'category'; detail: string };

interface CurrentState {
  record: RecordRow;
  latest: VersionRow;
  identifier: string;
  name: string;
}

/** Locks a record's directory row (a row lock, not an update) and reads its newest version. */
async function lockCurrent(
  tx: Executor,
  keyring: Keyring,
  recordId: string,
): Promise<CurrentState | undefined> {
  const [record] = await tx.select().from(records).where(eq(records.recordId, recordId)).for('update');
  if (!record) return undefined;
  const [latest] = await tx
    .select()
    .from(recordVersions)
    .where(and(eq(recordVersions.subjectKey, record.subjectKey), eq(recordVersions.recordId, recordId)))
    .orderBy(desc(recordVersions.version))
    .limit(1);
  if (!latest) throw new Error(`record ${recordId} has no versions`);
  const [subject] = await tx.select().from(subjects).where(eq(subjects.subjectKey, record.subjectKey));
  if (!subject) throw new Error(`record ${recordId} has no subject row`);
  return {
    record,
    latest,
    identifier: keyring.decrypt(subject.keyId, subject.identifierCipher, identifierAad(record.subjectKey)),
    // An erased version has no name left to decrypt; nothing may build on it anyway.
    name: latest.erasedAt
      ? ''
      : keyring.decrypt(latest.keyId, latest.subjectNameCipher, nameAad(record.subjectKey)),
  };
}

function decryptRelatedName(keyring: Keyring, person: StoredRelatedPerson): string {
  return keyring.decrypt(
    person.keyId,
    Buffer.from(person.nameCipher, 'base64'),
    nameAad(Buffer.from(person.subjectKey, 'hex')),
  );
}

/** Rebuilds the committed content of a stored version (to carry it unchanged into a withdrawal). */
function storedContent(keyring: Keyring, state: CurrentState): RecordContent {
  const { record, latest } = state;
  return {
    category: record.category,
    subject: {
      key: record.subjectKey.toString('hex'),
      kind: record.subjectKind,
      nameMac: nameMacOf(keyring, state.name),
    },
    occurredAt: formatOccurrence({ at: latest.occurredAt, date: latest.occurredOn }),
    data: latest.data ?? {},
    relatedPersons: latest.relatedPersons.map((p) => ({
      role: p.role,
      key: p.subjectKey,
      nameMac: nameMacOf(keyring, decryptRelatedName(keyring, p)),
    })),
    consentRef: latest.consentRef,
    linkedFrom: record.parentRecordId
      ? { recordId: record.parentRecordId, role: record.relatedRole ?? '' }
      : null,
  };
}

function carriedForward(
  state: CurrentState,
): Omit<
  VersionInput,
  | 'version'
  | 'operation'
  | 'status'
  | 'receivedAt'
  | 'reasonCode'
  | 'reason'
  | 'content'
  | 'prevHash'
  | 'fingerprint'
> {
  const { record, latest } = state;
  return {
    recordId: record.recordId,
    sourceId: record.sourceId,
    subjectKey: record.subjectKey,
    subjectKind: record.subjectKind,
    identifier: state.identifier,
    subjectName: state.name,
    provider: record.providerCode,
    category: record.category,
    occurredAt: latest.occurredAt,
    occurredOn: latest.occurredOn,
    severity: latest.severity as Severity | null,
    publicity: latest.publicity,
    displayUntil: latest.displayUntil,
    data: latest.data ?? {},
    relatedPersons: latest.relatedPersons,
    consentRef: latest.consentRef,
    origin: record.origin,
    linkedFrom: record.parentRecordId
      ? { recordId: record.parentRecordId, role: record.relatedRole ?? '' }
      : null,
  };
}

function withdrawalOf(keyring: Keyring, state: CurrentState, reasonCode: string, reason: string, now: Date) {
  return buildVersion(keyring, {
    ...carriedForward(state),
    version: state.latest.version + 1,
    operation: 'withdraw',
    status: 'withdrawn',
    receivedAt: now,
    reasonCode,
    reason,
    fingerprint: state.latest.fingerprint,
    content: storedContent(keyring, state),
    prevHash: state.latest.hash,
  });
}

function resultOf(
  kind: 'changed' | 'unchanged',
  row: VersionRow | ReturnType<typeof buildVersion>['row'],
  sourceId: string,
): ChangeOutcome {
  const related = (row.relatedPersons ?? []) as StoredRelatedPerson[];
  return {
    kind,
    recordId: row.recordId,
    sourceId,
    version: row.version,
    status: row.status,
    receivedAt: row.receivedAt,
    hash: row.hash as Buffer,
    linked: related.map((p) => ({ id: p.linkedRecordId, role: p.role as LinkedRef['role'] })),
    subjectKey: row.subjectKey as Buffer,
  };
}

/** The outcome of a change, with its log leaf attached. */
async function settled(
  tx: Executor,
  set: WriteSet | undefined,
  kind: 'changed' | 'unchanged',
  row: Parameters<typeof resultOf>[1],
  sourceId: string,
): Promise<ChangeOutcome> {
  const outcome = resultOf(kind, row, sourceId);
  await attachLeaves(tx, set, [outcome]);
  return outcome;
}

/** Withdraws a record (and the records kept against its related persons), keeping all history. */
export async function withdrawRecord(
  tx: Executor,
  keyring: Keyring,
  recordId: string,
  withdrawal: { reasonCode: string; reason: string; expectedVersion?: number },
  now: Date,
): Promise<ChangeOutcome> {
  const state = await lockCurrent(tx, keyring, recordId);
  if (!state) return { kind: 'not_found' };
  if (state.latest.erasedAt) return { kind: 'erased', recordId };
  if (withdrawal.expectedVersion !== undefined && withdrawal.expectedVersion !== state.latest.version) {
    return { kind: 'precondition_failed', currentVersion: state.latest.version };
  }
  if (state.latest.status === 'withdrawn')
    return settled(tx, undefined, 'unchanged', state.latest, state.record.sourceId);
  const set = new WriteSet();
  const main = withdrawalOf(keyring, state, withdrawal.reasonCode, withdrawal.reason, now);
  set.versions.push(main);
  for (const person of state.latest.relatedPersons) {
    const linked = await lockCurrent(tx, keyring, person.linkedRecordId);
    if (linked && linked.latest.status === 'active' && !linked.latest.erasedAt) {
      set.versions.push(withdrawalOf(keyring, linked, withdrawal.reasonCode, withdrawal.reason, now));
    }
  }
  await set.flush(tx, now);
  return settled(tx, set, 'changed', main.row, state.record.sourceId);
}

/**
 * Corrects a record with a new version. The subject and the catalogue entry cannot change: a
 * record about someone else is a different record (withdraw this one, push that one).
 */
export async function correctRecord(
  tx: Executor,
  keyring: Keyring,
  item: PreparedRecord,
  correction: { reason: string | null; expectedVersion?: number },
  now: Date,
): Promise<ChangeOutcome> {
  const state = await lockCurrent(tx, keyring, item.recordId);
  if (!state) return { kind: 'not_found' };
  const { latest, record } = state;
  if (latest.erasedAt) return { kind: 'erased', recordId: record.recordId };
  if (correction.expectedVersion !== undefined && correction.expectedVersion !== latest.version) {
    return { kind: 'precondition_failed', currentVersion: latest.version };
  }
  if (latest.status === 'withdrawn') return { kind: 'withdrawn', recordId: record.recordId };
  if (!record.subjectKey.equals(item.subjectKey)) {
    return {
      kind: 'immutable',
      path: 'subject.id',
      detail: 'a correction cannot move a record to another subject',
    };
  }
  if (record.subjectKind !== item.record.subject.kind) {
    return { kind: 'immutable', path: 'subject.kind', detail: 'a correction cannot change the subject kind' };
  }
  if (record.category !== item.record.entry.code) {
    return { kind: 'immutable', path: 'category', detail: 'a correction cannot change the catalogue entry' };
  }
  if (latest.fingerprint.equals(item.fingerprint))
    return settled(tx, undefined, 'unchanged', latest, record.sourceId);

  const set = new WriteSet();
  const entry = findEntry(record.category);
  const { record: validated } = item;
  const relatedStored: StoredRelatedPerson[] = item.related.map((person) => {
    const name = keyring.encrypt(person.name, nameAad(person.subjectKey));
    return {
      role: person.role,
      subjectKey: person.subjectKey.toString('hex'),
      nameCipher: name.ciphertext.toString('base64'),
      keyId: name.keyId,
      linkedRecordId: person.recordId,
    };
  });
  const main = buildVersion(keyring, {
    ...carriedForward(state),
    subjectName: validated.subject.name,
    version: latest.version + 1,
    operation: 'correct',
    status: 'active',
    occurredAt: validated.occurredAt,
    occurredOn: validated.occurredOn,
    receivedAt: now,
    severity: validated.severity ?? null,
    publicity: validated.publicity,
    displayUntil: validated.displayUntil,
    data: validated.data,
    relatedPersons: relatedStored,
    consentRef: validated.consentRef ?? null,
    reasonCode: 'correction',
    reason: correction.reason,
    fingerprint: item.fingerprint,
    content: item.content,
    prevHash: latest.hash,
  });
  set.versions.push(main);

  // Carry the correction to the records kept against related persons: correct those still
  // named, withdraw those no longer named, create those newly named.
  const previousIds = new Set(latest.relatedPersons.map((p) => p.linkedRecordId));
  const currentIds = new Set(item.related.map((p) => p.recordId));
  const touched = [...new Set([...previousIds, ...currentIds])];
  const existingLinked = new Map<string, CurrentState>();
  if (touched.length > 0) {
    const rows = await tx
      .select({ recordId: records.recordId })
      .from(records)
      .where(inArray(records.recordId, touched));
    for (const row of rows.sort((a, b) => (a.recordId < b.recordId ? -1 : 1))) {
      const linked = await lockCurrent(tx, keyring, row.recordId);
      if (linked) existingLinked.set(row.recordId, linked);
    }
  }
  for (const person of item.related) {
    const linked = existingLinked.get(person.recordId);
    if (!linked) {
      set.versions.push(createLinkedVersion(keyring, set, item, person, now));
      continue;
    }
    if (
      linked.latest.fingerprint.equals(person.fingerprint) &&
      linked.latest.status === 'active' &&
      !linked.latest.erasedAt
    )
      continue;
    set.versions.push(
      buildVersion(keyring, {
        ...carriedForward(linked),
        subjectName: person.name,
        version: linked.latest.version + 1,
        operation: 'correct',
        status: 'active',
        occurredAt: validated.occurredAt,
        occurredOn: validated.occurredOn,
        receivedAt: now,
        severity: validated.severity ?? null,
        publicity: entry
          ? effectivePublicity(entry, 'natural_person', validated.severity)
          : linked.latest.publicity,
        displayUntil: validated.displayUntil,
        data: validated.data,
        reasonCode: 'correction',
        reason: correction.reason,
        fingerprint: person.fingerprint,
        content: person.content,
        prevHash: linked.latest.hash,
      }),
    );
  }
  for (const id of previousIds) {
    if (currentIds.has(id)) continue;
    const linked = existingLinked.get(id);
    if (linked && linked.latest.status === 'active' && !linked.latest.erasedAt) {
      set.versions.push(
        withdrawalOf(
          keyring,
          linked,
          'no_longer_named',
          'no longer named on the corrected organisation record',
          now,
        ),
      );
    }
  }
  await set.flush(tx, now);
  return settled(tx, set, 'changed', main.row, record.sourceId);
}
