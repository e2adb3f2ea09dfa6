/**
 * The load generator, run as its own process so the server under test does not share an event
 * loop with it: autocannon against one route, rotating through many paths (or bodies) so no
 * single subject is measured. Reads its plan as JSON from argv[2]; prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

interface Plan {
  url: string;
  method: 'GET' | 'POST';
  /** A file with one path per line (GET) or one JSON body per line (POST to `path`). */
  variants: string;
  path?: string;
  token?: string;
  /** Further request headers (e.g. `accept: application/pdf`). */
  headers?: Record<string, string>;
  connections: number;
  durationSeconds: number;
}

const plan = JSON.parse(process.argv[2] ?? '{}') as Plan;
const variants = readFileSync(plan.variants, 'utf8').split('\n').filter(Boolean);
let next = 0;
const headers: Record<string, string> = {
  ...plan.headers,
  ...(plan.token ? { authorization: `Bearer ${plan.token}` } : {}),
};
if (plan.method === 'POST') headers['content-type'] = 'application/json';

const result = await autocannon({
  url: plan.url,
  connections: plan.connections,
  duration: plan.durationSeconds,
  headers,
  requests: [
    {
      method: plan.method,
      setupRequest: (request) => {
        const variant = variants[next++ % variants.length] as string;
        if (plan.method === 'GET') return { ...request, path: variant };
        return { ...request, path: plan.path ?? '/', body: variant };
      },
    },
  ],
});
process.stdout.write(
  `${JSON.stringify({
    rps: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  })}\n`,
);
