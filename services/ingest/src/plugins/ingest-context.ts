import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createRecordIntake } from '../domain/record-intake.ts';
import { createConsentRepository } from '../repositories/consent-repository.ts';
import { createProviderRepository } from '../repositories/provider-repository.ts';
import { createRecordRepository } from '../repositories/record-repository.ts';
import { createStatisticsRepository } from '../repositories/statistics-repository.ts';

export interface IngestSettings {
  /** Records written per transaction in a batch. */
  batchChunkSize: number;
  maxBatchItems: number;
  batchBodyLimit: number;
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

function createIngestContext(app: FastifyInstance, settings: IngestSettings) {
  return {
    settings,
    providers: createProviderRepository(app.db),
    records: createRecordRepository(app.db, app.keyring),
    consents: createConsentRepository(app.db),
    statistics: createStatisticsRepository(app.db),
    intake: createRecordIntake(app.db, app.keyring, (outcome, code) =>
      app.metrics.records.inc({ outcome, code }),
    ),
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
    app.decorate('ingest', createIngestContext(app, settings));
  },
  { name: 'ingest-context', dependencies: ['credit-core'], encapsulate: false },
);
