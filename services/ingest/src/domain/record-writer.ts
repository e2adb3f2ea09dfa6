import { genesisHash, type Keyring } from '@credit/crypto';
import { bulkInsert, type Executor } from '@credit/db';
import { appendEvents, type NewEvent } from '@credit/events';
import { effectivePublicity } from '@credit/schema';
import { and, inArray } from 'drizzle-orm';
import {
  ingestOutbox,
  ingestSchemaName,
  intakeOutcomes,
  records,
  recordVersions,
  type StoredRelatedPerson,
  subjects,
} from '../db/schema.ts';
import { appendLeaves } from '../transparency/log-store.ts';
import {
  findVersionLeaves,
  type LeafRef,
  pendingVersionLeaf,
  versionRef,
} from '../transparency/record-leaf.ts';
import { checkConsents } from './consent-check.ts';
import { nameAad } from './identity.ts';
import type { PreparedRecord } from './prepared-record.ts';
import { contentFingerprint } from './record-content.ts';
import { checkReferences } from './reference-check.ts';
import { type BuiltVersion, buildVersion } from './version-builder.ts';

export interface LinkedRef {
  id: string;
  role: PreparedRecord['related'][number]['role'];
}

/** What became of one pushed record. Refusals are values, not exceptions. */
export type WriteOutcome =
  | {
      index: number;
      kind: 'created' | 'unchanged';
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
  | { index: number; kind: 'conflict'; recordId: string; sourceId: string }
  | {
      index: number;
      kind: 'refused';
      sourceId: string;
      code: 'consent_invalid' | 'commitment_not_found';
      detail: string;
      path: string;
    };

/** Rows and events collected for one transaction, written with a handful of multi-row statements. */
class WriteSet {
  readonly subjects = new Map<string, typeof subjects.$inferInsert>();
  readonly records: (typeof records.$inferInsert)[] = [];
  readonly versions: BuiltVersion[] = [];
  /** The log leaves of the written versions, by `recordId:version`, once flushed. */
  readonly leaves = new Map<string, LeafRef>();

  /** The identifier arrives encrypted under the same associated data as the version's event copy. */
  subject(subjectKey: Buffer, kind: string, cipher: BuiltVersion['identifierCipher'], now: Date): void {
    const hex = subjectKey.toString('hex');
    if (this.subjects.has(hex)) return;
    this.subjects.set(hex, {
      subjectKey,
      kind,
      identifierCipher: cipher.ciphertext,
      keyId: cipher.keyId,
      createdAt: now,
    });
  }

  async flush(tx: Executor, now: Date): Promise<void> {
    if (this.subjects.size > 0) {
      const rows = [...this.subjects.values()].sort((a, b) => Buffer.compare(a.subjectKey, b.subjectKey));
      await bulkInsert(tx, subjects, rows, { onConflictDoNothing: true });
    }
    if (this.records.length > 0) await bulkInsert(tx, records, this.records, { onConflictDoNothing: true });
    if (this.versions.length > 0) {
      await bulkInsert(
        tx,
        recordVersions,
        this.versions.map((v) => v.row),
      );
      const events: NewEvent[] = this.versions.map((v) => v.event);
      await appendEvents(tx, ingestOutbox, ingestSchemaName, events, now);
      // Last, so the log's lock is held only until this transaction commits.
      const appended = await appendLeaves(
        tx,
        this.versions.map((v) => pendingVersionLeaf(v.row)),
        now,
      );
      for (const leaf of appended) this.leaves.set(leaf.ref, leaf);
    }
  }

  leafOf(recordId: string, version: number): LeafRef | undefined {
    return this.leaves.get(versionRef(recordId, version));
  }
}

function storedRelated(keyring: Keyring, item: PreparedRecord): StoredRelatedPerson[] {
  return item.related.map((person) => {
    const name = keyring.encrypt(person.name, nameAad(person.subjectKey));
    return {
      role: person.role,
      subjectKey: person.subjectKey.toString('hex'),
      nameCipher: name.ciphertext.toString('base64'),
      keyId: name.keyId,
      linkedRecordId: person.recordId,
    };
  });
}

/** Version 1 of a pushed record, sealed and encrypted (the benches build their worlds with it too). */
export function pushedVersion(keyring: Keyring, item: PreparedRecord, now: Date): BuiltVersion {
  const { record } = item;
  return buildVersion(keyring, {
    recordId: item.recordId,
    sourceId: item.sourceId,
    subjectKey: item.subjectKey,
    subjectKind: record.subject.kind,
    identifier: record.subject.id,
    subjectName: record.subject.name,
    version: 1,
    operation: 'create',
    status: 'active',
    provider: item.provider,
    category: record.entry.code,
    occurredAt: record.occurredAt,
    occurredOn: record.occurredOn,
    receivedAt: now,
    severity: record.severity ?? null,
    publicity: record.publicity,
    displayUntil: record.displayUntil,
    data: record.data,
    relatedPersons: storedRelated(keyring, item),
    consentRef: record.consentRef ?? null,
    reasonCode: null,
    reason: null,
    fingerprint: item.fingerprint,
    content: item.content,
    prevHash: genesisHash,
    origin: 'pushed',
    linkedFrom: null,
  });
}

/**
 * Version 1 of a pushed record and of the records kept against its related persons. The pushed
 * record's directory row is inserted beforehand (that insert is what detects a duplicate).
 */
function createVersions(keyring: Keyring, set: WriteSet, item: PreparedRecord, now: Date): BuiltVersion {
  const { record } = item;
  const main = pushedVersion(keyring, item, now);
  set.versions.push(main);
  set.subject(item.subjectKey, record.subject.kind, main.identifierCipher, now);
  for (const person of item.related) set.versions.push(createLinkedVersion(keyring, set, item, person, now));
  return main;
}

export function createLinkedVersion(
  keyring: Keyring,
  set: WriteSet,
  item: PreparedRecord,
  person: PreparedRecord['related'][number],
  now: Date,
): BuiltVersion {
  const { record } = item;
  set.records.push({
    recordId: person.recordId,
    subjectKey: person.subjectKey,
    providerCode: item.provider,
    sourceId: item.sourceId,
    category: record.entry.code,
    subjectKind: 'natural_person',
    origin: 'linked',
    parentRecordId: item.recordId,
    relatedRole: person.role,
    createdAt: now,
  });
  const built = buildVersion(keyring, {
    recordId: person.recordId,
    sourceId: item.sourceId,
    subjectKey: person.subjectKey,
    subjectKind: 'natural_person',
    identifier: person.id,
    subjectName: person.name,
    version: 1,
    operation: 'create',
    status: 'active',
    provider: item.provider,
    category: record.entry.code,
    occurredAt: record.occurredAt,
    occurredOn: record.occurredOn,
    receivedAt: now,
    severity: record.severity ?? null,
    publicity: effectivePublicity(record.entry, 'natural_person', record.severity),
    displayUntil: record.displayUntil,
    data: record.data,
    relatedPersons: [],
    consentRef: null,
    reasonCode: null,
    reason: null,
    fingerprint: person.fingerprint,
    content: person.content,
    prevHash: genesisHash,
    origin: 'linked',
    linkedFrom: { recordId: item.recordId, role: person.role },
  });
  set.subject(person.subjectKey, 'natural_person', built.identifierCipher, now);
  return built;
}

interface ExistingVersion {
  recordId: string;
  version: number;
  status: 'active' | 'withdrawn';
  fingerprint: Buffer;
  receivedAt: Date;
  hash: Buffer;
  relatedPersons: StoredRelatedPerson[];
}

/**
 * Writes a chunk of pushed records in the caller's transaction. New records get version 1;
 * a record already on file answers `unchanged` when some version of it has the same content and
 * `conflict` otherwise. Rows are handled in record-id order, so concurrent chunks that overlap
 * take their locks in the same order and cannot deadlock each other.
 */
export async function writeChunk(
  tx: Executor,
  keyring: Keyring,
  items: readonly PreparedRecord[],
  now: Date,
): Promise<WriteOutcome[]> {
  const outcomes: WriteOutcome[] = [];
  const refused = await checkConsents(tx, items, now);
  const unreferenced = await checkReferences(tx, items);
  const candidates = items.filter((item) => {
    const consent = refused.get(item.index);
    const reference = unreferenced.get(item.index);
    if (consent)
      outcomes.push({
        index: item.index,
        kind: 'refused',
        sourceId: item.sourceId,
        code: 'consent_invalid',
        ...consent,
      });
    else if (reference)
      outcomes.push({
        index: item.index,
        kind: 'refused',
        sourceId: item.sourceId,
        code: 'commitment_not_found',
        ...reference,
      });
    return !consent && !reference;
  });

  // The first occurrence of a record id in the chunk is the one written; repeats compare to it.
  const first = new Map<string, PreparedRecord>();
  const repeats: PreparedRecord[] = [];
  for (const item of [...candidates].sort((a, b) =>
    a.recordId < b.recordId ? -1 : a.recordId > b.recordId ? 1 : 0,
  )) {
    if (first.has(item.recordId)) repeats.push(item);
    else first.set(item.recordId, item);
  }
  const unique = [...first.values()];
  if (unique.length === 0) return outcomes;

  const inserted = await bulkInsert(
    tx,
    records,
    unique.map((item) => ({
      recordId: item.recordId,
      subjectKey: item.subjectKey,
      providerCode: item.provider,
      sourceId: item.sourceId,
      category: item.record.entry.code,
      subjectKind: item.record.subject.kind,
      origin: 'pushed' as const,
      parentRecordId: null,
      relatedRole: null,
      createdAt: now,
    })),
    { onConflictDoNothing: true, returning: ['recordId'] },
  );
  const created = new Set(inserted.map((row) => row.recordId as string));

  const existingIds = unique.filter((item) => !created.has(item.recordId));
  const versionsByRecord = new Map<string, ExistingVersion[]>();
  if (existingIds.length > 0) {
    const rows = await tx
      .select({
        recordId: recordVersions.recordId,
        version: recordVersions.version,
        status: recordVersions.status,
        fingerprint: recordVersions.fingerprint,
        receivedAt: recordVersions.receivedAt,
        hash: recordVersions.hash,
        relatedPersons: recordVersions.relatedPersons,
      })
      .from(recordVersions)
      .where(
        and(
          inArray(recordVersions.subjectKey, distinctKeys(existingIds.map((i) => i.subjectKey))),
          inArray(
            recordVersions.recordId,
            existingIds.map((i) => i.recordId),
          ),
        ),
      );
    for (const row of rows) {
      const list = versionsByRecord.get(row.recordId) ?? [];
      list.push(row);
      versionsByRecord.set(row.recordId, list);
    }
  }

  const set = new WriteSet();
  const results = new Map<string, WriteOutcome>();
  for (const item of unique) {
    if (created.has(item.recordId)) {
      const main = createVersions(keyring, set, item, now);
      results.set(item.recordId, {
        index: item.index,
        kind: 'created',
        recordId: item.recordId,
        sourceId: item.sourceId,
        version: 1,
        status: 'active',
        receivedAt: now,
        hash: main.hash,
        linked: item.related.map((p) => ({ id: p.recordId, role: p.role })),
        subjectKey: item.subjectKey,
      });
      continue;
    }
    results.set(
      item.recordId,
      compareWithExisting(item, versionsByRecord.get(item.recordId) ?? [], () =>
        legacyFingerprint(keyring, item),
      ),
    );
  }
  await set.flush(tx, now);
  await attachLeaves(tx, set, [...results.values()]);

  for (const item of unique) outcomes.push(results.get(item.recordId) as WriteOutcome);
  for (const item of repeats) {
    const original = first.get(item.recordId) as PreparedRecord;
    const result = results.get(item.recordId) as WriteOutcome;
    if (result.kind === 'conflict' || !original.fingerprint.equals(item.fingerprint)) {
      outcomes.push({
        index: item.index,
        kind: 'conflict',
        recordId: item.recordId,
        sourceId: item.sourceId,
      });
    } else if (result.kind !== 'refused') {
      outcomes.push({ ...result, index: item.index, kind: 'unchanged' });
    }
  }

  const unchanged = outcomes.filter((o) => o.kind === 'unchanged');
  if (unchanged.length > 0) {
    const byIndex = new Map(items.map((i) => [i.index, i]));
    await tx.insert(intakeOutcomes).values(
      unchanged.map((o) => ({
        providerCode: (byIndex.get(o.index) as PreparedRecord).provider,
        receivedAt: now,
        outcome: 'unchanged' as const,
        category: (byIndex.get(o.index) as PreparedRecord).record.entry.code,
        code: null,
        sourceId: o.sourceId,
        paths: null,
      })),
    );
  }
  return outcomes.sort((a, b) => a.index - b.index);
}

/**
 * The fingerprint a plain-dated record had before plain dates were kept as dates (its content
 * then named the instant its day began), so resubmitting such a record still answers `unchanged`.
 */
function legacyFingerprint(keyring: Keyring, item: PreparedRecord): Buffer | undefined {
  if (item.record.occurredOn === null) return undefined;
  return contentFingerprint(keyring, { ...item.content, occurredAt: item.record.occurredAt.toISOString() });
}

function compareWithExisting(
  item: PreparedRecord,
  versions: ExistingVersion[],
  legacy: () => Buffer | undefined,
): WriteOutcome {
  const latest = versions.reduce<ExistingVersion | undefined>(
    (a, b) => (!a || b.version > a.version ? b : a),
    undefined,
  );
  const matches = (fingerprint: Buffer | undefined) =>
    fingerprint !== undefined && versions.some((v) => v.fingerprint.equals(fingerprint));
  if (!latest || !(matches(item.fingerprint) || matches(legacy()))) {
    return { index: item.index, kind: 'conflict', recordId: item.recordId, sourceId: item.sourceId };
  }
  return {
    index: item.index,
    kind: 'unchanged',
    recordId: item.recordId,
    sourceId: item.sourceId,
    version: latest.version,
    status: latest.status,
    receivedAt: latest.receivedAt,
    hash: latest.hash,
    linked: latest.relatedPersons.map((p) => ({ id: p.linkedRecordId, role: p.role as LinkedRef['role'] })),
    subjectKey: item.subjectKey,
  };
}

/** What an outcome that names a stored version has in common, whichever write produced it. */
interface WrittenVersion {
  kind: string;
  subjectKey: Buffer;
  recordId: string;
  version: number;
  leaf?: LeafRef | undefined;
}

function namesVersion(outcome: { kind: string }): outcome is WrittenVersion {
  return outcome.kind === 'created' || outcome.kind === 'unchanged' || outcome.kind === 'changed';
}

/** Gives each written outcome its log leaf: from this write, or (resubmissions) from the log. */
export async function attachLeaves(
  tx: Executor,
  set: WriteSet | undefined,
  outcomes: readonly { kind: string }[],
): Promise<void> {
  const written = outcomes.filter(namesVersion);
  for (const outcome of written) outcome.leaf = set?.leafOf(outcome.recordId, outcome.version);
  const missing = written.filter((o) => !o.leaf);
  if (missing.length === 0) return;
  const found = await findVersionLeaves(tx, missing);
  for (const outcome of missing) outcome.leaf = found.get(versionRef(outcome.recordId, outcome.version));
}

function distinctKeys(keys: Buffer[]): Buffer[] {
  const seen = new Map<string, Buffer>();
  for (const key of keys) seen.set(key.toString('hex'), key);
  return [...seen.values()];
}

export { WriteSet };
