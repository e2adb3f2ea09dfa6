import { formatOccurrence } from '@credit/calendar';
import type { Keyring } from '@credit/crypto';
import type { NewEvent } from '@credit/events';
import type { IngestEventType, RecordEvent, Severity } from '@credit/schema';
import { findEntry, namesSubject } from '@credit/schema';
import type { recordVersions, StoredRelatedPerson } from '../db/schema.ts';
import { identifierAad, nameAad } from './identity.ts';
import type { RecordContent } from './record-content.ts';
import { sealVersion } from './record-content.ts';

type VersionRow = typeof recordVersions.$inferInsert;

/** Everything needed to append one version of one record. */
export interface VersionInput {
  recordId: string;
  sourceId: string;
  subjectKey: Buffer;
  subjectKind: string;
  /** Normalised identifier and name in clear: encrypted here, never stored in clear. */
  identifier: string;
  subjectName: string;
  version: number;
  operation: 'create' | 'correct' | 'withdraw';
  status: 'active' | 'withdrawn';
  provider: string;
  category: string;
  occurredAt: Date;
  /** The plain date the fact was dated with; null when it was dated by an instant. */
  occurredOn: string | null;
  receivedAt: Date;
  severity: Severity | null;
  publicity: 'public' | 'authorised' | 'government';
  displayUntil: Date | null;
  data: Record<string, unknown>;
  relatedPersons: StoredRelatedPerson[];
  consentRef: string | null;
  reasonCode: string | null;
  reason: string | null;
  fingerprint: Buffer;
  content: RecordContent;
  prevHash: Buffer;
  origin: 'pushed' | 'linked';
  linkedFrom: { recordId: string; role: string } | null;
}

const eventTypes: Record<VersionInput['operation'], IngestEventType> = {
  create: 'record.created',
  correct: 'record.corrected',
  withdraw: 'record.withdrawn',
};

export interface BuiltVersion {
  row: VersionRow;
  event: NewEvent<RecordEvent>;
  hash: Buffer;
  /** The subject's identifier as encrypted for the event, for the subject directory to reuse. */
  identifierCipher: { ciphertext: Buffer; keyId: string };
}

/** Seals a version (commitment and chain hash), encrypts its identity fields, and shapes its event. */
export function buildVersion(keyring: Keyring, input: VersionInput): BuiltVersion {
  const sealed = sealVersion(input.prevHash, input.content, {
    recordId: input.recordId,
    version: input.version,
    operation: input.operation,
    status: input.status,
    provider: input.provider,
    receivedAt: input.receivedAt.toISOString(),
    publicity: input.publicity,
    severity: input.severity,
    displayUntil: input.displayUntil?.toISOString() ?? null,
    reasonCode: input.reasonCode,
    reason: input.reason,
  });
  const name = keyring.encrypt(input.subjectName, nameAad(input.subjectKey));
  const identifier = keyring.encrypt(input.identifier, identifierAad(input.subjectKey));
  const row: VersionRow = {
    subjectKey: input.subjectKey,
    recordId: input.recordId,
    version: input.version,
    operation: input.operation,
    status: input.status,
    providerCode: input.provider,
    category: input.category,
    subjectKind: input.subjectKind,
    occurredAt: input.occurredAt,
    occurredOn: input.occurredOn,
    receivedAt: input.receivedAt,
    severity: input.severity,
    publicity: input.publicity,
    displayUntil: input.displayUntil,
    subjectNameCipher: name.ciphertext,
    subjectNameMac: Buffer.from(input.content.subject.nameMac, 'hex'),
    namesSubject: input.origin === 'pushed' && namesSubject(input.category),
    keyId: name.keyId,
    data: input.data,
    relatedPersons: input.relatedPersons,
    consentRef: input.consentRef,
    reasonCode: input.reasonCode,
    reason: input.reason,
    fingerprint: input.fingerprint,
    contentSalt: sealed.salt,
    contentCommitment: sealed.commitment,
    prevHash: input.prevHash,
    hash: sealed.hash,
  };
  const payload: RecordEvent = {
    recordId: input.recordId,
    version: input.version,
    operation: input.operation,
    status: input.status,
    provider: input.provider,
    sourceId: input.sourceId,
    category: input.category,
    classCode: findEntry(input.category)?.classCode ?? 'unknown',
    subject: {
      key: input.subjectKey.toString('hex'),
      kind: input.subjectKind as RecordEvent['subject']['kind'],
      keyId: name.keyId,
      identifierCipher: identifier.ciphertext.toString('base64'),
      nameCipher: name.ciphertext.toString('base64'),
    },
    occurredAt: formatOccurrence({ at: input.occurredAt, date: input.occurredOn }),
    receivedAt: input.receivedAt.toISOString(),
    severity: input.severity,
    publicity: input.publicity,
    displayUntil: input.displayUntil?.toISOString() ?? null,
    data: input.data,
    relatedPersons: input.relatedPersons.map((p) => ({
      role: p.role as RecordEvent['relatedPersons'][number]['role'],
      subjectKey: p.subjectKey,
      recordId: p.linkedRecordId,
    })),
    origin: input.origin,
    linkedFrom: input.linkedFrom as RecordEvent['linkedFrom'],
    reasonCode: input.reasonCode,
    reason: input.reason,
    hash: sealed.hash.toString('hex'),
    consentRef: input.consentRef,
  };
  return {
    row,
    hash: sealed.hash,
    identifierCipher: identifier,
    event: {
      type: eventTypes[input.operation],
      subjectKey: input.subjectKey,
      aggregateId: input.recordId,
      payload,
    },
  };
}
