import { z } from 'zod';
import { declarationContentSchema } from '../api/intermediaries.ts';
import { intermediaryIndustrySchema } from '../intermediaries/industries.ts';
import { encryptedSubjectSchema } from './ingest-events.ts';

/**
 * Intermediaries on the ingest feed (`ingest.events`, seeds/003): an agency registered with its
 * industry, its practitioners, and its declarations once reviewed. Identity travels encrypted as
 * for records (AAD = the subject key).
 */
export const intermediaryRegisteredType = 'intermediary.registered';
export const practitionerLinkedType = 'practitioner.linked';
export const declarationAcceptedType = 'declaration.accepted';
export const declarationFoundFalseType = 'declaration.found_false';

export const intermediaryRegisteredSchema = z.object({
  subject: encryptedSubjectSchema,
  industry: intermediaryIndustrySchema,
  department: z.string(),
  registeredAt: z.string(),
});
export type IntermediaryRegistered = z.infer<typeof intermediaryRegisteredSchema>;

export const practitionerLinkedSchema = z.object({
  practitionerId: z.string(),
  agencyKey: z.string().describe('Hex blind index of the agency'),
  /** The practitioner: the event is keyed by this person, like a record event by its subject. */
  subject: encryptedSubjectSchema,
  responsible: z.boolean(),
  qualifications: z.array(
    z.object({
      name: z.string(),
      number: z.string(),
      issuedBy: z.string().optional(),
      level: z.string().optional(),
      validUntil: z.string().optional(),
    }),
  ),
  department: z.string(),
  linkedAt: z.string(),
});
export type PractitionerLinked = z.infer<typeof practitionerLinkedSchema>;

/** Accepted declarations are published (四(一)、(三)): the content and the commitment as signed. */
export const declarationAcceptedSchema = z.object({
  declarationId: z.string(),
  agencyKey: z.string(),
  industry: intermediaryIndustrySchema,
  content: declarationContentSchema,
  commitment: z.object({
    title: z.string(),
    clauses: z.array(z.object({ code: z.string(), text: z.string() })),
    signatory: z.string(),
    signedOn: z.string(),
  }),
  department: z.string(),
  acceptedAt: z.string(),
});
export type DeclarationAccepted = z.infer<typeof declarationAcceptedSchema>;

/** A declaration found false: no longer published; the dishonesty records it became are named. */
export const declarationFoundFalseSchema = z.object({
  declarationId: z.string(),
  agencyKey: z.string(),
  records: z.array(z.string()),
  department: z.string(),
  foundAt: z.string(),
});
export type DeclarationFoundFalse = z.infer<typeof declarationFoundFalseSchema>;

/**
 * A department's supervised industries as the registry now lists them (on registration and on
 * every change): the sanctions service takes industry evaluations only from a department that
 * supervises the industry. Concerns no subject: it carries the all-zero subject key.
 */
export const providerIndustriesType = 'provider.industries';
export const providerIndustriesSchema = z.object({
  provider: z.string(),
  industries: z.array(intermediaryIndustrySchema),
  at: z.string(),
});
export type ProviderIndustries = z.infer<typeof providerIndustriesSchema>;
