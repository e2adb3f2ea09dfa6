import type { Principal } from '@credit/auth';
import type { Database } from '@credit/db';
import { inTransaction } from '@credit/db';
import {
  type LegalFormFamily,
  nameScore,
  normaliseOrganisationName,
  type screeningCandidateSchema,
  type screeningRequestSchema,
  type screeningResultSchema,
} from '@credit/schema';
import type { z } from 'zod';
import { entriesInForce, type ListEntryRow } from '../consumers/sanctions-projection.ts';
import type { AccessLogRepository } from '../repositories/access-log-repository.ts';
import type { IndexedName, NameIndexRepository } from '../repositories/name-index-repository.ts';
import { findOrganisations, type OrganisationMatch } from './name-search.ts';

type ScreeningRequest = z.infer<typeof screeningRequestSchema>;
type ScreeningResult = z.infer<typeof screeningResultSchema>;
type Candidate = z.infer<typeof screeningCandidateSchema>;

export interface ScreeningContext {
  db: Database;
  nameIndex: NameIndexRepository;
  accessLog: AccessLogRepository;
  subjectKeyOf(uscc: string): Buffer;
}

/** Below this, an id's registered names do not answer the name sent with it. */
const idAgreement = 0.6;

function bestNameScore(query: string, names: IndexedName[]): { score: number; name: IndexedName } {
  const normalised = normaliseOrganisationName(query);
  let best = { score: -1, name: names[0] as IndexedName };
  for (const name of names) {
    const score = nameScore(normalised, {
      core: name.core,
      regions: name.regions,
      legalForm: name.legalForm as LegalFormFamily | null,
      branch: name.branch,
      key: name.nameKey,
    });
    if (score > best.score) best = { score, name };
  }
  return best;
}

function listingOf(entries: ListEntryRow[] | undefined): Candidate['listing'] {
  const inForce = entries ?? [];
  return {
    status: {
      red: inForce.some((e) => e.listKind === 'red'),
      black: inForce.some((e) => e.listKind === 'black'),
      watch: inForce.some((e) => e.listKind === 'watch'),
    },
    entries: inForce.map((e) => ({
      id: e.entryId,
      listKind: e.listKind as 'red' | 'black' | 'watch',
      domain: e.domain,
      validFrom: e.validFrom?.toISOString() ?? null,
      validUntil: e.validUntil?.toISOString() ?? null,
      measures: e.measures,
    })),
  };
}

/**
 * Screens up to a thousand names (with the USCC the caller holds, if any) in a few statements:
 * an id found in the index is the first candidate (exact_id) and is checked against the name sent
 * with it; names are matched as public search matches them; every candidate carries its listing
 * status from this service's own list_entries read model. Each organisation returned is a read
 * of its file beyond public disclosure (watch lists, measures), logged like any other.
 */
export async function screen(
  context: ScreeningContext,
  principal: Principal,
  request: ScreeningRequest,
  purpose: string | null,
  now: Date,
): Promise<ScreeningResult> {
  const { items, threshold, limit } = request;
  // A few more candidates than are answered, so that the SQL ranking's ties are settled by nameScore.
  const byName = await findOrganisations(
    context.nameIndex,
    items.map((item) => item.name),
    Math.max(20, limit * 4),
  );
  const idKeys = items.map((item) => (item.id ? context.subjectKeyOf(item.id) : null));
  const idNames = new Map<string, IndexedName[]>();
  for (const name of await context.nameIndex.namesOf(idKeys.filter((k): k is Buffer => k !== null))) {
    const key = name.subjectKey.toString('hex');
    idNames.set(key, [...(idNames.get(key) ?? []), name]);
  }

  const answers = items.map((item, i) => {
    const idKey = idKeys[i];
    const named = idKey ? idNames.get(idKey.toString('hex')) : undefined;
    const matches: OrganisationMatch[] = [];
    let idConflict: { registeredName: string; score: number } | null = null;
    if (named && named.length > 0) {
      const best = bestNameScore(item.name, named);
      const current = named.find((n) => n.isCurrent) ?? best.name;
      if (best.score < idAgreement) idConflict = { registeredName: current.name, score: best.score };
      matches.push({
        subjectKey: current.subjectKey,
        uscc: current.uscc,
        kind: current.kind,
        name: current.name,
        formerNames: named.filter((n) => !n.isCurrent && n.registeredAt).map((n) => n.name),
        score: 1,
        matchedName: best.name.name,
        matchedBy: 'exact_id',
      });
    }
    for (const match of byName[i] ?? []) {
      if (match.score < threshold || matches.some((m) => m.uscc === match.uscc)) continue;
      matches.push(match);
    }
    return { item, matches: matches.slice(0, limit), idConflict };
  });

  const subjects = new Map<string, Buffer>();
  for (const answer of answers)
    for (const m of answer.matches) subjects.set(m.subjectKey.toString('hex'), m.subjectKey);
  return inTransaction(context.db, async (tx) => {
    const listings = await entriesInForce(tx, [...subjects.values()], now);
    await context.accessLog.appendMany(
      tx,
      [...subjects.values()].map((subjectKey) => ({
        subjectKey,
        accessedAt: now,
        role: principal.roles.includes('government') ? 'government' : 'platform',
        org: principal.org ?? null,
        tokenSubject: principal.sub,
        purpose,
        authorisationId: null,
        reportId: null,
        reportDigest: null,
        channel: 'rest' as const,
        records: [],
      })),
    );
    return {
      items: answers.map(({ item, matches, idConflict }) => ({
        ref: item.ref ?? null,
        name: item.name,
        id: item.id ?? null,
        candidates: matches.map((m) => ({
          id: m.uscc,
          name: m.name,
          formerNames: m.formerNames,
          kind: m.kind as Candidate['kind'],
          score: m.score,
          matchedBy: m.matchedBy,
          matchedName: m.matchedName,
          listing: listingOf(listings.get(m.subjectKey.toString('hex'))),
        })),
        idConflict,
      })),
    };
  });
}
