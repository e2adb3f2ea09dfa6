import { outboxPartitions } from '@credit/events';
import type { ServiceDefinition } from '@credit/host';
import repairService, { repairMigrations } from './app.ts';

/** The repair service as the host registers it. */
export const repairDefinition: ServiceDefinition = {
  name: 'repair',
  migrations: repairMigrations,
  // Partitioned, never detached: `npm run verify` rebuilds the repair decisions the read models serve
  // from every event of this feed (docs/scaling.md).
  partitions: () => [outboxPartitions('repair')],
  plugin: repairService,
};
