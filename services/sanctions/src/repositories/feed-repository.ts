import type { Database, Executor } from '@credit/db';
import { appendEvents, type NewEvent } from '@credit/events';
import { sanctionsOutbox, sanctionsSchemaName } from '../db/schema.ts';

/** The sanctions feed: events appended in the transaction of the change they announce. */
export function createFeedRepository(db: Database) {
  return {
    async publish(events: NewEvent[], now: Date, executor: Executor = db): Promise<void> {
      await appendEvents(executor, sanctionsOutbox, sanctionsSchemaName, events, now);
    },
  };
}
