import type { Executor } from '@credit/db';
import { type FeedEvent, type RunningConsumer, startConsumer } from '@credit/events';
import { repairEventSchemas } from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { ingestSchemaName } from '../db/schema.ts';
import { orderErasure, runErasure } from './erasure.ts';

const upheldObjections = 'ingest-upheld-objections';

function takeOrders(now: () => Date) {
  return async (tx: Executor, events: FeedEvent[]): Promise<void> => {
    for (const event of events) {
      const { objectionId, targetType, targetId } = repairEventSchemas['objection.upheld'].parse(
        event.payload,
      );
      if (targetType === 'record') await orderErasure(tx, targetId, objectionId, now());
    }
  };
}

const runSchema = z.object({
  retentionExpired: z.number().int().describe('Records whose retention period ended, content erased'),
  objectionsUpheld: z.number().int().describe('Upheld objections carried out on the corrected record'),
  pending: z.number().int().describe('Upheld objections still waiting for the department’s correction'),
});

/**
 * Erasure: upheld objections against records arrive from the repair feed as orders; a job
 * (hourly, and on demand) carries them out and erases records past their retention period.
 */
export default fp(
  async (app: FastifyInstance) => {
    const { settings } = app.ingest;
    let consumer: RunningConsumer | undefined;
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<unknown> = Promise.resolve();
    const run = () =>
      runErasure(app.db, app.signer, { now: app.clock(), retentionYears: settings.retentionYears });

    app.post(
      '/v1/erasure-runs',
      {
        config: { auth: { roles: ['admin'] } },
        schema: {
          tags: ['records'],
          summary: 'Run the erasure job now (it also runs on a schedule)',
          description:
            'Erases the content of records whose retention period (years after the end of display) is over, and carries out upheld objections once the record is corrected. Each erasure leaves a signed tombstone in the transparency log.',
          response: { 200: runSchema },
        },
      },
      async () => run(),
    );

    app.addHook('onReady', async () => {
      if (settings.logOtherFeeds) {
        consumer = await startConsumer({
          handle: app.database,
          source: 'repair',
          cursorSchema: ingestSchemaName,
          name: upheldObjections,
          types: ['objection.upheld'],
          idleMs: settings.feedIdleMs,
          logger: app.log,
          apply: takeOrders(app.clock),
        });
        app.consumers.set(upheldObjections, consumer);
      }
      if (settings.erasureEveryMs > 0) {
        timer = setInterval(() => {
          running = run().catch((error: unknown) =>
            app.log.warn({ errorName: (error as Error).name }, 'erasure run failed; will retry'),
          );
        }, settings.erasureEveryMs);
        timer.unref();
      }
    });
    app.addHook('onClose', async () => {
      if (timer) clearInterval(timer);
      await running;
      if (consumer) {
        app.consumers.delete(upheldObjections);
        await consumer.stop();
      }
    });
  },
  { name: 'ingest-erasure', dependencies: ['credit-core', 'ingest-context'] },
);
