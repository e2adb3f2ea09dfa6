import { z } from 'zod';

/** The field-error code a Zod issue of the purpose schema carries in its `params`. */
export const purposeRequiredIssue = 'purpose_required';

/** Whether a Zod issue is the purpose schema's refusal (to answer it as `purpose_required`). */
export function isPurposeRequiredIssue(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'custom' && issue.params?.code === purposeRequiredIssue;
}

export const purposeRequiredMessage = 'state the purpose of this query or check (`purpose`)';

const purposeText = z.string().trim().max(500);

/**
 * Why a caller reads or checks a subject (查询用途), required: a missing or blank purpose is the
 * same refusal on every route, 422 `purpose_required`, whether it is a body field or a query
 * parameter. (Absence is read as blank so that it is this refusal, not a type error.)
 */
export const purposeSchema = z
  .preprocess(
    (value) => value ?? '',
    purposeText.superRefine((value, context) => {
      if (!value)
        context.addIssue({
          code: 'custom',
          message: purposeRequiredMessage,
          params: { code: purposeRequiredIssue },
        });
    }),
  )
  .describe('Why you read or check this subject; required');

/**
 * A purpose only some callers must state (a government department reading a report); the route
 * refuses its absence for them as `purpose_required`, with the same message.
 */
export const optionalPurposeSchema = purposeText
  .optional()
  .describe(
    'Why you read this subject. Required of government departments and the credit office: without it, or blank, they are refused 422 `purpose_required`; a subject or an agency may omit it',
  );
