import type { ServiceDefinition } from '@credit/host';
import ingestService, { ingestMigrations } from './app.ts';
import { ingestCipherStores } from './repositories/cipher-stores.ts';

/** The ingest service as the host registers it. */
export const ingestDefinition: ServiceDefinition = {
  name: 'ingest',
  migrations: ingestMigrations,
  plugin: ingestService,
  cipherStores: ingestCipherStores,
};
