import { WorkingDayCalendar } from '@credit/calendar';
import { sealSigningSecret } from '@credit/crypto';
import { type RunningConsumer, startConsumer } from '@credit/events';
import { eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ingestProjection, recordProjectionName } from '../consumers/ingest-projection.ts';
import {
  applyIntermediaryRegistrations,
  followedRegistrationEvents,
  intermediaryRegistrationsName,
} from '../consumers/intermediary-registrations.ts';
import { followedRepairEvents, repairFollow, repairFollowName } from '../consumers/repair-follow.ts';
import { calendarYears, listEntries, sanctionsSchemaName, webhookSecrets } from '../db/schema.ts';
import { runDailyPassIfDue } from '../domain/daily-pass.ts';
import type { ProcedureContext } from '../domain/entry-writer.ts';
import { ListingCache, listingCacheName } from '../domain/listing-cache.ts';
import { createSanctionsStore } from '../repositories/sanctions-store.ts';
import {
  dispatchListingChanges,
  listingChangeTypes,
  type SenderSettings,
  sendDueDeliveries,
  webhookDispatchName,
} from '../workers/webhooks.ts';

export interface SanctionsSettings {
  feedIdleMs: number;
  webhooks: SenderSettings & { pollMs: number };
  /** How often to look whether the daily pass is due; 0 disables the schedule (tests run it on demand). */
  dailyCheckMs: number;
  maxBatchSubjects: number;
}

export interface SanctionsContext extends ProcedureContext {
  settings: SanctionsSettings;
  /** Published entries and measures in memory, kept current from this service's feed. */
  listing: ListingCache;
  /** Sends due webhook deliveries now (the loop does it on its own schedule). */
  sendWebhooks(): Promise<number>;
}

declare module 'fastify' {
  interface FastifyInstance {
    sanctions: SanctionsContext;
  }
}

/**
 * The sanctions service's context and background work: the record projection (which also
 * re-evaluates rules), the intermediaries' registrations, the webhook dispatcher and sender, and the daily pass. Background work
 * starts when the server is ready and stops before the database closes.
 */
export default fp(
  async (app: FastifyInstance, settings: SanctionsSettings) => {
    const context: SanctionsContext = {
      keyring: app.keyring,
      calendar: new WorkingDayCalendar([], app.calendarPolicy),
      clock: app.clock,
      store: createSanctionsStore(app.db),
      settings,
      listing: new ListingCache(app.database, settings.feedIdleMs, app.log),
      sendWebhooks: () =>
        sendDueDeliveries(app.db, app.keyring, app.outbound, settings.webhooks, app.clock, (outcome) =>
          app.metrics.webhookDeliveries.inc({ outcome }),
        ),
    };
    app.decorate('sanctions', context);
    app.metricRefreshers.push(async () => {
      const [row] = await app.db
        .select({ waiting: sql<number>`count(*)::int` })
        .from(listEntries)
        .where(eq(listEntries.status, 'awaiting_calendar'));
      app.metrics.awaitingCalendar.set({ kind: 'list_entry' }, row?.waiting ?? 0);
    });
    const consumers: RunningConsumer[] = [];
    const timers: NodeJS.Timeout[] = [];
    let sending: Promise<unknown> = Promise.resolve();

    app.addHook('onReady', async () => {
      // Secrets kept in clear before migrations/sanctions/0015 are sealed before anything sends.
      const sealed = await webhookSecrets.sealPlain(app.db, (owner, secret) =>
        sealSigningSecret(app.keyring, owner, secret),
      );
      if (sealed > 0) app.log.info({ sealed }, 'webhook signing secrets kept in clear are sealed now');
      for (const year of await app.db.select().from(calendarYears)) context.calendar.load(year);
      await context.listing.start();
      consumers.push(context.listing);
      app.consumers.set(listingCacheName, context.listing);
      const projection = await startConsumer({
        handle: app.database,
        source: 'ingest',
        cursorSchema: sanctionsSchemaName,
        name: recordProjectionName,
        idleMs: settings.feedIdleMs,
        logger: app.log,
        apply: ingestProjection(context),
      });
      const dispatcher = await startConsumer({
        handle: app.database,
        source: sanctionsSchemaName,
        cursorSchema: sanctionsSchemaName,
        name: webhookDispatchName,
        types: listingChangeTypes,
        idleMs: settings.feedIdleMs,
        logger: app.log,
        apply: dispatchListingChanges,
      });
      const repairs = await startConsumer({
        handle: app.database,
        source: 'repair',
        cursorSchema: sanctionsSchemaName,
        name: repairFollowName,
        types: followedRepairEvents,
        idleMs: settings.feedIdleMs,
        logger: app.log,
        apply: repairFollow(context),
      });
      const registrations = await startConsumer({
        handle: app.database,
        source: 'ingest',
        cursorSchema: sanctionsSchemaName,
        name: intermediaryRegistrationsName,
        types: followedRegistrationEvents,
        idleMs: settings.feedIdleMs,
        logger: app.log,
        apply: applyIntermediaryRegistrations,
      });
      consumers.push(projection, dispatcher, repairs, registrations);
      app.consumers.set(recordProjectionName, projection);
      app.consumers.set(intermediaryRegistrationsName, registrations);
      app.consumers.set(webhookDispatchName, dispatcher);
      app.consumers.set(repairFollowName, repairs);
      timers.push(
        setInterval(() => {
          sending = sending
            .then(() => context.sendWebhooks())
            .catch((error: unknown) =>
              app.log.warn({ errorName: (error as Error).name }, 'webhook sending failed; will retry'),
            );
        }, settings.webhooks.pollMs),
      );
      if (settings.dailyCheckMs > 0) {
        timers.push(
          setInterval(() => {
            runDailyPassIfDue(app.db, context).catch((error: unknown) =>
              app.log.warn({ errorName: (error as Error).name }, 'daily pass failed; will retry'),
            );
          }, settings.dailyCheckMs),
        );
      }
    });
    app.addHook('onClose', async () => {
      for (const timer of timers) clearInterval(timer);
      await sending;
      app.consumers.delete(recordProjectionName);
      app.consumers.delete(webhookDispatchName);
      app.consumers.delete(repairFollowName);
      app.consumers.delete(intermediaryRegistrationsName);
      app.consumers.delete(listingCacheName);
      for (const consumer of consumers) await consumer.stop();
    });
  },
  { name: 'sanctions-context', dependencies: ['credit-core'] },
);
