import { z } from 'zod';
import { relatedPersonRoles, versionOperations } from '../api/records.ts';
import { publicityLevels, severities } from '../catalogue/types.ts';
import { subjectKinds } from '../identifiers/subject.ts';

/**
 * The contract of the ingest feed (`ingest.events`): what the query, sanctions and repair
 * services build their own read models from. Identity travels encrypted (AES-256-GCM under the
 * platform keyring, AAD = the subject key), never in clear.
 */
export const ingestEventTypes = ['record.created', 'record.corrected', 'record.withdrawn'] as const;
export type IngestEventType = (typeof ingestEventTypes)[number];

export const encryptedSubjectSchema = z.object({
  key: z.string().describe('Hex blind index of the subject'),
  kind: z.enum(subjectKinds),
  keyId: z.string(),
  identifierCipher: z.string().describe('base64'),
  nameCipher: z.string().describe('base64'),
});

export const recordEventSchema = z.object({
  recordId: z.string(),
  version: z.number().int().positive(),
  operation: z.enum(versionOperations),
  status: z.enum(['active', 'withdrawn']),
  provider: z.string(),
  sourceId: z.string(),
  category: z.string(),
  classCode: z.string(),
  subject: encryptedSubjectSchema,
  occurredAt: z.string(),
  receivedAt: z.string(),
  severity: z.enum(severities).nullable(),
  publicity: z.enum(publicityLevels),
  displayUntil: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  relatedPersons: z.array(
    z.object({ role: z.enum(relatedPersonRoles), subjectKey: z.string(), recordId: z.string() }),
  ),
  origin: z.enum(['pushed', 'linked']),
  linkedFrom: z.object({ recordId: z.string(), role: z.enum(relatedPersonRoles) }).nullable(),
  reasonCode: z.string().nullable(),
  reason: z.string().nullable(),
  hash: z.string(),
});
export type RecordEvent = z.infer<typeof recordEventSchema>;

/** A related person as the feed names them: role, blind index, and the record kept against them. */
export type RelatedPersonRef = RecordEvent['relatedPersons'][number];
