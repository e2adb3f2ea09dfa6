import { ProblemError } from '@credit/errors';
import { reportSignatureType, verificationCode } from '@credit/report-document';
import type { CreditReport } from '@credit/schema';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';

const pdfType = 'application/pdf';

function qualityOf(range: string): { type: string; q: number } {
  const [type = '', ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
  const q = parameters.find((p) => p.startsWith('q='));
  const value = q ? Number(q.slice(2)) : 1;
  return { type, q: Number.isFinite(value) ? value : 0 };
}

/**
 * Whether the caller asks for the PDF: `application/pdf` named in Accept and not ranked below
 * JSON. A caller naming neither, or `*\/*`, gets JSON as before.
 */
export function wantsPdf(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = accept.split(',').map(qualityOf);
  const pdf = ranges.find((r) => r.type === pdfType);
  if (!pdf || pdf.q <= 0) return false;
  const json = ranges.find((r) => r.type === 'application/json');
  return !json || pdf.q >= json.q;
}

/** A report route's 200: the signed JSON, or the same report as a PDF. */
export function reportDocumentResponse(
  json: z.ZodType,
  description = 'The signed report (JSON), or with `Accept: application/pdf` the same report as a PDF',
) {
  return {
    description,
    content: {
      'application/json': { schema: json },
      [pdfType]: { schema: { type: 'string', format: 'binary' } },
    },
  };
}

/**
 * Signs an issued report: the detached signature, and the signed report as the JSON answer and the
 * PDF's attachment carry it. The canonical text is JSON of the report already, sent as signed.
 */
export async function signIssuedReport(app: FastifyInstance, issued: { canonical: string }) {
  const signature = await app.signer.signDetached(issued.canonical, reportSignatureType);
  return { signature, signedJson: `{"report":${issued.canonical},"signature":${JSON.stringify(signature)}}` };
}

/** Where a report's QR code leads: its public verification, with its code. */
function verificationUrl(app: FastifyInstance, request: FastifyRequest, reportId: string, digest: string) {
  const base = app.publicBaseUrl ?? `${request.protocol}://${request.host}`;
  const url = new URL(`/v1/reports/${reportId}/verification`, base);
  url.searchParams.set('code', verificationCode(digest));
  return url.href;
}

function rendererBusy(): ProblemError {
  return new ProblemError('reports_busy', 'every report renderer is busy; retry after the Retry-After delay');
}

/**
 * Refuses a PDF before the report is read and issued (logged to the subject) when no renderer
 * could take it now: a refused PDF should leave no issued report behind. A render asked for
 * between this check and the render itself is still refused there.
 */
export function assertRendererFree(app: FastifyInstance): void {
  if (app.queryService.reportRenderer.saturated) throw rendererBusy();
}

/** The report as a PDF, rendered on the query service's render threads (never on the event loop). */
export async function sendReportDocument(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  signed: { report: CreditReport; signedJson: string; digest: string },
) {
  const rendering = app.queryService.reportRenderer.tryRender({
    ...signed,
    verificationUrl: verificationUrl(app, request, signed.report.reportId, signed.digest),
  });
  if (!rendering) throw rendererBusy();
  const pdf = await rendering;
  return reply
    .type(pdfType)
    .header('content-disposition', `inline; filename="${signed.report.reportId}.pdf"`)
    .send(pdf);
}
