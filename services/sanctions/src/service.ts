import { subjectIdentityCipherStore } from '@credit/events';
import type { ServiceDefinition } from '@credit/host';
import sanctionsService, { sanctionsMigrations } from './app.ts';
import { subjects } from './db/schema.ts';

/** The sanctions service as the host registers it. */
export const sanctionsDefinition: ServiceDefinition = {
  name: 'sanctions',
  migrations: sanctionsMigrations,
  plugin: sanctionsService,
  cipherStores: [subjectIdentityCipherStore(subjects)],
};
