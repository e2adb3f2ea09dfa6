import { z } from 'zod';
import { amountYuan, isoDate, text } from '../catalogue/fields.ts';
import { citizenIdSchema, usccSchema } from '../identifiers/identifier-schemas.ts';
import { type OrganisationKind, organisationKinds } from '../identifiers/subject.ts';
import { gradeTiers, intermediaryIndustrySchema } from '../intermediaries/industries.ts';
import { instant, prefixedId } from './common.ts';
import { reportItemSchema } from './query.ts';

/** The industry catalogue as served (GET /v1/intermediaries/industries). */
export const intermediaryIndustryViewSchema = z.object({
  code: intermediaryIndustrySchema,
  zh: z.string(),
  en: z.string(),
  scope: z.string(),
  supervisors: z.array(z.string()).describe('Kinds of supervising department (行业主管部门)'),
  grades: z
    .array(z.object({ code: z.string(), label: z.string(), tier: z.enum(gradeTiers) }))
    .describe('The evaluation scale, best first'),
  commitment: z.object({
    title: z.string(),
    clauses: z.array(z.object({ code: z.string(), text: z.string() })),
  }),
  basis: z.string(),
});

/** A supervising department registers an agency of its industry (涉审中介机构). */
export const intermediaryRegistrationSchema = z.strictObject({
  subject: z.strictObject({
    kind: z
      .enum(organisationKinds as [OrganisationKind, ...OrganisationKind[]])
      .default('legal_person')
      .describe('Kind of organisation (default legal_person)'),
    id: usccSchema,
    name: z.string().trim().min(1).max(200),
  }),
  industry: intermediaryIndustrySchema,
});

export const intermediarySchema = z.object({
  id: usccSchema,
  name: z.string(),
  industry: intermediaryIndustrySchema,
  department: z.string().describe('The registering supervising department'),
  registeredAt: instant(),
});
export type Intermediary = z.infer<typeof intermediarySchema>;

export const qualificationSchema = z.strictObject({
  name: text(200).describe('资质/执业资格名称'),
  number: text(100).describe('证书编号'),
  issuedBy: text(200).optional(),
  level: text(50).optional(),
  validUntil: isoDate().optional(),
});

/** A practitioner linked to an agency (从业人员), with qualifications and whether responsible. */
export const practitionerLinkSchema = z.strictObject({
  person: z.strictObject({ id: citizenIdSchema, name: z.string().trim().min(1).max(100) }),
  qualifications: z.array(qualificationSchema).max(50).default([]),
  responsible: z
    .boolean()
    .default(false)
    .describe('A responsible person (相关负责人): named on records of the agency’s serious dishonesty'),
});

export const practitionerSchema = z.object({
  id: prefixedId('prc'),
  agency: usccSchema,
  person: z.object({ id: z.string().describe('Masked citizen identity number'), name: z.string() }),
  qualifications: z.array(qualificationSchema),
  responsible: z.boolean(),
  linkedAt: instant(),
});

/** What an agency declares (信息申报, seeds/003 四(一)): qualifications, capabilities, practice, past engagements. */
export const declarationContentSchema = z.strictObject({
  qualifications: z.array(qualificationSchema).max(50).default([]),
  capabilities: z
    .array(z.strictObject({ name: text(200), description: text(2000) }))
    .max(50)
    .default([]),
  practice: z
    .strictObject({
      serviceScope: text(2000).describe('执业范围'),
      practitionerCount: z.number().int().nonnegative().max(1_000_000).optional(),
      offices: text(500).optional(),
    })
    .optional(),
  engagements: z
    .array(
      z.strictObject({
        client: text(200),
        project: text(500),
        service: text(500),
        completedOn: isoDate(),
        contractAmount: amountYuan().optional(),
      }),
    )
    .max(200)
    .default([]),
});

export const commitmentSchema = z.strictObject({
  accepted: z
    .array(z.string().min(1).max(64))
    .min(1)
    .max(50)
    .describe('Every clause code of the industry’s format (GET /v1/intermediaries/industries)'),
  signatory: text(100).describe('Who signs for the agency'),
  signedOn: isoDate(),
});

export const declarationSubmissionSchema = z.strictObject({
  content: declarationContentSchema,
  commitment: commitmentSchema,
});
export type DeclarationSubmission = z.infer<typeof declarationSubmissionSchema>;

export const declarationStatuses = ['submitted', 'accepted', 'returned', 'found_false'] as const;

export const declarationSchema = z.object({
  id: prefixedId('dcl'),
  agency: usccSchema,
  industry: intermediaryIndustrySchema,
  status: z.enum(declarationStatuses),
  content: declarationContentSchema,
  commitment: z.object({
    title: z.string(),
    clauses: z.array(z.object({ code: z.string(), text: z.string() })),
    signatory: z.string(),
    signedOn: z.string(),
  }),
  submittedAt: instant(),
  reviewedAt: instant().nullable(),
  reviewedBy: z.string().nullable().describe('The reviewing department'),
  reasons: z.string().nullable().describe('Why it was returned, or the finding that it was false'),
  records: z.array(prefixedId('rec')).describe('Dishonesty records written when it was found false'),
});
export type Declaration = z.infer<typeof declarationSchema>;

/** A declaration in a supervising department's review queue: the agency named beside its USCC. */
export const declarationAwaitingReviewSchema = declarationSchema.extend({
  agencyName: z.string().describe('The name the agency was registered under'),
});

export const declarationReviewSchema = z.discriminatedUnion('decision', [
  z.strictObject({ decision: z.literal('accept') }),
  z.strictObject({ decision: z.literal('return'), reasons: text(2000) }),
]);

/** A supervising department's finding that a declaration is false (虚假申报). */
export const declarationFalsitySchema = z.strictObject({
  documentNumber: text(100),
  decidedOn: isoDate(),
  facts: text(4000),
});

const publishedDeclarationSchema = z.object({
  id: prefixedId('dcl'),
  content: declarationContentSchema,
  commitment: declarationSchema.shape.commitment,
  acceptedBy: z.string(),
  acceptedAt: instant(),
});

export const publicIntermediarySchema = z.object({
  id: z.string().describe('USCC'),
  name: z.string(),
  industry: intermediaryIndustrySchema,
  industryLabel: z.string(),
  department: z.string().describe('The supervising department that registered it'),
  grades: z
    .array(
      z.object({
        domain: z.string(),
        year: z.number().int(),
        grade: z.string(),
        department: z.string(),
        disputed: z
          .boolean()
          .describe('The evaluation is under objection (异议中) until the objection closes'),
      }),
    )
    .describe(
      'Current grades as evaluations assigned them (grade rules and the supervising departments’ industry evaluations); empty until evaluated',
    ),
  declarations: z.number().int().describe('Accepted declarations published'),
});

export const publicIntermediaryDetailSchema = publicIntermediarySchema.extend({
  declarations: z.array(publishedDeclarationSchema).describe('Accepted declarations, newest first'),
  records: z
    .array(reportItemSchema)
    .describe('Its publicly disclosed records (as GET /v1/public/subjects/{uscc})'),
});

export const exposedIntermediarySchema = publicIntermediarySchema.omit({ declarations: true }).extend({
  records: z
    .array(reportItemSchema)
    .describe(
      'Its standing public records of serious dishonesty (严重失信): false declarations or reports, revoked qualifications, bans, criminal liability…',
    ),
});
