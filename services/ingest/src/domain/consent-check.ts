import type { Executor } from '@credit/db';
import { and, inArray } from 'drizzle-orm';
import { consentRevocations, consents } from '../db/schema.ts';
import type { PreparedRecord } from './prepared-record.ts';

export interface ConsentProblem {
  path: string;
  detail: string;
}

/**
 * Checks the written consents that records with consent-gated fields cite: the consent must be
 * on file for the same subject, name the pushing provider, cover every gated kind the record
 * carries, be unrevoked and still valid. One query for the whole chunk.
 */
export async function checkConsents(
  tx: Executor,
  items: readonly PreparedRecord[],
  now: Date,
): Promise<Map<number, ConsentProblem>> {
  const problems = new Map<number, ConsentProblem>();
  const gated = items.filter((item) => item.record.consentCategories.length > 0 && item.record.consentRef);
  if (gated.length === 0) return problems;

  const ids = [...new Set(gated.map((item) => item.record.consentRef as string))];
  const keys = gated.map((item) => item.subjectKey);
  const found = await tx
    .select()
    .from(consents)
    .where(and(inArray(consents.consentId, ids), inArray(consents.subjectKey, keys)));
  const revoked = await tx
    .select({ consentId: consentRevocations.consentId })
    .from(consentRevocations)
    .where(inArray(consentRevocations.consentId, ids));
  const revokedIds = new Set(revoked.map((r) => r.consentId));

  for (const item of gated) {
    const consent = found.find(
      (c) => c.consentId === item.record.consentRef && c.subjectKey.equals(item.subjectKey),
    );
    const refuse = (detail: string) => problems.set(item.index, { path: 'consentRef', detail });
    if (!consent) refuse('no written consent of this subject is on file under this consentRef');
    else if (revokedIds.has(consent.consentId)) refuse('the subject has revoked this consent');
    else if (consent.validUntil && consent.validUntil.getTime() < now.getTime())
      refuse('the consent has expired');
    else if (consent.providerCode !== item.provider) refuse('the consent was not given to this provider');
    else {
      const missing = item.record.consentCategories.filter((category) => !consent.fields.includes(category));
      if (missing.length > 0) refuse(`the consent does not cover: ${missing.join(', ')}`);
    }
  }
  return problems;
}
