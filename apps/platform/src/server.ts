import { serve } from '@credit/host';
import { loadDemo } from './demo/first-start.ts';
import { DemoClock } from './demo/history.ts';
import { platformServices } from './services.ts';

// All services in one process on PORT; embedded PostgreSQL under DATA_DIR unless DATABASE_URL is
// set. On first start with an empty embedded database the demo is loaded before listening.
// The demo replays its list procedures from months ago on a clock it sets back before listening.
const clock = new DemoClock();
const { runtime, app } = await serve(
  platformServices,
  (app, runtime, baseUrl) => loadDemo(app, runtime, { force: false, baseUrl, time: clock }),
  { clock: clock.now },
);
if (runtime.devIssuer) {
  app.log.info(
    { issuer: runtime.devIssuer.issuer },
    'no AUTH_ISSUER configured: development issuer active; print a token with `npm run token -- --role admin --org credit-office`',
  );
}
