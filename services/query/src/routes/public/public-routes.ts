import { newId, platformIssuer } from '@credit/crypto';
import type { Database } from '@credit/db';
import { ProblemError } from '@credit/errors';
import { consistencyHeaders, readLagTolerant, type ZodTypeProvider } from '@credit/http';
import {
  type CreditReport,
  catalogueVersion,
  publicDisclosureSchema,
  type ReportItem,
  usccSchema,
} from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { entriesInForce } from '../../consumers/sanctions-projection.ts';
import { publiclyDisclosed } from '../../domain/access-policy.ts';
import { redactGated } from '../../domain/consent-scope.ts';
import { registerIssue } from '../../domain/file-reader.ts';
import { itemOf } from '../../domain/report-builder.ts';
import { subjectKey } from '../../domain/subject-key.ts';
import { openSubject, type RecordRow } from '../../repositories/read-model-repository.ts';
import {
  assertRendererFree,
  reportDocumentResponse,
  sendReportDocument,
  signIssuedReport,
  wantsPdf,
} from '../reports/report-document.ts';

const byUscc = z.strictObject({ uscc: usccSchema });

export function publicItem(row: RecordRow, now: Date): ReportItem {
  // Persons named on an organisation's record are not public; only their role is. No consent
  // names the public, so consent-gated values never appear here.
  const item = itemOf(
    row,
    row.relatedPersons.map((p) => ({ role: p.role, name: '', id: '' })),
  );
  return redactGated(item, row, { kind: 'public' }, new Map(), now);
}

/**
 * Public disclosure (信用公示), no token: every standing item the catalogue marks public (双公示
 * licences and penalties, court judgement debtors, commitments, honours, grades, …) within its
 * display period, and published list entries, for organisations only. Natural persons are not
 * publicly searchable: their identifiers are answered exactly like unknown ones.
 */
export async function publicRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { readModel, settings } = app.queryService;
  const publicLimit = app.rateLimitFor('public', settings.publicRateLimit);
  app.get(
    '/v1/public/subjects/:uscc',
    {
      config: {
        auth: 'public',
        rateLimit: publicLimit,
        problems: ['reports_busy', 'invalid_consistency_token'],
      },
      schema: {
        tags: ['public'],
        summary: 'Publicly disclosed information about an organisation (双公示)',
        description:
          'Rate-limited per client (RATE_LIMIT_PUBLIC_PER_MINUTE, 60 a minute by default); beyond it 429 with Retry-After.\n\nWith `Accept: application/pdf` the disclosed items come as a signed report a person can hand on (公示信用报告, audience `public`): the same A4 Chinese document as the subject’s own report, with its number, verification code and QR code on every page and the signed JSON attached, verifiable at GET /v1/reports/{number}/verification and offline (`npm run verify-report`). It holds what this answer’s `items` hold; list entries and registration are not part of a report.',
        params: byUscc,
        headers: consistencyHeaders,
        response: {
          200: reportDocumentResponse(
            publicDisclosureSchema,
            'What is publicly disclosed (JSON), or with `Accept: application/pdf` the same items as a signed report PDF',
          ),
        },
      },
    },
    async (request, reply) => {
      const { uscc } = request.params;
      const pdf = wantsPdf(request.headers.accept);
      if (pdf) assertRendererFree(app);
      reply.header('vary', 'Accept');
      const key = subjectKey(app.keyring, 'legal_person', uscc);
      const now = app.clock();
      const read = async (db: Database) => {
        const subject = await readModel.subject(key, db);
        if (!subject || subject.kind === 'natural_person') return undefined;
        const rows = await readModel.recordsOf(key, db);
        const entries = pdf ? undefined : (await entriesInForce(db, [key], now)).get(key.toString('hex'));
        return { subject, rows, entries: entries ?? [] };
      };
      // A report is numbered and recorded as it is issued: the primary reads what it signs.
      const found = pdf ? await read(app.db) : await readLagTolerant(app, request, read);
      if (!found) throw new ProblemError('not_found', 'no publicly disclosed organisation has this code');
      const { subject } = found;
      const disclosed = found.rows.filter((row) => publiclyDisclosed(row, now));
      const registration = disclosed.find((row) => row.category === 'org_registration');
      const name = openSubject(app.keyring, subject).name;
      if (pdf) {
        const report: CreditReport = {
          reportId: newId('rpt', now.getTime()),
          issuer: platformIssuer,
          generatedAt: now.toISOString(),
          audience: 'public',
          requester: { role: 'public', org: null },
          purpose: null,
          authorisationId: null,
          subject: { kind: subject.kind as CreditReport['subject']['kind'], id: uscc, name },
          catalogueVersion,
          items: disclosed.map((row) => publicItem(row, now)),
          grades: { current: [], history: [] },
        };
        // Numbered like every report, so its recipient can check it; public reads are not
        // logged to the subject (anyone may read them), but the issued document is recorded.
        const issued = await registerIssue(app.db, app.signer.kid, key, report);
        const { signedJson } = await signIssuedReport(app, issued);
        return sendReportDocument(app, request, reply, { report, signedJson, digest: issued.digest });
      }
      return {
        subject: {
          uscc,
          kind: subject.kind as 'legal_person',
          name,
        },
        registration: registration?.data ?? null,
        items: disclosed.map((row) => publicItem(row, now)),
        // Published red and black entries are public for organisations; watch lists are not.
        listEntries: found.entries
          .filter((e) => e.listKind !== 'watch')
          .map((e) => ({
            id: e.entryId,
            listKind: e.listKind,
            domain: e.domain,
            validFrom: e.validFrom?.toISOString() ?? null,
            validUntil: e.validUntil?.toISOString() ?? null,
            measures: e.measures,
          })),
        generatedAt: now.toISOString(),
      };
    },
  );
}
