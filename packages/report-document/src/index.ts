export { normaliseCode, reportDigest, verificationCode } from './digest.ts';
export { type ReportPdfContents, readReportPdf } from './embedded.ts';
export { reportFonts } from './fonts.ts';
export {
  type OfflineVerification,
  reportSignatureType,
  verifyReportPdf,
  verifySignedReport,
} from './offline-verification.ts';
export { attachmentName, itemMarks, type ReportDocumentInput, renderReportPdf } from './render.ts';
export { type RenderPoolOptions, ReportRenderPool } from './render-pool.ts';
export { subjectLabel } from './subject-label.ts';
