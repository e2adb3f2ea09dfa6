import { shanghaiDate } from '@credit/calendar';
import { type DeclarationSubmission, declarationSubmissionSchema } from '../api/intermediaries.ts';
import { findConsentGatedFields } from '../fields/consent-gated.ts';
import { prohibitedFieldErrors } from '../fields/prohibited.ts';
import { type IntermediaryIndustry, requiredClauses } from '../intermediaries/industries.ts';
import type { RecordFieldError } from './record-validation.ts';
import { zodIssuesToErrors } from './zod-issues.ts';

export type DeclarationValidation =
  | { ok: true; declaration: DeclarationSubmission }
  | { ok: false; errors: RecordFieldError[] };

/**
 * Checks an intermediary's declaration (信息申报) as records are checked: prohibited information
 * first, over the raw input at any depth, so it is refused as such and never stored or logged;
 * then consent-gated values (收入、存款…), which a declaration cannot carry since it cites no
 * written consent; then the shape; then the commitment, which must accept every clause of the
 * industry's format (seeds/003 四(三)). A past engagement or the signature dated after today
 * (Asia/Shanghai) is refused, as a record that occurred in the future is.
 */
export function validateDeclaration(
  raw: unknown,
  industry: IntermediaryIndustry,
  now: Date,
): DeclarationValidation {
  const prohibited = prohibitedFieldErrors(raw);
  if (prohibited.length > 0) return { ok: false, errors: prohibited };
  const gated = findConsentGatedFields(raw);
  if (gated.length > 0)
    return {
      ok: false,
      errors: gated.map((hit) => ({
        path: hit.path,
        code: 'consent_required',
        message: `'${hit.key}' is collected only with the person's written consent, which a declaration cannot cite`,
      })),
    };
  const parsed = declarationSubmissionSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: zodIssuesToErrors(parsed.error.issues) };
  // What the agency signed and what it has done are past: a later date is published as a fact.
  const today = shanghaiDate(now);
  const later: RecordFieldError[] = [
    ...parsed.data.content.engagements.flatMap((engagement, index) =>
      engagement.completedOn > today ? [`content.engagements.${index}.completedOn`] : [],
    ),
    ...(parsed.data.commitment.signedOn > today ? ['commitment.signedOn'] : []),
  ].map((path) => ({ path, code: 'validation_failed', message: `a date after today (${today})` }));
  if (later.length > 0) return { ok: false, errors: later };
  const required = requiredClauses(industry);
  const accepted = new Set(parsed.data.commitment.accepted);
  const missing = required.filter((code) => !accepted.has(code));
  const unknown = [...accepted].filter((code) => !required.includes(code));
  if (missing.length > 0 || unknown.length > 0)
    return {
      ok: false,
      errors: [
        {
          path: 'commitment.accepted',
          code: 'validation_failed',
          message: `the ${industry} commitment format accepts exactly its clauses: ${required.join(', ')}${
            missing.length > 0 ? `; missing ${missing.join(', ')}` : ''
          }${unknown.length > 0 ? `; not in the format ${unknown.join(', ')}` : ''}`,
        },
      ],
    };
  return { ok: true, declaration: parsed.data };
}
