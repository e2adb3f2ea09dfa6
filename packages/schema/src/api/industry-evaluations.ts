import { z } from 'zod';
import { subjectIdSchema } from '../identifiers/identifier-schemas.ts';
import { subjectKinds } from '../identifiers/subject.ts';
import { gradeTiers, intermediaryIndustrySchema } from '../intermediaries/industries.ts';
import { instant, prefixedId } from './common.ts';
import { sourceIdSchema } from './records.ts';

const periodSchema = z
  .strictObject({ from: z.iso.date(), to: z.iso.date() })
  .refine((p) => p.from <= p.to, { message: 'the period ends before it starts', path: ['to'] })
  .describe('The evaluation period (评价周期), dates in Asia/Shanghai');

/** A supervising department's evaluation result (信用评价结果, seeds/003 四(五)). */
export const industryEvaluationRequestSchema = z
  .strictObject({
    sourceId: sourceIdSchema.describe(
      'The department’s own id of this evaluation: sending it again answers the evaluation already held',
    ),
    subject: subjectIdSchema.describe('The intermediary’s USCC, or a practitioner’s citizen identity number'),
    industry: intermediaryIndustrySchema,
    grade: z.string().trim().min(1).max(20).describe('A grade of the industry’s scale'),
    period: periodSchema,
    basis: z
      .string()
      .trim()
      .min(1)
      .max(2000)
      .describe('What the evaluation rests on (评价依据: the method, the findings)'),
    validUntil: z.iso
      .date()
      .optional()
      .describe(
        'Last day the result stands, not before the period’s last day; by default one more period of the same length after it ends',
      ),
  })
  // A result that stops standing before its own period has ended was never a result of the
  // period: refused rather than shown as a grade that ended before it applied in full.
  .refine((e) => e.validUntil === undefined || e.validUntil >= e.period.to, {
    message: 'the result stops standing before its period ends',
    path: ['validUntil'],
  });
export type IndustryEvaluationRequest = z.infer<typeof industryEvaluationRequestSchema>;

/** The department's correction of its evaluation (更正发布), e.g. after an upheld objection. */
export const industryEvaluationCorrectionSchema = z.strictObject({
  grade: z.string().trim().min(1).max(20),
  basis: z.string().trim().min(1).max(2000),
  reason: z.string().trim().min(1).max(2000).describe('Why it is corrected'),
  objectionId: prefixedId('obj').optional().describe('The upheld objection this correction answers'),
});

export const industryEvaluationSchema = z.object({
  id: prefixedId('evl').describe('What an objection (target type `evaluation`) names'),
  sourceId: z.string(),
  subjectKind: z.enum(subjectKinds),
  industry: z.string(),
  department: z.string().describe('The supervising department that evaluated'),
  grade: z.string(),
  tier: z.enum(gradeTiers),
  period: z.object({ from: z.iso.date(), to: z.iso.date() }),
  validUntil: instant(),
  basis: z.string(),
  version: z.number().int().describe('1, and one more with each correction'),
  receivedAt: instant(),
  updatedAt: instant(),
});
export type IndustryEvaluationView = z.infer<typeof industryEvaluationSchema>;

/** What the check API says of a subject's industry evaluations: the current one per industry. */
export const checkIndustryGradeSchema = z.object({
  evaluationId: z.string(),
  industry: z.string(),
  grade: z.string(),
  tier: z.enum(gradeTiers),
  department: z.string(),
  period: z.object({ from: z.iso.date(), to: z.iso.date() }),
});

/** Graded supervision as departments read it: per industry the current grade and the recommended inspections. */
export const supervisionSchema = z.object({
  subject: z.object({ kind: z.enum(subjectKinds), id: z.string() }),
  industries: z.array(
    checkIndustryGradeSchema.extend({
      inspectionsPerYear: z.number().describe('Recommended routine inspections per year'),
      inspection: z.string().describe('How to inspect (检查方式和频次)'),
      measures: z.array(z.string()).describe('Codes of the measures this tier applies'),
      legalBasis: z.string(),
    }),
  ),
  currentDishonesty: z
    .boolean()
    .describe(
      'A black or watch entry in force or a current dishonesty record: the tier’s incentives do not apply and the subject is inspected as the low tier',
    ),
  recommendation: z
    .object({ tier: z.enum(gradeTiers), inspectionsPerYear: z.number(), inspection: z.string() })
    .nullable()
    .describe(
      'The closest supervision any current evaluation (or current dishonesty) calls for; null when ungraded',
    ),
});

/** One agency (or practitioner) in a department's graded-supervision list of its industry. */
export const supervisionListItemSchema = checkIndustryGradeSchema.extend({
  subject: z.object({
    kind: z.enum(subjectKinds),
    id: z
      .string()
      .nullable()
      .describe(
        'As officials see it; null when the service holds no identity of the subject (an evaluation taken before registration was required, of an organisation never registered)',
      ),
    name: z.string().nullable().describe('As officials see it; null as `id`'),
    registered: z
      .boolean()
      .describe(
        'Registered in the industry (the agency, or a practitioner registered with one of its agencies); false only for evaluations taken before registration was required',
      ),
  }),
  currentDishonesty: z
    .boolean()
    .describe('A black or watch entry in force or a current dishonesty record: supervised as the low tier'),
  inspectionsPerYear: z.number().describe('Recommended routine inspections per year'),
  inspection: z.string().describe('How to inspect (检查方式和频次)'),
});
