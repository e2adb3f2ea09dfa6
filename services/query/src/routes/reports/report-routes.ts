import { canonicalJson } from '@credit/crypto';
import { ProblemError } from '@credit/errors';
import { principalOf, withJson } from '@credit/http';
import {
  accessLogPageSchema,
  optionalPurposeSchema,
  pageQuerySchema,
  reportVerificationRequestSchema,
  reportVerificationSchema,
  signedReportSchema,
  subjectIdSchema,
  toPage,
} from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isSelf } from '../../domain/access-policy.ts';
import { authorisationHeader } from '../../domain/authorisations.ts';
import { readFile } from '../../domain/file-reader.ts';
import { requireSubject } from '../../domain/subject-key.ts';
import { accessLogView } from '../../repositories/access-log-repository.ts';

export const reportSignatureType = 'credit-report+jws';

const bySubject = z.strictObject({ id: subjectIdSchema });
const reportQuery = z.strictObject({
  purpose: optionalPurposeSchema,
});
const reportHeaders = z.object({
  [authorisationHeader]: z
    .string()
    .max(4000)
    .optional()
    .describe(
      'Agencies: the subject’s authorisation (the token from POST /v1/authorisations, or a subject-signed credit-consent+jwt)',
    ),
});
/** A subject's access log is read in entry order: the cursor holds the last entry number of a page. */
const logQuery = pageQuerySchema(z.tuple([z.number().int().min(0)]));

/** Signed credit reports, their verification, the signing keys, and the access log. */
export async function reportRoutes(app: FastifyInstance) {
  const context = app.queryService;

  app.get(
    '/v1/subjects/:id/report',
    {
      config: { auth: { roles: ['subject', 'agency', 'government', 'admin'] } },
      schema: {
        tags: ['reports'],
        summary: 'A signed credit report on a subject, as the caller may see it',
        description:
          'The subject sees everything about them, each item marked (withdrawn, expired, disputed, repaired). An agency needs a live authorisation naming it (header `X-Credit-Authorisation`; each report uses it once) and sees public and authorised items in scope and in their display period. A government department states a `purpose` and sees the classes of its remit. Every read but the subject’s own is logged. Persons’ identity numbers and names are shown as the caller’s footing allows (docs/security.md: in full to the subject and departments, by purpose to agencies; related persons masked). The report is signed: verify with POST /v1/reports/verify or the keys at /.well-known/jwks.json.',
        params: bySubject,
        querystring: reportQuery,
        headers: reportHeaders,
        response: { 200: signedReportSchema },
      },
    },
    async (request) => {
      const { id } = request.params as z.infer<typeof bySubject>;
      const { purpose } = request.query as z.infer<typeof reportQuery>;
      const token = request.headers[authorisationHeader];
      const subject = requireSubject(app.keyring, id);
      const { report } = await readFile(
        context,
        principalOf(request),
        {
          subject,
          request: {
            authorisationToken: typeof token === 'string' ? token : undefined,
            purpose,
            purposePath: 'query.purpose',
          },
        },
        'rest',
        app.clock(),
      );
      const canonical = canonicalJson(report);
      const signature = await app.signer.signDetached(canonical, reportSignatureType);
      // The canonical text is JSON of the report already: it is sent as it was signed.
      return withJson(
        { report, signature },
        `{"report":${canonical},"signature":${JSON.stringify(signature)}}`,
      );
    },
  );

  app.post(
    '/v1/reports/verify',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['reports'],
        summary: 'Whether a credit report is genuine and unaltered',
        body: reportVerificationRequestSchema,
        response: { 200: reportVerificationSchema },
      },
    },
    async (request) => {
      const { report, signature } = request.body as z.infer<typeof reportVerificationRequestSchema>;
      const result = await app.signer.verifyDetached(signature, canonicalJson(report), reportSignatureType);
      return {
        valid: result.valid,
        reason: result.valid ? null : result.reason,
        keyId: result.valid ? result.kid : null,
        reportId: result.valid && typeof report.reportId === 'string' ? report.reportId : null,
        generatedAt: result.valid && typeof report.generatedAt === 'string' ? report.generatedAt : null,
      };
    },
  );

  app.get(
    '/.well-known/jwks.json',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['reports'],
        summary: 'The platform’s public signing keys (reports, authorisation tokens)',
        response: { 200: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }) },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=3600');
      return app.signer.jwks;
    },
  );

  app.get(
    '/v1/subjects/:id/access-log',
    {
      config: { auth: { roles: ['subject', 'admin'] } },
      schema: {
        tags: ['reports'],
        summary: 'Who read this subject’s file (查询使用登记), oldest first',
        description:
          'For the subject and the credit office. The log is append-only and hash-chained; `chainValid` says whether it still verifies.',
        params: bySubject,
        querystring: logQuery,
        response: { 200: accessLogPageSchema },
      },
    },
    async (request) => {
      const { id } = request.params as z.infer<typeof bySubject>;
      const { cursor, limit } = request.query as z.infer<typeof logQuery>;
      const principal = principalOf(request);
      const subject = requireSubject(app.keyring, id);
      if (!principal.roles.includes('admin') && !isSelf(principal, subject, app.keyring)) {
        throw new ProblemError('forbidden', 'only the subject and the credit office read this access log');
      }
      const rows = await context.accessLog.page(subject.key, cursor?.[0] ?? 0, limit + 1);
      const page = toPage(rows, limit, (row) => [row.entryNo]);
      return {
        items: page.items.map(accessLogView),
        next: page.next,
        chainValid: await context.accessLog.verify(subject.key),
      };
    },
  );
}
