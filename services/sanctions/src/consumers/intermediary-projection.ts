import type { Executor } from '@credit/db';
import { type FeedEvent, upsertSubjectIdentities } from '@credit/events';
import {
  intermediaryRegisteredSchema,
  intermediaryRegisteredType,
  practitionerLinkedSchema,
  practitionerLinkedType,
  providerIndustriesSchema,
  providerIndustriesType,
} from '@credit/schema';
import { eq, sql } from 'drizzle-orm';
import { industrySupervisors, practitioners, subjects } from '../db/schema.ts';
import { linkResponsiblePractitioner } from '../domain/entry-decisions.ts';
import type { ProcedureContext } from '../domain/entry-writer.ts';

/**
 * The registry facts the sanctions service needs of intermediaries, from the ingest feed: which
 * department supervises which industry (only they evaluate its agencies), and which practitioners
 * answer for an agency (they share its market and practice ban, also when named after it was
 * published).
 */
export async function applyIntermediaryEvents(
  tx: Executor,
  context: ProcedureContext,
  events: FeedEvent[],
): Promise<void> {
  for (const event of events) {
    if (event.type === providerIndustriesType) {
      const { provider, industries, at } = providerIndustriesSchema.parse(event.payload);
      await tx.delete(industrySupervisors).where(eq(industrySupervisors.department, provider));
      if (industries.length > 0)
        await tx
          .insert(industrySupervisors)
          .values(
            industries.map((industry) => ({ department: provider, industry, updatedAt: new Date(at) })),
          );
      continue;
    }
    if (event.type === intermediaryRegisteredType) {
      // The agency's identity, so departments listing their industry see whom a grade is of.
      const { subject, registeredAt } = intermediaryRegisteredSchema.parse(event.payload);
      await upsertSubjectIdentities(tx, subjects, [
        {
          subjectKey: Buffer.from(subject.key, 'hex'),
          kind: subject.kind,
          identifierCipher: Buffer.from(subject.identifierCipher, 'base64'),
          nameCipher: Buffer.from(subject.nameCipher, 'base64'),
          keyId: subject.keyId,
          updatedAt: new Date(registeredAt),
          nameAuthoritative: false,
        },
      ]);
      continue;
    }
    if (event.type === practitionerLinkedType) {
      const linked = practitionerLinkedSchema.parse(event.payload);
      const personKey = Buffer.from(linked.subject.key, 'hex');
      await upsertSubjectIdentities(tx, subjects, [
        {
          subjectKey: personKey,
          kind: linked.subject.kind,
          identifierCipher: Buffer.from(linked.subject.identifierCipher, 'base64'),
          nameCipher: Buffer.from(linked.subject.nameCipher, 'base64'),
          keyId: linked.subject.keyId,
          updatedAt: new Date(linked.linkedAt),
          nameAuthoritative: false,
        },
      ]);
      await tx
        .insert(practitioners)
        .values({
          subjectKey: Buffer.from(linked.agencyKey, 'hex'),
          practitionerId: linked.practitionerId,
          personKey,
          responsible: linked.responsible,
          linkedAt: new Date(linked.linkedAt),
        })
        .onConflictDoUpdate({
          target: [practitioners.subjectKey, practitioners.practitionerId],
          set: { responsible: sql`excluded.responsible`, linkedAt: sql`excluded.linked_at` },
          setWhere: sql`${practitioners.linkedAt} <= excluded.linked_at`,
        });
      if (linked.responsible)
        await linkResponsiblePractitioner(
          tx,
          context,
          Buffer.from(linked.agencyKey, 'hex'),
          personKey,
          context.clock(),
        );
    }
  }
}
