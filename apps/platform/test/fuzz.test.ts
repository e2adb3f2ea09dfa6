import type { Role } from '@credit/auth';
import { errorCodes } from '@credit/errors';
import { type FuzzTarget, fc, requestArbitrary } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allowedRoles,
  buildRouteWorld,
  callFor,
  loggedCause,
  operationOf,
  pathValuesOf,
  providerOrg,
  type RouteWorld,
} from './support/route-world.ts';

/** `npm test` runs 2,000 cases; `npm run fuzz` runs FUZZ_CASES of them (10,000 unless set). FUZZ_SEED replays a run. */
const cases = Number(process.env.FUZZ_CASES ?? 2000);
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2_147_483_647);
// Every fuzz request is sent with plenty of time per case: on two shared cores a case can wait.
const timeout = 60_000 + cases * 100;

let world: RouteWorld;

beforeAll(async () => {
  // The fuzzer sends thousands of requests from one address and one org: limits are for callers, not for it.
  world = await buildRouteWorld({
    RATE_LIMIT_PUBLIC_PER_MINUTE: '1000000',
    RATE_LIMIT_CHECKS_PER_MINUTE: '1000000',
    RATE_LIMIT_LISTING_PER_MINUTE: '1000000',
  });
}, 120_000);
afterAll(async () => world?.platform.close());

/** Each route once per role it allows (public routes: anonymous), with the call that reaches it. */
function targets(): FuzzTarget[] {
  return world.platform.app.routeAccess.flatMap((route) => {
    const callers: (Role | undefined)[] = route.auth === 'public' ? [undefined] : [...allowedRoles(route)];
    return callers.map((role) => {
      const { headers } = callFor(world, route, role);
      delete headers['content-type'];
      return {
        method: route.method,
        url: route.url,
        operation: operationOf(world, route),
        pathValues: pathValuesOf(world, route),
        headers,
      } as FuzzTarget;
    });
  });
}

describe('fuzzing every route', () => {
  it(
    `answers ${cases} generated requests without a 5xx, every refusal a problem document with a code`,
    async () => {
      const knownStrings = [
        world.person.id,
        world.organisation.id,
        world.agencyUscc,
        providerOrg,
        'org_licence',
        'administrative_penalty',
        'demo-court-debtors',
        'restrict_fiscal_funding',
        'public_tender',
        'loan',
      ];
      const all = targets();
      const arbitrary = fc
        .integer({ min: 0, max: all.length - 1 })
        .chain((index) =>
          requestArbitrary(all[index] as FuzzTarget, { knownStrings }).map((request) => ({ index, request })),
        );
      const statuses = new Map<string, number>();
      const failures = new Map<string, string>();
      let sent = 0;
      await fc.assert(
        fc.asyncProperty(arbitrary, async ({ index, request }) => {
          const target = all[index] as FuzzTarget;
          const response = await world.platform.app.inject({
            method: request.method as 'GET',
            url: request.url,
            headers: request.headers,
            ...(request.payload !== undefined ? { payload: request.payload } : {}),
          });
          sent++;
          const klass = `${Math.floor(response.statusCode / 100)}xx`;
          statuses.set(klass, (statuses.get(klass) ?? 0) + 1);
          const where = `${target.method} ${target.url}`;
          let problem: string | undefined;
          if (response.statusCode >= 500) problem = `${response.statusCode}: ${loggedCause(world, response)}`;
          else if (response.statusCode >= 400) {
            if (!String(response.headers['content-type']).startsWith('application/problem+json'))
              problem = `${response.statusCode} as ${response.headers['content-type']}`;
            else {
              const code = (response.json() as { code?: string }).code;
              if (!code || !(errorCodes as string[]).includes(code))
                problem = `${response.statusCode} without a catalogue code`;
            }
          }
          if (problem && !failures.has(`${where} ${problem}`)) {
            const shown = `${request.method} ${request.url.slice(0, 200)} ${request.headers['content-type'] ?? ''} ${(request.payload ?? '').slice(0, 200)}`;
            failures.set(`${where} ${problem}`, shown);
          }
        }),
        { numRuns: cases, seed, endOnFailure: true },
      );
      console.log(
        `fuzz: ${sent} requests over ${all.length} route×role targets (seed ${seed}): ${[...statuses]
          .sort()
          .map(([k, n]) => `${k} ${n}`)
          .join(', ')}; ${failures.size} distinct failures`,
      );
      for (const [failure, request] of failures) console.log(`  ${failure}\n    ${request}`);
      expect([...failures.keys()]).toEqual([]);
    },
    timeout,
  );
});
