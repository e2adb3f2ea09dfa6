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
