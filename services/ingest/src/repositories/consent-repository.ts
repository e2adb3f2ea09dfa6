import { newId } from '@credit/crypto';
import type { Database } from '@credit/db';
import { and, desc, eq } from 'drizzle-orm';
import { consentRevocations, consents } from '../db/schema.ts';

type ConsentRow = typeof consents.$inferSelect;

export interface ConsentView {
  id: string;
  provider: string;
  fields: string[];
  purpose: string;
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
    registeredBy: row.registeredBy,
    evidenceHash: row.evidenceHash?.toString('hex') ?? null,
    validUntil: row.validUntil?.toISOString() ?? null,
    revokedAt: revokedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

/** Written consents (书面同意) that records with consent-gated fields cite. */
export function createConsentRepository(db: Database) {
  return {
    async grant(input: {
      subjectKey: Buffer;
      provider: string;
      fields: string[];
      purpose: string;
      registeredBy: 'subject' | 'provider';
      registeredByOrg: string | null;
      evidenceHash: Buffer | null;
      validUntil: Date | null;
      now: Date;
    }): Promise<ConsentView> {
      const [row] = await db
        .insert(consents)
        .values({
          subjectKey: input.subjectKey,
          consentId: newId('cns', input.now.getTime()),
          providerCode: input.provider,
          fields: [...new Set(input.fields)].sort(),
          purpose: input.purpose,
          registeredBy: input.registeredBy,
          registeredByOrg: input.registeredByOrg,
          evidenceHash: input.evidenceHash,
          validUntil: input.validUntil,
          createdAt: input.now,
        })
        .returning();
      if (!row) throw new Error('insert returned no row');
      return toView(row, null);
    },

    async listForSubject(subjectKey: Buffer): Promise<ConsentView[]> {
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
        .where(eq(consents.subjectKey, subjectKey))
        .orderBy(desc(consents.createdAt));
      return rows.map((r) => toView(r.consent, r.revokedAt));
    },

    /** Revokes a subject's consent; false when the subject has no such consent. Idempotent. */
    async revoke(
      subjectKey: Buffer,
      consentId: string,
      by: string,
      now: Date,
    ): Promise<ConsentView | undefined> {
      const [row] = await db
        .select()
        .from(consents)
        .where(and(eq(consents.subjectKey, subjectKey), eq(consents.consentId, consentId)));
      if (!row) return undefined;
      await db
        .insert(consentRevocations)
        .values({ subjectKey, consentId, revokedAt: now, revokedBy: by })
        .onConflictDoNothing();
      const [revocation] = await db
        .select()
        .from(consentRevocations)
        .where(
          and(eq(consentRevocations.subjectKey, subjectKey), eq(consentRevocations.consentId, consentId)),
        );
      return toView(row, revocation?.revokedAt ?? now);
    },
  };
}

export type ConsentRepository = ReturnType<typeof createConsentRepository>;
