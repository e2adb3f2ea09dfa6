import { problemSchema } from '@credit/schema';
import { z } from 'zod';
import { documentedSchema, isZodSchema } from './zod-compiler.ts';

/*
 * The document's `components/schemas`: shared schemas written once and referenced, which keeps
 * the document small and gives generated clients one type per shared shape.
 */

type Io = 'input' | 'output';
type JsonObject = Record<string, unknown>;
/** Where shared schemas are lifted to, by component name. */
type SchemaComponents = Record<string, unknown>;

const definitionsRef = '#/$defs/';
const componentsRef = '#/components/schemas/';
/** The component an input form gets while it is not known to equal the output form. */
const inputSuffix = 'Input';

function convert(schema: unknown, io: Io): JsonObject {
  const converted = z.toJSONSchema(schema as z.ZodType, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  }) as JsonObject;
  delete converted.$schema;
  return converted;
}

/** Every `$ref` in a JSON value rewritten by `rename` (the value is copied, not changed). */
function mapRefs(value: unknown, rename: (ref: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => mapRefs(item, rename));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      key === '$ref' && typeof item === 'string' ? rename(item) : mapRefs(item, rename),
    ]),
  );
}

/**
 * A route's schema as JSON Schema. The shared schemas of `@credit/schema` carry a Zod `id`
 * (`nameComponent` there), which Zod writes as `$defs`: given `components`, they are lifted there and
 * referenced, so each is written once in the document instead of under every operation. An
 * input form is lifted as `<id>Input` until `mergeInputForms` finds it equal to the output form.
 * Without `components` (parameters, which tools expect inline) the definitions are inlined.
 */
export function jsonSchema(part: unknown, io: Io, components?: SchemaComponents): unknown {
  const schema = documentedSchema(part);
  if (!isZodSchema(schema)) return schema;
  const { $defs, ...converted } = convert(schema, io) as JsonObject & { $defs?: Record<string, unknown> };
  const definitions = $defs ?? {};
  if (!components) return inlineDefinitions(converted, definitions);
  const nameOf = (id: string) => (io === 'input' ? `${id}${inputSuffix}` : id);
  const rename = (ref: string) =>
    ref.startsWith(definitionsRef) ? `${componentsRef}${nameOf(ref.slice(definitionsRef.length))}` : ref;
  for (const [id, definition] of Object.entries(definitions)) {
    const lifted = mapRefs(definition, rename);
    const name = nameOf(id);
    if (components[name] && JSON.stringify(components[name]) !== JSON.stringify(lifted))
      throw new Error(`two different schemas carry the id ${id}`);
    components[name] = lifted;
  }
  return mapRefs(converted, rename);
}

/** A converted schema with its `$defs` references replaced by the definitions themselves. */
function inlineDefinitions(value: unknown, definitions: Record<string, unknown>): unknown {
  if (Array.isArray(value)) return value.map((item) => inlineDefinitions(item, definitions));
  if (value === null || typeof value !== 'object') return value;
  const { $ref, ...rest } = value as JsonObject;
  const inlined = Object.fromEntries(
    Object.entries(rest).map(([key, item]) => [key, inlineDefinitions(item, definitions)]),
  );
  if (typeof $ref !== 'string' || !$ref.startsWith(definitionsRef))
    return $ref ? { $ref, ...inlined } : inlined;
  const definition = inlineDefinitions(definitions[$ref.slice(definitionsRef.length)], definitions);
  return { ...(definition as JsonObject), ...inlined };
}

/**
 * An input form that says the same as its output form (most do: a timestamp, a strict body) is
 * the same component: the `<id>Input` copy goes and its references point at `<id>`. One lone
 * input form takes the plain name. Repeated until nothing changes, since a form equals its
 * output only once the forms it references have been merged.
 */
export function mergeInputForms<T extends object>(document: T): T {
  let current = document as JsonObject;
  for (;;) {
    const schemas = (current.components as { schemas: SchemaComponents }).schemas;
    const merged = new Map<string, string>();
    for (const [name, schema] of Object.entries(schemas)) {
      if (!name.endsWith(inputSuffix)) continue;
      const base = name.slice(0, -inputSuffix.length);
      if (!(base in schemas) || JSON.stringify(schemas[base]) === JSON.stringify(schema))
        merged.set(`${componentsRef}${name}`, `${componentsRef}${base}`);
    }
    if (merged.size === 0) return current as T;
    const next = mapRefs(current, (ref) => merged.get(ref) ?? ref) as JsonObject;
    const nextSchemas = (next.components as { schemas: SchemaComponents }).schemas;
    for (const [from, to] of merged) {
      const name = from.slice(componentsRef.length);
      const base = to.slice(componentsRef.length);
      nextSchemas[base] ??= nextSchemas[name];
      delete nextSchemas[name];
    }
    (next.components as { schemas: SchemaComponents }).schemas = Object.fromEntries(
      Object.entries(nextSchemas).sort(([a], [b]) => a.localeCompare(b)),
    );
    current = next;
  }
}

/** The schemas section of the document being built (a transform may add to it). */
export function schemaComponentsOf(document: object): SchemaComponents {
  if (!('openapiObject' in document)) throw new Error('the platform documents OpenAPI 3.1 only');
  const openapi = document.openapiObject as { components?: { schemas?: SchemaComponents } };
  openapi.components ??= {};
  openapi.components.schemas ??= {};
  return openapi.components.schemas;
}

/** Problem documents, the same on every operation, are one component. */
export const problemJson = { $ref: `${componentsRef}Problem` };

/** Writes the problem schema into the components (every operation references it). */
export function addProblemComponent(components: SchemaComponents): void {
  if (JSON.stringify(jsonSchema(problemSchema, 'output', components)) !== JSON.stringify(problemJson))
    throw new Error('the problem schema must carry the component name Problem');
}
