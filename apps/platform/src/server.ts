import { serve } from '@credit/host';
import { platformServices } from './services.ts';

// All services in one process on PORT; embedded PostgreSQL under DATA_DIR unless DATABASE_URL is set.
const { runtime, app } = await serve(platformServices);
if (runtime.devIssuer) {
  app.log.info(
    { issuer: runtime.devIssuer.issuer },
    'no AUTH_ISSUER configured: development issuer active; print a token with `npm run token -- --role admin --org credit-office`',
  );
}
