/**
 * Splits a field name into lower-case words across the spellings departments use:
 * camelCase, PascalCase, snake_case, kebab-case, dotted and spaced names.
 * `bloodType`, `blood_type` and `BLOOD-TYPE` all become `['blood', 'type']`.
 */
export function keyWords(key: string): string[] {
  return key
    .normalize('NFKC')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9\u4e00-\u9fff]+/)
    .filter((word) => word.length > 0);
}

/** True when `words` contains `phrase` as a contiguous run. */
export function containsPhrase(words: readonly string[], phrase: readonly string[]): boolean {
  outer: for (let start = 0; start + phrase.length <= words.length; start++) {
    for (let i = 0; i < phrase.length; i++) {
      if (words[start + i] !== phrase[i]) continue outer;
    }
    return true;
  }
  return false;
}

export interface FieldCategory<C extends string> {
  code: C;
  zh: string;
  en: string;
  /** Chinese terms; a key containing any of them belongs to the category. */
  chinese: readonly string[];
  /** English phrases as word lists; a key whose words contain one belongs to the category. */
  english: readonly (readonly string[])[];
}

/**
 * Classifications already made, per category list. Pushed records repeat the same few dozen
 * field names millions of times; the cache is bounded so that random keys cannot grow it.
 */
const classified = new WeakMap<readonly FieldCategory<string>[], Map<string, string | null>>();
const classifiedLimit = 4096;

/** Finds which category, if any, a single key names. */
export function classifyKey<C extends string>(
  key: string,
  categories: readonly FieldCategory<C>[],
): C | undefined {
  let cache = classified.get(categories);
  if (!cache) {
    cache = new Map();
    classified.set(categories, cache);
  }
  const known = cache.get(key);
  if (known !== undefined) return (known ?? undefined) as C | undefined;
  const category = classifyUncached(key, categories);
  if (cache.size >= classifiedLimit) cache.clear();
  cache.set(key, category ?? null);
  return category;
}

function classifyUncached<C extends string>(
  key: string,
  categories: readonly FieldCategory<C>[],
): C | undefined {
  const words = keyWords(key);
  const joined = words.join('');
  for (const category of categories) {
    if (category.chinese.some((term) => key.includes(term))) return category.code;
    for (const phrase of category.english) {
      // `bloodtype` written as one word still names the phrase `blood type`.
      if (containsPhrase(words, phrase) || joined === phrase.join('')) return category.code;
    }
  }
  return undefined;
}

export interface KeyHit<C extends string> {
  path: string;
  key: string;
  category: C;
}

/** Walks any JSON value and reports every object key, at any depth, that names a category. */
export function findKeys<C extends string>(
  value: unknown,
  categories: readonly FieldCategory<C>[],
): KeyHit<C>[] {
  const hits: KeyHit<C>[] = [];
  const walk = (node: unknown, path: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, index) => {
        walk(item, path ? `${path}.${index}` : String(index));
      });
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, child] of Object.entries(node)) {
      const childPath = path ? `${path}.${key}` : key;
      const category = classifyKey(key, categories);
      if (category) hits.push({ path: childPath, key, category });
      walk(child, childPath);
    }
  };
  walk(value, '');
  return hits;
}
