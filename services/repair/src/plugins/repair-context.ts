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
import { repairSchemaName } from '../db/schema.ts';
import { missingYearDetail, watchCalendar } from '../domain/calendar-watch.ts';
import { countAwaiting } from '../domain/deadlines.ts';
import { runExpiry } from '../domain/expiry.ts';
import type { RepairContext } from '../domain/journal.ts';
import { computePendingDeadlines } from '../domain/repairs.ts';
import { createRepairStore } from '../repositories/repair-store.ts';

export interface RepairSettings {
  feedIdleMs: number;
  /** How often the display-expiry job runs; 0 disables it (tests run it on demand). */
  expiryEveryMs: number;
  /** Records whose display ended announced per transaction (default 1,000). */
  expiryPageSize?: number;
  /**
   * How often the calendar watch runs (years loaded elsewhere, deadlines awaiting them, the credit
   * office's warning of a missing year); it also runs at start. 0 leaves it to the start only.
   */
  calendarWatchMs: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    repair: RepairContext & { settings: RepairSettings };
  }
}

/** The repair service's context: its repositories, its calendar and its watch, its feeds, and the display-expiry job. */
export default fp(
  async (app: FastifyInstance, settings: RepairSettings) => {
    const context = {
      calendar: new WorkingDayCalendar([], app.calendarPolicy),
      clock: app.clock,
      store: createRepairStore(app.db),
      settings,
    };
    app.decorate('repair', context);
    const consumers: [string, RunningConsumer][] = [];
    const timers: NodeJS.Timeout[] = [];
    app.readinessWarnings.set('calendar_year_missing', () => {
      const missing = context.calendar.missingYears(context.clock());
      if (missing.length === 0) return undefined;
      return { code: 'calendar_year_missing', detail: missing.map(missingYearDetail).join('; ') };
    });
    app.metricRefreshers.push(async () => {
      const awaiting = await countAwaiting(context);
      app.metrics.awaitingCalendar.set({ kind: 'objection' }, awaiting.objection);
      app.metrics.awaitingCalendar.set({ kind: 'repair' }, awaiting.repair);
      app.metrics.calendarYearMissing.reset();
      for (const year of context.calendar.missingYears(context.clock()))
        app.metrics.calendarYearMissing.set({ year: String(year) }, 1);
    });
    app.addHook('onReady', async () => {
      for (const year of await context.store.calendarYears.loadedYears()) context.calendar.load(year);
      const recomputed = await computePendingDeadlines(app.db, context);
      if (recomputed > 0) app.log.info({ recomputed }, 'repair deadlines computed under the current rule');
      await watchCalendar(app.db, context);
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
        timers.push(
          setInterval(() => {
            runExpiry(app.db, context, settings.expiryPageSize).catch((error: unknown) =>
              app.log.warn({ errorName: (error as Error).name }, 'display expiry failed; will retry'),
            );
          }, settings.expiryEveryMs),
        );
      }
      if (settings.calendarWatchMs > 0) {
        timers.push(
          setInterval(() => {
            watchCalendar(app.db, context).catch((error: unknown) =>
              app.log.warn({ errorName: (error as Error).name }, 'calendar watch failed; will retry'),
            );
          }, settings.calendarWatchMs),
        );
      }
    });
    app.addHook('onClose', async () => {
      for (const timer of timers) clearInterval(timer);
      for (const [name, consumer] of consumers) {
        app.consumers.delete(name);
        await consumer.stop();
      }
    });
  },
  { name: 'repair-context', dependencies: ['credit-core'] },
);
