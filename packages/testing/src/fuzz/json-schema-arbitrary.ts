import fc from 'fast-check';

/** The subset of JSON Schema (2020-12) the routes' Zod schemas convert to. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  minItems?: number;
  maxItems?: number;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
}

export interface SchemaArbitraryOptions {
  /** Real values (identifiers, codes) offered for any string, so generated requests name things that exist. */
  knownStrings?: readonly string[];
  /** How deep nested objects and arrays go before only leaves are generated. */
  maxDepth?: number;
}

function stringOf(schema: JsonSchema, options: SchemaArbitraryOptions): fc.Arbitrary<string> {
  const maxLength = Math.min(schema.maxLength ?? 40, 200);
  const minLength = Math.min(schema.minLength ?? 0, maxLength);
  let shaped: fc.Arbitrary<string>;
  switch (schema.format) {
    case 'date':
      shaped = fc
        .date({ min: new Date('1990-01-01'), max: new Date('2035-12-31'), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10));
      break;
    case 'date-time':
      shaped = fc
        .date({ min: new Date('1990-01-01'), max: new Date('2035-12-31'), noInvalidDate: true })
        .map((d) => d.toISOString());
      break;
    case 'uri':
      shaped = fc.webUrl();
      break;
    case 'email':
      shaped = fc.emailAddress();
      break;
    case 'uuid':
      shaped = fc.uuid();
      break;
    default:
      shaped = schema.pattern ? matching(schema.pattern, maxLength) : fc.string({ minLength, maxLength });
  }
  const known = options.knownStrings ?? [];
  return known.length > 0 ? fc.oneof({ arbitrary: shaped, weight: 3 }, fc.constantFrom(...known)) : shaped;
}

function matching(pattern: string, maxLength: number): fc.Arbitrary<string> {
  try {
    return fc.stringMatching(new RegExp(pattern)).filter((s) => s.length <= Math.max(maxLength, 1) * 2);
  } catch {
    // A pattern fast-check cannot invert: plain strings, which the route will mostly refuse.
    return fc.string({ maxLength });
  }
}

function numberOf(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : -1e6);
  const max = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : 1e6);
  const low = Math.max(Math.min(min, max), -Number.MAX_SAFE_INTEGER);
  const high = Math.min(Math.max(min, max), Number.MAX_SAFE_INTEGER);
  return integer
    ? fc.integer({ min: Math.ceil(low), max: Math.floor(high) })
    : fc.double({ min: low, max: high, noNaN: true });
}

/**
 * A fast-check arbitrary of values shaped by a JSON Schema: mostly valid, with the optional
 * properties present or not, so a route's handler is reached and not only its validator.
 */
export function arbitraryFromSchema(
  schema: JsonSchema | undefined,
  options: SchemaArbitraryOptions = {},
  root: JsonSchema | undefined = schema,
  depth = 0,
): fc.Arbitrary<unknown> {
  if (!schema || typeof schema !== 'object') return fc.jsonValue({ maxDepth: 2 });
  const next = (child: JsonSchema | undefined) => arbitraryFromSchema(child, options, root, depth + 1);
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop() ?? '';
    const target = root?.$defs?.[name];
    return target && depth < (options.maxDepth ?? 6) ? next(target) : fc.constant(null);
  }
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives && alternatives.length > 0) return fc.oneof(...alternatives.map((a) => next(a)));
  if (schema.allOf && schema.allOf.length > 0) return next(schema.allOf[0]);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  const tooDeep = depth >= (options.maxDepth ?? 6);
  switch (type) {
    case 'string':
      return stringOf(schema, options);
    case 'integer':
      return numberOf(schema, true);
    case 'number':
      return numberOf(schema, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      if (tooDeep) return fc.constant([]);
      if (schema.prefixItems) return fc.tuple(...schema.prefixItems.map((item) => next(item)));
      const maxLength = Math.min(schema.maxItems ?? 4, 4);
      return fc.array(next(schema.items), {
        minLength: Math.min(schema.minItems ?? 0, maxLength),
        maxLength,
      });
    }
    case 'object': {
      if (tooDeep) return fc.constant({});
      const properties = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      const shape = Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, next(value)]));
      const keys = Object.keys(shape).filter((key) => required.has(key));
      const base = fc.record(shape, { requiredKeys: keys });
      if (typeof schema.additionalProperties === 'object' && Object.keys(properties).length === 0)
        return fc.dictionary(fc.string({ maxLength: 20 }), next(schema.additionalProperties), { maxKeys: 4 });
      return base;
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}
