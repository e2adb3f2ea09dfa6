import { identifierFormats } from '@credit/schema';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { RouteAuth } from './auth-plugin.ts';
import {
  addProblemComponent,
  jsonSchema,
  mergeInputForms,
  problemJson,
  schemaComponentsOf,
} from './openapi-components.ts';
import { isZodSchema } from './zod-compiler.ts';

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
    status: '422',
    description:
      'Refused (an invalid identifier in the path, query or body is `invalid_identifier`): see `code` and `errors`',
    answers: (route) => route.hasBody || route.takesIdentifier,
  },
  { status: '429', description: 'Rate limited', answers: () => true },
  { status: '500', description: 'Unexpected error (details are logged, not returned)', answers: () => true },
  {
    status: '503',
    description: 'Temporarily unavailable; retry after the Retry-After delay',
    answers: () => true,
  },
];

/** The problem+json responses a route answers beside those its schema declares. */
function problemResponses(route: RouteShape, declared: Record<string, unknown>): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const rule of problemRules) {
    if (declared[rule.status] || !rule.answers(route)) continue;
    responses[rule.status] = {
      description: rule.description,
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
      'openapiObject' in document ? mergeInputForms(document.openapiObject) : document.swaggerObject,
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
      Object.assign(
        responses,
        problemResponses(
          {
            method: route.method.toString(),
            url: route.url,
            auth,
            hasBody: Boolean(schema.body),
            takesIdentifier: mentionsIdentifier([out.params, out.querystring]),
          },
          responses,
        ),
      );
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
