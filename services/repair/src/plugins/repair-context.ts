import { WorkingDayCalendar } from '@credit/calendar';
import { type RunningConsumer, startConsumer } from '@credit/events';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import {
  followedSanctionsEvents,
  recordFeed,
  recordFeedName,
  sanctionsFeed,
  sanctionsFeedName,
} from '../consumers/feeds.ts';
import { calendarYears, repairSchemaName } from '../db/schema.ts';
import { runExpiry } from '../domain/expiry.ts';
import type { RepairContext } from '../domain/journal.ts';
import { computePendingDeadlines } from '../domain/repairs.ts';

export interface RepairSettings {
  feedIdleMs: number;
  /** How often the display-expiry job runs; 0 disables it (tests run it on demand). */
  expiryEveryMs: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    repair: RepairContext & { settings: RepairSettings };
  }
}

/** The repair service's context: its calendar, its feeds, and the display-expiry job. */
export default fp(
  async (app: FastifyInstance, settings: RepairSettings) => {
    const context = { calendar: new WorkingDayCalendar(), clock: app.clock, settings };
    app.decorate('repair', context);
    const consumers: [string, RunningConsumer][] = [];
    let timer: NodeJS.Timeout | undefined;
    app.addHook('onReady', async () => {
      for (const year of await app.db.select().from(calendarYears)) context.calendar.load(year);
      const recomputed = await computePendingDeadlines(app.db, context);
      if (recomputed > 0) app.log.info({ recomputed }, 'repair deadlines computed under the current rule');
      const common = {
        handle: app.database,
        cursorSchema: repairSchemaName,
        idleMs: settings.feedIdleMs,
        logger: app.log,
      };
      consumers.push([
        recordFeedName,
        await startConsumer({
          ...common,
          source: 'ingest',
          name: recordFeedName,
          apply: recordFeed(context),
        }),
      ]);
      consumers.push([
        sanctionsFeedName,
        await startConsumer({
          ...common,
          source: 'sanctions',
          name: sanctionsFeedName,
          types: followedSanctionsEvents,
          apply: sanctionsFeed(context),
        }),
      ]);
      for (const [name, consumer] of consumers) app.consumers.set(name, consumer);
      if (settings.expiryEveryMs > 0) {
        timer = setInterval(() => {
          runExpiry(app.db, context).catch((error: unknown) =>
            app.log.warn({ errorName: (error as Error).name }, 'display expiry failed; will retry'),
          );
        }, settings.expiryEveryMs);
      }
    });
    app.addHook('onClose', async () => {
      if (timer) clearInterval(timer);
      for (const [name, consumer] of consumers) {
        app.consumers.delete(name);
        await consumer.stop();
      }
    });
  },
  { name: 'repair-context', dependencies: ['credit-core'] },
);
