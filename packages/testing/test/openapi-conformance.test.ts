import { generateUscc, seededRandom } from '@credit/schema';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type OpenapiDocument, responseChecker } from '../src/openapi-conformance.ts';
import { createTestPlatform, type TestPlatform } from '../src/test-platform.ts';

const problem = {
  type: 'object',
  properties: { type: { type: 'string' }, status: { type: 'integer' }, code: { type: 'string' } },
  required: ['type', 'status', 'code'],
  additionalProperties: false,
};
const document: OpenapiDocument = {
  paths: {
    '/v1/things/{id}': {
      get: {
        responses: {
          200: {
            headers: {
              ETag: { required: true },
              RateLimit: { schema: { pattern: '^"[a-z]+";r=[0-9]+;t=[0-9]+$' } },
            },
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { id: { type: 'string' }, uscc: { type: 'string', format: 'uscc' } },
                  required: ['id'],
                  additionalProperties: false,
                },
              },
            },
          },
          404: { content: { 'application/problem+json': { schema: problem } } },
        },
      },
    },
    '/v1/things/latest': { get: { responses: { 204: {} } } },
  },
} as OpenapiDocument;

const uscc = generateUscc(seededRandom(24));
const answer = (
  statusCode: number,
  headers: Record<string, string>,
  body: unknown,
  url = '/v1/things/t1',
) => ({
  method: 'GET',
  url,
  statusCode,
  headers,
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const json = { 'content-type': 'application/json; charset=utf-8', etag: '"v1"' };

describe('the OpenAPI conformance check', () => {
  const checker = responseChecker(document);

  it('passes an answer the document allows', () => {
    expect(checker.check(answer(200, json, { id: 't1', uscc }))).toEqual([]);
    expect(checker.check(answer(204, {}, '', '/v1/things/latest?x=1'))).toEqual([]);
    expect(
      checker.check(
        answer(
          404,
          { 'content-type': 'application/problem+json' },
          { type: 'x', status: 404, code: 'not_found' },
        ),
      ),
    ).toEqual([]);
  });

  it('catches an undocumented status, content type or required header, a header out of its form, and a body outside its schema', () => {
    const [status] = checker.check(answer(409, { 'content-type': 'application/problem+json' }, {}));
    expect(status).toContain('GET /v1/things/{id} answered 409: status 409 is not documented');
    expect(checker.check(answer(200, { ...json, 'content-type': 'text/html' }, '<p>')).join()).toContain(
      'content type text/html is not documented',
    );
    expect(checker.check(answer(200, { 'content-type': 'application/json' }, { id: 't1' })).join()).toContain(
      'required header ETag is missing',
    );
    expect(checker.check(answer(200, { ...json, ratelimit: '"public";r=3;t=40' }, { id: 't1' }))).toEqual([]);
    expect(checker.check(answer(200, { ...json, ratelimit: 'limit=3' }, { id: 't1' })).join()).toContain(
      "header RateLimit 'limit=3' does not match",
    );
    expect(checker.check(answer(200, json, { id: 't1', extra: true })).join()).toContain(
      'must NOT have additional properties',
    );
    // The identifier formats are judged by the schema package's own checks (a wrong check character).
    const wrongCheck = `${uscc.slice(0, 17)}${uscc.endsWith('0') ? '1' : '0'}`;
    expect(checker.check(answer(200, json, { id: 't1', uscc: wrongCheck })).join()).toContain('format');
    expect(checker.check(answer(200, json, '{"id":')).join()).toContain('does not parse');
  });

  it('has nothing to say about paths the document does not describe', () => {
    expect(checker.check(answer(418, {}, 'teapot', '/elsewhere'))).toEqual([]);
  });
});

describe('every answer a test receives', () => {
  let platform: TestPlatform;
  // A service whose one route answers what its schema does not allow, when asked to.
  const probe = {
    name: 'probe',
    migrations: [],
    plugin: async (app: FastifyInstance) => {
      app.get(
        '/v1/probe/:mode',
        {
          config: { auth: 'public' },
          schema: {
            params: z.object({ mode: z.enum(['fits', 'extra-field', 'teapot']) }),
            response: { 200: z.object({ ok: z.boolean() }) },
          },
        },
        async (request, reply: FastifyReply) => {
          const { mode } = request.params as { mode: string };
          if (mode === 'teapot') return reply.code(418).send({ ok: false });
          // Past the response schema, as a handler writing its own text would be.
          if (mode === 'extra-field')
            return reply.type('application/json').serializer(JSON.stringify).send({ ok: true, secret: 1 });
          return { ok: true };
        },
      );
    },
  };

  beforeAll(async () => {
    platform = await createTestPlatform([probe]);
  });
  afterAll(async () => platform?.close());

  it('fails the request that received a contradiction of the document', async () => {
    expect((await platform.request({ url: '/v1/probe/fits' })).json()).toEqual({ ok: true });
    await expect(platform.request({ url: '/v1/probe/teapot' })).rejects.toThrow(
      /GET \/v1\/probe\/\{mode\} answered 418: status 418 is not documented/,
    );
    await expect(platform.request({ url: '/v1/probe/extra-field' })).rejects.toThrow(
      /answered 200: the body does not fit the application\/json schema/,
    );
    // Direct injections are answers a test receives too.
    await expect(platform.app.inject({ url: '/v1/probe/teapot' })).rejects.toThrow(
      /status 418 is not documented/,
    );
  });
});
