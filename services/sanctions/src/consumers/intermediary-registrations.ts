import type { Executor } from '@credit/db';
import type { FeedEvent } from '@credit/events';
import { intermediaryRegisteredSchema, intermediaryRegisteredType } from '@credit/schema';
import { sql } from 'drizzle-orm';
import { intermediaries } from '../db/schema.ts';

export const intermediaryRegistrationsName = 'sanctions-intermediary-registrations';

/** The one event type this consumer follows on the ingest feed. */
export const followedRegistrationEvents = [intermediaryRegisteredType] as const;

/**
 * Which organisations are registered as intermediaries, and in which industry, from
 * `intermediary.registered`: a department evaluates only the agencies of an industry it
 * supervises (docs/lists-and-grades.md). A consumer of its own, so that starting from the
 * beginning of the feed it also reads the registrations announced before the table existed
 * (migrations/sanctions/0016), without replaying every record into the rules. Ingest never moves
 * an agency to another industry (it refuses that with 409), so a replayed registration changes
 * nothing; the earliest registration is kept.
 */
export async function applyIntermediaryRegistrations(tx: Executor, events: FeedEvent[]): Promise<void> {
  const rows = events
    .filter((event) => event.type === intermediaryRegisteredType)
    .map((event) => {
      const { subject, industry, department, registeredAt } = intermediaryRegisteredSchema.parse(
        event.payload,
      );
      return {
        subjectKey: Buffer.from(subject.key, 'hex'),
        industry,
        department,
        registeredAt: new Date(registeredAt),
      };
    });
  for (const row of rows)
    await tx
      .insert(intermediaries)
      .values(row)
      .onConflictDoUpdate({
        target: intermediaries.subjectKey,
        set: {
          industry: sql`excluded.industry`,
          department: sql`excluded.department`,
          registeredAt: sql`excluded.registered_at`,
        },
        setWhere: sql`${intermediaries.registeredAt} > excluded.registered_at`,
      });
}
