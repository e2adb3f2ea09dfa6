import { type RunningConsumer, startConsumer } from '@credit/events';
import { gradeEventTypes, ingestEventTypes, recordErasedType } from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { applyGradeEvents, gradeProjectionName } from '../consumers/grade-projection.ts';
import { applyIngestEvents, projectionName } from '../consumers/ingest-projection.ts';
import {
  applyOrganisationNameEvents,
  organisationNameProjectionName,
} from '../consumers/organisation-names.ts';
import {
  applyRepairEvents,
  queryFollowedRepairEvents,
  queryRepairFollowName,
} from '../consumers/repair-follow.ts';
import {
  applySanctionsEvents,
  listEventTypes,
  listProjectionName,
} from '../consumers/sanctions-projection.ts';
import { querySchemaName } from '../db/schema.ts';
import type { FileReaderContext } from '../domain/file-reader.ts';
import { createAccessLogRepository } from '../repositories/access-log-repository.ts';
import { createAuthorisationRepository } from '../repositories/authorisation-repository.ts';
import { createNameIndexRepository } from '../repositories/name-index-repository.ts';
import { createReadModelRepository } from '../repositories/read-model-repository.ts';
import { createRegistryRepository } from '../repositories/registry-repository.ts';

export interface QuerySettings {
  /** Requests per minute per client on the public disclosure route. */
  /** Overrides the platform's RATE_LIMIT_PUBLIC_PER_MINUTE for the disclosure route. */
  publicRateLimit?: number;
  /** Longest wait between feed polls when no notification arrives. */
  feedIdleMs: number;
  /** Whether to follow the sanctions feed for list status and grades (off where no sanctions service runs). */
  followSanctions: boolean;
}

function createQueryContext(app: FastifyInstance) {
  const context: FileReaderContext = {
    db: app.db,
    keyring: app.keyring,
    signer: app.signer,
    verifier: app.verifier,
    readModel: createReadModelRepository(app.db),
    registry: createRegistryRepository(app.db),
    authorisations: createAuthorisationRepository(app.db),
    accessLog: createAccessLogRepository(app.db),
  };
  return { ...context, nameIndex: createNameIndexRepository(app.db) };
}

export type QueryContext = ReturnType<typeof createQueryContext> & { settings: QuerySettings };

declare module 'fastify' {
  interface FastifyInstance {
    queryService: QueryContext;
  }
}

/**
 * The query service's repositories, and the consumer that keeps its read model current from the
 * ingest feed: started when the server is ready, stopped before the database closes.
 */
export default fp(
  async (app: FastifyInstance, settings: QuerySettings) => {
    app.decorate('queryService', { ...createQueryContext(app), settings });
    const consumers = new Map<string, RunningConsumer>();
    app.addHook('onReady', async () => {
      consumers.set(
        projectionName,
        await startConsumer({
          handle: app.database,
          source: 'ingest',
          cursorSchema: querySchemaName,
          name: projectionName,
          idleMs: settings.feedIdleMs,
          logger: app.log,
          apply: applyIngestEvents,
        }),
      );
      consumers.set(
        organisationNameProjectionName,
        await startConsumer({
          handle: app.database,
          source: 'ingest',
          cursorSchema: querySchemaName,
          name: organisationNameProjectionName,
          // Erasures too: a name only erased versions carried leaves the index.
          types: [...ingestEventTypes, recordErasedType],
          idleMs: settings.feedIdleMs,
          logger: app.log,
          apply: (tx, events) => applyOrganisationNameEvents(tx, events, app.keyring),
        }),
      );
      if (settings.followSanctions) {
        consumers.set(
          listProjectionName,
          await startConsumer({
            handle: app.database,
            source: 'sanctions',
            cursorSchema: querySchemaName,
            name: listProjectionName,
            types: listEventTypes,
            idleMs: settings.feedIdleMs,
            logger: app.log,
            apply: applySanctionsEvents,
          }),
        );
        consumers.set(
          gradeProjectionName,
          await startConsumer({
            handle: app.database,
            source: 'sanctions',
            cursorSchema: querySchemaName,
            name: gradeProjectionName,
            types: gradeEventTypes,
            idleMs: settings.feedIdleMs,
            logger: app.log,
            apply: applyGradeEvents,
          }),
        );
      }
      consumers.set(
        queryRepairFollowName,
        await startConsumer({
          handle: app.database,
          source: 'repair',
          cursorSchema: querySchemaName,
          name: queryRepairFollowName,
          types: queryFollowedRepairEvents,
          idleMs: settings.feedIdleMs,
          logger: app.log,
          apply: applyRepairEvents,
        }),
      );
      for (const [name, consumer] of consumers) app.consumers.set(name, consumer);
    });
    app.addHook('onClose', async () => {
      for (const [name, consumer] of consumers) {
        app.consumers.delete(name);
        await consumer.stop();
      }
    });
  },
  { name: 'query-context', dependencies: ['credit-core', 'credit-auth'] },
);
