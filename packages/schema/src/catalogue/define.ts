import { z } from 'zod';
import { organisationKinds, type SubjectKind } from '../identifiers/subject.ts';
import { labelledEnum } from './fields.ts';
import { type CatalogueEntry, type SeverityRule, severityNames } from './types.ts';

export const organisations: readonly SubjectKind[] = organisationKinds;
export const persons: readonly SubjectKind[] = ['natural_person'];
export const everyone: readonly SubjectKind[] = [...organisations, ...persons];

type EntryInput = Omit<CatalogueEntry, 'data' | 'consentGatedFields' | 'allowsRelatedPersons'> & {
  data: z.ZodRawShape;
  consentGatedFields?: readonly string[];
  allowsRelatedPersons?: boolean;
};

/**
 * Builds an entry with a strict `data` schema (unknown keys refused). Dishonesty entries whose
 * severity varies by case accept `data.severity` among their allowed values.
 */
export function defineEntry(input: EntryInput): CatalogueEntry {
  const severityField =
    input.severity && input.severity.allowed.length > 1
      ? {
          severity: labelledEnum(
            Object.fromEntries(input.severity.allowed.map((severity) => [severity, severityNames[severity]])),
          )
            .optional()
            .describe(`Severity of this case; defaults to ${input.severity.default}`),
        }
      : {};
  const shape = { ...input.data, ...severityField };
  return {
    ...input,
    consentGatedFields: input.consentGatedFields ?? [],
    allowsRelatedPersons: input.allowsRelatedPersons ?? false,
    data: z.strictObject(shape).describe(`${input.zh} (${input.en})`),
  };
}

export const fixedSeverity = (severity: SeverityRule['default']): SeverityRule => ({
  default: severity,
  allowed: [severity],
});
