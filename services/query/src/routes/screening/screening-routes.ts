import { ProblemError } from '@credit/errors';
import { principalOf, type ZodTypeProvider } from '@credit/http';
import { maxScreeningItems, screeningRequestSchema, screeningResultSchema } from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import { screen } from '../../domain/screening.ts';
import { subjectKey } from '../../domain/subject-key.ts';

/**
 * Batch screening (名单筛查) for platforms vetting merchants and departments checking bidders:
 * names with the USCC the caller holds, answered in order with scored candidates and their
 * listing status. Organisations only: persons are never found by name.
 */
export async function screeningRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { nameIndex, accessLog } = app.queryService;
  app.post(
    '/v1/screening',
    {
      config: { auth: { roles: ['platform', 'government'] }, rateLimit: app.rateLimitFor('listing') },
      schema: {
        tags: ['listing'],
        summary: `Screen up to ${maxScreeningItems} organisation names (with their USCC, if known) at once`,
        description:
          'Each item is answered in order with its best candidates (score 0..1, at or above `threshold`), why each matched (exact_id: the USCC given; exact_name: the same name once normalised; fuzzy_name: a similar name) and its listing status (red/black/watch, entries in force and their measures). An id whose organisation’s names do not match the name sent is flagged in `idConflict`. Every organisation returned is logged in its access log (查询使用登记); a government caller states a `purpose`. More than 1,000 items: 413 batch_too_large.',
        body: screeningRequestSchema,
        response: { 200: screeningResultSchema },
      },
    },
    async (request) => {
      const { body } = request;
      if (body.items.length > maxScreeningItems)
        throw new ProblemError('batch_too_large', `at most ${maxScreeningItems} items at once`);
      const principal = principalOf(request);
      const government = principal.roles.includes('government');
      if (government && !body.purpose)
        throw new ProblemError('purpose_required', 'a department states the purpose of its screening');
      return screen(
        {
          db: app.db,
          nameIndex,
          accessLog,
          subjectKeyOf: (uscc) => subjectKey(app.keyring, 'legal_person', uscc),
        },
        principal,
        body,
        body.purpose ?? null,
        app.clock(),
      );
    },
  );
}
