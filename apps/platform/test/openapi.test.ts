import { readFile } from 'node:fs/promises';
import { createTestPlatform, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openapiPath, serialiseOpenapi } from '../src/cli/export-openapi.ts';
import { platformServices } from '../src/services.ts';
import { inlineSchemaRefs } from './support/openapi-refs.ts';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await createTestPlatform(platformServices);
});
afterAll(async () => platform?.close());

describe('the OpenAPI document', () => {
  it('describes every route of the all-in-one server with its security and problem responses', async () => {
    const document = (await platform.request({ url: '/openapi.json' })).json();
    expect(document.openapi).toBe('3.1.0');
    const operationIds: string[] = [];
    for (const route of platform.app.routeAccess) {
      if (route.url.startsWith('/docs') || route.url === '/openapi.json') continue;
      const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
      const operation = document.paths[path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.url}`).toBeDefined();
      expect(operation.operationId, `${route.method} ${route.url}`).toMatch(/^[a-z][A-Za-z0-9]+$/);
      operationIds.push(operation.operationId);
      // Public routes say so: a document without security on them reads as "security undefined".
      if (route.auth === 'public') expect(operation.security, `${route.method} ${route.url}`).toEqual([]);
      else {
        expect(operation.security, `${route.method} ${route.url}`).toEqual([{ bearer: [] }]);
        expect(operation.responses['401'].content['application/problem+json']).toBeDefined();
      }
    }
    expect(new Set(operationIds).size).toBe(operationIds.length);
    expect(document.paths['/v1/records/by-source/{sourceId}'].put.operationId).toBe('putRecordsBySource');
    const push = inlineSchemaRefs(document).paths['/v1/records'].post;
    expect(push.requestBody.content['application/json'].schema.properties).toHaveProperty('subject');
    expect(push.responses['201'].content['application/json'].schema.properties).toHaveProperty('hash');
    // 429 only where a rate limit counts calls, and there with the quota it ran out of.
    expect(document.paths['/v1/records'].post.responses).not.toHaveProperty('429');
    const limited = document.paths['/v1/checks'].post.responses['429'].headers;
    for (const name of ['Retry-After', 'RateLimit', 'RateLimit-Policy'])
      expect(limited[name], name).toMatchObject({ required: true });
    const batch = document.paths['/v1/records/batch'].post.requestBody.content;
    expect(Object.keys(batch)).toEqual(expect.arrayContaining(['application/json', 'application/x-ndjson']));
  });

  it('matches the committed docs/openapi.json (run `npm run export:openapi` after changing routes)', async () => {
    const served = (await platform.request({ url: '/openapi.json' })).json();
    expect(serialiseOpenapi(served)).toBe(await readFile(openapiPath, 'utf8'));
  });

  it('documents the batch body per media type as JSON Schema, so the YAML rendering works', async () => {
    const yamlResponse = await platform.request({ url: '/docs/yaml' });
    expect(yamlResponse.statusCode).toBe(200);
    const document = inlineSchemaRefs((await platform.request({ url: '/openapi.json' })).json());
    const ndjson = document.paths['/v1/records/batch'].post.requestBody.content['application/x-ndjson'];
    // A record, or a row of national items (format=shuanggongshi-…): each an object.
    expect(ndjson.schema.anyOf.map((schema: { type: string }) => schema.type)).toEqual([
      'object',
      'object',
      'object',
    ]);
    expect(ndjson.schema).not.toHaveProperty('def');
  });

  it('writes each shared schema once, in components, and references it', async () => {
    const document = (await platform.request({ url: '/openapi.json' })).json();
    const schemas = document.components.schemas;
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining(['Problem', 'Instant', 'Uscc', 'RecordView', 'ListEntry']),
    );
    const problem = { $ref: '#/components/schemas/Problem' };
    expect(
      document.paths['/v1/records'].post.responses['401'].content['application/problem+json'].schema,
    ).toEqual(problem);
    expect(
      document.paths['/v1/records/{id}'].get.responses['200'].content['application/json'].schema,
    ).toEqual({
      $ref: '#/components/schemas/RecordView',
    });
    const text = JSON.stringify(document);
    // Zod's own definitions are all lifted, and the problem's properties appear once.
    expect(text).not.toContain('$defs');
    // The problem, and the batch stopped partway (a problem with its summary beside it).
    expect(text.split('"instance":').length - 1).toBe(2);
    for (const ref of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g))
      expect(schemas).toHaveProperty(ref[1] as string);
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await platform.request({ url: '/docs/' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('swagger');
  });
});
