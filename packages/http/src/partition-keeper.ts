import { keepPartitions, listPartitions, type PartitionedTable, type PartitionUpkeep } from '@credit/db';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';

const upkeepSchema = z.object({
  table: z.string(),
  created: z.array(z.string()),
  detached: z.array(z.string()),
  notCreated: z
    .array(z.object({ partition: z.string(), reason: z.string() }))
    .describe('Partitions due (this month or one ahead) that could not be created, and why'),
  held: z
    .array(z.object({ partition: z.string(), reason: z.string() }))
    .describe('Partitions past retention that were not detached, and why'),
});

const partitionsSchema = z.object({
  tables: z.array(
    z.object({
      table: z.string(),
      partitions: z.array(
        z.object({ name: z.string(), from: z.string().nullable(), to: z.string().nullable() }),
      ),
    }),
  ),
});

declare module 'fastify' {
  interface FastifyInstance {
    /** Creates the partitions due and detaches those retention lets go (docs/scaling.md). */
    keepPartitions(): Promise<PartitionUpkeep[]>;
  }
}

/**
 * The partition keeper: on start and then every `everyMs`, each partitioned table of the
 * services in this process gets its partitions ahead and loses the whole partitions its
 * retention lets go. What it could not do is logged and tried again on the next run.
 */
export const partitionKeeper = fp(
  async (app: FastifyInstance, options: { tables: readonly PartitionedTable[]; everyMs: number }) => {
    let running: Promise<PartitionUpkeep[]> | undefined;
    // Rows of a month with no partition go to the default partition and are still served, so a
    // month the keeper could not create leaves the instance ready, with a warning to act on.
    let notCreated: string[] = [];
    app.readinessWarnings.set('partitions', () =>
      notCreated.length === 0
        ? undefined
        : {
            code: 'partition_not_created',
            detail: `${notCreated.length} partition(s) could not be created: ${notCreated.slice(0, 3).join('; ')}`,
          },
    );
    async function run(): Promise<PartitionUpkeep[]> {
      const upkeeps: PartitionUpkeep[] = [];
      for (const table of options.tables) {
        const upkeep = await keepPartitions(app.db, table, app.clock());
        if (upkeep.created.length > 0 || upkeep.detached.length > 0)
          app.log.info(
            { table: upkeep.table, created: upkeep.created, detached: upkeep.detached },
            'partitions kept',
          );
        for (const missing of upkeep.notCreated)
          app.log.warn(
            { table: upkeep.table, partition: missing.partition, reason: missing.reason },
            'partition not created',
          );
        for (const held of upkeep.held)
          app.log.warn(
            { table: upkeep.table, partition: held.partition, reason: held.reason },
            'partition held',
          );
        upkeeps.push(upkeep);
      }
      notCreated = upkeeps.flatMap((u) => u.notCreated.map((m) => `${u.table} ${m.partition} (${m.reason})`));
      return upkeeps;
    }
    // One run at a time: the timer and an operator's request share it.
    function keep(): Promise<PartitionUpkeep[]> {
      running ??= run().finally(() => {
        running = undefined;
      });
      return running;
    }
    app.decorate('keepPartitions', keep);

    let timer: NodeJS.Timeout | undefined;
    app.addHook('onReady', async () => {
      if (options.tables.length === 0 || options.everyMs <= 0) return;
      const tick = () =>
        void keep().catch((error: unknown) =>
          app.log.warn({ errorName: (error as Error).name }, 'partition upkeep failed; will retry'),
        );
      tick();
      timer = setInterval(tick, options.everyMs);
      timer.unref();
    });
    app.addHook('onClose', async () => {
      if (timer) clearInterval(timer);
      await running?.catch(() => undefined);
    });

    app.get(
      '/v1/operations/partitions',
      {
        config: { auth: { roles: ['admin'] } },
        schema: {
          tags: ['operations'],
          summary: 'The partitions of the append-only tables (outboxes, access log, log leaves)',
          response: { 200: partitionsSchema },
        },
      },
      async () => ({
        tables: await Promise.all(
          options.tables.map(async (table) => ({
            table: `${table.schema}.${table.table}`,
            partitions: (await listPartitions(app.db, table.schema, table.table)).map(
              ({ name, from, to }) => ({
                name,
                from,
                to,
              }),
            ),
          })),
        ),
      }),
    );

    app.post(
      '/v1/operations/partitions/upkeep',
      {
        config: { auth: { roles: ['admin'] } },
        schema: {
          tags: ['operations'],
          summary: 'Create the partitions due and detach those retention lets go, now',
          description:
            'What the partition keeper does on its schedule (PARTITION_KEEPER_EVERY_MS); held lists what it could not do and why.',
          response: { 200: z.object({ tables: z.array(upkeepSchema) }) },
        },
      },
      async () => ({ tables: await keep() }),
    );
  },
  { name: 'partition-keeper', dependencies: ['credit-core'] },
);
