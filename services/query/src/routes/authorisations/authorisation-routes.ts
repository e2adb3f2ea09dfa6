import { ProblemError } from '@credit/errors';
import { principalOf, type ZodTypeProvider } from '@credit/http';
import {
  authorisationRequestSchema,
  authorisationSchema,
  grantedAuthorisationSchema,
  instant,
  pageQuerySchema,
  pageSchema,
  prefixedId,
  toPage,
} from '@credit/schema';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { grantAuthorisation } from '../../domain/authorisations.ts';
import { resolveSubject, type SubjectRef } from '../../domain/subject-key.ts';
import { toAuthorisationView } from '../../repositories/authorisation-repository.ts';

const byId = z.strictObject({ id: prefixedId('auz') });
/** Newest first by grant time, then id: the key of the last authorisation a page held. */
const listQuery = pageQuerySchema(z.tuple([instant(), prefixedId('auz')]));

/** A subject's authorisations (授权) of credit agencies: grant, list with their use, revoke. */
export async function authorisationRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const context = app.queryService;

  function caller(request: FastifyRequest): SubjectRef {
    const subject = resolveSubject(app.keyring, principalOf(request).subjectId);
    if (!subject) throw new ProblemError('forbidden', 'the token names no valid subject (subject_id claim)');
    return subject;
  }

  app.post(
    '/v1/authorisations',
    {
      config: { auth: { roles: ['subject'] }, headers: { location: [201] } },
      schema: {
        tags: ['authorisations'],
        summary: 'Authorise a credit agency to query your file',
        description:
          'The answer carries a `token` (JWS signed by the platform) the agency presents in the `X-Credit-Authorisation` header of `GET /v1/subjects/{id}/report`. Revocation takes effect at once.',
        body: authorisationRequestSchema,
        response: { 201: grantedAuthorisationSchema },
      },
    },
    async (request, reply) => {
      const now = app.clock();
      const { row, token } = await grantAuthorisation(context, caller(request), request.body, now);
      reply.code(201).header('location', `/v1/authorisations/${row.authorisationId}`);
      return { ...toAuthorisationView(row, now), token };
    },
  );

  app.get(
    '/v1/authorisations',
    {
      config: { auth: { roles: ['subject'] } },
      schema: {
        tags: ['authorisations'],
        summary: 'Your authorisations, newest first, their state and how often each was used',
        querystring: listQuery,
        response: { 200: pageSchema(authorisationSchema) },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      const now = app.clock();
      const rows = await context.authorisations.pageForSubject(caller(request).key, cursor, limit + 1);
      const page = toPage(rows, limit, (row) => [row.grantedAt.toISOString(), row.authorisationId]);
      return { ...page, items: page.items.map((row) => toAuthorisationView(row, now)) };
    },
  );

  app.delete(
    '/v1/authorisations/:id',
    {
      config: { auth: { roles: ['subject'] } },
      schema: {
        tags: ['authorisations'],
        summary: 'Revoke an authorisation, effective at once',
        params: byId,
        response: { 200: authorisationSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const now = app.clock();
      const row = await context.authorisations.revoke(caller(request).key, id, now);
      if (!row) throw new ProblemError('not_found', 'no such authorisation of yours');
      return toAuthorisationView(row, now);
    },
  );
}
