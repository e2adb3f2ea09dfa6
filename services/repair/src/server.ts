import { serve } from '@credit/host';
import { repairDefinition } from './service.ts';

// The repair service alone, against DATABASE_URL; it reads the ingest and sanctions feeds from the same database.
await serve([repairDefinition]);
