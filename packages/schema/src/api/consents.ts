import { z } from 'zod';
import { consentGatedCategoryCodes } from '../fields/consent-gated.ts';
import { subjectIdSchema, usccSchema } from '../identifiers/identifier-schemas.ts';
import { subjectKinds } from '../identifiers/subject.ts';
import { instant, prefixedId } from './common.ts';
import { providerCodeSchema } from './providers.ts';
import { authorisationPurposes } from './query.ts';

/**
 * Who, besides the subject and the collecting provider, may read the values a consent lets be
 * collected: a credit agency by its USCC (and then only on an authorisation for one of the
 * consent's purposes), or a government department by its code.
 */
export const consentRecipientSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('agency'),
    id: usccSchema.describe('The agency’s USCC'),
  }),
  z.strictObject({
    kind: z.literal('department'),
    id: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{1,63}$/)
      .describe('The department’s code, as registered'),
  }),
]);
export type ConsentRecipient = z.infer<typeof consentRecipientSchema>;

export const consentGrantSchema = z.strictObject({
  subject: z.strictObject({ kind: z.enum(subjectKinds), id: subjectIdSchema }),
  provider: providerCodeSchema.describe('The department allowed to collect the gated fields'),
  fields: z
    .array(z.enum(consentGatedCategoryCodes as [string, ...string[]]))
    .min(1)
    .describe('Consent-gated kinds of information covered'),
  purpose: z.string().trim().min(1).max(500).describe('The purpose as the signed consent words it'),
  purposes: z
    .array(z.enum(authorisationPurposes))
    .min(1)
    .max(authorisationPurposes.length)
    .describe(
      'What the values may be used for; an agency reads them only on an authorisation for one of these purposes',
    ),
  recipients: z
    .array(consentRecipientSchema)
    .max(50)
    .default([])
    .describe(
      'Who may read the values besides the subject and the collecting provider; nobody else sees them (they are redacted)',
    ),
  validUntil: instant().optional(),
  evidenceHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional()
    .describe(
      'SHA-256 of the signed consent document on file, hex. Required when a provider registers the consent: without it the provider is refused 422 `validation_failed` naming `evidenceHash`; a subject recording their own consent may omit it',
    ),
});
export type ConsentGrant = z.infer<typeof consentGrantSchema>;

export const consentSchema = z.object({
  id: prefixedId('cns'),
  provider: z.string(),
  fields: z.array(z.string()),
  purpose: z.string(),
  purposes: z.array(z.string()),
  recipients: z.array(z.object({ kind: z.enum(['agency', 'department']), id: z.string() })),
  registeredBy: z.enum(['subject', 'provider']),
  evidenceHash: z.string().nullable(),
  validUntil: instant().nullable(),
  revokedAt: instant().nullable(),
  createdAt: instant(),
});
