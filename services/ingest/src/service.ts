import { outboxPartitions } from '@credit/events';
import type { ServiceDefinition } from '@credit/host';
import ingestService, { ingestMigrations } from './app.ts';
import { ingestCipherStores } from './repositories/cipher-stores.ts';

/** The ingest service as the host registers it. */
export const ingestDefinition: ServiceDefinition = {
  name: 'ingest',
  migrations: ingestMigrations,
  partitions: ({ outboxRetentionDays }) => [
    outboxPartitions('ingest', outboxRetentionDays),
    // Kept for ever: the next range of 2^24 leaves is created before the log reaches it.
    {
      schema: 'ingest',
      table: 'log_leaves',
      by: { kind: 'range', column: 'leaf_index', width: 16_777_216, ahead: 1 },
    },
  ],
  plugin: ingestService,
  cipherStores: ingestCipherStores,
};
