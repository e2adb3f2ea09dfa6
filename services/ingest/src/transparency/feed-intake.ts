import { newSalt } from '@credit/crypto';
import type { Executor } from '@credit/db';
import type { FeedEvent } from '@credit/events';
import { platformWideKey, queryEventSchemas } from '@credit/schema';
import { payloadCommitment } from '@credit/transparency';
import { appendLeaves, type PendingLeaf } from './log-store.ts';

/**
 * The decisions other services take reach the log through their feeds, as any other reader of
 * theirs would see them: accesses and authorisations (query), the list procedure and grades
 * (sanctions), objections and repairs (repair).
 */
export const loggedFeeds = [
  {
    source: 'query',
    name: 'transparency-query',
    types: ['access.logged', 'authorisation.granted', 'authorisation.revoked'],
  },
  {
    source: 'sanctions',
    name: 'transparency-sanctions',
    types: [
      'list.entry.noticed',
      'list.entry.proposed',
      'list.entry.published',
      'list.entry.rejected',
      'list.entry.cancelled',
      'list.entry.exited',
      'grade.assigned',
    ],
  },
  {
    source: 'repair',
    name: 'transparency-repair',
    types: ['objection.opened', 'objection.upheld', 'objection.closed', 'record.repaired', 'entry.repaired'],
  },
] as const;

function aboutSubject(key: Buffer): Buffer | null {
  return key.equals(platformWideKey) ? null : key;
}

export function leafOfEvent(source: string, event: FeedEvent): PendingLeaf {
  if (source === 'query' && event.type === 'access.logged') {
    const access = queryEventSchemas['access.logged'].parse(event.payload);
    return {
      body: {
        kind: 'access',
        entryId: access.entryId,
        accessedAt: access.accessedAt,
        role: access.role,
        org: access.org,
        channel: access.channel,
        entryHash: access.hash,
      },
      subjectKey: aboutSubject(event.subjectKey),
      ref: access.entryId,
    };
  }
  const salt = newSalt();
  return {
    body: {
      kind: 'decision',
      service: source,
      type: event.type,
      eventId: event.eventId,
      aggregateId: event.aggregateId,
      at: event.createdAt.toISOString(),
      commitment: payloadCommitment(salt, event.payload).toString('hex'),
    },
    subjectKey: aboutSubject(event.subjectKey),
    ref: event.eventId,
    salt,
  };
}

/** A consumer's apply step: the leaves join the log in the transaction that moves the cursor. */
export function logEvents(source: string, now: () => Date) {
  return async (tx: Executor, events: FeedEvent[]): Promise<void> => {
    await appendLeaves(
      tx,
      events.map((event) => leafOfEvent(source, event)),
      now(),
    );
  };
}
