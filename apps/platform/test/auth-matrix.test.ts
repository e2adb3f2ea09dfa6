import { type Role, roles } from '@credit/auth';
import { errorCodes } from '@credit/errors';
import type { RouteAccess } from '@credit/http';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InvalidTokenKind, invalidTokenKinds, tokenForger } from './support/forged-tokens.ts';
import {
  allowedRoles,
  buildRouteWorld,
  callFor,
  governmentOrg,
  loggedCause,
  operationOf,
  type RouteWorld,
} from './support/route-world.ts';

let world: RouteWorld;
let forge: Awaited<ReturnType<typeof tokenForger>>;

beforeAll(async () => {
  world = await buildRouteWorld();
  const { verifier, env } = world.platform.runtime;
  forge = await tokenForger(env.DATA_DIR, verifier.issuer, verifier.audience);
}, 120_000);
afterAll(async () => world?.platform.close());

const label = (route: RouteAccess) => `${route.method} ${route.url}`;

function send(route: RouteAccess, role: Role | undefined, authorization?: string) {
  const call = callFor(world, route, role);
  if (authorization !== undefined) call.headers.authorization = authorization;
  return world.platform.app.inject({
    method: call.method as 'GET',
    url: call.url,
    headers: call.headers,
    ...(call.payload !== undefined ? { payload: call.payload } : {}),
  });
}

/** Why a refusal is not the one expected, or undefined when it is. */
function refusalProblem(
  response: LightMyRequestResponse,
  status: number,
  codes: string[],
): string | undefined {
  if (response.statusCode !== status) return `answered ${response.statusCode}, not ${status}`;
  if (!String(response.headers['content-type']).startsWith('application/problem+json'))
    return `answered ${response.headers['content-type']}, not problem+json`;
  const code = (response.json() as { code?: string }).code;
  if (!code || !codes.includes(code)) return `code ${code}, not ${codes.join(' or ')}`;
  return undefined;
}

describe('the auth matrix, generated from the route table', () => {
  it('has an access rule of known roles for every route the server serves', () => {
    const table = world.platform.app.routeAccess;
    for (const route of table) {
      if (route.auth === 'public') continue;
      expect(route.auth.roles.length, label(route)).toBeGreaterThan(0);
      for (const role of route.auth.roles) expect(roles, label(route)).toContain(role);
    }
    // Every documented operation is in the table: no route escapes the matrix.
    const declared = new Set(table.map(label));
    for (const [path, operations] of Object.entries(world.openapi.paths)) {
      for (const method of Object.keys(operations)) {
        const url = path.replace(/\{([A-Za-z]+)\}/g, ':$1');
        expect(declared, `${method.toUpperCase()} ${url}`).toContain(`${method.toUpperCase()} ${url}`);
      }
    }
  });

  it('refuses missing, invalid and wrong-role tokens on every protected route, and lets the allowed roles through', async () => {
    const failures: string[] = [];
    let cases = 0;
    const allowedAnswers = new Map<number, number>();
    const table = world.platform.app.routeAccess;
    for (const route of table) {
      const roleList = allowedRoles(route);
      const org = (role: Role) => (role === 'government' ? governmentOrg : `${role}-org`);
      if (route.auth === 'public') {
        cases++;
        const response = await send(route, undefined);
        if (response.statusCode >= 400)
          failures.push(
            `${label(route)} without a token answered ${response.statusCode}: ${loggedCause(world, response)}`,
          );
        continue;
      }
      cases++;
      const missing = refusalProblem(await send(route, undefined), 401, ['unauthenticated']);
      if (missing) failures.push(`${label(route)} without a token ${missing}`);

      for (const kind of invalidTokenKinds as readonly InvalidTokenKind[]) {
        const role = roleList[0] as Role;
        cases++;
        const token = await forge(kind, role, org(role));
        const response = await send(route, role, `Bearer ${token}`);
        const problem = refusalProblem(response, 401, ['invalid_token']);
        if (problem) failures.push(`${label(route)} with a token ${kind}: ${problem}`);
      }

      for (const role of roles.filter((r) => !roleList.includes(r))) {
        cases++;
        const problem = refusalProblem(await send(route, role), 403, ['forbidden']);
        if (problem) failures.push(`${label(route)} as ${role}: ${problem}`);
      }
      cases++;
      const noRole = await world.platform.token([], { org: 'nobody' });
      const problem = refusalProblem(await send(route, 'admin', `Bearer ${noRole}`), 403, ['forbidden']);
      if (problem) failures.push(`${label(route)} with no role: ${problem}`);

      for (const role of roleList) {
        cases++;
        const response = await send(route, role);
        allowedAnswers.set(response.statusCode, (allowedAnswers.get(response.statusCode) ?? 0) + 1);
        // The auth layer let the caller in: whatever the handler said, it was not 401 or 403, and
        // any refusal is still a problem document with a code from the catalogue.
        if (response.statusCode === 401 || response.statusCode === 403 || response.statusCode >= 500) {
          failures.push(
            `${label(route)} as allowed ${role} answered ${response.statusCode}: ${response.statusCode >= 500 ? loggedCause(world, response) : response.body}`,
          );
        } else if (response.statusCode >= 400) {
          const code = (response.json() as { code?: string }).code;
          if (!code || !(errorCodes as string[]).includes(code))
            failures.push(`${label(route)} as ${role}: refusal without a catalogue code`);
        }
      }
    }
    const protectedRoutes = table.filter((r) => r.auth !== 'public').length;
    console.log(
      `auth matrix: ${table.length} routes (${protectedRoutes} protected, ${table.length - protectedRoutes} public), ${cases} cases, ${failures.length} failures; allowed callers answered ${[
        ...allowedAnswers,
      ]
        .sort(([a], [b]) => a - b)
        .map(([status, n]) => `${status}×${n}`)
        .join(' ')}`,
    );
    expect(failures).toEqual([]);
    expect(operationOf(world, { method: 'POST', url: '/v1/records', auth: 'public' })).toBeDefined();
  }, 120_000);
});
