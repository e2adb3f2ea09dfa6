import { serve } from '@credit/host';
import { ingestDefinition } from './service.ts';

// The ingest service alone, against DATABASE_URL (or the embedded database under DATA_DIR).
await serve([ingestDefinition]);
