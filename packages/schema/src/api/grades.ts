import { z } from 'zod';
import { instant } from './common.ts';
import { pageSchema } from './pagination.ts';

/** A subject's grade (信用评价等级) in one domain and year, as a grade rule assigned it. */
export const gradeSchema = z.object({
  evaluationId: z.string().describe('What an objection to this grade names'),
  domain: z.string(),
  year: z.number().int(),
  grade: z.string().describe('e.g. 示范守信, 守信, 失信, 严重失信'),
  ruleCode: z.string(),
  department: z.string().describe('The department that grades (认定部门)'),
  assignedAt: instant(),
  disputed: z
    .boolean()
    .describe(
      'Under objection (异议中) until the objection closes; checks keep applying the grade meanwhile, as they do a disputed record',
    ),
});
export type Grade = z.infer<typeof gradeSchema>;

export const gradeChangeSchema = z.object({
  change: z.enum(['assigned', 'withdrawn']),
  evaluationId: z.string(),
  domain: z.string(),
  year: z.number().int(),
  grade: z.string().describe('The grade assigned, or the one withdrawn'),
  ruleCode: z.string(),
  department: z.string(),
  at: instant(),
});
export type GradeChange = z.infer<typeof gradeChangeSchema>;

export const subjectGradesSchema = z
  .object({
    current: z
      .array(gradeSchema)
      .describe(
        'Per domain, the grade of the newest graded year if it is this year or the last and was not withdrawn',
      ),
    history: z
      .array(gradeChangeSchema)
      .describe('Oldest first; others than the subject see changes of the last 12 months only'),
  })
  .describe('Domain grades by grade rules (the subject sees all; others as their footing allows)');
export type SubjectGrades = z.infer<typeof subjectGradesSchema>;

/**
 * The grades route's answer: the current grades (one per domain, so few) on every page beside a
 * page of the history, oldest first, which grows with every year graded.
 */
export const subjectGradesPageSchema = pageSchema(gradeChangeSchema)
  .extend({
    current: subjectGradesSchema.shape.current,
  })
  .describe(
    'Current domain grades, and the history a page at a time in `items` (the subject sees all; others as their footing allows)',
  );
export type SubjectGradesPage = z.infer<typeof subjectGradesPageSchema>;

/** What the check API says of a subject's grades: the current one per domain. */
export const checkGradeSchema = gradeSchema.pick({ domain: true, year: true, grade: true });
