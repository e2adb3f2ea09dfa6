import type { Executor } from '@credit/db';
import { type FeedEvent, upsertSubjectIdentities } from '@credit/events';
import {
  declarationAcceptedSchema,
  declarationAcceptedType,
  declarationFoundFalseSchema,
  declarationFoundFalseType,
  intermediaryRegisteredSchema,
  intermediaryRegisteredType,
} from '@credit/schema';
import { and, eq } from 'drizzle-orm';
import { intermediaries, intermediaryDeclarations, subjects } from '../db/schema.ts';

export const intermediaryProjectionName = 'query-intermediaries';
export const intermediaryEventTypes = [
  intermediaryRegisteredType,
  declarationAcceptedType,
  declarationFoundFalseType,
] as const;

/**
 * Follows the ingest feed for the intermediaries' column (seeds/003 三(一)): agencies as
 * registered (their identity joins the subjects every read names), declarations once accepted,
 * and taken down when found false. Events are applied in feed order, each idempotently.
 */
export async function applyIntermediaryEvents(tx: Executor, events: FeedEvent[]): Promise<void> {
  for (const event of events) {
    if (event.type === intermediaryRegisteredType) {
      const registered = intermediaryRegisteredSchema.parse(event.payload);
      const subjectKey = Buffer.from(registered.subject.key, 'hex');
      const at = new Date(registered.registeredAt);
      await upsertSubjectIdentities(tx, subjects, [
        {
          subjectKey,
          kind: registered.subject.kind,
          identifierCipher: Buffer.from(registered.subject.identifierCipher, 'base64'),
          nameCipher: Buffer.from(registered.subject.nameCipher, 'base64'),
          keyId: registered.subject.keyId,
          updatedAt: at,
          // The supervising department is not the registering authority: a registration record's name prevails.
          nameAuthoritative: false,
        },
      ]);
      await tx
        .insert(intermediaries)
        .values({
          subjectKey,
          industry: registered.industry,
          department: registered.department,
          registeredAt: at,
        })
        .onConflictDoNothing();
    } else if (event.type === declarationAcceptedType) {
      const accepted = declarationAcceptedSchema.parse(event.payload);
      await tx
        .insert(intermediaryDeclarations)
        .values({
          subjectKey: Buffer.from(accepted.agencyKey, 'hex'),
          declarationId: accepted.declarationId,
          content: accepted.content,
          commitment: accepted.commitment,
          department: accepted.department,
          acceptedAt: new Date(accepted.acceptedAt),
        })
        .onConflictDoNothing();
    } else if (event.type === declarationFoundFalseType) {
      const found = declarationFoundFalseSchema.parse(event.payload);
      await tx
        .delete(intermediaryDeclarations)
        .where(
          and(
            eq(intermediaryDeclarations.subjectKey, Buffer.from(found.agencyKey, 'hex')),
            eq(intermediaryDeclarations.declarationId, found.declarationId),
          ),
        );
    }
  }
}
