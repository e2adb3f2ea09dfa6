import { ProblemError } from '@credit/errors';
import type { ZodTypeProvider } from '@credit/http';
import {
  discloseIdentity,
  resolveSubjectIdentifier,
  type SubjectKind,
  subjectIdSchema,
  subjectNamesSchema,
} from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

const byId = z.strictObject({ id: subjectIdSchema });

/**
 * A subject's registered names (the credit office): which name the registering authority's record
 * gives it now, and its former names (曾用名). Other departments' names stay with their records.
 */
export async function subjectNameRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { subjectNames } = app.ingest;
  app.get(
    '/v1/subjects/:id/names',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['records'],
        summary: 'The current and former names (曾用名) the registering authority recorded for a subject',
        description:
          'A subject’s name is the one its registering authority’s record (catalogue `namesSubject`) gives; a record of another department with another name keeps that name with itself and counts in that department’s statistics (`subjectNameMismatches`).',
        params: byId,
        response: { 200: subjectNamesSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const subject = resolveSubjectIdentifier(app.keyring.blindIndex, id);
      if (!subject) throw new ProblemError('invalid_identifier', 'not a USCC or citizen identity number');
      const kind: SubjectKind = subject.scheme === 'citizen_id' ? 'natural_person' : 'legal_person';
      const names = await subjectNames.registeredNames(subject.key);
      const shown = names.map((entry) => ({
        ...entry,
        name: discloseIdentity({ as: 'staff' }, 'subject', kind, { id: '', name: entry.name }).name,
        since: entry.since.toISOString(),
        until: entry.until?.toISOString() ?? null,
      }));
      return {
        subject: {
          kind,
          id: discloseIdentity({ as: 'staff' }, 'subject', kind, { id: subject.identifier, name: '' }).id,
        },
        current: shown.at(-1) ?? null,
        former: shown.slice(0, -1),
      };
    },
  );
}
