import { serve } from '@credit/host';
import { loadDemo } from './demo/first-start.ts';
import { platformServices } from './services.ts';

// All services in one process on PORT; embedded PostgreSQL under DATA_DIR unless DATABASE_URL is
// set. On first start with an empty embedded database the demo is loaded before listening.
const { runtime, app } = await serve(platformServices, (app, runtime, baseUrl) =>
  loadDemo(app, runtime, { force: false, baseUrl }),
);
if (runtime.devIssuer) {
  app.log.info(
    { issuer: runtime.devIssuer.issuer },
    'no AUTH_ISSUER configured: development issuer active; print a token with `npm run token -- --role admin --org credit-office`',
  );
}
