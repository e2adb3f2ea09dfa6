import { principalOf, type ZodTypeProvider } from '@credit/http';
import {
  optionalPurposeSchema,
  pageQuerySchema,
  subjectGradesPageSchema,
  subjectIdSchema,
} from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { readGradesPage } from '../../domain/grade-reader.ts';
import { requireSubject } from '../../domain/subject-key.ts';

const bySubject = z.strictObject({ id: subjectIdSchema });
/** The history is paged by the time of each change, then its place in the sanctions feed. */
const gradesQuery = pageQuerySchema(z.tuple([z.iso.datetime(), z.number().int().min(0)]), {
  purpose: optionalPurposeSchema,
});

/** A subject's domain grades (信用评价等级): the current one per domain and their history. */
export async function gradeRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/v1/subjects/:id/grades',
    {
      config: { auth: { roles: ['subject', 'government', 'admin'] }, problems: ['purpose_required'] },
      schema: {
        tags: ['reports'],
        summary: 'A subject’s grades by domain: the current ones, and their history a page at a time',
        description:
          'Grades assigned by grade rules (e.g. food and drug 示范守信 / 守信 / 失信 / 严重失信), kept from the sanctions feed. The subject sees the whole history; a government department (stating a `purpose`, with good_credit in its remit) and the credit office see the current grades and the changes of the last 12 months, and their read is logged (each page). The history is in `items`, oldest first; `current` stands on every page. Agencies read grades in the credit report.',
        params: bySubject,
        querystring: gradesQuery,
        response: { 200: subjectGradesPageSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { purpose, cursor, limit } = request.query;
      return readGradesPage(
        app.queryService,
        principalOf(request),
        requireSubject(app.keyring, id),
        { purpose, purposePath: 'query.purpose' },
        app.clock(),
        { after: cursor, limit },
      );
    },
  );
}
