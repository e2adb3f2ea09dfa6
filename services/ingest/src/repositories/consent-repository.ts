import { newId } from '@credit/crypto';
import { type Database, inTransaction } from '@credit/db';
import { appendEvents } from '@credit/events';
import {
  type ConsentGranted,
  type ConsentRecipient,
  type ConsentRevoked,
  consentGrantedType,
  consentRevokedType,
} from '@credit/schema';
import { and, desc, eq, lt } from 'drizzle-orm';
import { consentRevocations, consents, ingestOutbox, ingestSchemaName } from '../db/schema.ts';

type ConsentRow = typeof consents.$inferSelect;

export interface ConsentView {
  id: string;
  provider: string;
  fields: string[];
  purpose: string;
  purposes: string[];
  recipients: ConsentRecipient[];
  registeredBy: 'subject' | 'provider';
  evidenceHash: string | null;
  validUntil: string | null;
  revokedAt: string | null;
  createdAt: string;
}

function toView(row: ConsentRow, revokedAt: Date | null): ConsentView {
  return {
    id: row.consentId,
    provider: row.providerCode,
    fields: row.fields,
    purpose: row.purpose,
    purposes: row.purposes,
    recipients: row.recipients as ConsentRecipient[],
    registeredBy: row.registeredBy,
    evidenceHash: row.evidenceHash?.toString('hex') ?? null,
    validUntil: row.validUntil?.toISOString() ?? null,
    revokedAt: revokedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * Written consents (书面同意) that records with consent-gated fields cite. Each consent and each
 * revocation is announced on the ingest feed with its scope, in the transaction that records it:
 * the query service shows the gated values only to the purposes and recipients it names.
 */
export function createConsentRepository(db: Database) {
  return {
    async grant(input: {
      subjectKey: Buffer;
      provider: string;
      fields: string[];
      purpose: string;
      purposes: string[];
      recipients: ConsentRecipient[];
      registeredBy: 'subject' | 'provider';
      registeredByOrg: string | null;
      evidenceHash: Buffer | null;
      validUntil: Date | null;
      now: Date;
    }): Promise<ConsentView> {
      return inTransaction(db, async (tx) => {
        const recipients = [...new Map(input.recipients.map((r) => [`${r.kind}:${r.id}`, r])).values()].sort(
          (a, b) => (`${a.kind}:${a.id}` < `${b.kind}:${b.id}` ? -1 : 1),
        );
        const [row] = await tx
          .insert(consents)
          .values({
            subjectKey: input.subjectKey,
            consentId: newId('cns', input.now.getTime()),
            providerCode: input.provider,
            fields: [...new Set(input.fields)].sort(),
            purpose: input.purpose,
            purposes: [...new Set(input.purposes)].sort(),
            recipients,
            registeredBy: input.registeredBy,
            registeredByOrg: input.registeredByOrg,
            evidenceHash: input.evidenceHash,
            validUntil: input.validUntil,
            createdAt: input.now,
          })
          .returning();
        if (!row) throw new Error('insert returned no row');
        const payload: ConsentGranted = {
          consentId: row.consentId,
          provider: row.providerCode,
          fields: row.fields,
          purposes: row.purposes,
          recipients,
          validUntil: row.validUntil?.toISOString() ?? null,
          grantedAt: row.createdAt.toISOString(),
        };
        await appendEvents(
          tx,
          ingestOutbox,
          ingestSchemaName,
          [{ type: consentGrantedType, subjectKey: row.subjectKey, aggregateId: row.consentId, payload }],
          input.now,
        );
        return toView(row, null);
      });
    },

    /**
     * A subject's consents newest first by id (ids begin with their creation time and never
     * change), `limit` of them after the id `before` on the primary key (subject_key, consent_id).
     */
    async pageForSubject(
      subjectKey: Buffer,
      before: string | undefined,
      limit: number,
    ): Promise<ConsentView[]> {
      const rows = await db
        .select({ consent: consents, revokedAt: consentRevocations.revokedAt })
        .from(consents)
        .leftJoin(
          consentRevocations,
          and(
            eq(consentRevocations.subjectKey, consents.subjectKey),
            eq(consentRevocations.consentId, consents.consentId),
          ),
        )
        .where(and(eq(consents.subjectKey, subjectKey), before ? lt(consents.consentId, before) : undefined))
        .orderBy(desc(consents.consentId))
        .limit(limit);
      return rows.map((r) => toView(r.consent, r.revokedAt));
    },

    /** Revokes a subject's consent; false when the subject has no such consent. Idempotent. */
    async revoke(
      subjectKey: Buffer,
      consentId: string,
      by: string,
      now: Date,
    ): Promise<ConsentView | undefined> {
      return inTransaction(db, async (tx) => {
        const [row] = await tx
          .select()
          .from(consents)
          .where(and(eq(consents.subjectKey, subjectKey), eq(consents.consentId, consentId)));
        if (!row) return undefined;
        const inserted = await tx
          .insert(consentRevocations)
          .values({ subjectKey, consentId, revokedAt: now, revokedBy: by })
          .onConflictDoNothing()
          .returning({ revokedAt: consentRevocations.revokedAt });
        if (inserted.length > 0) {
          const payload: ConsentRevoked = { consentId, revokedAt: now.toISOString() };
          await appendEvents(
            tx,
            ingestOutbox,
            ingestSchemaName,
            [{ type: consentRevokedType, subjectKey, aggregateId: consentId, payload }],
            now,
          );
          return toView(row, now);
        }
        const [revocation] = await tx
          .select()
          .from(consentRevocations)
          .where(
            and(eq(consentRevocations.subjectKey, subjectKey), eq(consentRevocations.consentId, consentId)),
          );
        return toView(row, revocation?.revokedAt ?? now);
      });
    },
  };
}

export type ConsentRepository = ReturnType<typeof createConsentRepository>;
