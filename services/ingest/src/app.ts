import { platformIssuer } from '@credit/crypto';
import type { FastifyInstance } from 'fastify';
import erasurePlugin from './erasure/erasure-plugin.ts';
import ingestContext, { type IngestSettings } from './plugins/ingest-context.ts';
import { catalogueRoutes } from './routes/catalogue/catalogue-routes.ts';
import { consentRoutes } from './routes/consents/consent-routes.ts';
import { declarationRoutes } from './routes/intermediaries/declaration-routes.ts';
import { intermediaryRoutes } from './routes/intermediaries/intermediary-routes.ts';
import { providerRoutes } from './routes/providers/provider-routes.ts';
import { batchRoutes } from './routes/records/batch-routes.ts';
import { recordRoutes } from './routes/records/record-routes.ts';
import { subjectNameRoutes } from './routes/subjects/subject-name-routes.ts';
import transparencyPlugin from './transparency/transparency-plugin.ts';
import { transparencyRoutes } from './transparency/transparency-routes.ts';

export { ingestSchemaName } from './db/schema.ts';
export type { IngestSettings } from './plugins/ingest-context.ts';

export const defaultIngestSettings: IngestSettings = {
  batchChunkSize: 500,
  intakeThreadConnections: 2,
  maxBatchItems: 10_000,
  checkpointEveryMs: 10_000,
  transparencyOrigin: `${platformIssuer}/transparency`,
  logOtherFeeds: true,
  feedIdleMs: 500,
  retentionYears: 5,
  erasureEveryMs: 3_600_000,
};

/**
 * The ingest service as a Fastify plugin: the catalogue, the provider registry, record push
 * (single and batch), corrections, withdrawals and consents. It needs the platform core
 * (database, keyring, clock) and auth registered by its host; it runs alone (server.ts) or
 * inside the all-in-one server, unchanged.
 */
export default async function ingestService(app: FastifyInstance, settings: Partial<IngestSettings> = {}) {
  await app.register(ingestContext, { ...defaultIngestSettings, ...settings });
  await app.register(catalogueRoutes);
  await app.register(providerRoutes);
  await app.register(recordRoutes);
  await app.register(batchRoutes);
  await app.register(consentRoutes);
  await app.register(subjectNameRoutes);
  await app.register(intermediaryRoutes);
  await app.register(declarationRoutes);
  await app.register(transparencyPlugin);
  await app.register(transparencyRoutes);
  await app.register(erasurePlugin);
}

/** The migrations folders this service needs. */
export const ingestMigrations = ['ingest'] as const;
