import { canonicalJson } from '@credit/crypto';
import { ProblemError } from '@credit/errors';
import { principalOf, withJson, type ZodTypeProvider } from '@credit/http';
import { normaliseCode, reportSignatureType, verificationCode } from '@credit/report-document';
import {
  accessLogPageSchema,
  optionalPurposeSchema,
  pageQuerySchema,
  reportCheckQuerySchema,
  reportCheckSchema,
  reportNumberSchema,
  reportVerificationRequestSchema,
  reportVerificationSchema,
  signedReportSchema,
  subjectIdSchema,
  toPage,
} from '@credit/schema';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { issuedReports } from '../../db/schema.ts';
import { isSelf } from '../../domain/access-policy.ts';
import { authorisationHeader } from '../../domain/authorisations.ts';
import { readFile } from '../../domain/file-reader.ts';
import { requireSubject } from '../../domain/subject-key.ts';
import { accessLogView } from '../../repositories/access-log-repository.ts';
import {
  assertRendererFree,
  reportDocumentResponse,
  sendReportDocument,
  signIssuedReport,
  wantsPdf,
} from './report-document.ts';

export { reportSignatureType };

const bySubject = z.strictObject({ id: subjectIdSchema });
const byNumber = z.strictObject({ number: reportNumberSchema });
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
// Oldest first the cursor is the last entry number; newest first it also carries the entry's
// time (epoch milliseconds), which bounds the next read to that entry's month partition.
const logQuery = pageQuerySchema(z.tuple([z.number().int().min(0)], z.number().int()), {
  order: z
    .enum(['oldest', 'newest'])
    .default('oldest')
    .describe('`newest`: the most recent entries first (one month of the log per read)'),
});

/** Signed credit reports, their verification, the signing keys, and the access log. */
export async function reportRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const context = app.queryService;

  app.get(
    '/v1/subjects/:id/report',
    {
      config: {
        auth: { roles: ['subject', 'agency', 'government', 'admin'] },
        problems: ['reports_busy', 'purpose_required'],
      },
      schema: {
        tags: ['reports'],
        summary: 'A signed credit report on a subject, as the caller may see it',
        description:
          'The subject sees everything about them, each item marked (withdrawn, expired, disputed, repaired). An agency needs a live authorisation naming it (header `X-Credit-Authorisation`; each report uses it once) and sees public and authorised items in scope and in their display period. A government department states a `purpose` and sees the classes of its remit. Every read but the subject’s own is logged, with the report’s number and content digest. Persons’ identity numbers and names are shown as the caller’s footing allows (docs/security.md: in full to the subject and departments, by purpose to agencies; related persons masked). The report is signed: verify with POST /v1/reports/verify or the keys at /.well-known/jwks.json.\n\nWith `Accept: application/pdf` the same report, signature and number come as an A4 Chinese PDF (信用报告): every page carries the number, issue time, the subject as the public may see it named, a verification code and a QR code leading to GET /v1/reports/{number}/verification; the signed JSON is attached to it (`credit-report.json`) for offline verification (`npm run verify-report`).',
        params: bySubject,
        querystring: reportQuery,
        headers: reportHeaders,
        response: { 200: reportDocumentResponse(signedReportSchema) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { purpose } = request.query;
      const token = request.headers[authorisationHeader];
      const subject = requireSubject(app.keyring, id);
      const pdf = wantsPdf(request.headers.accept);
      if (pdf) assertRendererFree(app);
      const { report, issued } = await readFile(
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
      if (!issued) throw new Error('a REST report is always issued');
      const { signature, signedJson } = await signIssuedReport(app, issued);
      reply.header('vary', 'Accept');
      if (pdf) return sendReportDocument(app, request, reply, { report, signedJson, digest: issued.digest });
      return withJson({ report, signature }, signedJson);
    },
  );

  const publicLimit = app.rateLimitFor('public', context.settings.publicRateLimit);
  app.get(
    '/v1/reports/:number/verification',
    {
      config: { auth: 'public', rateLimit: publicLimit },
      schema: {
        tags: ['reports'],
        summary: 'Whether a credit report of this number and verification code was issued (报告核验)',
        description:
          'For whoever received a report: its number and the verification code printed on every page (the QR code leads here with both). Says whether the platform issued it, when, about whom (as the public may see the subject named) and the digest of its content, never the content itself. Rate-limited per client like public disclosure (RATE_LIMIT_PUBLIC_PER_MINUTE). An unknown number and a wrong code get the same answer.',
        params: byNumber,
        querystring: reportCheckQuerySchema,
        response: { 200: reportCheckSchema },
      },
    },
    async (request) => {
      const { number } = request.params;
      const { code } = request.query;
      const [issued] = await app.db
        .select()
        .from(issuedReports)
        .where(eq(issuedReports.reportId, number))
        .limit(1);
      const digest = issued?.digest.toString('hex');
      if (!issued || !digest || verificationCode(digest) !== normaliseCode(code)) {
        return {
          authentic: false,
          reportId: number,
          issuedAt: null,
          subject: null,
          digest: null,
          keyId: null,
          reason: 'the platform issued no report with this number and verification code',
        };
      }
      return {
        authentic: true,
        reportId: number,
        issuedAt: issued.issuedAt.toISOString(),
        subject: issued.subjectLabel,
        digest,
        keyId: issued.keyId,
        reason: null,
      };
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
      const { report, signature } = request.body;
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
        summary: 'Who read this subject’s file (查询使用登记), oldest or newest first',
        description:
          'For the subject and the credit office. The log is append-only and hash-chained; `chainValid` says whether it still verifies.',
        params: bySubject,
        querystring: logQuery,
        response: { 200: accessLogPageSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { cursor, limit, order } = request.query;
      const principal = principalOf(request);
      const subject = requireSubject(app.keyring, id);
      if (!principal.roles.includes('admin') && !isSelf(principal, subject, app.keyring)) {
        throw new ProblemError('forbidden', 'only the subject and the credit office read this access log');
      }
      if (cursor && cursor.length !== (order === 'newest' ? 2 : 1))
        throw new ProblemError(
          'bad_request',
          'not a cursor of this list in this order: pass back the `next` of the previous page',
        );
      const rows =
        order === 'newest'
          ? await context.accessLog.pageNewest(
              subject.key,
              cursor ? { entryNo: cursor[0], at: new Date(cursor[1] ?? 0) } : null,
              limit + 1,
            )
          : await context.accessLog.page(subject.key, cursor?.[0] ?? 0, limit + 1);
      const page = toPage(rows, limit, (row) =>
        order === 'newest' ? [row.entryNo, row.accessedAt.getTime()] : [row.entryNo],
      );
      return {
        items: page.items.map(accessLogView),
        next: page.next,
        chainValid: await context.accessLog.verify(subject.key),
      };
    },
  );
}
