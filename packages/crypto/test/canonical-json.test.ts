import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/canonical-json.ts';

/** The definition, written plainly: what any faster implementation must agree with byte for byte. */
function reference(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map((item) => reference(item ?? null)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function shuffledKeys(value: unknown, random: () => number): unknown {
  if (Array.isArray(value)) return value.map((item) => shuffledKeys(item, random));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [entries[i], entries[j]] = [entries[j] as [string, unknown], entries[i] as [string, unknown]];
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, shuffledKeys(v, random)]));
}

const values = fc
  .jsonValue()
  .chain((json) =>
    fc.constantFrom(json, { json, absent: undefined, when: new Date(Date.UTC(2026, 10, 22)) }),
  );

describe('canonical JSON', () => {
  it('agrees with its plain definition, byte for byte, on generated values', () => {
    fc.assert(
      fc.property(values, (value) => {
        expect(canonicalJson(value)).toBe(reference(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('does not depend on the order of keys, and reads back as the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer(), (value, seed) => {
        let state = seed >>> 0;
        const random = () => {
          state = (state * 1_103_515_245 + 12_345) >>> 0;
          return state / 2 ** 32;
        };
        const canonical = canonicalJson(value);
        expect(canonicalJson(shuffledKeys(value, random))).toBe(canonical);
        expect(JSON.parse(canonical)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 1000 },
    );
  });

  it('sorts keys by UTF-16 code unit and refuses what JSON cannot hold', () => {
    expect(canonicalJson({ b: 1, a: [true, null], é: 'x', Z: undefined, '\u{1F600}': 2, '\uFFFF': 3 })).toBe(
      '{"a":[true,null],"b":1,"é":"x","\u{1F600}":2,"\uFFFF":3}',
    );
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson(() => 1)).toThrow(TypeError);
  });
});
