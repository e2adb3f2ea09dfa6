import { pendingMigrations } from '@credit/db';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { retryAfterSeconds } from './problem-handler.ts';

/** A consumer this many failures in a row makes the process not ready. */
const stuckFailures = 3;

const readySchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({
    database: z.boolean(),
    migrations: z.object({ pending: z.array(z.string()) }),
    consumers: z.array(
      z.object({
        name: z.string(),
        lagSeconds: z.number().nullable(),
        consecutiveFailures: z.number(),
        stuck: z.boolean(),
      }),
    ),
  }),
});

/**
 * `/ready` (database reachable, migrations applied, event consumers not stuck) and Prometheus
 * `/metrics`. Request durations are recorded by route pattern, never by URL.
 */
export async function operationsRoutes(
  app: FastifyInstance,
  options: {
    migrationFolders: readonly string[];
    /** A consumer whose first unapplied event is older than this is stuck. */
    consumerStuckAfterMs: number;
  },
) {
  const stuckLagSeconds = options.consumerStuckAfterMs / 1000;
  async function consumerStates() {
    return Promise.all(
      [...app.consumers.entries()].map(async ([name, consumer]) => {
        const status = consumer.status();
        const lagSeconds = await consumer.lagSeconds().catch(() => null);
        app.metrics.consumerFailures.set({ consumer: name }, status.consecutiveFailures);
        if (lagSeconds !== null) app.metrics.consumerLag.set({ consumer: name }, lagSeconds);
        return {
          name,
          lagSeconds,
          consecutiveFailures: status.consecutiveFailures,
          stuck: status.consecutiveFailures >= stuckFailures || (lagSeconds ?? 0) > stuckLagSeconds,
        };
      }),
    );
  }

  app.get(
    '/ready',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'Readiness: database reachable, migrations applied, event consumers not stuck',
        response: { 200: readySchema, 503: readySchema },
      },
    },
    async (_request, reply) => {
      const database = await app.database.ping();
      const pending = database
        ? await pendingMigrations(app.database, app.migrationsDir, options.migrationFolders).catch(() => [
            'unknown',
          ])
        : ['unknown'];
      const consumers = database ? await consumerStates() : [];
      const ready = database && pending.length === 0 && !consumers.some((c) => c.stuck);
      reply.code(ready ? 200 : 503);
      if (!ready) reply.header('retry-after', String(retryAfterSeconds));
      return {
        status: ready ? ('ready' as const) : ('not_ready' as const),
        checks: { database, migrations: { pending }, consumers },
      };
    },
  );

  app.get(
    '/metrics',
    {
      config: { auth: 'public' },
      schema: { tags: ['operations'], summary: 'Prometheus metrics (text exposition format)' },
    },
    async (_request, reply) => {
      if (await app.database.ping()) await consumerStates().catch(() => undefined);
      reply.type(app.metrics.registry.contentType);
      return app.metrics.registry.metrics();
    },
  );
}
