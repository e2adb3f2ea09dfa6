/**
 * The OpenAPI document with every `#/components/schemas/…` reference replaced by the schema it
 * names (keeping the reference's own keywords, such as a description), for tests that walk a
 * route's schemas as one tree. A schema that contains itself keeps its reference there.
 */
export function inlineSchemaRefs<T>(document: T): T {
  const schemas =
    (document as { components?: { schemas?: Record<string, unknown> } }).components?.schemas ?? {};
  const prefix = '#/components/schemas/';
  const inline = (value: unknown, open: readonly string[]): unknown => {
    if (Array.isArray(value)) return value.map((item) => inline(item, open));
    if (value === null || typeof value !== 'object') return value;
    const { $ref, ...rest } = value as Record<string, unknown>;
    const inlined = Object.fromEntries(Object.entries(rest).map(([key, item]) => [key, inline(item, open)]));
    if (typeof $ref !== 'string' || !$ref.startsWith(prefix)) return $ref === undefined ? inlined : value;
    const name = $ref.slice(prefix.length);
    if (open.includes(name) || !(name in schemas)) return value;
    return { ...(inline(schemas[name], [...open, name]) as object), ...inlined };
  };
  return { ...document, paths: inline((document as { paths: unknown }).paths, []) } as T;
}
