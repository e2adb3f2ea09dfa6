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
    warnings: z
      .array(z.object({ code: z.string(), detail: z.string() }))
      .describe(
        'Conditions an operator must act on that leave the instance ready (e.g. calendar_year_missing)',
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

  function readinessWarnings() {
    return [...app.readinessWarnings.values()].flatMap((warning) => warning() ?? []);
  }

  app.get(
    '/ready',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'Readiness: database reachable, migrations applied, event consumers not stuck',
        description:
          '`checks.warnings` lists what an operator must act on without taking the instance out of service (e.g. `calendar_year_missing`).',
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
      // A consumer that failed while the database was away sleeps up to 2 s before it tries
      // again; the database answering now is reason enough to try at once, so that readiness
      // follows the database back within a poll or two rather than a backoff later.
      if (database)
        for (const consumer of app.consumers.values())
          if (consumer.status().consecutiveFailures > 0) consumer.wake();
      const consumers = database ? await consumerStates() : [];
      const ready = database && pending.length === 0 && !consumers.some((c) => c.stuck);
      reply.code(ready ? 200 : 503);
      if (!ready) reply.header('retry-after', String(retryAfterSeconds));
      return {
        status: ready ? ('ready' as const) : ('not_ready' as const),
        checks: { database, migrations: { pending }, consumers, warnings: readinessWarnings() },
      };
    },
  );

  app.get(
    '/metrics',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics (text exposition format)',
        response: {
          200: {
            description: 'The metrics, in the Prometheus text exposition format',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    async (_request, reply) => {
      if (await app.database.ping()) {
        await consumerStates().catch(() => undefined);
        await Promise.all(app.metricRefreshers.map((refresh) => refresh().catch(() => undefined)));
      }
      reply.type(app.metrics.registry.contentType);
      return app.metrics.registry.metrics();
    },
  );
}
