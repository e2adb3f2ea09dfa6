import { type CreditReport, catalogueEntries, catalogueVersion } from '@credit/schema';
import type { ReportDocumentInput } from './render.ts';

/**
 * A report no one receives, rendered once by each render thread as it starts: one item of every
 * organisation entry of the catalogue (its sample data), so the fonts are parsed and the labels,
 * dates and marks every report repeats are shaped before the first caller waits for them.
 */
export function warmUpInput(): ReportDocumentInput {
  const at = '2026-01-01T00:00:00.000Z';
  const entries = catalogueEntries.filter((entry) => entry.subjectKinds.includes('legal_person'));
  const report: CreditReport = {
    reportId: 'rpt_warmup',
    issuer: '公共信用信息平台',
    generatedAt: at,
    audience: 'self',
    requester: { role: 'subject', org: null },
    purpose: null,
    authorisationId: null,
    subject: { kind: 'legal_person', id: '000000000000000000', name: '预热报告' },
    catalogueVersion,
    items: entries.map((entry, n) => ({
      recordId: `rec_warmup${n}`,
      version: 1,
      category: entry.code,
      categoryName: entry.zh,
      class: entry.classCode,
      provider: 'warm-up',
      occurredAt: '2026-01-01',
      receivedAt: at,
      severity: null,
      publicity: entry.publicity,
      displayUntil: at,
      status: 'active',
      disputed: n % 2 === 0,
      data: entry.sample,
      redacted: [],
      relatedPersons: [],
      linkedFrom: null,
      hash: '',
      marks: { withdrawn: false, expired: n % 3 === 0, disputed: false, withheld: false, repaired: false },
    })),
    grades: { current: [], history: [] },
  };
  return {
    report,
    signedJson: '{}',
    digest: '0'.repeat(64),
    verificationUrl: 'https://warm-up.invalid/v1/reports/rpt_warmup/verification?code=00000000',
  };
}
