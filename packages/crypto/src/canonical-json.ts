/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, `undefined` members dropped,
 * dates as ISO strings. Two equal values always give the same bytes, so a hash over it is a hash
 * over the content, not over how a client happened to order its keys.
 */
/**
 * Object keys as JSON strings, kept once made: records repeat the same few hundred field names,
 * and quoting each key anew was a third of the cost. Bounded, since keys come from pushed data.
 */
const quotedKeys = new Map<string, string>();
const quotedKeysLimit = 4096;

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size < quotedKeysLimit) quotedKeys.set(key, quoted);
  }
  return quoted;
}

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value))
        throw new TypeError('canonical JSON has no representation for non-finite numbers');
      return JSON.stringify(value);
    case 'object': {
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      // Loops and string building rather than entries/filter/map/join: this runs for every
      // pushed record (fingerprint and commitment) and the intermediate arrays were its cost.
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += canonicalJson(value[i] ?? null);
        }
        return `${out}]`;
      }
      const object = value as Record<string, unknown>;
      // The default sort compares UTF-16 code units, the order canonical JSON asks for.
      const keys = Object.keys(object);
      if (keys.length > 1) keys.sort();
      let out = '{';
      let first = true;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        const member = object[key];
        if (member === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += quotedKey(key);
        out += ':';
        out += canonicalJson(member);
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonical JSON has no representation for ${typeof value}`);
  }
}
