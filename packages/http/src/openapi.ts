import { type ErrorCode, errorCatalogue } from '@credit/errors';
import { identifierFormats } from '@credit/schema';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { z } from 'zod';
import type { RouteAuth } from './auth-plugin.ts';
import {
  addProblemComponent,
  jsonSchema,
  mergeInputForms,
  problemJson,
  schemaComponentsOf,
} from './openapi-components.ts';
import { isZodSchema } from './zod-compiler.ts';

/** Headers a route sets itself, which the document names with what they mean. */
export type RouteHeader = 'location' | 'etag' | 'accept-ranges' | 'content-range' | 'retry-after';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Refusals this route gives beyond those every route of its shape gives (a path id's 404,
     * a body's 413/415/422…), so the document lists their statuses and codes.
     */
    problems?: readonly ErrorCode[];
    /** Headers the route sets on its answers, by the statuses that always carry them. */
    headers?: Partial<Record<RouteHeader, readonly number[]>>;
  }
}

/**
 * A route's own problem answer for a status, when its body says more than a plain problem (a
 * batch stopped partway); the document gives it as problem+json.
 */
export function problemResponse(schema: z.ZodType, description: string) {
  return { description, content: { 'application/problem+json': { schema } } };
}

const identifierFormatSet = new Set<unknown>(Object.values(identifierFormats));

/** Whether a converted schema has an identifier anywhere in it (a route then answers 422 `invalid_identifier`). */
function mentionsIdentifier(schema: unknown): boolean {
  if (Array.isArray(schema)) return schema.some(mentionsIdentifier);
  if (schema === null || typeof schema !== 'object') return false;
  if (identifierFormatSet.has((schema as { format?: unknown }).format)) return true;
  return Object.values(schema).some(mentionsIdentifier);
}

/** What a route is, as far as the problems it can answer depend on it. */
interface RouteShape {
  method: string;
  url: string;
  auth: RouteAuth | undefined;
  hasBody: boolean;
  /** A request of this method may carry a body whatever the route reads (it is parsed by media type). */
  mayCarryBody: boolean;
  problems: readonly ErrorCode[];
  rateLimited: boolean;
  headers: Partial<Record<RouteHeader, readonly number[]>>;
  /** A path, query or body field holds an identifier (refused as 422 `invalid_identifier`). */
  takesIdentifier: boolean;
}

interface ProblemRule {
  status: string;
  description: string;
  answers(route: RouteShape): boolean;
}

/** The problems every route answers that the route's own schema does not list. */
const problemRules: ProblemRule[] = [
  { status: '400', description: 'Bad request (malformed JSON, bad path or query)', answers: () => true },
  { status: '401', description: 'No valid bearer token', answers: (route) => route.auth !== 'public' },
  { status: '403', description: 'Not allowed for this caller', answers: (route) => route.auth !== 'public' },
  {
    status: '404',
    description: 'Nothing with this identifier (or not visible to this caller)',
    answers: (route) => route.url.includes(':'),
  },
  {
    status: '414',
    description: 'A path segment is longer than the router reads',
    answers: (route) => route.url.includes(':'),
  },
  {
    status: '413',
    description: 'The body is larger than the route accepts',
    answers: (route) => route.mayCarryBody,
  },
  {
    status: '415',
    description: 'The body is of a media type the route does not read',
    answers: (route) => route.mayCarryBody,
  },
  {
    status: '422',
    description:
      'Refused (an invalid identifier in the path, query or body is `invalid_identifier`): see `code` and `errors`',
    answers: (route) => route.hasBody || route.takesIdentifier,
  },
  {
    status: '429',
    description:
      'Rate limited: this caller passed the quota of the route’s class for the minute (`RateLimit-Policy`); retry after `Retry-After` seconds',
    // Only routes registered with `config.rateLimit` count calls (rate-limits.ts); others never answer 429.
    answers: (route) => route.rateLimited,
  },
  { status: '500', description: 'Unexpected error (details are logged, not returned)', answers: () => true },
  {
    status: '503',
    description: 'Temporarily unavailable; retry after the Retry-After delay',
    answers: () => true,
  },
];

/** The problem+json responses a route answers beside those its schema declares. */
function problemResponses(route: RouteShape, declared: Record<string, unknown>): Record<string, unknown> {
  const descriptions = new Map<string, string[]>();
  for (const rule of problemRules) {
    if (rule.answers(route)) descriptions.set(rule.status, [rule.description]);
  }
  for (const code of route.problems) {
    const { status, title } = errorCatalogue[code];
    const line = `\`${code}\`: ${title}`;
    descriptions.set(String(status), [...(descriptions.get(String(status)) ?? []), line]);
  }
  const responses: Record<string, unknown> = {};
  for (const [status, lines] of [...descriptions].sort(([a], [b]) => Number(a) - Number(b))) {
    if (declared[status]) continue;
    responses[status] = {
      description: lines.join('; '),
      content: { 'application/problem+json': { schema: problemJson } },
    };
  }
  return responses;
}

const pascal = (words: string): string =>
  words
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
    .join('');

/**
 * An operation's id, derived from its method and path so that it is unique, stable while the
 * route is, and guessable by an integrator reading the path: `GET /v1/records/:id` is
 * `getRecordsById`, `POST /v1/agencies/:uscc/suspend` is `postAgenciesByUsccSuspend`, and a
 * parameter after a `by-…` segment is implied by it (`GET /v1/records/by-source/:sourceId` is
 * `getRecordsBySource`). A route may name itself instead with `schema.operationId`.
 */
export function operationIdOf(method: string, url: string): string {
  const segments = url
    .split('/')
    .filter((segment) => segment && segment !== 'v1' && segment !== '.well-known');
  const words = segments.map((segment, index) => {
    const parameter = /^(?::(.+)|\{(.+)\})$/.exec(segment);
    if (!parameter) return pascal(segment);
    if (segments[index - 1]?.startsWith('by-')) return '';
    return `By${pascal(parameter[1] ?? parameter[2] ?? '')}`;
  });
  return `${method.toLowerCase()}${words.join('')}`;
}

/** Who may call an operation, in the document's terms: public routes say so with an empty list. */
function securityOf(auth: unknown): { security: Array<Record<string, string[]>> } {
  return { security: auth === 'public' ? [] : [{ bearer: [] }] };
}

interface HeaderDoc {
  description: string;
  schema: Record<string, unknown>;
  /** Marks the header required; moved out of the schema by `liftRequiredHeaders`. */
  required?: true;
}

const routeHeaderDocs: Record<RouteHeader, Omit<HeaderDoc, 'required'> & { name: string }> = {
  location: {
    name: 'Location',
    description: 'Where the written resource is read',
    schema: { type: 'string' },
  },
  etag: {
    name: 'ETag',
    description: 'The version of what was answered (for If-Match / If-None-Match)',
    schema: { type: 'string' },
  },
  'accept-ranges': {
    name: 'Accept-Ranges',
    description: 'The resource is readable in byte ranges (`Range: bytes=…`)',
    schema: { type: 'string', pattern: '^bytes$' },
  },
  'content-range': {
    name: 'Content-Range',
    description: 'The bytes this partial answer holds, of the whole (RFC 9110 §14.4)',
    schema: { type: 'string', pattern: '^bytes ([0-9]+-[0-9]+|\\*)/[0-9]+$' },
  },
  'retry-after': {
    name: 'Retry-After',
    description: 'Seconds after which asking again (the status at `Location`) is worth it',
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
};

const retryAfter: HeaderDoc = {
  description: 'Seconds to wait before retrying',
  schema: { type: 'string', pattern: '^[0-9]+$' },
  required: true,
};

/** The IETF rate limit fields every answer of a rate-limited route carries (see rate-limits.ts). */
function rateLimitHeaders(): Record<string, HeaderDoc> {
  return {
    'RateLimit-Policy': {
      description: 'The route\'s rate-limit class with its quota and window in seconds: `"public";q=30;w=60`',
      schema: { type: 'string', pattern: '^"[a-z]+";q=[0-9]+;w=[0-9]+$' },
    },
    RateLimit: {
      description: 'What is left of the quota and the seconds until it resets: `"public";r=29;t=42`',
      schema: { type: 'string', pattern: '^"[a-z]+";r=[0-9]+;t=[0-9]+$' },
    },
  };
}

/** The headers each documented answer of a route carries, by status. */
function responseHeaders(route: RouteShape, statuses: string[]): Map<string, Record<string, HeaderDoc>> {
  const byStatus = new Map<string, Record<string, HeaderDoc>>();
  const add = (status: string, name: string, doc: HeaderDoc) =>
    byStatus.set(status, { ...byStatus.get(status), [name]: doc });
  for (const status of statuses) {
    // A refusal by the limiter always states the quota it ran out of; other answers may not
    // (a token refused before the limiter counts the call).
    if (route.rateLimited)
      for (const [name, doc] of Object.entries(rateLimitHeaders()))
        add(status, name, status === '429' ? { ...doc, required: true } : doc);
    if (status === '429' || status === '503') add(status, 'Retry-After', retryAfter);
  }
  for (const [name, sentWith] of Object.entries(route.headers) as [RouteHeader, readonly number[]][]) {
    for (const status of sentWith) {
      const { name: documentedName, ...doc } = routeHeaderDocs[name];
      add(String(status), documentedName, { ...doc, required: true });
    }
  }
  return byStatus;
}

/**
 * @fastify/swagger copies a response's header entry into the header's schema, so `required`
 * travels there; the document wants it on the header object.
 */
function liftRequiredHeaders(document: Record<string, unknown>): Record<string, unknown> {
  const paths = (document.paths ?? {}) as Record<
    string,
    Record<string, { responses?: Record<string, unknown> }>
  >;
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) {
      for (const response of Object.values(operation.responses ?? {})) {
        const headers = (
          response as { headers?: Record<string, { schema?: { required?: unknown }; required?: boolean }> }
        ).headers;
        for (const header of Object.values(headers ?? {})) {
          if (header.schema?.required !== true) continue;
          delete header.schema.required;
          header.required = true;
        }
      }
    }
  }
  return document;
}

/**
 * OpenAPI 3.1 generated from the routes' Zod schemas: request and response shapes are written
 * once, validated at run time and documented from the same objects. Every operation lists the
 * problem+json responses it can give.
 */
async function openapiPlugin(
  app: FastifyInstance,
  options: { title: string; version: string; description: string },
) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: options.title, version: options.version, description: options.description },
      // Paths are relative to the host that serves the document (each deployment has its own).
      servers: [{ url: '/', description: 'The server that serves this document' }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        },
      },
    },
    transformObject: (document) =>
      'openapiObject' in document
        ? liftRequiredHeaders(mergeInputForms(document.openapiObject) as Record<string, unknown>)
        : document.swaggerObject,
    transform: (input) => {
      const { schema, url, route } = input;
      if (!schema) return { schema, url };
      const out: Record<string, unknown> = { ...schema };
      const components = schemaComponentsOf(input);
      addProblemComponent(components);
      for (const part of ['querystring', 'params', 'headers'] as const) {
        if (schema[part]) out[part] = jsonSchema(schema[part], 'input');
      }
      if (schema.body) out.body = jsonSchema(schema.body, 'input', components);
      // A body per media type: each one's schema is converted, or the raw Zod object would leak
      // into the document (and break its YAML rendering).
      const bodyContent = (schema.body as { content?: Record<string, { schema?: unknown }> } | undefined)
        ?.content;
      if (bodyContent && !isZodSchema(schema.body)) {
        out.body = {
          content: Object.fromEntries(
            Object.entries(bodyContent).map(([type, media]) => [
              type,
              { ...media, schema: jsonSchema(media.schema, 'input', components) },
            ]),
          ),
        };
      }
      const responses: Record<string, unknown> = {};
      for (const [status, response] of Object.entries((schema.response ?? {}) as Record<string, unknown>)) {
        // A response per media type (a report as JSON or PDF): each one's schema is converted.
        const content = (response as { content?: Record<string, { schema?: unknown }> }).content;
        responses[status] =
          content && !isZodSchema(response)
            ? {
                ...(response as object),
                content: Object.fromEntries(
                  Object.entries(content).map(([type, media]) => [
                    type,
                    { ...media, schema: jsonSchema(media.schema, 'output', components) },
                  ]),
                ),
              }
            : jsonSchema(response, 'output', components);
      }
      const auth = route.config?.auth;
      const method = route.method.toString();
      const shape: RouteShape = {
        method,
        url: route.url,
        auth,
        hasBody: Boolean(schema.body),
        mayCarryBody: ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method),
        takesIdentifier: mentionsIdentifier([out.params, out.querystring]),
        problems: route.config?.problems ?? [],
        rateLimited: Boolean((route.config as { rateLimit?: unknown } | undefined)?.rateLimit),
        headers: route.config?.headers ?? {},
      };
      Object.assign(responses, problemResponses(shape, responses));
      for (const [status, headers] of responseHeaders(shape, Object.keys(responses))) {
        const response = responses[status] as Record<string, unknown> | undefined;
        if (!response)
          throw new Error(`${method} ${route.url} sends headers on ${status}, which it does not answer`);
        // @fastify/swagger reads each entry as the header's schema and lifts its description out.
        const raw = Object.fromEntries(
          Object.entries(headers).map(([name, doc]) => [
            name,
            { ...doc.schema, description: doc.description, ...(doc.required ? { required: true } : {}) },
          ]),
        );
        responses[status] = { ...response, headers: raw };
      }
      out.response = responses;
      out.operationId = schema.operationId ?? operationIdOf(String(route.method), url);
      Object.assign(out, securityOf(auth));
      if (auth && auth !== 'public') {
        const roles = `Roles: ${auth.roles.join(', ')}.`;
        out.description = out.description ? `${out.description}\n\n${roles}` : roles;
      }
      return { schema: out, url };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());
}

export default fp(openapiPlugin, { name: 'credit-openapi', fastify: '5.x' });
