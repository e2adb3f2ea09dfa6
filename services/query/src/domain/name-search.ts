import {
  foldName,
  type LegalFormFamily,
  type NormalisedName,
  nameGrams,
  nameScore,
  normaliseIdentifier,
  normaliseOrganisationName,
  type OrganisationKind,
  writtenName,
  writtenSimilarity,
} from '@credit/schema';
import type { IndexedName, NameIndexRepository, NameProbe } from '../repositories/name-index-repository.ts';

/** Why a candidate was found. */
export type MatchKind = 'exact_id' | 'uscc_prefix' | 'exact_name' | 'fuzzy_name';

/** An organisation a name (or code) search found, with its best-matching name. */
export interface OrganisationMatch {
  subjectKey: Buffer;
  uscc: string;
  kind: OrganisationKind;
  name: string;
  formerNames: string[];
  score: number;
  matchedName: string;
  matchedBy: MatchKind;
}

/**
 * How many index rows a query's look-up may read: its terms are taken rarest first while the
 * names they hold add up to no more than this, so a query costs about the same at ten thousand
 * names as at ten million, and a common word (陶瓷, 科技) never drags a hundred thousand
 * candidates in. A query none of whose terms is that rare reads at most this many of the names
 * holding its two rarest terms both. Every term still counts when the candidates are ranked.
 */
const lookUpRows = 300;
/** Candidates read per public query before they are scored; the SQL ranking orders them. */
const candidatesPerQuery = 50;
/**
 * How much a name's written form (its region and legal form as typed) weighs beside its core:
 * only enough to order names whose cores answer the query equally well, so that of two
 * organisations a typo leaves indistinguishable, the one written as the query was comes first.
 */
const writtenWeight = 0.001;
/** Names looked up per statement; a screening call's slices run at once, on as many connections. */
const namesPerStatement = 250;
const usccCharacters = /^[0-9A-HJ-NPQRTUWXY]{4,18}$/;

/** The terms a query is looked up by: its rarest known ones within the budget, else the two rarest together. */
function lookUpGrams(grams: string[], counts: Map<string, number>): { anyOf: string[]; allOf: string[] } {
  const known = grams
    .filter((g) => (counts.get(g) ?? 0) > 0)
    .sort((a, b) => (counts.get(a) ?? 0) - (counts.get(b) ?? 0) || (a < b ? -1 : 1));
  const anyOf: string[] = [];
  let rows = 0;
  for (const gram of known) {
    const names = counts.get(gram) ?? 0;
    if (rows + names > lookUpRows) break;
    anyOf.push(gram);
    rows += names;
  }
  return { anyOf, allOf: anyOf.length === 0 ? known.slice(0, 2) : [] };
}

function asNormalised(name: IndexedName): NormalisedName {
  return {
    core: name.core,
    regions: name.regions,
    legalForm: name.legalForm as LegalFormFamily | null,
    branch: name.branch,
    key: name.nameKey,
  };
}

/** A query as the look-up and the scoring read it. */
interface Query {
  normalised: NormalisedName;
  written: string;
}

function queryOf(text: string): Query {
  return { normalised: normaliseOrganisationName(text), written: writtenName(foldName(text)) };
}

/**
 * nameScore, with the written form deciding between names that answer equally well; the same
 * name once normalised scores 1 whatever its dress.
 */
function matchScore(query: Query, name: IndexedName): number {
  const core = nameScore(query.normalised, asNormalised(name));
  if (core === 1) return 1;
  const written = writtenSimilarity(query.written, writtenName(name.name));
  return Math.round((core * (1 - writtenWeight) + written * writtenWeight) * 1_000_000) / 1_000_000;
}

/** A subject's names as a match: current name first, former names oldest registration first. */
function matchOf(names: IndexedName[], query: Query): OrganisationMatch {
  const current = names.find((n) => n.isCurrent) ?? (names[0] as IndexedName);
  let best = current;
  let bestScore = -1;
  for (const name of names) {
    const score = matchScore(query, name);
    if (score > bestScore || (score === bestScore && name.isCurrent)) {
      best = name;
      bestScore = score;
    }
  }
  return {
    subjectKey: current.subjectKey,
    uscc: current.uscc,
    kind: current.kind,
    name: current.name,
    formerNames: names
      .filter((n) => !n.isCurrent && n.registeredAt)
      .sort((a, b) => (a.registeredAt?.getTime() ?? 0) - (b.registeredAt?.getTime() ?? 0))
      .map((n) => n.name),
    score: bestScore,
    matchedName: best.name,
    matchedBy: best.nameKey === query.normalised.key ? 'exact_name' : 'fuzzy_name',
  };
}

/** Groups names by subject, keeping the order subjects first appear in. */
function bySubject(names: IndexedName[]): Map<string, IndexedName[]> {
  const grouped = new Map<string, IndexedName[]>();
  for (const name of names) {
    const id = name.subjectKey.toString('hex');
    grouped.set(id, [...(grouped.get(id) ?? []), name]);
  }
  return grouped;
}

export function byRank(a: OrganisationMatch, b: OrganisationMatch): number {
  return b.score - a.score || (a.uscc < b.uscc ? -1 : a.uscc > b.uscc ? 1 : 0);
}

/**
 * Finds organisations for many names at once, each answer ranked best first: the names are
 * normalised as the index was (normaliseOrganisationName), looked up by their rarer terms and
 * their normalised key in one statement, and every name (current and former) of each candidate
 * scored by nameScore, its written form breaking ties. `perName` candidates are scored per name.
 * Persons are not in the index, so none can be found.
 */
export async function findOrganisations(
  index: NameIndexRepository,
  names: readonly string[],
  perName = candidatesPerQuery,
): Promise<OrganisationMatch[][]> {
  // A screening call's thousand names are looked up in slices on their own connections at once:
  // each slice is one statement, and the statements run side by side on the database's cores.
  const slices: (readonly string[])[] = [];
  for (let start = 0; start < names.length; start += namesPerStatement)
    slices.push(names.slice(start, start + namesPerStatement));
  return (await Promise.all(slices.map((slice) => findSlice(index, slice, perName)))).flat();
}

async function findSlice(
  index: NameIndexRepository,
  names: readonly string[],
  perName: number,
): Promise<OrganisationMatch[][]> {
  const queries = names.map(queryOf);
  const grams = queries.map((q) => nameGrams(q.normalised));
  const { found, names_ } = await index.reading(async (tx) => {
    const counts = await index.gramCounts([...new Set(grams.flat())], tx);
    const probes: NameProbe[] = queries.map((q, i) => ({
      key: q.normalised.key,
      length: [...q.normalised.core].length,
      regions: q.normalised.regions,
      ...lookUpGrams(grams[i] as string[], counts),
    }));
    const found = await index.candidates(probes, perName, lookUpRows, tx);
    const keys = new Map(found.flat().map((k) => [k.toString('hex'), k]));
    return { found, names_: bySubject(await index.namesOf([...keys.values()], tx)) };
  });
  return found.map((subjects, i) =>
    subjects
      .map((key) => names_.get(key.toString('hex')))
      .filter((n): n is IndexedName[] => n !== undefined && n.length > 0)
      .map((n) => matchOf(n, queries[i] as Query))
      .sort(byRank),
  );
}

/** Organisations whose USCC begins with the query, when the query can be the start of a USCC. */
export async function findByUsccPrefix(
  index: NameIndexRepository,
  query: string,
  limit: number,
): Promise<OrganisationMatch[]> {
  const prefix = normaliseIdentifier(query).replace(/\s+/g, '');
  if (!usccCharacters.test(prefix)) return [];
  const keys = await index.byUsccPrefix(prefix, limit);
  const names = bySubject(await index.namesOf(keys));
  return [...names.values()].map((n) => {
    const match = matchOf(n, queryOf(query));
    const exact = match.uscc === prefix;
    return {
      ...match,
      score: exact ? 1 : 0.5 + (0.5 * prefix.length) / 18,
      matchedName: match.name,
      matchedBy: exact ? 'exact_id' : 'uscc_prefix',
    };
  });
}
