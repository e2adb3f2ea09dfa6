import { z } from 'zod';
import { catalogueClasses, publicityLevels, severities } from '../catalogue/types.ts';
import { usccSchema } from '../identifiers/identifier-schemas.ts';
import { subjectKinds } from '../identifiers/subject.ts';
import { instant, occurredAtView, prefixedId } from './common.ts';
import { subjectGradesSchema } from './grades.ts';
import { pageSchema } from './pagination.ts';

/** Why an agency queries (查询用途); each purpose caps how long an authorisation may last. */
export const authorisationPurposes = [
  'loan',
  'lease',
  'employment',
  'tender',
  'cooperation',
  'other',
] as const;
export type AuthorisationPurpose = (typeof authorisationPurposes)[number];

export const purposeMaxDays: Record<AuthorisationPurpose, number> = {
  loan: 365,
  lease: 180,
  employment: 90,
  tender: 90,
  cooperation: 365,
  other: 30,
};

export const authorisationRequestSchema = z.strictObject({
  agency: usccSchema.describe('USCC of the credit agency authorised'),
  purpose: z.enum(authorisationPurposes),
  scope: z
    .array(z.string().min(1).max(64))
    .min(1)
    .max(100)
    .optional()
    .describe('Catalogue classes or entry codes the agency may see; all it may otherwise see when absent'),
  historyFrom: z.iso.date().optional().describe('Only facts from this date on'),
  expiresAt: instant().describe(
    `When the authorisation lapses; capped per purpose (${Object.entries(purposeMaxDays)
      .map(([p, d]) => `${p} ${d} days`)
      .join(', ')})`,
  ),
  maxUses: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .describe('How many reports it allows; unlimited when absent'),
});
export type AuthorisationRequest = z.infer<typeof authorisationRequestSchema>;

export const authorisationStates = ['active', 'revoked', 'expired', 'exhausted'] as const;

export const authorisationSchema = z.object({
  id: prefixedId('auz'),
  agency: z.string(),
  purpose: z.enum(authorisationPurposes),
  scope: z.array(z.string()).nullable(),
  historyFrom: z.string().nullable(),
  expiresAt: instant(),
  maxUses: z.number().int().nullable(),
  uses: z.number().int(),
  state: z.enum(authorisationStates),
  origin: z.enum(['platform', 'identity_provider']),
  grantedAt: instant(),
  revokedAt: instant().nullable(),
});
export type AuthorisationView = z.infer<typeof authorisationSchema>;

export const grantedAuthorisationSchema = authorisationSchema.extend({
  token: z.string().describe('JWS the agency presents in the X-Credit-Authorisation header'),
});

export const agencyRegistrationSchema = z.strictObject({
  uscc: usccSchema,
  name: z.string().trim().min(1).max(200),
  licenceNumber: z.string().trim().min(1).max(100),
  licenceValidUntil: z.iso.date(),
});

export const agencySchema = z.object({
  uscc: z.string(),
  name: z.string(),
  licenceNumber: z.string(),
  licenceValidUntil: z.string(),
  status: z.enum(['active', 'suspended']),
  statusReason: z.string().nullable(),
  licensed: z.boolean().describe('Whether the licence is valid today'),
  createdAt: instant(),
  updatedAt: instant(),
});

export const departmentRegistrationSchema = z.strictObject({
  code: z.string().regex(/^[a-z][a-z0-9_-]{1,63}$/),
  name: z.string().trim().min(1).max(200),
  remit: z
    .array(z.enum(catalogueClasses.map((c) => c.code) as [string, ...string[]]))
    .min(1)
    .describe('Catalogue classes the department may query'),
});

export const departmentSchema = z.object({
  code: z.string(),
  name: z.string(),
  remit: z.array(z.string()),
  status: z.enum(['active', 'suspended']),
  createdAt: instant(),
  updatedAt: instant(),
});

/** `public`: the public disclosure of an organisation as a document (公示信用报告), anyone's to ask for. */
export const reportAudiences = ['self', 'agency', 'government', 'public'] as const;

export const reportItemSchema = z.object({
  recordId: z.string(),
  version: z.number().int(),
  category: z.string(),
  categoryName: z.string(),
  class: z.string(),
  provider: z.string(),
  occurredAt: occurredAtView(),
  receivedAt: instant(),
  severity: z.enum(severities).nullable(),
  publicity: z.enum(publicityLevels),
  displayUntil: instant().nullable(),
  status: z.enum(['active', 'withdrawn']),
  disputed: z
    .boolean()
    .describe('Under objection (异议处理中): shown to everyone the item is shown to, the public included'),
  data: z.record(z.string(), z.unknown()),
  redacted: z
    .array(z.string())
    .describe(
      'Consent-gated fields of `data` (收入、存款…) left out: the caller is outside the purposes and recipients the subject’s consent names, or the consent was revoked or has lapsed',
    ),
  relatedPersons: z.array(z.object({ role: z.string(), name: z.string(), id: z.string() })),
  linkedFrom: z.object({ recordId: z.string(), role: z.string() }).nullable(),
  hash: z.string(),
  marks: z
    .object({
      withdrawn: z.boolean(),
      expired: z.boolean(),
      disputed: z.boolean(),
      withheld: z
        .boolean()
        .describe('An objection was upheld: hidden from others until the department’s correction lands'),
      repaired: z.boolean(),
    })
    .describe('Why an item would not be shown to others; in the subject’s own report only')
    .optional(),
});
export type ReportItem = z.infer<typeof reportItemSchema>;

export const creditReportSchema = z.object({
  reportId: prefixedId('rpt'),
  issuer: z.string(),
  generatedAt: instant(),
  audience: z.enum(reportAudiences),
  requester: z.object({ role: z.string(), org: z.string().nullable() }),
  purpose: z.string().nullable(),
  authorisationId: z.string().nullable(),
  subject: z.object({ kind: z.enum(subjectKinds), id: z.string(), name: z.string() }),
  catalogueVersion: z.string(),
  items: z.array(reportItemSchema),
  grades: subjectGradesSchema,
});
export type CreditReport = z.infer<typeof creditReportSchema>;

export const signedReportSchema = z.object({
  report: creditReportSchema,
  signature: z
    .string()
    .describe(
      'Detached compact JWS (ES256) over the canonical JSON of `report`; keys at /.well-known/jwks.json',
    ),
});

export const reportVerificationRequestSchema = z.strictObject({
  report: z.record(z.string(), z.unknown()),
  signature: z.string().min(1).max(2000),
});

export const reportVerificationSchema = z.object({
  valid: z.boolean(),
  reason: z.string().nullable(),
  keyId: z.string().nullable(),
  reportId: z.string().nullable(),
  generatedAt: z.string().nullable(),
});

export const reportNumberSchema = prefixedId('rpt').describe(
  'The report number (报告编号) printed on every page',
);

export const reportCheckQuerySchema = z.strictObject({
  code: z
    .string()
    .trim()
    .regex(/^[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}$/)
    .describe('The verification code (核验码) printed on every page, e.g. 7KQ2-9MXD'),
});

export const reportCheckSchema = z.object({
  authentic: z
    .boolean()
    .describe('Whether the platform issued a report of this number with this verification code'),
  reportId: z.string(),
  issuedAt: instant().nullable(),
  subject: z
    .string()
    .nullable()
    .describe('The subject as the public may see it named (a person masked: 张* 370***********123X)'),
  digest: z
    .string()
    .nullable()
    .describe(
      'SHA-256 (hex) of the report’s canonical JSON: compare with the report’s first page or its attached signed JSON',
    ),
  keyId: z.string().nullable().describe('The key that signed it, among /.well-known/jwks.json'),
  reason: z.string().nullable(),
});

export const accessLogEntrySchema = z.object({
  id: prefixedId('acc'),
  entryNo: z.number().int(),
  accessedAt: instant(),
  role: z.string(),
  org: z.string().nullable(),
  purpose: z.string().nullable(),
  authorisationId: z.string().nullable(),
  reportId: z.string().nullable().describe('The number of the report this read issued (信用报告编号)'),
  reportDigest: z
    .string()
    .nullable()
    .describe('SHA-256 (hex) of that report’s canonical JSON: which content the recipient received'),
  channel: z.enum(['rest', 'graphql']),
  records: z.array(z.object({ id: z.string(), version: z.number().int() })),
  hash: z.string(),
});

export const accessLogPageSchema = pageSchema(accessLogEntrySchema).extend({
  chainValid: z.boolean().describe('Whether the whole log of this subject still hashes to its chain'),
});

export const publicDisclosureSchema = z.object({
  subject: z.object({ uscc: z.string(), kind: z.enum(subjectKinds), name: z.string() }),
  registration: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('The current registration record’s data (登记信息), also among `items`'),
  items: z
    .array(reportItemSchema)
    .describe(
      'Every standing item the catalogue marks public for this organisation (GET /v1/catalogue, `publicity`), within its display period, newest first',
    ),
  listEntries: z.array(z.record(z.string(), z.unknown())),
  generatedAt: instant(),
});
