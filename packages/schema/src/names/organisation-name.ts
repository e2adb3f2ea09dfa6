import { Converter } from 'opencc-js/t2cn';
import { districtNames, regionLevelWords, regionNames } from './regions.ts';

/**
 * One organisation name folded for comparison: what the name index stores and what a query is
 * turned into, by the same function, so a name and its variants meet.
 */
export interface NormalisedName {
  /** The distinctive part (字号 and trade): no region prefix, legal form or branch part. */
  core: string;
  /** The administrative regions the name opened with, without level words (山东, 淄博). */
  regions: string[];
  /** The legal form's family, when the name ends with one: all forms compare as equivalent. */
  legalForm: LegalFormFamily | null;
  /** The branch part (张店分公司) when the name is a branch's; `core` is then its parent's. */
  branch: string | null;
  /** Core and branch: two names with the same key are the same name in different dress. */
  key: string;
}

export type LegalFormFamily = 'company' | 'partnership' | 'sole_proprietorship' | 'cooperative';

/** Legal-form suffixes, longest first, each with its family. */
const legalForms: readonly (readonly [string, LegalFormFamily])[] = (
  [
    ['股份有限公司', 'company'],
    ['有限责任公司', 'company'],
    ['股份合作公司', 'company'],
    ['有限公司', 'company'],
    ['股份公司', 'company'],
    ['公司', 'company'],
    ['特殊普通合伙', 'partnership'],
    ['普通合伙', 'partnership'],
    ['有限合伙', 'partnership'],
    ['合伙企业', 'partnership'],
    ['个人独资企业', 'sole_proprietorship'],
    ['独资企业', 'sole_proprietorship'],
    ['农民专业合作社', 'cooperative'],
    ['专业合作社', 'cooperative'],
    ['合作社', 'cooperative'],
  ] as const
)
  .slice()
  .sort((a, b) => b[0].length - a[0].length);

/** What ends a branch's name: the branch part follows its parent's full name. */
const branchMarkers = [
  '分公司',
  '分店',
  '分厂',
  '分行',
  '支行',
  '分社',
  '分部',
  '营业部',
  '办事处',
  '经营部',
];

// Traditional characters as written in Taiwan and Hong Kong both fold to the mainland's.
const fromTaiwan = Converter({ from: 'tw', to: 'cn' });
const fromHongKong = Converter({ from: 'hk', to: 'cn' });

const bracketed = /[(（[【〔]([^)）\]】〕]*)[)）\]】〕]/gu;
const notLetterOrDigit = /[^\p{L}\p{N}]/gu;
const regionPattern = new RegExp(
  `^(?:(${regionNames.join('|')})(?:${regionLevelWords.join('|')})?|(${districtNames.join('|')})(?:区|县))`,
  'u',
);
const minimumCore = 2;

/** Full-width forms, traditional characters, case, spaces and punctuation folded away. */
export function foldName(raw: string): string {
  return fromHongKong(fromTaiwan(raw.normalize('NFKC'))).toUpperCase();
}

function stripPunctuation(text: string): string {
  return text.replace(notLetterOrDigit, '');
}

/** The regions a text consists of entirely, or null when anything else is left. */
function regionsOnly(text: string): string[] | null {
  const { regions, rest } = leadingRegions(text, 0);
  return rest === '' && regions.length > 0 ? regions : null;
}

/** Region prefixes taken from the start while at least `keep` characters remain. */
function leadingRegions(text: string, keep: number): { regions: string[]; rest: string } {
  const regions: string[] = [];
  let rest = text;
  for (;;) {
    const match = regionPattern.exec(rest);
    if (!match) break;
    const after = rest.slice(match[0].length);
    if ([...after].length < keep) break;
    regions.push((match[1] ?? match[2]) as string);
    rest = after;
  }
  return { regions, rest };
}

/** The legal form a text ends with (a one-character slip in a long form still counts). */
function trailingLegalForm(text: string): { form: LegalFormFamily; rest: string } | null {
  for (const [suffix, form] of legalForms) {
    if (text.endsWith(suffix) && [...text].length - suffix.length >= minimumCore)
      return { form, rest: text.slice(0, -suffix.length) };
  }
  for (const [suffix, form] of legalForms) {
    if (suffix.length < 4 || [...text].length - suffix.length < minimumCore) continue;
    if (editDistance(text.slice(-suffix.length), suffix) <= 1)
      return { form, rest: text.slice(0, -suffix.length) };
  }
  return null;
}

/** Splits a branch's name into its parent's name and the branch part. */
function splitBranch(text: string): { parent: string; branch: string } | null {
  const marker = branchMarkers.find((m) => text.endsWith(m));
  if (!marker) return null;
  const body = text.slice(0, -marker.length);
  // The parent's name ends at its last legal-form suffix; what follows names the branch.
  let cut = -1;
  for (const [suffix] of legalForms) {
    const at = body.lastIndexOf(suffix);
    if (at >= 0 && at + suffix.length > cut) cut = at + suffix.length;
  }
  if (cut <= 0) return { parent: body, branch: marker };
  return { parent: body.slice(0, cut), branch: body.slice(cut) + marker };
}

/**
 * Normalises an organisation's name, or a query for one: NFKC (full-width letters, digits and
 * brackets), traditional to simplified characters (OpenCC), upper case, no spaces or
 * punctuation; region prefixes (山东省淄博市…) and a bracketed region (华润(淄博)…) set apart, so
 * they weigh less than the name itself; the legal form (有限公司, 有限责任公司, 股份有限公司,
 * 有限合伙 …) reduced to its family, so one form stands for another; and a branch's name
 * (…有限公司张店分公司) split into its parent's, which becomes the core, and the branch part.
 */
export function normaliseOrganisationName(raw: string): NormalisedName {
  const regions: string[] = [];
  let legalForm: LegalFormFamily | null = null;
  const folded = foldName(raw).replace(bracketed, (_whole, inside: string) => {
    const content = stripPunctuation(inside);
    const inRegions = regionsOnly(content);
    if (inRegions) {
      regions.push(...inRegions);
      return '';
    }
    const form = legalForms.find(([suffix]) => suffix === content);
    if (form) {
      legalForm = form[1];
      return '';
    }
    return content;
  });
  let text = stripPunctuation(folded);
  const split = splitBranch(text);
  if (split) text = split.parent;
  const trailing = trailingLegalForm(text);
  if (trailing) {
    legalForm = trailing.form;
    text = trailing.rest;
  }
  const leading = leadingRegions(text, minimumCore);
  const core = leading.rest;
  const branch = split ? split.branch : null;
  return {
    core,
    regions: [...leading.regions, ...regions],
    legalForm,
    branch,
    key: branch ? `${core}/${branch}` : core,
  };
}

/**
 * The index terms of a name: the character pairs of its core, adjacent and one or two apart
 * (华润陶瓷: 华润, 润陶, 陶瓷, 华_陶, 润_瓷, 华__瓷). A slip in one character breaks the pairs it
 * is part of but leaves its neighbours paired across it, so a one- or two-character typo still
 * shares a specific term with the name meant, not only characters held by tens of thousands of
 * names. `_` cannot occur in a core (punctuation is stripped), so the forms never collide. A
 * one-character core is its own term.
 */
export function nameGrams(name: NormalisedName): string[] {
  const chars = [...name.core];
  if (chars.length === 1) return chars;
  const grams = new Set<string>();
  for (let i = 0; i + 1 < chars.length; i++) grams.add(`${chars[i]}${chars[i + 1]}`);
  for (let i = 0; i + 2 < chars.length; i++) grams.add(`${chars[i]}_${chars[i + 2]}`);
  for (let i = 0; i + 3 < chars.length; i++) grams.add(`${chars[i]}__${chars[i + 3]}`);
  return [...grams];
}

/** Levenshtein distance over characters (code points), for names of a few dozen at most. */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  if (x.length === 0) return y.length;
  if (y.length === 0) return x.length;
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      const substitution = (previous[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1);
      current.push(Math.min(substitution, (previous[j] as number) + 1, (current[j - 1] as number) + 1));
    }
    previous = current;
  }
  return previous[y.length] as number;
}

/** How alike two cores are: edit similarity, or how much of one the other contains. */
function coreSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  const la = [...a].length;
  const lb = [...b].length;
  const longer = Math.max(la, lb);
  const edit = 1 - editDistance(a, b) / longer;
  const shorter = Math.min(la, lb);
  const contained = shorter >= minimumCore && (a.includes(b) || b.includes(a));
  return Math.max(edit, contained ? 0.6 + (0.35 * shorter) / longer : 0);
}

/**
 * How well a candidate's name answers a query, 0..1. The core decides; a region that
 * contradicts, a different legal form or a branch for its parent (or the reverse) lower the score
 * a little, so a name written without its region or with another legal form still ranks first.
 */
export function nameScore(query: NormalisedName, candidate: NormalisedName): number {
  let score = coreSimilarity(query.core, candidate.core);
  if (query.regions.length > 0 && candidate.regions.length > 0) {
    if (!query.regions.some((r) => candidate.regions.includes(r))) score *= 0.9;
  } else if (query.regions.length > 0) score *= 0.98;
  if (query.legalForm && candidate.legalForm && query.legalForm !== candidate.legalForm) score *= 0.97;
  if (query.branch !== candidate.branch) score *= query.branch && candidate.branch ? 0.85 : 0.9;
  return Math.round(score * 10_000) / 10_000;
}

/**
 * A name as written, for comparing dress rather than substance: NFKC, upper case, no spaces or
 * punctuation, region and legal form kept. Registered names are written in simplified
 * characters, so a candidate's is not put through OpenCC (the query's is, by `foldName`).
 */
export function writtenName(raw: string): string {
  return stripPunctuation(raw.normalize('NFKC').toUpperCase());
}

/** How alike two names are as written (`writtenName`), 0..1. */
export function writtenSimilarity(a: string, b: string): number {
  const longer = Math.max([...a].length, [...b].length);
  return longer === 0 ? 1 : 1 - editDistance(a, b) / longer;
}
