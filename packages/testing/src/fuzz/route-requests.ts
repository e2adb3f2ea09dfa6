import fc from 'fast-check';
import {
  encode,
  hostileBodyText,
  hostileContentType,
  hostileSegment,
  hostileString,
  pollutingKeys,
  wrongTypeValue,
} from './hostile.ts';
import {
  arbitraryFromSchema,
  type JsonSchema,
  type SchemaArbitraryOptions,
} from './json-schema-arbitrary.ts';

/** An OpenAPI 3.1 operation, as far as generating requests for it needs. */
export interface FuzzOperation {
  parameters?: { in: string; name: string; required?: boolean; schema?: JsonSchema }[];
  requestBody?: { content: Record<string, { schema?: JsonSchema }> };
}

/** One route to fuzz: its URL pattern (`:param`), its operation, and a request known to reach it. */
export interface FuzzTarget {
  method: string;
  url: string;
  operation: FuzzOperation | undefined;
  /** Values each path parameter takes in a request that reaches the handler. */
  pathValues: Record<string, string>;
  /** Headers of such a request (the bearer token of a role the route allows, an authorisation…). */
  headers: Record<string, string>;
}

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

const queryValue = (value: unknown) => (typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));

function pathArbitrary(target: FuzzTarget, options: SchemaArbitraryOptions): fc.Arbitrary<string> {
  const names = [...target.url.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] as string);
  const schemas = new Map(
    (target.operation?.parameters ?? []).filter((p) => p.in === 'path').map((p) => [p.name, p.schema]),
  );
  const segment = (name: string) =>
    fc.oneof(
      { arbitrary: fc.constant(encode(target.pathValues[name] ?? 'x')), weight: 4 },
      {
        arbitrary: arbitraryFromSchema(schemas.get(name), options).map((v) => encode(queryValue(v) || 'x')),
        weight: 3,
      },
      { arbitrary: hostileSegment, weight: 2 },
    );
  return fc.tuple(...names.map(segment)).map((values) => {
    let index = 0;
    return target.url
      .replace(/:([A-Za-z]+)/g, () => values[index++] ?? 'x')
      .replace(/\*$/, target.pathValues['*'] ?? '');
  });
}

function queryArbitrary(target: FuzzTarget, options: SchemaArbitraryOptions): fc.Arbitrary<string> {
  const declared = (target.operation?.parameters ?? []).filter((p) => p.in === 'query');
  const fromSchema = fc
    .tuple(
      ...declared.map((p) =>
        fc.option(
          arbitraryFromSchema(p.schema, options).map((v) => `${encode(p.name)}=${encode(queryValue(v))}`),
          { nil: undefined },
        ),
      ),
    )
    .map((parts) => parts.filter((p): p is string => p !== undefined));
  const junk = fc.array(
    fc.oneof(
      fc
        .tuple(fc.constantFrom(...pollutingKeys, 'a[b]', 'a[]', 'limit', 'cursor', ''), hostileString)
        .map(([k, v]) => `${encode(k)}=${encode(v.slice(0, 2000))}`),
      fc.constantFrom('%', '&&&', '=', 'a=%zz', 'limit=1&limit=2', 'limit=-1', 'limit=1e9', 'limit=NaN'),
      wrongTypeValue.map((v) => `limit=${encode(queryValue(v).slice(0, 2000))}`),
    ),
    { maxLength: 3 },
  );
  return fc
    .oneof(
      { arbitrary: fromSchema, weight: 3 },
      { arbitrary: fc.tuple(fromSchema, junk).map(([a, b]) => [...a, ...b]), weight: 2 },
    )
    .map((parts) => (parts.length > 0 ? `?${parts.join('&')}` : ''));
}

function headersArbitrary(
  target: FuzzTarget,
  options: SchemaArbitraryOptions,
): fc.Arbitrary<Record<string, string>> {
  const declared = (target.operation?.parameters ?? []).filter((p) => p.in === 'header');
  const fromSchema = fc.tuple(
    ...declared.map((p) =>
      fc.option(
        fc.oneof(
          arbitraryFromSchema(p.schema, options).map(queryValue),
          hostileString.map((s) => s.replace(/[^\x20-\x7e]/g, '?').slice(0, 5000)),
        ),
        { nil: undefined },
      ),
    ),
  );
  const authorization = fc.oneof(
    { arbitrary: fc.constant(target.headers.authorization), weight: 8 },
    {
      arbitrary: fc.constantFrom(
        'Bearer ',
        'Bearer a.b.c',
        'Bearer ....',
        'bearer x',
        'Basic dXNlcjpwYXNz',
        `Bearer ${'a'.repeat(9000)}`,
        'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
      ),
      weight: 1,
    },
  );
  const extra = fc.dictionary(
    fc.constantFrom(
      'x-forwarded-for',
      'accept',
      'accept-encoding',
      'if-match',
      'x-request-id',
      'origin',
      'x-junk',
    ),
    hostileString.map((s) => s.replace(/[^\x20-\x7e]/g, '?').slice(0, 2000)),
    { maxKeys: 2 },
  );
  return fc.tuple(fromSchema, authorization, extra).map(([values, auth, junk]) => {
    const headers: Record<string, string> = { ...target.headers, ...junk };
    declared.forEach((p, i) => {
      const value = values[i];
      if (value !== undefined) headers[p.name] = value;
    });
    if (auth === undefined) delete headers.authorization;
    else headers.authorization = auth;
    return headers;
  });
}

function bodyArbitrary(
  target: FuzzTarget,
  options: SchemaArbitraryOptions,
): fc.Arbitrary<{ payload?: string; contentType?: string }> {
  const content = target.operation?.requestBody?.content ?? {};
  const jsonSchema = content['application/json']?.schema;
  const hasBody = Object.keys(content).length > 0;
  const shaped = arbitraryFromSchema(jsonSchema, options).map((v) => JSON.stringify(v) ?? 'null');
  const contentType = fc.oneof(
    { arbitrary: fc.constantFrom(...(hasBody ? Object.keys(content) : ['application/json'])), weight: 6 },
    { arbitrary: hostileContentType, weight: 1 },
  );
  const withBody = fc.record({
    payload: fc.oneof(
      { arbitrary: shaped, weight: hasBody ? 6 : 1 },
      { arbitrary: hostileBodyText, weight: 3 },
      {
        // A valid body with one property replaced by something hostile.
        arbitrary: fc
          .tuple(arbitraryFromSchema(jsonSchema, options), fc.string({ maxLength: 12 }), wrongTypeValue)
          .map(
            ([value, key, junk]) =>
              JSON.stringify(
                value && typeof value === 'object' && !Array.isArray(value)
                  ? { ...value, [Object.keys(value)[0] ?? key]: junk }
                  : junk,
              ) ?? 'null',
          ),
        weight: 2,
      },
    ),
    contentType,
  });
  return fc.oneof(
    { arbitrary: withBody, weight: hasBody ? 9 : 1 },
    { arbitrary: fc.constant({}), weight: hasBody ? 1 : 4 },
  );
}

/** Requests for one route: realistic parts from its schemas and its known-good call, mixed with junk. */
export function requestArbitrary(
  target: FuzzTarget,
  options: SchemaArbitraryOptions = {},
): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      path: pathArbitrary(target, options),
      query: queryArbitrary(target, options),
      headers: headersArbitrary(target, options),
      body: bodyArbitrary(target, options),
    })
    .map(({ path, query, headers, body }) => {
      const request: FuzzRequest = { method: target.method, url: `${path}${query}`, headers: { ...headers } };
      if (body.payload !== undefined) {
        request.payload = body.payload;
        request.headers['content-type'] = body.contentType ?? 'application/json';
      }
      return request;
    });
}
