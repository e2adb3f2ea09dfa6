/**
 * How deeply a request body may nest. Every schema of the platform fits in a fraction of it;
 * the limit exists because code that walks a value recursively (the prohibited-field search,
 * canonical JSON, Zod) would otherwise exhaust the stack on a body of a few kilobytes.
 */
export const maxJsonNesting = 64;

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Why a text cannot be stored: PostgreSQL text and jsonb hold neither U+0000 nor unpaired
 * surrogates, so such input is refused at the edge rather than failing in the database.
 */
export function textHazard(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (U+0000)';
  if (loneSurrogate.test(text)) return 'contains an unpaired UTF-16 surrogate';
  return undefined;
}

/**
 * What makes a parsed JSON value unacceptable before any schema looks at it: nesting deeper
 * than `limit`, or a key or string that cannot be stored. Walks without recursion.
 */
export function jsonHazard(value: unknown, limit: number = maxJsonNesting): string | undefined {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop() as [unknown, number];
    if (typeof node === 'string') {
      const hazard = textHazard(node);
      if (hazard) return `a value ${hazard}`;
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    if (depth >= limit) return `the value nests deeper than ${limit} levels`;
    if (Array.isArray(node)) {
      for (const child of node) pending.push([child, depth + 1]);
      continue;
    }
    for (const [key, child] of Object.entries(node)) {
      const hazard = textHazard(key);
      if (hazard) return `a key ${hazard}`;
      pending.push([child, depth + 1]);
    }
  }
  return undefined;
}
