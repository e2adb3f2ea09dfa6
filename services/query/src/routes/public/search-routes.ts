import { ProblemError } from '@credit/errors';
import { consistencyHeaders, readLagTolerant, type ZodTypeProvider } from '@credit/http';
import {
  encodeCursor,
  publicSearchPageSchema,
  publicSearchQuerySchema,
  searchTextSchema,
  zodIssuesToErrors,
} from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import {
  byRank,
  findByUsccPrefix,
  findOrganisations,
  type OrganisationMatch,
} from '../../domain/name-search.ts';

/** Below this a candidate is noise to a person reading a result list. */
const publicMinScore = 0.5;
const usccPrefixMatches = 50;

/**
 * The query text, refused as 422 naming `query.q` when it is too short or too long to search by: the
 * querystring schema takes any text up to its limit, so a bad length is a refusal of the
 * request's content rather than of its form (400).
 */
function searchTextOf(raw: string): string {
  const parsed = searchTextSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new ProblemError('validation_failed', 'the query must be 2 to 199 characters', {
    errors: zodIssuesToErrors(parsed.error.issues, 'query.q'),
  });
}

function rankedAfter(match: OrganisationMatch, after: { score: number; uscc: string }): boolean {
  return match.score < after.score || (match.score === after.score && match.uscc > after.uscc);
}

/** Each organisation once, at its best score. */
function distinct(matches: OrganisationMatch[]): OrganisationMatch[] {
  const best = new Map<string, OrganisationMatch>();
  for (const match of matches) {
    const held = best.get(match.uscc);
    if (!held || match.score > held.score) best.set(match.uscc, match);
  }
  return [...best.values()].sort(byRank);
}

/**
 * Public name search (信用公示 by name): organisations only, by current or former name or the
 * start of a USCC, ranked; each item links to the organisation's public disclosure. Natural
 * persons are not in the name index, so no name finds one (docs/security.md).
 */
export async function searchRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { settings } = app.queryService;
  app.get(
    '/v1/public/search',
    {
      config: {
        auth: 'public',
        rateLimit: app.rateLimitFor('public', settings.publicRateLimit),
        problems: ['validation_failed', 'invalid_consistency_token'],
      },
      schema: {
        tags: ['public'],
        summary: 'Find organisations by name, former name (曾用名) or the start of their USCC',
        description:
          'Names are compared after normalisation (full-width forms, traditional characters, brackets and punctuation, legal-form suffixes as equivalent, region prefixes weighing less, branches beside their parent), so typos and variants are found. Ranked by score, then USCC; page with `next`. Persons are never found by name. Rate-limited with public disclosure (RATE_LIMIT_PUBLIC_PER_MINUTE).',
        querystring: publicSearchQuerySchema,
        headers: consistencyHeaders,
        response: { 200: publicSearchPageSchema },
      },
    },
    async (request) => {
      const { q: raw, limit, cursor } = request.query;
      const q = searchTextOf(raw);
      const after = cursor === undefined ? undefined : { score: cursor[0], uscc: cursor[1] };
      const found = await readLagTolerant(app, request, async (db) => {
        const nameIndex = app.queryService.nameIndexOn(db);
        const [byName] = await findOrganisations(nameIndex, [q]);
        return [...(await findByUsccPrefix(nameIndex, q, usccPrefixMatches)), ...(byName ?? [])];
      });
      const ranked = distinct(found)
        .filter((m) => m.score >= publicMinScore)
        .filter((m) => !after || rankedAfter(m, after));
      const page = ranked.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map((m) => ({
          id: m.uscc,
          name: m.name,
          formerNames: m.formerNames,
          kind: m.kind,
          score: m.score,
          matchedName: m.matchedName,
          disclosure: `/v1/public/subjects/${m.uscc}`,
        })),
        ...(ranked.length > limit && last ? { next: encodeCursor([last.score, last.uscc]) } : {}),
      };
    },
  );
}
