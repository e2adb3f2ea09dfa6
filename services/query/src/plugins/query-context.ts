import type { Database } from '@credit/db';
import { type RunningConsumer, startConsumer } from '@credit/events';
import { ReportRenderPool } from '@credit/report-document';
import {
  gradeEventTypes,
  industryEvaluationEventTypes,
  ingestEventTypes,
  intermediaryRegisteredType,
  recordErasedType,
} from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { applyGradeEvents, gradeProjectionName } from '../consumers/grade-projection.ts';
import { applyIngestEvents, projectionName } from '../consumers/ingest-projection.ts';
import {
  applyIntermediaryEvents,
  intermediaryEventTypes,
  intermediaryProjectionName,
} from '../consumers/intermediary-projection.ts';
import {
  applyOrganisationNameEvents,
  organisationNameProjectionName,
} from '../consumers/organisation-names.ts';
import {
  applyEvaluationMarks,
  applyRepairEvents,
  evaluationMarkEvents,
  evaluationMarksName,
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
import type { OpenDataOptions } from '../domain/open-data.ts';
import { OpenDataCuts } from '../domain/open-data-job.ts';
import type { ExchangeSettings } from '../exchange/domain/exchange-sender.ts';
import { createExchangeSender, startExchangeConsumers } from '../exchange/exchange-worker.ts';
import { createExchangeRepository } from '../exchange/repositories/exchange-repository.ts';
import { createAccessLogRepository } from '../repositories/access-log-repository.ts';
import { createAuthorisationRepository } from '../repositories/authorisation-repository.ts';
import { createNameIndexRepository } from '../repositories/name-index-repository.ts';
import { createOpenDataRepository } from '../repositories/open-data-repository.ts';
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
  /**
   * Worker threads that render report PDFs, off the event loop. Unset: as many as the host
   * allows (WORKER_THREADS), at least one.
   */
  reportRenderThreads?: number | undefined;
  /** PDF reports that may wait for a render thread; past that the route answers 503 `reports_busy`. */
  reportRenderQueue: number;
  /**
   * Start and warm the render threads with the service (the first report then costs what any
   * other does). Unset: as the host starts its other worker threads (not in tests, where most
   * applications never render a PDF; there the threads start at the first one).
   */
  reportRenderWarm?: boolean | undefined;
  /** The delivery ledger's sender (docs/exchange.md). */
  exchange: ExchangeSettings;
  /**
   * How often the open-data job looks whether today (Asia/Shanghai) is cut yet, and cuts it when
   * not; 0 turns the job off (tests cut with POST /v1/open-data/cuts).
   */
  openDataEveryMs: number;
  /** Batch, chunk and retention sizes of open-data cuts. */
  openData?: OpenDataOptions | undefined;
}

function createQueryContext(app: FastifyInstance, settings: QuerySettings) {
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
  const exchange = createExchangeRepository(app.db, app.keyring);
  const exchangeSender = createExchangeSender(
    app,
    {
      exchange,
      readModel: context.readModel,
      keyring: app.keyring,
      outbound: app.outbound,
      clock: app.clock,
      onOutcome: (outcome) => app.metrics.exchangeBatches.inc({ outcome }),
    },
    settings.exchange,
  );
  // The same index on the primary or a read replica (lag-tolerant public search).
  const nameIndexes = new WeakMap<Database, ReturnType<typeof createNameIndexRepository>>();
  const nameIndexOn = (db: Database) => {
    const known = nameIndexes.get(db);
    if (known) return known;
    const index = createNameIndexRepository(db);
    nameIndexes.set(db, index);
    return index;
  };
  const openData = createOpenDataRepository(app.db);
  const renderThreads = settings.reportRenderThreads ?? Math.max(1, app.threads?.count ?? 1);
  return {
    ...context,
    nameIndex: nameIndexOn(app.db),
    nameIndexOn,
    exchange,
    exchangeSender,
    openData,
    openDataCuts: new OpenDataCuts(
      { db: app.db, keyring: app.keyring, signer: app.signer, openData },
      settings.openData,
      app.log,
      app.clock,
    ),
    reportRenderer: new ReportRenderPool({
      threads: renderThreads,
      queueLimit: settings.reportRenderQueue,
      onLoad: ({ rendering, waiting }) => {
        app.metrics.reportRenders.set({ state: 'rendering' }, rendering);
        app.metrics.reportRenders.set({ state: 'waiting' }, waiting);
      },
    }),
  };
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
    const queryContext = createQueryContext(app, settings);
    app.decorate('queryService', { ...queryContext, settings });
    const consumers = new Map<string, RunningConsumer>();
    let openDataTimer: NodeJS.Timeout | undefined;
    app.addHook('onReady', async () => {
      if (settings.openDataEveryMs > 0) {
        // Outcomes are logged by the cuts themselves; a failed day is tried again next time.
        openDataTimer = setInterval(
          () => queryContext.openDataCuts.start(app.clock()),
          settings.openDataEveryMs,
        );
        openDataTimer.unref();
      }
      // Warmed beside the start rather than before readiness: from the TypeScript sources a
      // thread takes seconds to load and warm (compiled, tens of milliseconds), and a PDF asked
      // for meanwhile waits on the thread, never on the event loop.
      if (settings.reportRenderWarm ?? app.threads?.startWithService ?? false)
        queryContext.reportRenderer
          .start()
          .catch((error: unknown) => app.log.error({ err: error }, 'report render threads did not start'));
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
          // Erasures too: a name only erased versions carried leaves the index; and the names
          // intermediaries are registered under, found before any record carries them.
          types: [...ingestEventTypes, recordErasedType, intermediaryRegisteredType],
          idleMs: settings.feedIdleMs,
          logger: app.log,
          apply: (tx, events) => applyOrganisationNameEvents(tx, events, app.keyring),
        }),
      );
      consumers.set(
        intermediaryProjectionName,
        await startConsumer({
          handle: app.database,
          source: 'ingest',
          cursorSchema: querySchemaName,
          name: intermediaryProjectionName,
          types: intermediaryEventTypes,
          idleMs: settings.feedIdleMs,
          logger: app.log,
          apply: applyIntermediaryEvents,
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
            types: [...gradeEventTypes, ...industryEvaluationEventTypes],
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
      consumers.set(
        evaluationMarksName,
        await startConsumer({
          handle: app.database,
          source: 'repair',
          cursorSchema: querySchemaName,
          name: evaluationMarksName,
          types: evaluationMarkEvents,
          idleMs: settings.feedIdleMs,
          logger: app.log,
          apply: applyEvaluationMarks,
        }),
      );
      for (const [name, consumer] of await startExchangeConsumers(app, {
        idleMs: settings.feedIdleMs,
        followSanctions: settings.followSanctions,
      }))
        consumers.set(name, consumer);
      for (const [name, consumer] of consumers) app.consumers.set(name, consumer);
      // Secrets kept in clear before migrations/query/0025 are sealed before anything sends.
      const sealed = await queryContext.exchange.sealPlainSecrets();
      if (sealed > 0) app.log.info({ sealed }, 'exchange signing secrets kept in clear are sealed now');
      queryContext.exchangeSender.start();
    });
    app.addHook('onClose', async () => {
      await queryContext.exchangeSender.stop();
      if (openDataTimer) clearInterval(openDataTimer);
      await queryContext.openDataCuts.stop();
      for (const [name, consumer] of consumers) {
        app.consumers.delete(name);
        await consumer.stop();
      }
      await queryContext.reportRenderer.close();
    });
  },
  { name: 'query-context', dependencies: ['credit-core', 'credit-auth'] },
);
