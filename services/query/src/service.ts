import { outboxPartitions, subjectIdentityCipherStore } from '@credit/events';
import type { ServiceDefinition } from '@credit/host';
import queryService, { queryMigrations } from './app.ts';
import { receiverSecrets, subjects } from './db/schema.ts';

/** The query service as the host registers it. */
export const queryDefinition: ServiceDefinition = {
  name: 'query',
  migrations: queryMigrations,
  partitions: ({ outboxRetentionDays }) => [
    outboxPartitions('query', outboxRetentionDays),
    // No rule lets 查询使用登记 go yet, so its months are only created ahead.
    { schema: 'query', table: 'access_log', by: { kind: 'month', ahead: 3 } },
  ],
  plugin: queryService,
  cipherStores: [subjectIdentityCipherStore(subjects), receiverSecrets],
};
