import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createRecordIntake, type OutcomeCounter } from '../domain/record-intake.ts';
import { type BatchRunner, IntakeThreadPool, inlineRunner } from '../intake-threads/batch-runner.ts';
import { createConsentRepository } from '../repositories/consent-repository.ts';
import { createDeclarationRepository } from '../repositories/declaration-repository.ts';
import { createIntermediaryRepository } from '../repositories/intermediary-repository.ts';
import { createProviderRepository } from '../repositories/provider-repository.ts';
import { createRecordRepository } from '../repositories/record-repository.ts';
import { createStatisticsRepository } from '../repositories/statistics-repository.ts';
import { createSubjectNameRepository } from '../repositories/subject-name-repository.ts';

export interface IngestSettings {
  /** Records written per transaction in a batch. */
  batchChunkSize: number;
  /**
   * Worker threads that process batch chunks (parse, validate, key, seal, encrypt, write), each
   * with its own connections; 0 processes them in the request's thread. Unset: as many as the
   * host allows (WORKER_THREADS). Embedded PGlite always processes them in the request's
   * thread, since only the thread that opened it can reach it.
   */
  intakeThreads?: number | undefined;
  /** Connections of each intake thread's own pool. */
  intakeThreadConnections: number;
  maxBatchItems: number;
  /** How often the transparency log is signed when it has grown; 0 disables the job. */
  checkpointEveryMs: number;
  /** The name checkpoints carry, so clients never mix up two logs. */
  transparencyOrigin: string;
  /** Whether to log the query, sanctions and repair feeds (off where those services do not run). */
  logOtherFeeds: boolean;
  /** Longest wait between feed polls when no notification arrives. */
  feedIdleMs: number;
  /** Years a record's content is kept after its display period ends, then erased. */
  retentionYears: number;
  /** How often the erasure job runs; 0 disables the schedule (POST /v1/erasure-runs still works). */
  erasureEveryMs: number;
}

function batchRunnerOf(app: FastifyInstance, settings: IngestSettings): BatchRunner {
  const threads = settings.intakeThreads ?? app.threads?.count ?? 0;
  if (threads > 0 && app.threads) {
    return new IntakeThreadPool(threads, {
      bootstrap: app.threads,
      poolSize: settings.intakeThreadConnections,
      checkpointEveryMs: settings.checkpointEveryMs,
    });
  }
  return inlineRunner(createRecordIntake(app.db, app.keyring), settings.checkpointEveryMs);
}

function createIngestContext(app: FastifyInstance, settings: IngestSettings) {
  const count: OutcomeCounter = (outcome, code) => app.metrics.records.inc({ outcome, code });
  return {
    settings,
    providers: createProviderRepository(app.db),
    records: createRecordRepository(app.db, app.keyring),
    consents: createConsentRepository(app.db),
    statistics: createStatisticsRepository(app.db),
    subjectNames: createSubjectNameRepository(app.db, app.keyring),
    intermediaries: createIntermediaryRepository(app.db, app.keyring),
    declarations: createDeclarationRepository(app.db),
    intake: createRecordIntake(app.db, app.keyring, count),
    /** Batches: chunks answered where the runner processes them, counted here as they return. */
    batches: batchRunnerOf(app, settings),
    count,
  };
}

export type IngestContext = ReturnType<typeof createIngestContext>;

declare module 'fastify' {
  interface FastifyInstance {
    ingest: IngestContext;
  }
}

/** The ingest service's repositories, visible to its own routes only (the service plugin is encapsulated). */
export default fp(
  async (app: FastifyInstance, settings: IngestSettings) => {
    const context = createIngestContext(app, settings);
    app.decorate('ingest', context);
    // A server starts its threads with the service, so its first batch does not wait for them
    // to load (about a second of CPU each); tests start them at first use.
    if (app.threads?.startWithService) app.addHook('onReady', async () => context.batches.start());
    app.addHook('onClose', async () => context.batches.close());
  },
  { name: 'ingest-context', dependencies: ['credit-core'], encapsulate: false },
);
