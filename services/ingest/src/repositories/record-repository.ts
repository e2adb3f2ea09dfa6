import { formatOccurrence } from '@credit/calendar';
import type { Keyring } from '@credit/crypto';
import type { Database, Executor } from '@credit/db';
import { discloseIdentity, type RecordView, type SubjectKind } from '@credit/schema';
import { and, asc, eq } from 'drizzle-orm';
import { records, recordVersions, subjects, tombstones } from '../db/schema.ts';
import { identifierAad, nameAad } from '../domain/identity.ts';
import { chainHolds, versionName } from '../domain/version-check.ts';

type RecordRow = typeof records.$inferSelect;
type VersionRow = typeof recordVersions.$inferSelect;

export interface StoredRecord {
  record: RecordRow;
  versions: VersionRow[];
}

/** Reads of the record store. Writes go through domain/record-writer and domain/record-changes. */
export function createRecordRepository(db: Database, keyring: Keyring) {
  const decryptName = (row: VersionRow) => versionName(keyring, row);

  return {
    async find(recordId: string, executor: Executor = db): Promise<StoredRecord | undefined> {
      const [record] = await executor.select().from(records).where(eq(records.recordId, recordId));
      if (!record) return undefined;
      const versions = await executor
        .select()
        .from(recordVersions)
        .where(and(eq(recordVersions.subjectKey, record.subjectKey), eq(recordVersions.recordId, recordId)))
        .orderBy(asc(recordVersions.version));
      return { record, versions };
    },

    /**
     * The persons one version named (role, identity number and name in clear), in its order: what
     * a submission naming them again must carry to be found identical.
     */
    async personsNamedBy(stored: StoredRecord, version: number, executor: Executor = db) {
      const row = stored.versions.find((v) => v.version === version);
      if (!row) return undefined;
      return Promise.all(
        row.relatedPersons.map(async (person) => {
          const key = Buffer.from(person.subjectKey, 'hex');
          const [identity] = await executor.select().from(subjects).where(eq(subjects.subjectKey, key));
          if (!identity) throw new Error('a named person has no identity row');
          return {
            role: person.role,
            id: keyring.decrypt(identity.keyId, identity.identifierCipher, identifierAad(key)),
            name: keyring.decrypt(person.keyId, Buffer.from(person.nameCipher, 'base64'), nameAad(key)),
          };
        }),
      );
    },

    /** Recomputes every version's commitment and chain link; false when any stored byte was altered. */
    verifyChain(stored: StoredRecord): boolean {
      return chainHolds(keyring, stored.record, stored.versions);
    },

    /**
     * The record as its provider or the credit office handles it, by record id: persons' identities
     * as the masking rule gives them to staff (packages/schema, disclosure.ts).
     */
    async view(stored: StoredRecord): Promise<RecordView> {
      const { record, versions } = stored;
      const staff = { as: 'staff' } as const;
      const [subject] = await db.select().from(subjects).where(eq(subjects.subjectKey, record.subjectKey));
      const identifier = subject
        ? keyring.decrypt(subject.keyId, subject.identifierCipher, identifierAad(record.subjectKey))
        : '';
      const latest = versions.at(-1) as VersionRow;
      const relatedIds = new Map<string, string>();
      for (const version of versions) {
        for (const person of version.relatedPersons) {
          if (relatedIds.has(person.subjectKey)) continue;
          const key = Buffer.from(person.subjectKey, 'hex');
          const [row] = await db.select().from(subjects).where(eq(subjects.subjectKey, key));
          relatedIds.set(
            person.subjectKey,
            row ? keyring.decrypt(row.keyId, row.identifierCipher, identifierAad(key)) : '',
          );
        }
      }
      const kind = record.subjectKind as SubjectKind;
      return {
        id: record.recordId,
        sourceId: record.sourceId,
        provider: record.providerCode,
        category: record.category,
        subject: {
          kind,
          ...discloseIdentity(staff, 'subject', kind, { id: identifier, name: decryptName(latest) }),
        },
        origin: record.origin,
        linkedFrom: record.parentRecordId
          ? {
              recordId: record.parentRecordId,
              role: record.relatedRole as NonNullable<RecordView['linkedFrom']>['role'],
            }
          : null,
        status: latest.status,
        currentVersion: latest.version,
        chainValid: this.verifyChain(stored),
        versions: versions.map((v) => ({
          version: v.version,
          operation: v.operation,
          receivedAt: v.receivedAt.toISOString(),
          occurredAt: formatOccurrence({ at: v.occurredAt, date: v.occurredOn }),
          severity: v.severity,
          displayUntil: v.displayUntil?.toISOString() ?? null,
          data: v.data,
          relatedPersons: v.relatedPersons.map((p) => ({
            role: p.role as RecordView['versions'][number]['relatedPersons'][number]['role'],
            ...discloseIdentity(staff, 'related', 'natural_person', {
              id: relatedIds.get(p.subjectKey) ?? '',
              name: keyring.decrypt(
                p.keyId,
                Buffer.from(p.nameCipher, 'base64'),
                nameAad(Buffer.from(p.subjectKey, 'hex')),
              ),
            }),
          })),
          consentRef: v.consentRef,
          reasonCode: v.reasonCode,
          reason: v.reason,
          prevHash: v.prevHash.toString('hex'),
          hash: v.hash.toString('hex'),
          erasedAt: v.erasedAt?.toISOString() ?? null,
        })),
        tombstones: (
          await db
            .select()
            .from(tombstones)
            .where(
              and(eq(tombstones.subjectKey, record.subjectKey), eq(tombstones.recordId, record.recordId)),
            )
            .orderBy(asc(tombstones.leafIndex))
        ).map((t) => ({ leafIndex: t.leafIndex, statement: t.statement, signature: t.signature })),
      };
    },
  };
}

export type RecordRepository = ReturnType<typeof createRecordRepository>;
