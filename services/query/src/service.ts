import type { ServiceDefinition } from '@credit/host';
import queryService, { queryMigrations } from './app.ts';

/** The query service as the host registers it. */
export const queryDefinition: ServiceDefinition = {
  name: 'query',
  migrations: queryMigrations,
  plugin: queryService,
};
