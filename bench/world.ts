/**
 * The benchmark's world: subjects with records and list entries, built by the services' own
 * row builders (ingest's validation, preparation, sealing and encryption; the query and
 * sanctions projections' row mappers; the sanctions listing change) and loaded with COPY, so
 * the tables hold what the services would have written without pushing millions of records
 * through the API. Not loaded: ingest's transparency log leaves and the repair service's
 * projections, which no measured route reads.
 */
import { type Keyring, newId } from '@credit/crypto';
import {
  catalogueEntries,
  citizenIdCheckCharacter,
  organisationCodeCheckCharacter,
  type RecordEvent,
  seededRandom,
  subjectIdentities,
  usccAlphabet,
  usccCheckCharacter,
  type ValidatedRecord,
  validateRecordInput,
} from '@credit/schema';
import type pg from 'pg';
import {
  records as ingestRecords,
  subjects as ingestSubjects,
  recordVersions,
} from '../services/ingest/src/db/schema.ts';
import { prepareRecord } from '../services/ingest/src/domain/prepared-record.ts';
import { pushedVersion, WriteSet } from '../services/ingest/src/domain/record-writer.ts';
import { readModelRowOf } from '../services/query/src/consumers/ingest-projection.ts';
import { listEntryRowOf } from '../services/query/src/consumers/sanctions-projection.ts';
import {
  listEntries as queryListEntries,
  records as queryRecords,
  subjects as querySubjects,
} from '../services/query/src/db/schema.ts';
import { projectedRecordOf } from '../services/sanctions/src/consumers/ingest-projection.ts';
import {
  entryHistory,
  listEntries,
  type measures as measuresTable,
  records as sanctionsRecords,
  subjects as sanctionsSubjects,
} from '../services/sanctions/src/db/schema.ts';
import {
  type EntryRow,
  listingChangeOf,
  measuresFor,
} from '../services/sanctions/src/domain/entry-writer.ts';
import { type CopyTarget, copyLine, copyLines, copyTarget } from './copy-rows.ts';

type MeasureRow = typeof measuresTable.$inferSelect;
type AnyTarget = CopyTarget<Parameters<typeof copyTarget>[0]>;

export const worldProvider = 'bench-dept';

const organisationEntries = catalogueEntries.filter(
  (e) => e.subjectKinds.includes('legal_person') && e.consentGatedFields.length === 0,
);
const personEntries = catalogueEntries.filter(
  (e) => e.subjectKinds.includes('natural_person') && e.consentGatedFields.length === 0,
);
export const worldCategories = [...new Set([...organisationEntries, ...personEntries].map((e) => e.code))];

/** Every table the loader writes, with the columns it sets. */
function targets() {
  const all = <T extends Parameters<typeof copyTarget>[0]>(
    table: T,
    keys: (keyof T['$inferInsert'] & string)[],
  ) => copyTarget(table, keys) as unknown as AnyTarget;
  return {
    ingestSubjects: all(ingestSubjects, ['subjectKey', 'kind', 'identifierCipher', 'keyId', 'createdAt']),
    ingestRecords: all(ingestRecords, [
      'recordId',
      'subjectKey',
      'providerCode',
      'sourceId',
      'category',
      'subjectKind',
      'origin',
      'parentRecordId',
      'relatedRole',
      'createdAt',
    ]),
    recordVersions: all(recordVersions, [
      'subjectKey',
      'recordId',
      'version',
      'operation',
      'status',
      'providerCode',
      'category',
      'subjectKind',
      'occurredAt',
      'receivedAt',
      'severity',
      'publicity',
      'displayUntil',
      'subjectNameCipher',
      'keyId',
      'data',
      'relatedPersons',
      'consentRef',
      'reasonCode',
      'reason',
      'fingerprint',
      'contentSalt',
      'contentCommitment',
      'prevHash',
      'hash',
    ]),
    querySubjects: all(querySubjects, [
      'subjectKey',
      'kind',
      'identifierCipher',
      'nameCipher',
      'keyId',
      'updatedAt',
    ]),
    queryRecords: all(queryRecords, [
      'subjectKey',
      'recordId',
      'version',
      'status',
      'providerCode',
      'sourceId',
      'category',
      'classCode',
      'subjectKind',
      'occurredAt',
      'receivedAt',
      'severity',
      'publicity',
      'displayUntil',
      'data',
      'relatedPersons',
      'origin',
      'linkedFrom',
      'reasonCode',
      'reason',
      'hash',
    ]),
    queryListEntries: all(queryListEntries, [
      'subjectKey',
      'entryId',
      'listKind',
      'domain',
      'status',
      'validFrom',
      'validUntil',
      'endReason',
      'measures',
      'updatedAt',
    ]),
    sanctionsSubjects: all(sanctionsSubjects, [
      'subjectKey',
      'kind',
      'identifierCipher',
      'nameCipher',
      'keyId',
      'updatedAt',
    ]),
    sanctionsRecords: all(sanctionsRecords, [
      'subjectKey',
      'recordId',
      'version',
      'status',
      'category',
      'classCode',
      'subjectKind',
      'occurredAt',
      'severity',
      'displayUntil',
      'data',
      'relatedPersons',
      'providerCode',
    ]),
    listEntries: all(listEntries, [
      'subjectKey',
      'entryId',
      'subjectKind',
      'listKind',
      'domain',
      'ruleCode',
      'ruleVersion',
      'identifyingDepartment',
      'status',
      'basis',
      'measures',
      'proposedAt',
      'objectionUntil',
      'decidedAt',
      'decidedBy',
      'validFrom',
      'validUntil',
      'endedAt',
      'endReason',
      'parentEntryId',
      'relatedRole',
      'updatedAt',
    ]),
    entryHistory: all(entryHistory, ['subjectKey', 'entryId', 'seq', 'status', 'at', 'actor', 'note']),
  };
}

type TableName = keyof ReturnType<typeof targets>;

export interface WorldSubject {
  index: number;
  kind: 'legal_person' | 'natural_person';
  id: string;
  name: string;
  records: number;
  listing: 'black' | 'red' | null;
}

/**
 * Identifiers unique by construction, so a million subjects never collide: an organisation's
 * code spells its index in the USCC alphabet, under a region code that tells the world's
 * subjects (370303) from the ingest phase's (370700); a person's birth date and sequence number
 * spell theirs (the ingest phase's people are born before 1950).
 */
export function benchUscc(index: number, region = '370303'): string {
  let code = '';
  for (let rest = index, i = 0; i < 8; i++, rest = Math.floor(rest / usccAlphabet.length))
    code = usccAlphabet.charAt(rest % usccAlphabet.length) + code;
  const body = `91${region}${code}${organisationCodeCheckCharacter(code)}`;
  return body + usccCheckCharacter(body);
}

function worldIdentifier(index: number, person: boolean): string {
  if (!person) return benchUscc(index);
  const born = new Date(Date.UTC(1950, 0, 1) + Math.floor(index / 1000) * 18 * 86_400_000);
  const body = `370303${born.toISOString().slice(0, 10).replaceAll('-', '')}${String(index % 1000).padStart(3, '0')}`;
  return body + citizenIdCheckCharacter(body);
}

/** Subject `index` of the world, the same in every run: 1 in 5 a person, about 10 records each, 2 % black-listed and 1 % red-listed. */
export function worldSubject(index: number, records?: number): WorldSubject {
  const random = seededRandom(0x5eed + index * 2_654_435_761);
  const person = random() < 0.2;
  const roll = random();
  return {
    index,
    kind: person ? 'natural_person' : 'legal_person',
    id: worldIdentifier(index, person),
    name: person ? `测试${index}` : `淄博基准第${index}号有限公司`,
    records: records ?? 1 + Math.floor(random() * 19),
    listing: roll < 0.02 ? 'black' : roll < 0.03 ? 'red' : null,
  };
}

export interface WorldContext {
  keyring: Keyring;
  measures: MeasureRow[];
  now: Date;
}

const validatedTemplates = new Map<string, ValidatedRecord>();

/**
 * The keyring as the loader uses it for one subject: its name and identifier are encrypted once
 * and the ciphertexts reused on each of its rows (the service encrypts them per row: the same
 * plaintext under another IV), and each blind index is computed once. The services' builders
 * run unchanged on it; it only spares the loader work that would make a million subjects take hours.
 */
function subjectScopedKeyring(keyring: Keyring): Keyring {
  const encrypted = new Map<string, { keyId: string; ciphertext: Buffer }>();
  const indexed = new Map<string, Buffer>();
  return {
    ...keyring,
    blindIndex(domain, value) {
      const key = `${domain}\u0000${value}`;
      let digest = indexed.get(key);
      if (!digest) {
        digest = keyring.blindIndex(domain, value);
        indexed.set(key, digest);
      }
      return digest;
    },
    encrypt(plaintext, associatedData) {
      const key = `${plaintext}\u0000${Buffer.from(associatedData).toString('hex')}`;
      let sealed = encrypted.get(key);
      if (!sealed) {
        sealed = keyring.encrypt(plaintext, associatedData);
        encrypted.set(key, sealed);
      }
      return sealed;
    },
    decrypt: (keyId, ciphertext, associatedData) => keyring.decrypt(keyId, ciphertext, associatedData),
    hasEncryptionKey: (keyId) => keyring.hasEncryptionKey(keyId),
  };
}

/** Builds the rows of a run of subjects as COPY lines, table by table. */
class WorldBuilder {
  readonly lines = new Map<TableName, string[]>();
  recordCount = 0;

  constructor(
    private readonly tables: ReturnType<typeof targets>,
    private readonly context: WorldContext,
  ) {}

  private push(table: TableName, row: unknown): void {
    let list = this.lines.get(table);
    if (!list) {
      list = [];
      this.lines.set(table, list);
    }
    list.push(copyLine(this.tables[table], row as never));
  }

  /**
   * Catalogue validation once per kind of subject, entry and date: what it derives (publicity,
   * display period, severity) does not depend on who the subject is, whose identifier and name
   * are then set on a copy. The first record of each kind is validated with the real subject.
   */
  private validated(
    subject: WorldSubject,
    category: string,
    data: Record<string, unknown>,
    occurredAt: string,
  ): ValidatedRecord {
    const key = `${subject.kind}|${category}|${occurredAt}`;
    let record = validatedTemplates.get(key);
    if (!record) {
      const validation = validateRecordInput(
        {
          sourceId: 'W',
          category,
          subject: { kind: subject.kind, id: subject.id, name: subject.name },
          occurredAt,
          data,
        },
        'submission',
        this.context.now,
      );
      if (!validation.ok) throw new Error(`world record refused: ${JSON.stringify(validation.errors)}`);
      record = validation.record;
      validatedTemplates.set(key, record);
    }
    return record;
  }

  add(subject: WorldSubject): void {
    const keyring = subjectScopedKeyring(this.context.keyring);
    const { now } = this.context;
    const entries = subject.kind === 'natural_person' ? personEntries : organisationEntries;
    const random = seededRandom(subject.index + 17);
    const set = new WriteSet();
    const events: RecordEvent[] = [];
    let first: { recordId: string; version: number; category: string } | undefined;
    for (let r = 0; r < subject.records; r++) {
      const entry = entries[Math.floor(random() * entries.length)] as (typeof entries)[number];
      // Weekly dates over two years: realistic spread, and catalogue validation reused per date.
      const day = 7 * (1 + Math.floor(random() * 100));
      const occurredAt = new Date(now.getTime() - day * 86_400_000).toISOString().slice(0, 10);
      const sourceId = `W-${subject.index}-${r}`;
      const validated = this.validated(subject, entry.code, entry.sample, occurredAt);
      const record: ValidatedRecord = {
        ...validated,
        sourceId,
        subject: { kind: subject.kind, id: subject.id, name: subject.name },
      };
      const item = prepareRecord(keyring, worldProvider, sourceId, record, r);
      const built = pushedVersion(keyring, item, now);
      if (r === 0) set.subject(item.subjectKey, record.subject.kind, built.identifierCipher, now);
      this.push('ingestRecords', {
        recordId: item.recordId,
        subjectKey: item.subjectKey,
        providerCode: worldProvider,
        sourceId,
        category: record.entry.code,
        subjectKind: record.subject.kind,
        origin: 'pushed',
        parentRecordId: null,
        relatedRole: null,
        createdAt: now,
      });
      this.push('recordVersions', built.row);
      const event = built.event.payload;
      events.push(event);
      this.push('queryRecords', readModelRowOf(event));
      this.push('sanctionsRecords', projectedRecordOf(event));
      first ??= { recordId: item.recordId, version: 1, category: record.entry.code };
    }
    this.recordCount += subject.records;
    for (const row of set.subjects.values()) this.push('ingestSubjects', row);
    for (const row of subjectIdentities(events)) {
      this.push('querySubjects', row);
      this.push('sanctionsSubjects', row);
    }
    if (subject.listing && first) this.addEntry(subject, events[0] as RecordEvent, first);
  }

  /** A published entry, as the procedure leaves it after the department's decision. */
  private addEntry(
    subject: WorldSubject,
    event: RecordEvent,
    basis: { recordId: string; version: number; category: string },
  ): void {
    const { now } = this.context;
    const kind = subject.listing as 'black' | 'red';
    const domain = kind === 'black' ? 'ecommerce' : 'general';
    const decidedAt = new Date(now.getTime() - 30 * 86_400_000);
    const entry: EntryRow = {
      subjectKey: Buffer.from(event.subject.key, 'hex'),
      entryId: newId('lst', decidedAt.getTime()),
      subjectKind: subject.kind,
      listKind: kind,
      domain,
      ruleCode: `bench-${kind}`,
      ruleVersion: 1,
      identifyingDepartment: worldProvider,
      status: 'published',
      basis: [basis],
      measures: measuresFor(this.context.measures, kind, domain, subject.kind).map((m) => m.code),
      proposedAt: decidedAt,
      objectionUntil: null,
      decidedAt,
      decidedBy: 'bench',
      validFrom: decidedAt,
      validUntil: new Date(now.getTime() + 700 * 86_400_000),
      endedAt: null,
      endReason: null,
      parentEntryId: null,
      relatedRole: null,
      updatedAt: decidedAt,
    };
    this.push('listEntries', entry);
    this.push('entryHistory', {
      subjectKey: entry.subjectKey,
      entryId: entry.entryId,
      seq: 1,
      status: 'published',
      at: decidedAt,
      actor: 'bench',
      note: null,
    });
    const change = listingChangeOf(entry, subject.id, 'list.entry.published', decidedAt);
    this.push('queryListEntries', listEntryRowOf(entry.subjectKey, change, decidedAt));
  }
}

/**
 * Loads subjects `from` (inclusive) to `to` (exclusive) in chunks, each table's chunk COPYed
 * on its own connection while the next chunk is built. `special` subjects replace generated ones.
 */
export async function loadWorld(
  clients: pg.ClientBase[],
  context: WorldContext,
  from: number,
  to: number,
  options: { chunk?: number; special?: Map<number, WorldSubject>; progress?: (done: number) => void } = {},
): Promise<{ subjects: number; records: number }> {
  const tables = targets();
  const chunk = options.chunk ?? 2000;
  let records = 0;
  let pending: Promise<unknown> = Promise.resolve();
  for (let start = from; start < to; start += chunk) {
    const builder = new WorldBuilder(tables, context);
    const end = Math.min(to, start + chunk);
    for (let i = start; i < end; i++) builder.add(options.special?.get(i) ?? worldSubject(i));
    records += builder.recordCount;
    await pending;
    options.progress?.(start - from);
    const names = [...builder.lines.keys()];
    // Each connection COPYs its share of the tables one after another.
    pending = Promise.all(
      clients.map(async (client, c) => {
        for (const name of names.filter((_, n) => n % clients.length === c))
          await copyLines(client, tables[name].sql, builder.lines.get(name) as string[]);
      }),
    );
  }
  await pending;
  return { subjects: to - from, records };
}

export async function loadMeasures(client: pg.ClientBase): Promise<MeasureRow[]> {
  const result = await client.query(
    'SELECT code, list_kind AS "listKind", domains, subject_scope AS "subjectScope" FROM sanctions.measures',
  );
  return result.rows as MeasureRow[];
}
