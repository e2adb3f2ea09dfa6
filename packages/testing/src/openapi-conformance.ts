import { checkCitizenId, checkUscc, identifierFormats } from '@credit/schema';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/**
 * Checks an answer against the OpenAPI document of the application that gave it: the status is
 * one the operation documents, the content type one documented for that status, the headers it
 * marks required are present, and the body fits the schema. The tests run every answer they
 * receive through it, so the document cannot say one thing while the server does another.
 */

/** The parts of an OpenAPI 3.1 document the check reads. */
export interface OpenapiDocument {
  components?: unknown;
  paths?: Record<string, Record<string, OpenapiOperation | undefined> | undefined>;
}

interface OpenapiOperation {
  responses?: Record<string, OpenapiResponse | undefined>;
}

interface OpenapiResponse {
  headers?: Record<string, { required?: boolean; schema?: { pattern?: string } } | undefined>;
  content?: Record<string, { schema?: unknown } | undefined>;
}

export interface ObservedResponse {
  method: string;
  /** The request's URL (a query string is ignored). */
  url: string;
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  /** undefined when the body was not read (an event stream that may never end). */
  body: string | undefined;
}

interface Route {
  method: string;
  path: string;
  pattern: RegExp;
  /** Literal segments rank before parameters, as the router picks them. */
  rank: number;
  operation: OpenapiOperation;
}

const methods = ['get', 'put', 'post', 'delete', 'patch'];

// One compiler for the process, each schema compiled once whichever application's document holds
// it: the test files of one worker build many applications with the same operations.
const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
addFormats.default(ajv);
ajv.addFormat(identifierFormats.uscc, (value: string) => checkUscc(value).ok);
ajv.addFormat(identifierFormats.citizenId, (value: string) => checkCitizenId(value).ok);
ajv.addFormat(
  identifierFormats.subjectId,
  (value: string) => checkUscc(value).ok || checkCitizenId(value).ok,
);
const compiled = new Map<string, ValidateFunction>();

/** A schema's validator; its `#/components/…` references resolve in the document's components. */
function validatorFor(schema: unknown, components: { value: unknown; key: string }): ValidateFunction {
  const key = `${components.key}\n${JSON.stringify(schema)}`;
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile({ allOf: [schema], components: components.value });
    compiled.set(key, validate);
  }
  return validate;
}

function routesOf(document: OpenapiDocument): Route[] {
  const routes: Route[] = [];
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    const segments = path.split('/');
    const pattern = new RegExp(
      `^${segments.map((segment) => (/^\{.+\}$/.test(segment) ? '[^/]+' : escapeRegExp(segment))).join('/')}/?$`,
    );
    const rank = segments.filter((segment) => segment.startsWith('{')).length;
    for (const method of methods) {
      const operation = operations?.[method];
      if (operation) routes.push({ method, path, pattern, rank, operation });
    }
  }
  return routes.sort((a, b) => a.rank - b.rank);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function headerText(value: string | string[] | number | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : String(value);
}

function isJsonType(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

/** The documented answer for a status: its own entry, else its class (`4XX`), else `default`. */
function documentedResponse(operation: OpenapiOperation, status: number): OpenapiResponse | undefined {
  const responses = operation.responses ?? {};
  return responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
}

/** The contradictions between the documented operation and one answer (empty when it conforms). */
function contradictionsOf(
  operation: OpenapiOperation,
  response: ObservedResponse,
  method: string,
  components: { value: unknown; key: string },
): string[] {
  const documented = documentedResponse(operation, response.statusCode);
  if (!documented) {
    const listed = Object.keys(operation.responses ?? {}).join(', ');
    return [`status ${response.statusCode} is not documented (documented: ${listed})`];
  }
  const problems: string[] = [];
  for (const [name, header] of Object.entries(documented.headers ?? {})) {
    const value = headerText(response.headers[name.toLowerCase()]);
    if (header?.required && value === undefined) problems.push(`required header ${name} is missing`);
    const pattern = header?.schema?.pattern;
    if (value !== undefined && pattern !== undefined && !new RegExp(pattern, 'u').test(value))
      problems.push(`header ${name} '${value}' does not match ${pattern}`);
  }
  const content = documented.content ?? {};
  const mediaType = headerText(response.headers['content-type'])?.split(';')[0]?.trim().toLowerCase();
  if (response.body === undefined) {
    if (mediaType && !content[mediaType]) return [...problems, `content type ${mediaType} is not documented`];
    return problems;
  }
  if (method === 'head' || response.body.length === 0) {
    if (method === 'head' || response.statusCode === 204 || response.statusCode === 304) return problems;
    if (Object.keys(content).length === 0) return problems;
    return [...problems, `the body is empty, but the document gives it ${Object.keys(content).join(', ')}`];
  }
  if (!mediaType) return [...problems, 'a body without a content type'];
  const media = content[mediaType];
  if (!media) {
    const listed = Object.keys(content).join(', ') || 'no body';
    return [...problems, `content type ${mediaType} is not documented (documented: ${listed})`];
  }
  if (media.schema === undefined) return problems;
  const bodies = bodiesOf(mediaType, response.body);
  if (bodies === undefined) return [...problems, `the ${mediaType} body does not parse`];
  if (bodies === null) return problems;
  const validate = validatorFor(media.schema, components);
  for (const [index, body] of bodies.entries()) {
    if (validate(body)) continue;
    const where = bodies.length > 1 ? ` (line ${index + 1})` : '';
    const errors = (validate.errors ?? [])
      .slice(0, 3)
      .map((error) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`)
      .join('; ');
    problems.push(`the body${where} does not fit the ${mediaType} schema: ${errors}`);
    break;
  }
  return problems;
}

/** The JSON values a body holds (NDJSON: one a line); undefined when it does not parse; null when not JSON. */
function bodiesOf(mediaType: string, body: string): unknown[] | undefined | null {
  try {
    if (isJsonType(mediaType)) return [JSON.parse(body)];
    if (mediaType === 'application/x-ndjson')
      return body
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line));
    return null;
  } catch {
    return undefined;
  }
}

export interface ResponseChecker {
  /** What contradicts the document in this answer; empty when it conforms or no operation is documented for it. */
  check(response: ObservedResponse): string[];
}

/** A checker for the answers of the application whose document this is. */
export function responseChecker(document: OpenapiDocument): ResponseChecker {
  const routes = routesOf(document);
  const components = { value: document.components ?? {}, key: JSON.stringify(document.components ?? {}) };
  return {
    check(response) {
      const method = response.method.toLowerCase();
      // Parsed as the request's URL was parsed before routing: the path ends at `?` or `#`, and
      // surrounding spaces are dropped (`/v1/repairs/ ` reached the list, not a repair named ' ').
      const path = new URL(response.url, 'http://conformance.invalid').pathname;
      const lookup = method === 'head' ? 'get' : method;
      const route = routes.find((candidate) => candidate.method === lookup && candidate.pattern.test(path));
      // An answer no operation documents (an unknown path, the documentation pages) has no promise to break.
      if (!route) return [];
      return contradictionsOf(route.operation, response, method, components).map(
        (problem) =>
          `${response.method.toUpperCase()} ${route.path} answered ${response.statusCode}: ${problem}`,
      );
    },
  };
}
