import { type RunningConsumer, startConsumer } from '@credit/events';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ingestSchemaName } from '../db/schema.ts';
import { issueCheckpoint } from './checkpointer.ts';
import { logEvents, loggedFeeds } from './feed-intake.ts';

/**
 * Keeps the log whole and signed: follows the other services' feeds into it, and issues a
 * checkpoint on a schedule whenever the tree has grown.
 */
export default fp(
  async (app: FastifyInstance) => {
    const { settings } = app.ingest;
    const consumers: [string, RunningConsumer][] = [];
    let timer: NodeJS.Timeout | undefined;
    let issuing: Promise<unknown> = Promise.resolve();
    app.addHook('onReady', async () => {
      if (settings.logOtherFeeds) {
        for (const feed of loggedFeeds) {
          consumers.push([
            feed.name,
            await startConsumer({
              handle: app.database,
              source: feed.source,
              cursorSchema: ingestSchemaName,
              name: feed.name,
              types: feed.types,
              idleMs: settings.feedIdleMs,
              logger: app.log,
              apply: logEvents(feed.source, app.clock),
            }),
          ]);
        }
      }
      for (const [name, consumer] of consumers) app.consumers.set(name, consumer);
      if (settings.checkpointEveryMs > 0) {
        timer = setInterval(() => {
          issuing = issueCheckpoint(app.db, app.signer, settings.transparencyOrigin, app.clock()).catch(
            (error: unknown) =>
              app.log.warn({ errorName: (error as Error).name }, 'checkpoint not issued; will retry'),
          );
        }, settings.checkpointEveryMs);
        timer.unref();
      }
    });
    app.addHook('onClose', async () => {
      if (timer) clearInterval(timer);
      await issuing;
      for (const [name, consumer] of consumers) {
        app.consumers.delete(name);
        await consumer.stop();
      }
    });
  },
  { name: 'ingest-transparency', dependencies: ['credit-core', 'ingest-context'] },
);
