import { outboxPartitions, subjectIdentityCipherStore } from '@credit/events';
import type { ServiceDefinition } from '@credit/host';
import sanctionsService, { sanctionsMigrations } from './app.ts';
import { subjects, webhookSecrets } from './db/schema.ts';

/** The sanctions service as the host registers it. */
export const sanctionsDefinition: ServiceDefinition = {
  name: 'sanctions',
  migrations: sanctionsMigrations,
  // Partitioned, never detached: `npm run verify` rebuilds the list decisions the read models serve
  // from every event of this feed (docs/scaling.md).
  partitions: () => [outboxPartitions('sanctions')],
  plugin: sanctionsService,
  cipherStores: [subjectIdentityCipherStore(subjects), webhookSecrets],
};
