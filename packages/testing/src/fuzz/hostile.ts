import fc from 'fast-check';

/** Nested arrays or objects far deeper than any schema, built as text so building costs nothing. */
export const deepNesting: fc.Arbitrary<string> = fc
  .record({ depth: fc.integer({ min: 50, max: 20_000 }), kind: fc.constantFrom('array', 'object') })
  .map(({ depth, kind }) =>
    kind === 'array'
      ? `${'['.repeat(depth)}${']'.repeat(depth)}`
      : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
  );

/** Keys that poison naive merges and lookups. */
export const pollutingKeys = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
];

export const pollutedObject: fc.Arbitrary<string> = fc
  .record({ key: fc.constantFrom(...pollutingKeys), inner: fc.constantFrom(...pollutingKeys) })
  .map(({ key, inner }) => `{"${key}":{"${inner}":{"polluted":true},"polluted":true},"${inner}":[1]}`);

/** Strings no schema expects: controls, lone surrogates, right-to-left marks, very long runs. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.constantFrom(
    '\u0000',
    '\ud800',
    '\udfff\ud800',
    '\u202e\u202d',
    '￿',
    '𠀀𪚥',
    '../../etc/passwd',
    '%00',
    "' OR '1'='1",
    '"; DROP TABLE x; --',
    '$' + '{jndi:ldap://x}',
    '<script>alert(1)</script>',
    'NaN',
    '-0',
    '1e309',
    '9007199254740993',
    'null',
    'true',
    '[]',
    '{}',
  ),
  fc.integer({ min: 1_000, max: 200_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 100, max: 5_000 }).map((n) => '身份证'.repeat(n)),
  // Deeply nested query languages (GraphQL selections, filters) written as one string.
  fc.integer({ min: 50, max: 20_000 }).map((n) => `${'{a'.repeat(n)}${'}'.repeat(n)}`),
);

/** Any JSON value of the wrong type for wherever it lands. */
export const wrongTypeValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1e308, -1e308, 0.5, [], {}, [null], { '': '' }),
  hostileString,
  fc.jsonValue({ maxDepth: 4 }),
);

/** Whole bodies that are not JSON, or JSON that is not what any route takes. */
export const hostileBodyText: fc.Arbitrary<string> = fc.oneof(
  deepNesting,
  pollutedObject,
  fc.constantFrom(
    '',
    '{',
    '}',
    '[',
    '{"a":}',
    '{"a":1,}',
    "{'a':1}",
    'undefined',
    'NaN',
    '\u0000',
    '\ufeff{}',
    '{"a":1}{"a":2}',
    '{"a":1}\n{"a":2}',
    '{"__proto__":null}',
    'null',
    '0',
    '"string"',
    '[[[[[[[[[[',
    '{"a":"\\ud800"}',
    '{"a":"\\u0000"}',
    '1'.repeat(400),
    `{"n":1${'0'.repeat(400)}}`,
  ),
  fc.string({ unit: 'binary', maxLength: 200 }),
  wrongTypeValue.map((value) => JSON.stringify(value) ?? 'null'),
);

const loneSurrogates = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Percent-encodes any string; lone surrogates (which cannot be encoded) become U+FFFD. */
export function encode(value: string): string {
  return encodeURIComponent(value.replace(loneSurrogates, '\ufffd'));
}

/** Path segments that break naive routing, decoding or identifier parsing. */
export const hostileSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '%',
    '%zz',
    '%00',
    '..',
    '.',
    '%2e%2e',
    '%2F',
    '%c0%af',
    '%ff%fe',
    '%ed%a0%80',
    ';',
    ' ',
    '%20',
  ),
  hostileString.map((s) => encode(s.slice(0, 300)).replace(/%25/g, '%')),
  fc.integer({ min: 150, max: 3_000 }).map((n) => 'A'.repeat(n)),
);

export const hostileContentType: fc.Arbitrary<string> = fc.constantFrom(
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----x',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json;;;',
  'application/*',
  '*/*',
  'application/x-ndjson',
  'application/octet-stream',
  'json',
  ';',
  'application/json, text/plain',
  'APPLICATION/JSON',
);
