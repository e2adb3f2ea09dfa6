import {
  type LegalFormFamily,
  type NormalisedName,
  nameGrams,
  nameScore,
  normaliseIdentifier,
  normaliseOrganisationName,
  type OrganisationKind,
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
 * How many index rows a query's look-up may read: its n-grams are taken rarest first while their
 * names add up to no more than this (two at least), so a query costs about the same at ten
 * thousand names as at ten million, and a common word (陶瓷, 科技) never drags a hundred thousand
 * candidates in. Every n-gram still counts when the candidates are ranked.
 */
const lookUpRows = 300;
/** Candidates read per query before they are scored; the n-gram overlap ranks them. */
const candidatesPerQuery = 50;
const usccCharacters = /^[0-9A-HJ-NPQRTUWXY]{4,18}$/;

/** The n-grams a query is looked up by: its rarest known ones, within the look-up budget. */
function lookUpGrams(grams: string[], counts: Map<string, number>): string[] {
  const known = grams
    .filter((g) => (counts.get(g) ?? 0) > 0)
    .sort((a, b) => (counts.get(a) ?? 0) - (counts.get(b) ?? 0));
  const chosen: string[] = [];
  let rows = 0;
  for (const gram of known) {
    const names = counts.get(gram) ?? 0;
    if (chosen.length >= 2 && rows + names > lookUpRows) break;
    chosen.push(gram);
    rows += names;
  }
  return chosen;
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

/** A subject's names as a match: current name first, former names oldest registration first. */
function matchOf(names: IndexedName[], query: NormalisedName): OrganisationMatch {
  const current = names.find((n) => n.isCurrent) ?? (names[0] as IndexedName);
  let best = current;
  let bestScore = -1;
  for (const name of names) {
    const score = nameScore(query, asNormalised(name));
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
    matchedBy: best.nameKey === query.key ? 'exact_name' : 'fuzzy_name',
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
 * normalised as the index was (normaliseOrganisationName), looked up by their rarer n-grams and
 * their normalised key in one statement, and every name (current and former) of each candidate
 * scored by nameScore. Persons are not in the index, so none can be found.
 */
export async function findOrganisations(
  index: NameIndexRepository,
  names: readonly string[],
): Promise<OrganisationMatch[][]> {
  const queries = names.map((name) => normaliseOrganisationName(name));
  const grams = queries.map((q) => nameGrams(q));
  const counts = await index.gramCounts([...new Set(grams.flat())]);
  const probes: NameProbe[] = queries.map((q, i) => ({
    key: q.key,
    grams: grams[i] as string[],
    lookUp: lookUpGrams(grams[i] as string[], counts),
  }));
  const found = await index.candidates(probes, candidatesPerQuery);
  const keys = new Map(found.flat().map((k) => [k.toString('hex'), k]));
  const names_ = bySubject(await index.namesOf([...keys.values()]));
  return found.map((subjects, i) =>
    subjects
      .map((key) => names_.get(key.toString('hex')))
      .filter((n): n is IndexedName[] => n !== undefined && n.length > 0)
      .map((n) => matchOf(n, queries[i] as NormalisedName))
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
    const match = matchOf(n, normaliseOrganisationName(query));
    const exact = match.uscc === prefix;
    return {
      ...match,
      score: exact ? 1 : 0.5 + (0.5 * prefix.length) / 18,
      matchedName: match.name,
      matchedBy: exact ? 'exact_id' : 'uscc_prefix',
    };
  });
}
