import type { ServiceDefinition } from '@credit/host';
import ingestService, { ingestMigrations } from './app.ts';

/** The ingest service as the host registers it. */
export const ingestDefinition: ServiceDefinition = {
  name: 'ingest',
  migrations: ingestMigrations,
  plugin: ingestService,
};
