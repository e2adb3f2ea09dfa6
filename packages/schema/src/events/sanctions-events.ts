import { z } from 'zod';

const gradeFields = {
  evaluationId: z.string(),
  domain: z.string(),
  year: z.number().int(),
  grade: z.string(),
  ruleCode: z.string(),
  department: z.string(),
};

/**
 * The grade events of the sanctions feed (`sanctions.events`): a grade rule's result for a
 * subject, domain and year, and its withdrawal once no grade rule of the domain holds any more.
 * The query service keeps them as the subject's current grades and history; repair lets the
 * subject object to them.
 */
export const gradeEventSchemas = {
  'grade.assigned': z.object(gradeFields),
  'grade.withdrawn': z.object({ ...gradeFields, reason: z.string() }),
} as const;

export type GradeEventType = keyof typeof gradeEventSchemas;
export const gradeEventTypes = Object.keys(gradeEventSchemas) as GradeEventType[];

const industryEvaluationFields = {
  evaluationId: z.string(),
  industry: z.string(),
  department: z.string(),
  grade: z.string(),
  tier: z.string(),
  periodFrom: z.string(),
  periodTo: z.string(),
  validUntil: z.string(),
  version: z.number().int(),
};

/**
 * Industry credit evaluations (信用评价) of the sanctions feed: a supervising department's result for
 * an intermediary or practitioner, and its correction (a new version; `objectionId` when it answers
 * an upheld objection). The query side keeps them in the credit file; repair lets the subject
 * object to them and closes an upheld objection when the correction arrives.
 */
export const industryEvaluationEventSchemas = {
  'industry_evaluation.published': z.object(industryEvaluationFields),
  'industry_evaluation.corrected': z.object({
    ...industryEvaluationFields,
    previousGrade: z.string(),
    objectionId: z.string().nullable(),
    correctedAt: z.string(),
  }),
} as const;

export type IndustryEvaluationEventType = keyof typeof industryEvaluationEventSchemas;
export const industryEvaluationEventTypes = Object.keys(
  industryEvaluationEventSchemas,
) as IndustryEvaluationEventType[];
