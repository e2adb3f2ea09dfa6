import { formatOccurrence } from '@credit/calendar';
import type { Keyring } from '@credit/crypto';
import type { ValidatedRecord } from '@credit/schema';
import { linkedRecordIdOf, nameMacOf, recordIdOf, subjectKeyOf } from './identity.ts';
import { contentFingerprint, type RecordContent } from './record-content.ts';

export interface PreparedRelatedPerson {
  role: ValidatedRecord['relatedPersons'][number]['role'];
  id: string;
  name: string;
  subjectKey: Buffer;
  recordId: string;
  content: RecordContent;
  fingerprint: Buffer;
}

/** A validated record with everything derived that the writer needs, before touching the database. */
export interface PreparedRecord {
  /** Position in the request (0 for a single push). */
  index: number;
  provider: string;
  sourceId: string;
  recordId: string;
  subjectKey: Buffer;
  record: ValidatedRecord;
  content: RecordContent;
  fingerprint: Buffer;
  related: PreparedRelatedPerson[];
}

export function prepareRecord(
  keyring: Keyring,
  provider: string,
  sourceId: string,
  record: ValidatedRecord,
  index = 0,
): PreparedRecord {
  const recordId = recordIdOf(keyring, provider, sourceId);
  const subjectKey = subjectKeyOf(keyring, record.subject.kind, record.subject.id);
  const related = record.relatedPersons.map((person) => {
    const personKey = subjectKeyOf(keyring, 'natural_person', person.id);
    return { ...person, subjectKey: personKey, nameMac: nameMacOf(keyring, person.name) };
  });
  const content: RecordContent = {
    category: record.entry.code,
    subject: {
      key: subjectKey.toString('hex'),
      kind: record.subject.kind,
      nameMac: nameMacOf(keyring, record.subject.name),
    },
    occurredAt: formatOccurrence({ at: record.occurredAt, date: record.occurredOn }),
    data: record.data,
    relatedPersons: related.map((p) => ({
      role: p.role,
      key: p.subjectKey.toString('hex'),
      nameMac: p.nameMac,
    })),
    consentRef: record.consentRef ?? null,
    linkedFrom: null,
  };
  return {
    index,
    provider,
    sourceId,
    recordId,
    subjectKey,
    record,
    content,
    fingerprint: contentFingerprint(keyring, content),
    related: related.map((person) => {
      const linkedId = linkedRecordIdOf(keyring, recordId, person.role, person.subjectKey);
      const linkedContent: RecordContent = {
        category: record.entry.code,
        subject: { key: person.subjectKey.toString('hex'), kind: 'natural_person', nameMac: person.nameMac },
        occurredAt: content.occurredAt,
        data: record.data,
        relatedPersons: [],
        consentRef: null,
        linkedFrom: { recordId, role: person.role },
      };
      return {
        role: person.role,
        id: person.id,
        name: person.name,
        subjectKey: person.subjectKey,
        recordId: linkedId,
        content: linkedContent,
        fingerprint: contentFingerprint(keyring, linkedContent),
      };
    }),
  };
}
