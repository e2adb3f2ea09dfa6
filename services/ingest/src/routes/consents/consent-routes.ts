import { actorOf } from '@credit/auth';
import { ProblemError } from '@credit/errors';
import { principalOf, type ZodTypeProvider } from '@credit/http';
import {
  checkSubjectIdentifier,
  consentGrantSchema,
  consentSchema,
  pageQuerySchema,
  pageSchema,
  prefixedId,
  toPage,
} from '@credit/schema';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { subjectKeyForToken, subjectKeyOf } from '../../domain/identity.ts';

const byId = z.strictObject({ id: prefixedId('cns') });
/** Consents are listed newest first by id: ids begin with their creation time and never change. */
const listQuery = pageQuerySchema(z.tuple([prefixedId('cns')]));

/**
 * Written consents for consent-gated fields (收入、存款、有价证券、商业保险、不动产、纳税数额): given by the
 * subject, or registered by a provider holding the signed document (its hash is the evidence).
 */
export async function consentRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { consents, providers } = app.ingest;

  function ownKey(request: FastifyRequest): Buffer {
    const key = subjectKeyForToken(app.keyring, principalOf(request).subjectId);
    if (!key) throw new ProblemError('forbidden', 'the token names no valid subject (subject_id claim)');
    return key;
  }

  app.post(
    '/v1/consents',
    {
      config: { auth: { roles: ['subject', 'provider'] }, headers: { location: [201] } },
      schema: {
        tags: ['consents'],
        summary: 'Record a written consent a record can cite as consentRef',
        description:
          'A subject consents for themselves; a provider registers a consent it holds and must give `evidenceHash`. The consent names its `purposes` and `recipients`: the values it lets be collected are shown to the subject, to the recipients it names (an agency only on an authorisation for one of its purposes), and to nobody else — redacted in reports, GraphQL and public disclosure (docs/disclosure-rules.md).',
        body: consentGrantSchema,
        response: { 201: consentSchema },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = request.body;
      const now = app.clock();
      const identifier = checkSubjectIdentifier(body.subject.kind, body.subject.id, now, now);
      if (!identifier.ok) {
        throw ProblemError.fromFieldErrors([
          { path: 'subject.id', code: identifier.problem.code, message: identifier.problem.message },
        ]);
      }
      const subjectKey = subjectKeyOf(app.keyring, body.subject.kind, identifier.value);
      const asSubject =
        principal.roles.includes('subject') &&
        subjectKeyForToken(app.keyring, principal.subjectId)?.equals(subjectKey);
      if (!asSubject) {
        if (!principal.roles.includes('provider') || principal.org !== body.provider) {
          throw new ProblemError(
            'forbidden',
            'only the subject, or the provider named in the consent, may record it',
          );
        }
        if (!body.evidenceHash) {
          throw ProblemError.fromFieldErrors([
            {
              path: 'evidenceHash',
              code: 'validation_failed',
              message: 'a provider must give the hash of the signed consent it holds',
            },
          ]);
        }
      }
      if (!(await providers.find(body.provider))) {
        throw ProblemError.fromFieldErrors([
          { path: 'provider', code: 'validation_failed', message: `no provider '${body.provider}'` },
        ]);
      }
      const consent = await consents.grant({
        subjectKey,
        provider: body.provider,
        fields: body.fields,
        purpose: body.purpose,
        purposes: body.purposes,
        recipients: body.recipients,
        registeredBy: asSubject ? 'subject' : 'provider',
        registeredByOrg: asSubject ? null : (principal.org ?? null),
        evidenceHash: body.evidenceHash ? Buffer.from(body.evidenceHash, 'hex') : null,
        validUntil: body.validUntil ? new Date(body.validUntil) : null,
        now,
      });
      reply.code(201).header('location', `/v1/consents/${consent.id}`);
      return consent;
    },
  );

  app.get(
    '/v1/consents',
    {
      config: { auth: { roles: ['subject'] } },
      schema: {
        tags: ['consents'],
        summary: 'The calling subject’s consents, newest first',
        querystring: listQuery,
        response: { 200: pageSchema(consentSchema) },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      const rows = await consents.pageForSubject(ownKey(request), cursor?.[0], limit + 1);
      return toPage(rows, limit, (consent) => [consent.id]);
    },
  );

  app.delete(
    '/v1/consents/:id',
    {
      config: { auth: { roles: ['subject'] } },
      schema: {
        tags: ['consents'],
        summary: 'Revoke a consent; records already collected keep their history',
        params: byId,
        response: { 200: consentSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const consent = await consents.revoke(ownKey(request), id, actorOf(principalOf(request)), app.clock());
      if (!consent) throw new ProblemError('not_found', 'no such consent of yours');
      return consent;
    },
  );
}
