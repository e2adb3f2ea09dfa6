import type { Executor } from '@credit/db';
import { ProblemError } from '@credit/errors';
import { consistencyHeaders, readLagTolerant, type ZodTypeProvider } from '@credit/http';
import {
  exposedIntermediarySchema,
  industryLabel,
  intermediaryIndustrySchema,
  pageQuerySchema,
  pageSchema,
  publicIntermediaryDetailSchema,
  publicIntermediarySchema,
  toPage,
  usccSchema,
} from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { publiclyDisclosed } from '../../domain/access-policy.ts';
import { currentGradesOf } from '../../domain/grades.ts';
import { findOrganisations } from '../../domain/name-search.ts';
import { subjectKey } from '../../domain/subject-key.ts';
import { intermediaryColumn } from '../../repositories/intermediary-column-repository.ts';
import { openSubject } from '../../repositories/read-model-repository.ts';
import { publicItem } from './public-routes.ts';

const keyCursor = z.string().regex(/^[0-9a-f]{64}$/);
const columnQuery = pageQuerySchema(z.tuple([keyCursor])).extend({
  industry: intermediaryIndustrySchema.optional(),
  name: z
    .string()
    .trim()
    .min(2)
    .max(100)
    .optional()
    .describe('Name or former name, found as GET /v1/public/search finds it'),
});
const byUscc = z.strictObject({ uscc: usccSchema });
/** The name search's own threshold for a public answer. */
const nameMinScore = 0.5;

type ColumnRow = Awaited<ReturnType<typeof intermediaryColumn.page>>[number];

/**
 * The intermediaries' own column (seeds/003 三(一) 专栏公示、专版曝光, 四(三)): agencies by industry
 * with their current grades and accepted declarations, and the exposure list of those with
 * standing serious dishonesty. Public, rate-limited with public disclosure.
 */
export async function intermediaryColumnRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { readModel, settings } = app.queryService;
  const publicLimit = app.rateLimitFor('public', settings.publicRateLimit);

  async function keysNamed(db: Executor, name: string | undefined): Promise<Buffer[] | undefined> {
    if (name === undefined) return undefined;
    const [matches] = await findOrganisations(app.queryService.nameIndexOn(db), [name]);
    return (matches ?? []).filter((m) => m.score >= nameMinScore).map((m) => m.subjectKey);
  }

  async function summaries(db: Executor, rows: ColumnRow[], now: Date) {
    const keys = rows.map((row) => row.subjectKey);
    // Current by the service's clock, as public disclosure hides a record past its display end.
    const grades = await currentGradesOf(db, keys, now);
    const declarations = await intermediaryColumn.declarationsOf(db, keys);
    return rows.map((row) => {
      const hex = row.subjectKey.toString('hex');
      const { identifier, name } = openSubject(app.keyring, row.subject);
      return {
        id: identifier,
        name,
        industry: row.industry,
        industryLabel: industryLabel(row.industry),
        department: row.department,
        grades: (grades.get(hex) ?? []).map((g) => ({
          domain: g.domain,
          year: g.year,
          grade: g.grade,
          department: g.department,
          disputed: g.disputed,
        })),
        declarations: declarations.filter((d) => d.subjectKey.equals(row.subjectKey)),
      };
    });
  }

  const common = {
    auth: 'public' as const,
    rateLimit: publicLimit,
    problems: ['invalid_consistency_token' as const],
  };

  app.get(
    '/v1/public/intermediaries',
    {
      config: common,
      schema: {
        tags: ['public'],
        summary: 'The intermediaries’ column (专栏公示): agencies by industry, with grades and declarations',
        description:
          'Filtered by `industry`, and by `name` as the public search finds names (an agency by the name it was registered under from its registration on). Paged in key order; each item links to its detail.',
        querystring: columnQuery,
        headers: consistencyHeaders,
        response: { 200: pageSchema(publicIntermediarySchema) },
      },
    },
    async (request) => {
      const { cursor, limit, industry, name } = request.query;
      const now = app.clock();
      return readLagTolerant(app, request, async (db) => {
        const keys = await keysNamed(db, name);
        const after = cursor ? Buffer.from(cursor[0], 'hex') : undefined;
        const rows = await intermediaryColumn.page(db, { industry, keys }, after, limit + 1);
        const page = toPage(rows, limit, (row) => [row.subjectKey.toString('hex')]);
        const items = await summaries(db, page.items, now);
        return { ...page, items: items.map((item) => ({ ...item, declarations: item.declarations.length })) };
      });
    },
  );

  app.get(
    '/v1/public/intermediaries/exposure',
    {
      config: common,
      schema: {
        tags: ['public'],
        summary: 'The exposure list (专版曝光): intermediaries with standing serious dishonesty',
        description:
          'Agencies with a standing public record of serious dishonesty (严重失信) in its display period — a false declaration or report, a revoked qualification, a ban, criminal liability — with those records. Filtered by `industry` and `name` like the column.',
        querystring: columnQuery,
        headers: consistencyHeaders,
        response: { 200: pageSchema(exposedIntermediarySchema) },
      },
    },
    async (request) => {
      const { cursor, limit, industry, name } = request.query;
      const now = app.clock();
      return readLagTolerant(app, request, async (db) => {
        const keys = await keysNamed(db, name);
        const after = cursor ? Buffer.from(cursor[0], 'hex') : undefined;
        const rows = await intermediaryColumn.page(
          db,
          { industry, keys, seriousOnly: true },
          after,
          limit + 1,
        );
        const page = toPage(rows, limit, (row) => [row.subjectKey.toString('hex')]);
        const records = await readModel.recordsOfMany(
          page.items.map((row) => row.subjectKey),
          db,
        );
        const items = (await summaries(db, page.items, now)).map((item, index) => {
          const key = (page.items[index] as ColumnRow).subjectKey.toString('hex');
          const { declarations: _published, ...summary } = item;
          return {
            ...summary,
            records: (records.get(key) ?? [])
              .filter((row) => row.severity === 'serious' && publiclyDisclosed(row, now))
              .map((row) => publicItem(row, now)),
          };
        });
        // A record whose display ended since the page was chosen leaves its agency out, not empty.
        return { ...page, items: items.filter((item) => item.records.length > 0) };
      });
    },
  );

  app.get(
    '/v1/public/intermediaries/:uscc',
    {
      config: common,
      schema: {
        tags: ['public'],
        summary: 'One intermediary in the column: grades, accepted declarations and public records',
        params: byUscc,
        headers: consistencyHeaders,
        response: { 200: publicIntermediaryDetailSchema },
      },
    },
    async (request) => {
      const key = subjectKey(app.keyring, 'legal_person', request.params.uscc);
      const now = app.clock();
      const found = await readLagTolerant(app, request, async (db) => {
        const row = await intermediaryColumn.find(db, key);
        if (!row) return undefined;
        const [summary] = await summaries(db, [row], now);
        return { summary, records: await readModel.recordsOf(key, db) };
      });
      if (!found?.summary)
        throw new ProblemError('not_found', 'no intermediary is registered under this code');
      return {
        ...found.summary,
        declarations: found.summary.declarations.map((d) => ({
          id: d.declarationId,
          content: d.content,
          commitment: d.commitment,
          acceptedBy: d.department,
          acceptedAt: d.acceptedAt.toISOString(),
        })),
        records: found.records
          .filter((row) => publiclyDisclosed(row, now))
          .map((row) => publicItem(row, now)),
      };
    },
  );
}
