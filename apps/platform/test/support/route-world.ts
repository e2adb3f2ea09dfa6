import { type Role, roles } from '@credit/auth';
import type { RouteAccess } from '@credit/http';
import {
  createTestPlatform,
  registerIntermediary,
  registerSupervisor,
  type TestPlatform,
} from '@credit/testing';
import { type DemoSubject, demoSubjects } from '../../src/demo/demo-world.ts';
import { seedDemo } from '../../src/demo/seed.ts';
import { platformServices } from '../../src/services.ts';
import { demoTime } from './demo-time.ts';
import { inlineSchemaRefs } from './openapi-refs.ts';

/**
 * The all-in-one platform loaded with the demo (departments, an agency, rules, subjects with
 * records, list entries, an objection), plus one token per role whose caller really exists, so
 * a request that passes authentication also passes the domain's own checks (registered
 * department, live authorisation, the subject's own file).
 */
export interface RouteWorld {
  platform: TestPlatform;
  tokens: Record<Role, string>;
  person: DemoSubject;
  organisation: DemoSubject;
  agencyUscc: string;
  /** The person's authorisation of the agency (X-Credit-Authorisation). */
  authorisation: string;
  /** A signed report, for the public verification route. */
  signedReport: unknown;
  /** The OpenAPI document, for which routes take a body and what their schemas are (shared schemas inlined). */
  openapi: OpenApiDocument;
  /** The tree size of a signed checkpoint, for the transparency routes. */
  checkpointSize: number;
  /** A day open data was cut for, for the open-data routes. */
  openDataDay: string;
  /** A registered intermediary, for the public column's detail route. */
  intermediaryUscc: string;
  /** A department supervising an industry: the provider whose review queue the queue route reads. */
  supervisorToken: string;
}

export interface OpenApiOperation {
  parameters?: { in: string; name: string; required?: boolean; schema?: unknown }[];
  requestBody?: { content: Record<string, { schema?: unknown }> };
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
}

/** The request a caller in a role makes to exercise a route: realistic parameters, a minimal body. */
export interface RouteCall {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

const subjectCount = 20;
export const providerOrg = 'zb-amr';
export const governmentOrg = 'zb-fgw';
export const platformOrg = 'demo-mall';

export async function buildRouteWorld(env: Record<string, string> = {}): Promise<RouteWorld> {
  const platform = await createTestPlatform(platformServices, { env });
  const issuer = platform.runtime.devIssuer;
  if (!issuer) throw new Error('the route world needs the development issuer');
  await seedDemo(platform.app, issuer, demoTime(platform), subjectCount);
  const subjects = demoSubjects(subjectCount);
  const person = subjects.find((s) => s.kind === 'natural_person');
  const organisation = subjects.find((s) => s.kind === 'legal_person');
  if (!person || !organisation) throw new Error('the demo has no person or organisation');
  const admin = await platform.token('admin', { org: 'credit-office' });
  const agencies = (await platform.request({ url: '/v1/agencies', token: admin })).json() as {
    items: { uscc: string }[];
  };
  const agencyUscc = agencies.items[0]?.uscc;
  if (!agencyUscc) throw new Error('the demo registered no agency');
  const subject = await platform.token('subject', { subject: person.id });
  const granted = await platform.request({
    method: 'POST',
    url: '/v1/authorisations',
    token: subject,
    body: {
      agency: agencyUscc,
      purpose: 'loan',
      expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    },
  });
  if (granted.statusCode !== 201) throw new Error(`authorisation: ${granted.body}`);
  const ownReport = await platform.request({ url: `/v1/subjects/${person.id}/report`, token: subject });
  if (ownReport.statusCode !== 200) throw new Error(`report: ${ownReport.body}`);
  const tokens: Record<Role, string> = {
    admin,
    provider: await platform.token('provider', { org: providerOrg }),
    government: await platform.token('government', { org: governmentOrg }),
    agency: await platform.token('agency', { org: agencyUscc }),
    platform: await platform.token('platform', { org: platformOrg }),
    subject,
  };
  const openapi = inlineSchemaRefs(
    (await platform.request({ url: '/openapi.json' })).json() as OpenApiDocument,
  );
  const checkpoint = await platform.request({
    method: 'POST',
    url: '/v1/transparency/checkpoints',
    token: admin,
  });
  if (checkpoint.statusCode >= 300) throw new Error(`checkpoint: ${checkpoint.body}`);
  const supervisor = await registerSupervisor(platform, ['audit']);
  const intermediary = await registerIntermediary(platform, supervisor.token, 'audit');
  await platform.drainConsumers();
  const cut = await platform.request({ method: 'POST', url: '/v1/open-data/cuts', token: admin });
  if (cut.statusCode >= 300) throw new Error(`open-data cut: ${cut.body}`);
  return {
    openDataDay: (cut.json() as { manifest: { day: string } }).manifest.day,
    intermediaryUscc: intermediary.uscc,
    supervisorToken: supervisor.token,
    checkpointSize: (checkpoint.json() as { treeSize: number }).treeSize,
    platform,
    tokens,
    person,
    organisation,
    agencyUscc,
    authorisation: (granted.json() as { token: string }).token,
    signedReport: ownReport.json(),
    openapi,
  };
}

export function allowedRoles(route: RouteAccess): readonly Role[] {
  return route.auth === 'public' ? roles : route.auth.roles;
}

export function operationOf(world: RouteWorld, route: RouteAccess): OpenApiOperation | undefined {
  const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
  return world.openapi.paths[path]?.[route.method.toLowerCase()];
}

/** Path parameters that name things the demo really has. */
function parameterValue(world: RouteWorld, route: RouteAccess, name: string): string {
  const url = route.url;
  switch (name) {
    case 'uscc':
      if (url.startsWith('/v1/public/intermediaries')) return world.intermediaryUscc;
      return url.startsWith('/v1/agencies') ? world.agencyUscc : world.organisation.id;
    case 'subjectId':
      return world.organisation.id;
    case 'year':
      return '2026';
    case 'treeSize':
      return String(world.checkpointSize);
    case 'leafIndex':
      return '0';
    case 'day':
      return world.openDataDay;
    case 'name':
      return `${world.openDataDay}-full.jsonl`;
    case 'sourceId':
      return 'DEMO-org_registration-0-0';
    case 'code':
      if (url.startsWith('/v1/catalogue')) return 'org_licence';
      if (url.startsWith('/v1/rules')) return 'demo-court-debtors';
      if (url.startsWith('/v1/measures')) return 'restrict_fiscal_funding';
      return providerOrg;
    case 'id':
      if (url.startsWith('/v1/subjects')) return world.person.id;
      if (url.startsWith('/v1/intermediaries')) return 'dcl_00000000000000000000000000';
      return 'rec_00000000000000000000000000';
    case 'number':
      return 'rpt_00000000000000000000000000';
    case '*':
      return url.startsWith('/docs/static') ? 'swagger-ui.css' : 'index.html';
    default:
      return 'x';
  }
}

/** The value of each path parameter in a call that reaches the route's handler. */
export function pathValuesOf(world: RouteWorld, route: RouteAccess): Record<string, string> {
  const names = [...route.url.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] as string);
  if (route.url.endsWith('*')) names.push('*');
  return Object.fromEntries(names.map((name) => [name, parameterValue(world, route, name)]));
}

/** A route's URL with its parameters filled in, before any query string. */
export function pathOf(world: RouteWorld, route: RouteAccess): string {
  return route.url
    .replace(/:([A-Za-z]+)/g, (_, name: string) => encodeURIComponent(parameterValue(world, route, name)))
    .replace(/\*$/, parameterValue(world, route, '*'));
}

/** A body, query and headers the route accepts from the role, where the route needs one to answer at all. */
function extras(
  world: RouteWorld,
  route: RouteAccess,
  role: Role | undefined,
): { query?: string; headers?: Record<string, string>; body?: unknown; token?: string } {
  const key = `${route.method} ${route.url}`;
  switch (key) {
    // A department reads the review queue of the industries it supervises (403 with none).
    case 'GET /v1/declarations/awaiting-review':
      return role === 'provider' ? { token: world.supervisorToken } : {};
    case 'GET /v1/subjects/:id/report':
      return {
        query: 'purpose=%E8%A1%8C%E6%94%BF%E8%AE%B8%E5%8F%AF%E5%AE%A1%E6%9F%A5',
        headers: role === 'agency' ? { 'x-credit-authorisation': world.authorisation } : {},
      };
    case 'GET /v1/transparency/proofs/inclusion':
      return { query: `leafIndex=0&treeSize=${world.checkpointSize}` };
    case 'GET /v1/transparency/proofs/consistency':
      return { query: `first=${world.checkpointSize}&second=${world.checkpointSize}` };
    case 'POST /v1/reports/verify':
      return { body: world.signedReport };
    case 'POST /graphql':
      return { body: { query: '{ __typename }' } };
    case 'GET /graphql':
      return { query: 'query=%7B__typename%7D' };
    case 'GET /v1/reports/:number/verification':
      return { query: 'code=7KQ2-9MXD' };
    case 'GET /v1/public/search':
      return { query: 'q=%E5%8D%8E%E6%B6%A6' };
    case 'POST /v1/screening':
      return { body: { items: [{ name: '淄博华润陶瓷' }], purpose: '招投标资格审查' } };
    default:
      return {};
  }
}

/** The call a role makes to a route: the same for the auth matrix and as the fuzzer's baseline. */
export function callFor(world: RouteWorld, route: RouteAccess, role: Role | undefined): RouteCall {
  const extra = extras(world, route, role);
  const query = extra.query ? `?${extra.query}` : '';
  const headers: Record<string, string> = { ...(extra.headers ?? {}) };
  if (role) headers.authorization = `Bearer ${extra.token ?? world.tokens[role]}`;
  const call: RouteCall = { method: route.method, url: `${pathOf(world, route)}${query}`, headers };
  const takesBody = operationOf(world, route)?.requestBody !== undefined || extra.body !== undefined;
  if (takesBody) {
    headers['content-type'] = 'application/json';
    call.payload = JSON.stringify(extra.body ?? {});
  }
  return call;
}

/** The logged cause of a 5xx answer, so a failing case names its error rather than just its status. */
export function loggedCause(world: RouteWorld, response: { headers: Record<string, unknown> }): string {
  const id = response.headers['x-request-id'];
  const entry = world.platform.logs
    .entries()
    .find((line) => line.requestId === id && typeof line.err === 'object' && line.err !== null);
  const err = entry?.err as { type?: string; message?: string; stack?: string } | undefined;
  return err
    ? `${err.type}: ${err.message} ${err.stack?.split('\n').slice(1, 4).join(' ')}`
    : 'no error logged';
}
