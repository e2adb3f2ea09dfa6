import { serve } from '@credit/host';
import { queryDefinition } from './service.ts';

// The query service alone, against DATABASE_URL; it reads the ingest feed from the same database.
await serve([queryDefinition]);
