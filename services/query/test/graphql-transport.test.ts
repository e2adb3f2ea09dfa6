import { company, push, type RequestOptions, record, type TestPlatform } from '@credit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPlatform, type World, world } from './helpers.ts';

/**
 * The GraphQL endpoint answers a request that is not a GraphQL request as a bad request, and
 * refuses an operation beyond its limits before anything runs, so nothing is read or logged.
 */
let platform: TestPlatform;
let w: World;
let government: string;

beforeAll(async () => {
  platform = await queryPlatform({}, { GRAPHQL_MAX_COST: '50', GRAPHQL_MAX_ALIASES: '30' });
  w = await world(platform, ['org_licence']);
  await platform.request({
    method: 'POST',
    url: '/v1/departments',
    token: w.admin,
    body: { code: 'gql-dept', name: '市场监管局', remit: ['org_basic', 'dishonesty', 'good_credit'] },
  });
  government = await platform.token('government', { org: 'gql-dept' });
});
afterAll(async () => platform?.close());

/** Log lines at error level or above written while `work` ran. */
async function errorLinesDuring(work: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const before = platform.logs.lines.length;
  await work();
  return platform.logs
    .entries()
    .slice(before)
    .filter((line) => Number(line.level) >= 50);
}

async function accessLogRows(): Promise<number> {
  const [row] = await platform.database.query<{ n: string }>('SELECT count(*) AS n FROM query.access_log');
  return Number(row?.n);
}

describe('GraphQL transport', () => {
  it('answers requests that are not GraphQL requests with 400 problem+json, logging no error', async () => {
    const cases: [string, RequestOptions, number, string][] = [
      ['empty JSON body', { method: 'POST', url: '/graphql', rawBody: '' }, 400, 'malformed_json'],
      ['no body at all', { method: 'POST', url: '/graphql' }, 400, 'bad_request'],
      ['{}', { method: 'POST', url: '/graphql', rawBody: '{}' }, 400, 'bad_request'],
      ['null', { method: 'POST', url: '/graphql', rawBody: 'null' }, 400, 'bad_request'],
      ['a number as query', { method: 'POST', url: '/graphql', rawBody: '{"query":1}' }, 400, 'bad_request'],
      ['an empty query', { method: 'POST', url: '/graphql', rawBody: '{"query":""}' }, 400, 'bad_request'],
      [
        'variables not an object',
        { method: 'POST', url: '/graphql', rawBody: '{"query":"{ me { id } }","variables":"x"}' },
        400,
        'bad_request',
      ],
      [
        'a batch',
        { method: 'POST', url: '/graphql', rawBody: '[{"query":"{ me { id } }"}]' },
        400,
        'bad_request',
      ],
      [
        'a persisted query hash only',
        {
          method: 'POST',
          url: '/graphql',
          rawBody: '{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"abc"}}}',
        },
        400,
        'bad_request',
      ],
      ['invalid JSON', { method: 'POST', url: '/graphql', rawBody: '{"query":' }, 400, 'malformed_json'],
      [
        'plain text',
        { method: 'POST', url: '/graphql', rawBody: '{ me { id } }', contentType: 'text/plain' },
        415,
        'unsupported_media_type',
      ],
      ['GET without a query', { method: 'GET', url: '/graphql' }, 400, 'bad_request'],
      [
        'GET with variables that are not JSON',
        { method: 'GET', url: '/graphql?query=%7B__typename%7D&variables=%7B' },
        400,
        'bad_request',
      ],
    ];
    for (const [name, request, status, code] of cases) {
      const errors = await errorLinesDuring(async () => {
        const response = await platform.request(request);
        expect(response.statusCode, `${name}: ${response.body}`).toBe(status);
        expect(response.headers['content-type'], name).toMatch(/^application\/problem\+json/);
        expect(response.json().code, name).toBe(code);
      });
      expect(errors, name).toEqual([]);
    }
  });

  it('still answers a well-formed request by GET and POST, and a document error the GraphQL way', async () => {
    const get = await platform.request({ url: '/graphql?query=%7B__typename%7D' });
    expect(get.statusCode, get.body).toBe(200);
    expect(get.json()).toEqual({ data: { __typename: 'Query' } });
    const post = await platform.request({
      method: 'POST',
      url: '/graphql',
      body: { query: '{ __typename }' },
    });
    expect(post.json()).toEqual({ data: { __typename: 'Query' } });
    const errors = await errorLinesDuring(async () => {
      const invalid = await platform.request({ method: 'POST', url: '/graphql', body: { query: '{ me { ' } });
      expect(invalid.statusCode).toBe(200);
      expect(invalid.json().errors[0].extensions.code).toBe('bad_request');
      const cycle = await platform.request({
        method: 'POST',
        url: '/graphql',
        body: { query: 'query { ...F } fragment F on Query { __typename ...F }' },
      });
      expect(cycle.statusCode).toBe(200);
      expect(cycle.json().errors[0].extensions.code).toBe('bad_request');
      // Found by the fuzzer: a query that is not a document at all (here digits) is a document error too.
      const tree = JSON.stringify({ kind: 'Document', definitions: [{ kind: 'OperationDefinition' }] });
      for (const query of ['370322198902288125', '1', 'true', '"text"', 'null', '{}', tree]) {
        const notDocument = await platform.request({ method: 'POST', url: '/graphql', body: { query } });
        expect(notDocument.statusCode, `${query}: ${notDocument.body}`).toBe(200);
        expect(notDocument.json().errors[0].extensions.code).toBe('bad_request');
      }
    });
    expect(errors).toEqual([]);
  });

  it('refuses 500 aliased subject reads before reading or logging any', async () => {
    const subject = company();
    await push(platform, w.provider.token, record('org_licence', subject));
    await platform.drainConsumers();
    const one = `subject(id: "${subject.id}", purpose: "核查") { records { totalCount } }`;
    // Within the limits the read is served and logged.
    const before = await accessLogRows();
    const served = await platform.request({
      method: 'POST',
      url: '/graphql',
      token: government,
      body: { query: `{ a: ${one} b: ${one} }` },
    });
    expect(served.json().errors, served.body).toBeUndefined();
    expect(await accessLogRows()).toBe(before + 2);

    const aliases = Array.from({ length: 500 }, (_, i) => `s${i}: ${one}`).join(' ');
    const refused = await platform.request({
      method: 'POST',
      url: '/graphql',
      token: government,
      body: { query: `{ ${aliases} }` },
    });
    expect(refused.statusCode, refused.body).toBe(400);
    expect(refused.json()).toMatchObject({ code: 'query_too_complex', measured: { aliases: 500 } });
    expect(await accessLogRows()).toBe(before + 2);
  });

  it('counts aliases behind fragments, and every subject of a list read, against the limits', async () => {
    const spread = Array.from({ length: 16 }, (_, i) => `t${i}: __typename`).join(' ');
    const viaFragments = await platform.request({
      method: 'POST',
      url: '/graphql',
      body: { query: `query { ...F ...G } fragment F on Query { ${spread} } fragment G on Query { ...F }` },
    });
    expect(viaFragments.statusCode, viaFragments.body).toBe(400);
    expect(viaFragments.json()).toMatchObject({ code: 'query_too_complex', measured: { aliases: 32 } });

    const listed = `query ($ids: [ID!]!) { subjects(ids: $ids, purpose: "核查") { records { totalCount } } }`;
    const ids = (n: number) => Array.from({ length: n }, () => company().id);
    const before = await accessLogRows();
    // 1 + 30 × 2 = 61 beyond the cost of 50 set for this platform: nothing is read.
    const tooMany = await platform.request({
      method: 'POST',
      url: '/graphql',
      token: government,
      body: { query: listed, variables: { ids: ids(30) } },
    });
    expect(tooMany.statusCode, tooMany.body).toBe(400);
    expect(tooMany.json()).toMatchObject({ code: 'query_too_complex', measured: { cost: 61 } });
    expect(await accessLogRows()).toBe(before);
    // 1 + 20 × 2 = 41 is within it.
    const within = await platform.request({
      method: 'POST',
      url: '/graphql',
      token: government,
      body: { query: listed, variables: { ids: ids(20) } },
    });
    expect(within.statusCode, within.body).toBe(200);
  });

  it('refuses an operation nested deeper than the limit', async () => {
    const deep =
      '{ __schema { types { fields { type { ofType { ofType { ofType { ofType { name } } } } } } } } }';
    const refused = await platform.request({ method: 'POST', url: '/graphql', body: { query: deep } });
    expect(refused.statusCode, refused.body).toBe(400);
    expect(refused.json()).toMatchObject({ code: 'query_too_complex', measured: { depth: 9 } });
  });

  it('refuses a document too long to parse cheaply', async () => {
    const long = `{ ${Array.from({ length: 11_000 }, () => '__typename').join(' ')} }`;
    const refused = await platform.request({ method: 'POST', url: '/graphql', body: { query: long } });
    expect(refused.statusCode, refused.body).toBe(400);
    expect(refused.json().code).toBe('query_too_complex');
  });
});
