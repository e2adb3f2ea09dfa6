import { z } from 'zod';
import { consentGatedCategoryCodes } from '../fields/consent-gated.ts';
import { subjectKinds } from '../identifiers/subject.ts';
import { instant, prefixedId } from './common.ts';
import { providerCodeSchema } from './providers.ts';

export const consentGrantSchema = z.strictObject({
  subject: z.strictObject({ kind: z.enum(subjectKinds), id: z.string().min(1).max(64) }),
  provider: providerCodeSchema.describe('The department allowed to collect the gated fields'),
  fields: z
    .array(z.enum(consentGatedCategoryCodes as [string, ...string[]]))
    .min(1)
    .describe('Consent-gated kinds of information covered'),
  purpose: z.string().trim().min(1).max(500),
  validUntil: instant().optional(),
  evidenceHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional()
    .describe('SHA-256 of the signed consent document on file (required when a provider registers it)'),
});
export type ConsentGrant = z.infer<typeof consentGrantSchema>;

export const consentSchema = z.object({
  id: prefixedId('cns'),
  provider: z.string(),
  fields: z.array(z.string()),
  purpose: z.string(),
  registeredBy: z.enum(['subject', 'provider']),
  evidenceHash: z.string().nullable(),
  validUntil: instant().nullable(),
  revokedAt: instant().nullable(),
  createdAt: instant(),
});
