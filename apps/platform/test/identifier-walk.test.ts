import type { Role } from '@credit/auth';
import type { RouteAccess } from '@credit/http';
import {
  authorisationPurposes,
  type CatalogueEntry,
  catalogueEntries,
  consentGatedCategoryCodes,
  identifierFormats,
  sanctionActions,
  usccCheckCharacter,
} from '@credit/schema';
import { citizenId, sourceId, uscc } from '@credit/testing';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerOf } from '../src/demo/demo-world.ts';
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

/**
 * Issue #24.7: every route that takes a USCC or a citizen identity number judges it with the
 * schema package's own checks. The OpenAPI document marks each identifier with a `format`
 * (`uscc`, `citizen-id`, `subject-id`); this walk finds every marked parameter and body property,
 * sends an otherwise well-formed request with a wrong check character in that one place, and
 * expects 422 `invalid_identifier` naming the field.
 */

let world: RouteWorld;
/** An agency of the walk's own, so suspending it leaves the demo's agency (and its tokens) alone. */
let walkAgency: string;

beforeAll(async () => {
  world = await buildRouteWorld();
  walkAgency = uscc();
  const registered = await world.platform.request({
    method: 'POST',
    url: '/v1/agencies',
    token: world.tokens.admin,
    body: {
      uscc: walkAgency,
      name: '走查征信有限公司',
      licenceNumber: 'ZX-WALK-0',
      licenceValidUntil: '2030-12-31',
    },
  });
  if (registered.statusCode !== 201) throw new Error(`agency: ${registered.body}`);
}, 120_000);
afterAll(async () => world?.platform.close());

const formats = new Set<string>(Object.values(identifierFormats));
type Format = (typeof identifierFormats)[keyof typeof identifierFormats];

/** Where in a request an identifier sits: a path or query parameter, or a body property path. */
interface Place {
  operation: string;
  in: 'path' | 'query' | 'body';
  /** The parameter name, or the property path in the body (array items as index 0). */
  path: (string | number)[];
  format: Format;
}

interface JsonSchema {
  type?: string;
  format?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

function bodyPlaces(
  schema: JsonSchema | undefined,
  at: (string | number)[],
  found: Place[],
  operation: string,
) {
  if (!schema) return;
  if (schema.format && formats.has(schema.format)) {
    found.push({ operation, in: 'body', path: at, format: schema.format as Format });
    return;
  }
  for (const [name, property] of Object.entries(schema.properties ?? {}))
    bodyPlaces(property, [...at, name], found, operation);
  if (schema.items) bodyPlaces(schema.items, [...at, 0], found, operation);
  for (const variant of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])])
    bodyPlaces(variant, at, found, operation);
}

const documentPath = (route: RouteAccess) => route.url.replace(/:([A-Za-z]+)/g, '{$1}');
const label = (route: RouteAccess) => `${route.method} ${documentPath(route)}`;

function placesOf(route: RouteAccess): Place[] {
  const operation = operationOf(world, route);
  if (!operation) return [];
  const found: Place[] = [];
  for (const parameter of operation.parameters ?? []) {
    const format = (parameter.schema as JsonSchema | undefined)?.format;
    if ((parameter.in === 'path' || parameter.in === 'query') && format && formats.has(format))
      found.push({
        operation: label(route),
        in: parameter.in,
        path: [parameter.name],
        format: format as Format,
      });
  }
  const body = operation.requestBody?.content['application/json']?.schema as JsonSchema | undefined;
  bodyPlaces(body, [], found, label(route));
  return found;
}

/** Identifiers with one check character wrong; everything else about them is right. */
function invalidValues(format: Format): string[] {
  const good = uscc();
  const wrongOrganisationCheck = `${good.slice(0, 16)}${good.charAt(16) === '0' ? '1' : '0'}`;
  const usccs = [
    // The example: positions 9–17 are not an organisation code, position 18 fits the rest.
    '91370303PR1XM0001A',
    wrongOrganisationCheck + usccCheckCharacter(wrongOrganisationCheck),
    `${good.slice(0, 17)}${good.charAt(17) === '0' ? '1' : '0'}`,
  ];
  const person = citizenId();
  const citizenIds = [`${person.slice(0, 17)}${person.charAt(17) === '0' ? '1' : '0'}`];
  if (format === 'uscc') return usccs;
  if (format === 'citizen-id') return citizenIds;
  return [...usccs, ...citizenIds];
}

const dishonestyEntry = catalogueEntries.find(
  (entry: CatalogueEntry) =>
    providerOf(entry) === providerOrg &&
    entry.allowsRelatedPersons &&
    !entry.refersTo &&
    entry.subjectKinds.includes('legal_person'),
);

function recordBody() {
  if (!dishonestyEntry) throw new Error(`${providerOrg} provides no entry naming related persons`);
  return {
    sourceId: sourceId('WALK'),
    category: dishonestyEntry.code,
    subject: { kind: 'legal_person', id: world.organisation.id, name: world.organisation.name },
    occurredAt: '2026-03-02',
    data: dishonestyEntry.sample,
    relatedPersons: [{ role: 'legal_representative', id: citizenId(), name: '李建国' }],
  };
}

/** A well-formed body, with valid identifiers, for each operation whose body carries one. */
function bodyFor(operation: string): unknown {
  switch (operation) {
    case 'POST /v1/records':
      return recordBody();
    case 'POST /v1/records/batch':
      return [recordBody()];
    case 'PUT /v1/records/by-source/{sourceId}': {
      const { sourceId: _sourceId, ...correction } = recordBody();
      return { ...correction, reason: 'the walk corrects it' };
    }
    case 'POST /v1/consents':
      return {
        subject: { kind: 'natural_person', id: world.person.id },
        provider: providerOrg,
        fields: [consentGatedCategoryCodes[0]],
        purpose: '贷款审批',
        purposes: [authorisationPurposes[0]],
        recipients: [{ kind: 'agency', id: world.agencyUscc }],
        evidenceHash: 'a'.repeat(64),
      };
    case 'POST /v1/authorisations':
      return {
        agency: world.agencyUscc,
        purpose: 'loan',
        expiresAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
      };
    case 'POST /v1/agencies':
      return {
        uscc: uscc(),
        name: '走查征信有限公司',
        licenceNumber: 'ZX-WALK-1',
        licenceValidUntil: '2030-12-31',
      };
    case 'POST /v1/checks':
      return {
        subject: world.organisation.id,
        action: sanctionActions[0],
        purpose: '行政许可审查',
        parties: [{ role: 'legal_representative', id: world.person.id }],
      };
    case 'POST /v1/industry-evaluations':
      return {
        sourceId: `WALK-${Math.random().toString(36).slice(2, 10)}`,
        subject: world.organisation.id,
        industry: 'audit',
        grade: 'A',
        period: { from: '2025-01-01', to: '2025-12-31' },
        basis: '走查',
      };
    case 'POST /v1/agencies/{uscc}/suspend':
    case 'POST /v1/agencies/{uscc}/reinstate':
      return { reason: '走查' };
    case 'POST /v1/screening':
      return { items: [{ name: '走查陶瓷有限公司', id: world.organisation.id }], purpose: '行政许可审查' };
    case 'POST /v1/intermediaries':
      return { subject: { id: uscc(), name: '走查会计师事务所' }, industry: 'audit' };
    case 'POST /v1/intermediaries/{uscc}/practitioners':
      return { person: { id: citizenId(), name: '走查' }, responsible: true };
    case 'POST /v1/intermediaries/{uscc}/declarations':
      return {
        content: { practice: { serviceScope: '走查' } },
        commitment: { accepted: ['truthful'], signatory: '走查', signedOn: '2026-03-02' },
      };
    case 'POST /v1/intermediaries/{uscc}/declarations/{id}/review':
      return { decision: 'accept' };
    case 'POST /v1/intermediaries/{uscc}/declarations/{id}/falsity':
      return { documentNumber: '走查〔2026〕1号', decidedOn: '2026-03-02', facts: '走查' };
    case 'POST /v1/listing-status':
    case 'POST /v1/watches':
      return { subjects: [world.organisation.id] };
    default:
      return undefined;
  }
}

/** Query parameters an operation needs to answer at all, beyond the route world's. */
function queryFor(operation: string): Record<string, string> {
  return operation === 'GET /v1/subjects/{id}/grades' ? { purpose: '行政许可审查' } : {};
}

/** A valid identifier of the kind a path parameter takes, naming something the platform holds. */
function validPathValue(route: RouteAccess, format: Format): string {
  if (format === 'uscc' && route.url.startsWith('/v1/public/intermediaries')) return world.intermediaryUscc;
  if (format === 'uscc') return route.url.startsWith('/v1/agencies') ? walkAgency : world.organisation.id;
  return world.person.id;
}

function withValueAt(body: unknown, path: (string | number)[], value: string): unknown {
  const copy = structuredClone(body);
  let node = copy as Record<string | number, unknown>;
  for (const step of path.slice(0, -1)) {
    const next = node[step];
    if (next === null || typeof next !== 'object')
      throw new Error(`the body has nothing at ${path.join('.')}`);
    node = next as Record<string | number, unknown>;
  }
  const last = path.at(-1) as string | number;
  if (!(last in node)) throw new Error(`the body has nothing at ${path.join('.')}`);
  node[last] = value;
  return copy;
}

/** The role the walk calls a route as: the administrator where allowed, else the first role allowed. */
function roleFor(route: RouteAccess): Role {
  const allowed = allowedRoles(route);
  return allowed.includes('admin') ? 'admin' : (allowed[0] as Role);
}

function send(route: RouteAccess, place: Place | undefined, value: string | undefined) {
  const role = roleFor(route);
  const call = callFor(world, route, role);
  const values = pathValuesOf(world, route);
  for (const other of placesOf(route))
    if (other.in === 'path') values[other.path[0] as string] = validPathValue(route, other.format);
  if (place?.in === 'path' && value !== undefined) values[place.path[0] as string] = value;
  const path = route.url.replace(/:([A-Za-z]+)/g, (_, name: string) =>
    encodeURIComponent(values[name] as string),
  );
  const query = new URLSearchParams(call.url.split('?')[1] ?? '');
  for (const [name, queried] of Object.entries(queryFor(label(route)))) query.set(name, queried);
  if (place?.in === 'query' && value !== undefined) query.set(place.path[0] as string, value);
  const search = query.toString();
  let body = bodyFor(label(route));
  if (place?.in === 'body' && value !== undefined) body = withValueAt(body, place.path, value);
  const headers = { ...call.headers };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return world.platform.app.inject({
    method: route.method as 'GET',
    url: search ? `${path}?${search}` : path,
    headers,
    ...(body !== undefined
      ? { payload: JSON.stringify(body) }
      : call.payload
        ? { payload: call.payload }
        : {}),
  });
}

interface Refusal {
  code?: string;
  errors?: { path: string; code: string }[];
}

/** The refusal an answer carries: the problem itself, or a batch's refused first item. */
function refusalOf(
  operation: string,
  response: LightMyRequestResponse,
): { status: number; problem: Refusal } {
  if (operation === 'POST /v1/records/batch' && response.statusCode === 200) {
    const item = (response.json() as { items: { status: number; problem?: Refusal }[] }).items[0];
    return { status: item?.status ?? 0, problem: item?.problem ?? {} };
  }
  const json = response.headers['content-type']?.toString().includes('json');
  return { status: response.statusCode, problem: json ? (response.json() as Refusal) : {} };
}

function expectedPath(place: Place): string {
  // A batch item's refusal names paths within the item.
  const within = place.operation === 'POST /v1/records/batch' ? place.path.slice(1) : place.path;
  const tail = within.join('.');
  if (place.in === 'path') return `params.${tail}`;
  if (place.in === 'query') return `query.${tail}`;
  return tail;
}

function allPlaces(): { route: RouteAccess; place: Place }[] {
  return world.platform.app.routeAccess.flatMap((route) =>
    placesOf(route).map((place) => ({ route, place })),
  );
}

describe('one identifier rule on every route (#24.7)', () => {
  it('marks every identifier parameter and property in the document', () => {
    const found = new Set(
      allPlaces().map(({ place }) => `${place.operation} ${place.in} ${place.path.join('.')}`),
    );
    // The walk is only as good as the marks: these are the identifiers the API takes today.
    for (const expected of [
      'POST /v1/agencies body uscc',
      'GET /v1/agencies/{uscc} path uscc',
      'POST /v1/agencies/{uscc}/suspend path uscc',
      'POST /v1/authorisations body agency',
      'GET /v1/public/subjects/{uscc} path uscc',
      'POST /v1/records body subject.id',
      'POST /v1/records body relatedPersons.0.id',
      'POST /v1/records/batch body 0.subject.id',
      'PUT /v1/records/by-source/{sourceId} body subject.id',
      'POST /v1/consents body subject.id',
      'POST /v1/consents body recipients.0.id',
      'GET /v1/subjects/{id}/report path id',
      'GET /v1/subjects/{id}/grades path id',
      'GET /v1/subjects/{id}/names path id',
      'GET /v1/subjects/{id}/access-log path id',
      'GET /v1/subjects/{id}/list-entries path id',
      'GET /v1/subjects/{id}/notices path id',
      'GET /v1/transparency/subjects/{id}/entries path id',
      'GET /v1/transparency/subjects/{id}/access-history path id',
      'GET /v1/listing-status/{subjectId} path subjectId',
      'POST /v1/listing-status body subjects.0',
      'POST /v1/watches body subjects.0',
      'POST /v1/checks body subject',
    ])
      expect(found, expected).toContain(expected);
    // Nothing that looks like an identifier is left unmarked.
    const unmarked: string[] = [];
    for (const route of world.platform.app.routeAccess) {
      const operation = operationOf(world, route);
      for (const parameter of operation?.parameters ?? []) {
        const subjectPath = /\/subjects\/\{id\}/.test(documentPath(route)) && parameter.name === 'id';
        const named = ['uscc', 'subjectId', 'agency'].includes(parameter.name);
        if (
          (subjectPath || named) &&
          !formats.has((parameter.schema as JsonSchema | undefined)?.format ?? '')
        )
          unmarked.push(`${label(route)} ${parameter.in} ${parameter.name}`);
      }
    }
    expect(unmarked).toEqual([]);
  });

  it('answers every identifier with a wrong check character, wherever it is taken, as 422 invalid_identifier', async () => {
    const places = allPlaces();
    expect(places.length).toBeGreaterThan(20);
    const failures: string[] = [];
    for (const { route, place } of places) {
      if (place.in === 'body' && bodyFor(place.operation) === undefined) {
        failures.push(`${place.operation}: the walk has no well-formed body for it`);
        continue;
      }
      const where = `${place.operation} ${place.in} ${place.path.join('.')}`;
      // The well-formed request itself passes the identifier and shape checks.
      const valid = await send(route, undefined, undefined);
      const accepted = refusalOf(place.operation, valid);
      if (
        valid.statusCode >= 500 ||
        accepted.status === 400 ||
        ['invalid_identifier', 'validation_failed', 'unknown_field'].includes(accepted.problem.code ?? '')
      )
        failures.push(
          `${where}: the valid request answered ${accepted.status} ${accepted.problem.code ?? ''} ${valid.statusCode >= 500 ? loggedCause(world, valid) : ''}`,
        );
      for (const value of invalidValues(place.format)) {
        const response = await send(route, place, value);
        const { status, problem } = refusalOf(place.operation, response);
        const named = problem.errors?.some(
          (e) => e.code === 'invalid_identifier' && e.path === expectedPath(place),
        );
        if (status !== 422 || problem.code !== 'invalid_identifier' || !named)
          failures.push(
            `${where} = ${value}: answered ${status} ${problem.code ?? ''} ${JSON.stringify(problem.errors ?? [])}`,
          );
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
