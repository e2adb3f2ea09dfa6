import { idFromDigest, type Keyring } from '@credit/crypto';
import { type Database, type Executor, inTransaction } from '@credit/db';
import { appendEvents } from '@credit/events';
import {
  type IntermediaryIndustry,
  type IntermediaryRegistered,
  intermediaryRegisteredType,
  maskCitizenId,
  type OrganisationKind,
  type PractitionerLinked,
  practitionerLinkedType,
} from '@credit/schema';
import { and, asc, eq } from 'drizzle-orm';
import {
  ingestOutbox,
  ingestSchemaName,
  intermediaries,
  practitioners,
  type StoredQualification,
  subjects,
} from '../db/schema.ts';
import { identifierAad, nameAad, subjectKeyOf } from '../domain/identity.ts';

export type IntermediaryRow = typeof intermediaries.$inferSelect;
type PractitionerRow = typeof practitioners.$inferSelect;

/** The subject's row in the identity table: its identifier encrypted, inserted once. */
async function ensureSubject(
  tx: Executor,
  keyring: Keyring,
  subjectKey: Buffer,
  kind: string,
  identifier: string,
  now: Date,
) {
  const cipher = keyring.encrypt(identifier, identifierAad(subjectKey));
  await tx
    .insert(subjects)
    .values({ subjectKey, kind, identifierCipher: cipher.ciphertext, keyId: cipher.keyId, createdAt: now })
    .onConflictDoNothing();
  return cipher;
}

/** How an identity travels on the feed: encrypted under the active key, bound to its subject key. */
function encryptedSubject(keyring: Keyring, key: Buffer, kind: string, identifier: string, name: string) {
  const id = keyring.encrypt(identifier, identifierAad(key));
  const encryptedName = keyring.encrypt(name, nameAad(key));
  return {
    key: key.toString('hex'),
    kind: kind as IntermediaryRegistered['subject']['kind'],
    keyId: id.keyId,
    identifierCipher: id.ciphertext.toString('base64'),
    nameCipher: encryptedName.ciphertext.toString('base64'),
  };
}

export function intermediaryView(row: IntermediaryRow, uscc: string) {
  return {
    id: uscc,
    name: row.name,
    industry: row.industry,
    department: row.department,
    registeredAt: row.registeredAt.toISOString(),
  };
}

/**
 * Intermediaries in administrative approval (seeds/003 三(二)): the agencies their supervising
 * departments register with an industry, and the practitioners linked to them. Each change is
 * announced on the ingest feed in its own transaction.
 */
export function createIntermediaryRepository(db: Database, keyring: Keyring) {
  function practitionerView(row: PractitionerRow, agency: string, identifier: string) {
    return {
      id: row.practitionerId,
      agency,
      person: {
        id: maskCitizenId(identifier),
        name: keyring.decrypt(row.keyId, row.nameCipher, nameAad(row.personKey)),
      },
      qualifications: row.qualifications,
      responsible: row.responsible,
      linkedAt: row.linkedAt.toISOString(),
    };
  }

  async function identifierOf(executor: Executor, key: Buffer): Promise<string> {
    const [row] = await executor.select().from(subjects).where(eq(subjects.subjectKey, key));
    if (!row) throw new Error('a linked practitioner has no identity row');
    return keyring.decrypt(row.keyId, row.identifierCipher, identifierAad(key));
  }

  return {
    keyOf(uscc: string): Buffer {
      return subjectKeyOf(keyring, 'legal_person', uscc);
    },

    async find(agencyKey: Buffer, executor: Executor = db): Promise<IntermediaryRow | undefined> {
      const [row] = await executor
        .select()
        .from(intermediaries)
        .where(eq(intermediaries.subjectKey, agencyKey));
      return row;
    },

    /** Registers an agency once; the same registration again is found, another industry is a conflict. */
    async register(
      input: { kind: OrganisationKind; id: string; name: string; industry: IntermediaryIndustry },
      department: string,
      now: Date,
    ): Promise<{ created: boolean; row: IntermediaryRow }> {
      const key = this.keyOf(input.id);
      return inTransaction(db, async (tx) => {
        const [inserted] = await tx
          .insert(intermediaries)
          .values({
            subjectKey: key,
            kind: input.kind,
            name: input.name,
            industry: input.industry,
            department,
            registeredAt: now,
          })
          .onConflictDoNothing()
          .returning();
        if (!inserted) {
          const existing = await this.find(key, tx);
          if (!existing) throw new Error('conflicting registration vanished');
          return { created: false, row: existing };
        }
        await ensureSubject(tx, keyring, key, input.kind, input.id, now);
        const payload: IntermediaryRegistered = {
          subject: encryptedSubject(keyring, key, input.kind, input.id, input.name),
          industry: input.industry,
          department,
          registeredAt: now.toISOString(),
        };
        await appendEvents(
          tx,
          ingestOutbox,
          ingestSchemaName,
          [{ type: intermediaryRegisteredType, subjectKey: key, aggregateId: input.id, payload }],
          now,
        );
        return { created: true, row: inserted };
      });
    },

    /**
     * Links a person to an agency, or updates the link (qualifications, responsibility); the
     * identical link again changes nothing and announces nothing.
     */
    async linkPractitioner(
      agency: IntermediaryRow,
      uscc: string,
      person: { id: string; name: string },
      details: { qualifications: StoredQualification[]; responsible: boolean },
      department: string,
      now: Date,
    ) {
      const personKey = subjectKeyOf(keyring, 'natural_person', person.id);
      const practitionerId = idFromDigest(
        'prc',
        keyring.blindIndex(
          'practitioner',
          `${agency.subjectKey.toString('hex')}\u0000${personKey.toString('hex')}`,
        ),
      );
      return inTransaction(db, async (tx) => {
        const [current] = await tx
          .select()
          .from(practitioners)
          .where(
            and(
              eq(practitioners.agencyKey, agency.subjectKey),
              eq(practitioners.practitionerId, practitionerId),
            ),
          )
          .for('update');
        const same =
          current &&
          current.responsible === details.responsible &&
          JSON.stringify(current.qualifications) === JSON.stringify(details.qualifications) &&
          keyring.decrypt(current.keyId, current.nameCipher, nameAad(personKey)) === person.name;
        if (current && same) return { created: false, view: practitionerView(current, uscc, person.id) };
        await ensureSubject(tx, keyring, personKey, 'natural_person', person.id, now);
        const name = keyring.encrypt(person.name, nameAad(personKey));
        const values = {
          agencyKey: agency.subjectKey,
          practitionerId,
          personKey,
          nameCipher: name.ciphertext,
          keyId: name.keyId,
          qualifications: details.qualifications,
          responsible: details.responsible,
          department,
          linkedAt: now,
        };
        const [row] = current
          ? await tx
              .update(practitioners)
              .set(values)
              .where(
                and(
                  eq(practitioners.agencyKey, agency.subjectKey),
                  eq(practitioners.practitionerId, practitionerId),
                ),
              )
              .returning()
          : await tx.insert(practitioners).values(values).returning();
        if (!row) throw new Error('practitioner write returned no row');
        const payload: PractitionerLinked = {
          practitionerId,
          agencyKey: agency.subjectKey.toString('hex'),
          subject: encryptedSubject(keyring, personKey, 'natural_person', person.id, person.name),
          responsible: details.responsible,
          qualifications: details.qualifications,
          department,
          linkedAt: now.toISOString(),
        };
        // Keyed by the person: the feed's identity (payload.subject) is bound to the event's subject key.
        await appendEvents(
          tx,
          ingestOutbox,
          ingestSchemaName,
          [{ type: practitionerLinkedType, subjectKey: personKey, aggregateId: practitionerId, payload }],
          now,
        );
        return { created: !current, view: practitionerView(row, uscc, person.id) };
      });
    },

    async practitionersOf(agencyKey: Buffer, uscc: string) {
      const rows = await db
        .select()
        .from(practitioners)
        .where(eq(practitioners.agencyKey, agencyKey))
        .orderBy(asc(practitioners.practitionerId));
      return Promise.all(
        rows.map(async (row) => practitionerView(row, uscc, await identifierOf(db, row.personKey))),
      );
    },

    /** The responsible persons in clear, to name on a record of the agency's dishonesty. */
    async responsiblePersons(agencyKey: Buffer, executor: Executor = db) {
      const rows = await executor
        .select()
        .from(practitioners)
        .where(and(eq(practitioners.agencyKey, agencyKey), eq(practitioners.responsible, true)))
        .orderBy(asc(practitioners.practitionerId));
      return Promise.all(
        rows.map(async (row) => ({
          id: await identifierOf(executor, row.personKey),
          name: keyring.decrypt(row.keyId, row.nameCipher, nameAad(row.personKey)),
        })),
      );
    },
  };
}

export type IntermediaryRepository = ReturnType<typeof createIntermediaryRepository>;
