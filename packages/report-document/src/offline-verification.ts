import { canonicalJson, verifyDetachedWith } from '@credit/crypto';
import type { CreditReport } from '@credit/schema';
import type { JSONWebKeySet } from 'jose';
import { reportDigest, verificationCode } from './digest.ts';
import { readReportPdf } from './embedded.ts';
import { renderReportPdf } from './render.ts';

/** The `typ` of a report signature (a detached JWS over the canonical report). */
export const reportSignatureType = 'credit-report+jws';

export type OfflineVerification =
  | {
      authentic: true;
      keyId: string;
      reportId: string;
      generatedAt: string;
      digest: string;
      code: string;
      /**
       * Whether the pages show exactly the signed content: every page's text is the text the
       * signed report renders to, page for page (number, code and every item included).
       */
      pagesMatch: boolean;
    }
  | { authentic: false; reason: string; reportId: string | null };

function reportIdOf(report: unknown): string | null {
  const id = (report as { reportId?: unknown } | null)?.reportId;
  return typeof id === 'string' ? id : null;
}

/**
 * Checks a signed report (the JSON the platform answers, or what a report PDF carries) with the
 * platform's published keys, without asking the platform.
 */
export async function verifySignedReport(
  signedJson: string,
  jwks: JSONWebKeySet,
): Promise<OfflineVerification> {
  let parsed: { report?: unknown; signature?: unknown };
  try {
    parsed = JSON.parse(signedJson) as typeof parsed;
  } catch {
    return { authentic: false, reason: 'the attached report is not valid JSON', reportId: null };
  }
  const { report, signature } = parsed ?? {};
  if (typeof report !== 'object' || report === null || typeof signature !== 'string')
    return { authentic: false, reason: 'the attachment is not a signed report', reportId: null };
  const canonical = canonicalJson(report);
  const result = await verifyDetachedWith(jwks, signature, canonical, reportSignatureType);
  if (!result.valid) return { authentic: false, reason: result.reason, reportId: reportIdOf(report) };
  const digest = reportDigest(canonical);
  return {
    authentic: true,
    keyId: result.kid,
    reportId: reportIdOf(report) ?? '',
    generatedAt: String((report as { generatedAt?: unknown }).generatedAt ?? ''),
    digest,
    code: verificationCode(digest),
    pagesMatch: true,
  };
}

/** A page's text without the spacing a layout may put between its runs. */
const squeezed = (text: string) => text.replace(/\s+/g, '');

/**
 * A report PDF: its attached signed JSON verified, and its pages compared with what that signed
 * report renders to. The signature covers the JSON; comparing the pages' text binds what a
 * reader sees to it, so pages drawn from other content around a genuine attachment (an item
 * removed, an amount lowered) do not pass. The QR code is not text: it leads to the online
 * verification, which answers from the platform's own record of the report.
 */
export async function verifyReportPdf(pdf: Uint8Array, jwks: JSONWebKeySet): Promise<OfflineVerification> {
  let contents: Awaited<ReturnType<typeof readReportPdf>>;
  try {
    contents = await readReportPdf(pdf);
  } catch (error) {
    return { authentic: false, reason: `not a readable PDF (${(error as Error).message})`, reportId: null };
  }
  if (contents.signedJson === null)
    return { authentic: false, reason: 'the PDF carries no signed report', reportId: null };
  const result = await verifySignedReport(contents.signedJson, jwks);
  if (!result.authentic) return result;
  const { report } = JSON.parse(contents.signedJson) as { report: CreditReport };
  const expected = await readReportPdf(
    await renderReportPdf({
      report,
      signedJson: contents.signedJson,
      digest: result.digest,
      // Drawn into the QR code only, never as text: any address renders the same text.
      verificationUrl: 'https://verification.invalid/',
    }),
  );
  const pagesMatch =
    contents.pages.length === expected.pages.length &&
    contents.pages.every((text, index) => squeezed(text) === squeezed(expected.pages[index] ?? ''));
  return { ...result, pagesMatch };
}
