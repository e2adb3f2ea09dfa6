import type { ServiceDefinition } from '@credit/host';
import { ingestDefinition } from '@credit/ingest/service';
import { queryDefinition } from '@credit/query/service';
import { repairDefinition } from '@credit/repair/service';
import { sanctionsDefinition } from '@credit/sanctions/service';

/** The services the all-in-one server runs, in registration order. */
export const platformServices: readonly ServiceDefinition[] = [
  ingestDefinition,
  queryDefinition,
  sanctionsDefinition,
  repairDefinition,
];
