/**
 * Run as a process of its own: imports the whole platform as `npm start` does and prints which
 * built-in methods the import replaced. A polyfill bundled in a dependency (core-js in pdf.js's
 * Node build replaces Array.prototype.push on Node 20) would slow every request of every service.
 */
const globals = {
  Array,
  Object,
  String,
  Number,
  Promise,
  Map,
  Set,
  WeakMap,
  Uint8Array,
  RegExp,
  Date,
  JSON,
  Math,
  Reflect,
  Symbol,
  Error,
} as const;

// Descriptors, not values: an accessor (RegExp.lastMatch) answers differently after any match.
function snapshot(): Map<string, PropertyDescriptor | undefined> {
  const seen = new Map<string, PropertyDescriptor | undefined>();
  for (const [name, value] of Object.entries(globals)) {
    for (const key of Reflect.ownKeys(value))
      seen.set(`${name}.${String(key)}`, Object.getOwnPropertyDescriptor(value, key));
    const prototype = (value as { prototype?: object }).prototype;
    if (prototype)
      for (const key of Reflect.ownKeys(prototype))
        seen.set(`${name}.prototype.${String(key)}`, Object.getOwnPropertyDescriptor(prototype, key));
  }
  return seen;
}

function same(a: PropertyDescriptor | undefined, b: PropertyDescriptor | undefined): boolean {
  return Object.is(a?.value, b?.value) && a?.get === b?.get && a?.set === b?.set;
}

const before = snapshot();
await import('../../src/services.ts');
await import('@credit/report-document');
const after = snapshot();
const replaced = [...after.keys()].filter((key) => before.has(key) && !same(before.get(key), after.get(key)));
process.stdout.write(`${JSON.stringify(replaced)}\n`);

export {};
