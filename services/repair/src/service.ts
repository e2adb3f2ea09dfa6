import type { ServiceDefinition } from '@credit/host';
import repairService, { repairMigrations } from './app.ts';

/** The repair service as the host registers it. */
export const repairDefinition: ServiceDefinition = {
  name: 'repair',
  migrations: repairMigrations,
  plugin: repairService,
};
