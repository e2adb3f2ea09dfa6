import { subjectIdentityCipherStore } from '@credit/events';
import type { ServiceDefinition } from '@credit/host';
import queryService, { queryMigrations } from './app.ts';
import { subjects } from './db/schema.ts';

/** The query service as the host registers it. */
export const queryDefinition: ServiceDefinition = {
  name: 'query',
  migrations: queryMigrations,
  plugin: queryService,
  cipherStores: [subjectIdentityCipherStore(subjects)],
};
