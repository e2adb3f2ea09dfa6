import { z } from 'zod';
import { checkCitizenId } from './citizen-id.ts';
import { normaliseIdentifier } from './normalise.ts';
import type { IdentifierCheck } from './result.ts';
import { checkUscc } from './uscc.ts';

/**
 * The OpenAPI `format` each identifier field carries, so the document itself says which
 * parameters and properties are identifiers (and the identifier walk test finds every one).
 */
export const identifierFormats = {
  uscc: 'uscc',
  citizenId: 'citizen-id',
  subjectId: 'subject-id',
} as const;
export type IdentifierFormat = (typeof identifierFormats)[keyof typeof identifierFormats];

/** The field-error code a Zod issue of an identifier schema carries in its `params`. */
export const invalidIdentifierIssue = 'invalid_identifier';

/** Whether a Zod issue is an identifier schema's refusal (to answer it as `invalid_identifier`). */
export function isInvalidIdentifierIssue(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'custom' && issue.params?.code === invalidIdentifierIssue;
}

function subjectIdCheck(value: string): IdentifierCheck {
  const person = checkCitizenId(value);
  if (person.ok) return person;
  const organisation = checkUscc(value);
  if (organisation.ok) return organisation;
  return { ok: false, reason: 'not a valid citizen identity number or USCC' };
}

/**
 * One identifier field: normalised as every check normalises (full-width forms, spaces, case),
 * then judged by the same function the domain uses, so a route can neither accept a code the
 * records refuse nor refuse one they accept. The check character is part of the judgement.
 */
function identifierSchema(format: IdentifierFormat, check: (value: string) => IdentifierCheck) {
  return z
    .string()
    .overwrite(normaliseIdentifier)
    .superRefine((value, ctx) => {
      const result = check(value);
      if (!result.ok) {
        ctx.addIssue({ code: 'custom', message: result.reason, params: { code: invalidIdentifierIssue } });
      }
    })
    .meta({ format });
}

/** A unified social credit code (统一社会信用代码, GB 32100-2015) with both check characters right. */
export const usccSchema = identifierSchema(identifierFormats.uscc, checkUscc).describe(
  'Unified social credit code (GB 32100-2015)',
);

/** A citizen identity number (公民身份号码, GB 11643-1999) with a real birth date and a right check character. */
export const citizenIdSchema = identifierSchema(identifierFormats.citizenId, (value) =>
  checkCitizenId(value),
).describe('Citizen identity number (GB 11643-1999)');

/** A subject's identifier: a citizen identity number for a person, a USCC for an organisation. */
export const subjectIdSchema = identifierSchema(identifierFormats.subjectId, subjectIdCheck).describe(
  'Citizen identity number or USCC',
);
