import { serve } from '@credit/host';
import { sanctionsDefinition } from './service.ts';

// The sanctions service alone, against DATABASE_URL; it reads the ingest feed from the same database.
await serve([sanctionsDefinition]);
