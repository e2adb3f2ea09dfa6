import { canonicalJson, verifyDetachedWith } from '@credit/crypto';
import type { JSONWebKeySet } from 'jose';
import { reportDigest, verificationCode } from './digest.ts';
import { readReportPdf } from './embedded.ts';

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
      /** Whether every page names this report and carries its code (the pages belong to the signed content). */
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

/** A report PDF: its attached signed JSON verified, and its pages checked to name that report. */
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
  const squeezed = contents.pages.map((text) => text.replace(/\s+/g, ''));
  const pagesMatch = squeezed.every((text) => text.includes(result.reportId) && text.includes(result.code));
  return { ...result, pagesMatch };
}
