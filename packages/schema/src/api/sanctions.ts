import { z } from 'zod';
import { catalogueClasses, severities } from '../catalogue/types.ts';
import { subjectIdSchema } from '../identifiers/identifier-schemas.ts';
import { subjectKinds } from '../identifiers/subject.ts';
import { instant, prefixedId } from './common.ts';
import { checkGradeSchema } from './grades.ts';
import { checkIndustryGradeSchema } from './industry-evaluations.ts';
import { purposeSchema } from './purpose.ts';

/**
 * Rule and measure codes: one shape, so a code typed into a URL, a rule definition or the
 * catalogue means the same thing everywhere (no spaces, no capitals, nothing to escape).
 */
const sanctionsCodePattern = /^[a-z][a-z0-9_-]{2,63}$/;
const sanctionsCodeMessage = 'lower-case letters, digits, _ and -; 3 to 64 characters; starts with a letter';
export const ruleCodeSchema = z
  .string()
  .regex(sanctionsCodePattern, sanctionsCodeMessage)
  .describe('The rule’s code, stable across its versions');
export const measureCodeSchema = z
  .string()
  .regex(sanctionsCodePattern, sanctionsCodeMessage)
  .describe('The measure’s code in the joint measures catalogue');

/** The lists (红名单, 黑名单, 重点关注名单): one definition for the API, the services' tables and their code. */
export const listKinds = ['red', 'black', 'watch'] as const;
export const listKindSchema = z.enum(listKinds);
export type ListKind = z.infer<typeof listKindSchema>;

/** Domains of lists and grades (SPEC: general, e-commerce, tax, food and drug, work safety, courts, public resource trading). */
export const listDomains = [
  'general',
  'ecommerce',
  'tax',
  'food_drug',
  'work_safety',
  'courts',
  'public_resource_trading',
  'intermediary',
] as const;
export type ListDomain = (typeof listDomains)[number];

/** What a department or platform is about to allow, and asks the check API about. */
export const sanctionActions = [
  'licence_application',
  'fiscal_funding',
  'public_tender',
  'administrative_convenience',
  'inspection_planning',
  'high_consumption',
  'serve_as_legal_rep',
  'platform_entry',
  'platform_ranking',
  'financing',
  'honours_selection',
  'government_procurement',
  'qualification_review',
  'company_registration',
] as const;
export type SanctionAction = (typeof sanctionActions)[number];

export const measureEffects = ['deny', 'restrict', 'inspect', 'priority'] as const;
export type MeasureEffect = (typeof measureEffects)[number];

export const entryStatuses = [
  'awaiting_calendar',
  'noticed',
  'proposed',
  'published',
  'rejected',
  'cancelled',
  'exited',
] as const;
export type EntryStatus = (typeof entryStatuses)[number];

const classCodes = catalogueClasses.map((c) => c.code) as [string, ...string[]];

export const recordMatchSchema = z
  .strictObject({
    entries: z.array(z.string().min(1).max(64)).min(1).optional().describe('Catalogue entry codes'),
    classes: z.array(z.enum(classCodes)).min(1).optional().describe('Catalogue classes'),
    severities: z.array(z.enum(severities)).min(1).optional(),
  })
  .refine((match) => match.entries !== undefined || match.classes !== undefined, {
    message: 'name catalogue entries or classes',
  });
export type RecordMatch = z.infer<typeof recordMatchSchema>;

/** A condition over a subject's records in their display period (the rule language). */
export type RuleCondition =
  | {
      type: 'records';
      match: RecordMatch;
      minCount: number;
      withinMonths?: number | undefined;
      amount?: { min: number; aggregate: 'sum' | 'max' } | undefined;
    }
  | { type: 'absence'; match: RecordMatch; withinMonths: number }
  | { type: 'grade_history'; domain: ListDomain; grade: string; consecutiveYears: number }
  | { type: 'all'; conditions: RuleCondition[] }
  | { type: 'any'; conditions: RuleCondition[] };

export const ruleConditionSchema: z.ZodType<RuleCondition> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('records'),
      match: recordMatchSchema,
      minCount: z.number().int().min(1).max(1000).default(1),
      withinMonths: z
        .number()
        .int()
        .min(1)
        .max(120)
        .optional()
        .describe('Only facts that happened in this many months'),
      amount: z
        .strictObject({ min: z.number().nonnegative(), aggregate: z.enum(['sum', 'max']).default('sum') })
        .optional()
        .describe('Threshold over the entries’ principal amount (yuan)'),
    }),
    z.strictObject({
      type: z.literal('absence'),
      match: recordMatchSchema,
      withinMonths: z.number().int().min(1).max(120),
    }),
    z.strictObject({
      type: z.literal('grade_history'),
      domain: z.enum(listDomains),
      grade: z.string().min(1).max(50),
      consecutiveYears: z.number().int().min(1).max(10),
    }),
    z.strictObject({ type: z.literal('all'), conditions: z.array(ruleConditionSchema).min(1).max(20) }),
    z.strictObject({ type: z.literal('any'), conditions: z.array(ruleConditionSchema).min(1).max(20) }),
  ]),
) as z.ZodType<RuleCondition>;

export const ruleDefinitionSchema = z
  .strictObject({
    code: ruleCodeSchema,
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).optional(),
    kind: z.enum([...listKinds, 'grade']),
    domain: z.enum(listDomains),
    subjectKinds: z.array(z.enum(subjectKinds)).min(1),
    identifyingDepartment: z
      .string()
      .min(1)
      .max(64)
      .describe('Code of the department that decides (认定部门)'),
    condition: ruleConditionSchema,
    validityMonths: z
      .number()
      .int()
      .min(1)
      .max(120)
      .default(36)
      .describe('How long a published entry stands'),
    objectionWindowWorkingDays: z.number().int().min(1).max(60).default(10),
    linkRelatedPersons: z
      .boolean()
      .default(false)
      .describe(
        'Black lists of organisations: also list the legal representative and responsible persons the basis names',
      ),
    grade: z
      .strictObject({ label: z.string().min(1).max(50), rank: z.number().int().min(0).max(100) })
      .optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.kind === 'grade' && !rule.grade)
      ctx.addIssue({ code: 'custom', path: ['grade'], message: 'a grade rule names its grade' });
    if (rule.kind !== 'grade' && rule.grade)
      ctx.addIssue({ code: 'custom', path: ['grade'], message: 'only grade rules name a grade' });
    if (rule.linkRelatedPersons && rule.kind !== 'black') {
      ctx.addIssue({
        code: 'custom',
        path: ['linkRelatedPersons'],
        message: 'only black lists create linked entries for persons',
      });
    }
  });
export type RuleDefinition = z.infer<typeof ruleDefinitionSchema>;

export const ruleSchema = z.object({
  code: ruleCodeSchema,
  version: z.number().int(),
  status: z.enum(['active', 'retired']),
  definition: z.record(z.string(), z.unknown()),
  createdBy: z.string(),
  createdAt: instant(),
});

export const measureSchema = z.object({
  code: measureCodeSchema,
  name: z.string(),
  nameEn: z.string(),
  listKind: listKindSchema,
  domains: z.array(z.enum(listDomains)),
  subjectScope: z.enum(['organisation', 'person', 'any']),
  actions: z.array(z.enum(sanctionActions)),
  effect: z.enum(measureEffects),
  legalBasis: z.string(),
  implementingDepartment: z.string(),
});
export type Measure = z.infer<typeof measureSchema>;

export const measureUpdateSchema = measureSchema.omit({ code: true }).strict();

export const listEntrySchema = z.object({
  id: prefixedId('lst'),
  subject: z.object({ kind: z.enum(subjectKinds), id: z.string(), name: z.string() }),
  listKind: listKindSchema,
  domain: z.enum(listDomains),
  rule: z.object({ code: z.string(), version: z.number().int() }),
  identifyingDepartment: z.string(),
  status: z.enum(entryStatuses),
  basis: z.array(z.object({ recordId: z.string(), version: z.number().int(), category: z.string() })),
  measures: z.array(measureSchema),
  proposedAt: instant(),
  objectionUntil: instant().nullable().describe('End of the objection window (working days, Asia/Shanghai)'),
  decidedAt: instant().nullable(),
  validFrom: instant().nullable(),
  validUntil: instant().nullable(),
  endedAt: instant().nullable(),
  endReason: z.string().nullable(),
  parentEntryId: z.string().nullable(),
  relatedRole: z.string().nullable(),
  history: z.array(
    z.object({ status: z.string(), at: instant(), actor: z.string(), note: z.string().nullable() }),
  ),
});
export type ListEntryView = z.infer<typeof listEntrySchema>;

export const entryDecisionSchema = z.strictObject({
  decision: z.enum(['publish', 'reject']),
  validUntil: z.iso.date().optional().describe('Defaults to the rule’s validity period'),
  note: z.string().trim().min(1).max(2000),
});

/** Who else an action puts in charge or in ownership, checked as the subject is (注册新公司). */
export const checkPartyRoles = ['legal_representative', 'responsible_person', 'investor'] as const;
export type CheckPartyRole = (typeof checkPartyRoles)[number];

export const checkRequestSchema = z
  .strictObject({
    subject: subjectIdSchema
      .optional()
      .describe(
        'The subject, named as on every route that looks one up: its USCC or citizen identity number (the kind follows from the number). May be left out only when `parties` names who is checked (a company not registered yet)',
      ),
    action: z.enum(sanctionActions),
    purpose: purposeSchema,
    parties: z
      .array(z.strictObject({ role: z.enum(checkPartyRoles), id: subjectIdSchema }))
      .min(1)
      .max(20)
      .optional()
      .describe(
        'Others the action would put in charge or in ownership, each checked for the action as the subject is: for `company_registration` the new company’s legal representative, responsible persons and investors, so a person or agency under a market or practice ban (市场禁入、执业禁入) is refused',
      ),
  })
  .refine((body) => body.subject !== undefined || body.parties !== undefined, {
    message: 'name the subject, the parties, or both',
    path: ['subject'],
  });

export const checkDecisions = ['allow', 'restrict', 'deny', 'priority'] as const;

export const checkResultSchema = z.object({
  checkId: prefixedId('chk'),
  decision: z.enum(checkDecisions),
  action: z.enum(sanctionActions),
  entries: z.array(
    z.object({
      id: z.string(),
      listKind: listKindSchema,
      domain: z.string(),
      validUntil: instant().nullable(),
    }),
  ),
  measures: z.array(measureSchema),
  grades: z
    .array(checkGradeSchema)
    .describe('The subject’s current grade in each graded domain (分级分类监管), this year’s or last year’s'),
  industryGrades: z
    .array(checkIndustryGradeSchema)
    .describe(
      'The subject’s current industry credit evaluation (信用评价) per industry, by its supervising department; its tier selects the measures',
    ),
  parties: z
    .array(
      z.object({
        role: z.enum(checkPartyRoles),
        decision: z.enum(checkDecisions),
        entries: z.array(z.object({ id: z.string(), listKind: listKindSchema, domain: z.string() })),
        measures: z.array(measureCodeSchema).describe('Codes of the measures that apply to this party'),
      }),
    )
    .describe('Each party named in the request, in its order (identity numbers are not repeated)'),
  checkedAt: instant(),
});

export const checkFeedbackSchema = z.strictObject({
  outcome: z.enum(['applied', 'not_applied', 'partially_applied']),
  note: z.string().trim().max(2000).optional(),
});

export const listingStatusSchema = z.object({
  subject: z.object({ kind: z.enum(subjectKinds), id: z.string() }),
  status: z.object({ red: z.boolean(), black: z.boolean(), watch: z.boolean() }),
  entries: z
    .array(
      z.object({
        id: z.string(),
        listKind: listKindSchema,
        domain: z.string(),
        validFrom: instant().nullable(),
        validUntil: instant().nullable(),
      }),
    )
    .describe('Empty for natural persons: individual sellers get the status and measures only'),
  measures: z.array(
    measureSchema.pick({ code: true, name: true, actions: true, effect: true, legalBasis: true }),
  ),
});

export const listingStatusBatchSchema = z.strictObject({
  subjects: z.array(subjectIdSchema).min(1).describe('USCCs or citizen identity numbers, up to 1,000'),
});

export const webhookRegistrationSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2000),
});

export const watchRegistrationSchema = z.strictObject({
  subjects: z.array(subjectIdSchema).min(1).max(10_000),
});

export const listingChangeSchema = z.object({
  eventId: z.string(),
  type: z.string(),
  at: instant(),
  entry: z.object({
    id: z.string(),
    subject: z.object({ kind: z.enum(subjectKinds), id: z.string() }),
    listKind: listKindSchema,
    domain: z.string(),
    identifyingDepartment: z.string(),
    status: z.enum(entryStatuses),
    objectionUntil: z
      .string()
      .nullable()
      .optional()
      .describe('End of the objection window the notice sets (black and watch lists)'),
    validFrom: z.string().nullable(),
    validUntil: z.string().nullable(),
    endReason: z.string().nullable(),
    measures: z.array(z.string()),
  }),
});
export type ListingChange = z.infer<typeof listingChangeSchema>;
