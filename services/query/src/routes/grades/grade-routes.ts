import { principalOf, type ZodTypeProvider } from '@credit/http';
import { optionalPurposeSchema, subjectGradesSchema, subjectIdSchema } from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { readGrades } from '../../domain/grade-reader.ts';
import { requireSubject } from '../../domain/subject-key.ts';

const bySubject = z.strictObject({ id: subjectIdSchema });
const gradesQuery = z.strictObject({
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
        summary: 'A subject’s grades by domain: the current ones and their history',
        description:
          'Grades assigned by grade rules (e.g. food and drug 示范守信 / 守信 / 失信 / 严重失信), kept from the sanctions feed. The subject sees the whole history; a government department (stating a `purpose`, with good_credit in its remit) and the credit office see the current grades and the changes of the last 12 months, and their read is logged. Agencies read grades in the credit report.',
        params: bySubject,
        querystring: gradesQuery,
        response: { 200: subjectGradesSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { purpose } = request.query;
      return readGrades(
        app.queryService,
        principalOf(request),
        requireSubject(app.keyring, id),
        { purpose, purposePath: 'query.purpose' },
        'rest',
        app.clock(),
      );
    },
  );
}
