import { z } from 'zod';
import { citizenIdSchema, subjectIdSchema } from '../identifiers/identifier-schemas.ts';
import { subjectKinds } from '../identifiers/subject.ts';
import { instant, occurredAtSchema, occurredAtView, prefixedId, problemSchema } from './common.ts';
import { transparencyReceiptSchema } from './transparency.ts';

/** Provider's own record id: printable, URL-safe, so it can name the record in `/by-source/{sourceId}`. */
export const sourceIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'letters, digits and . _ : - only, at most 128 characters')
  .describe("The providing department's own id for the record; the idempotency key");

export const relatedPersonRoles = ['legal_representative', 'principal', 'directly_responsible'] as const;

export const relatedPersonSchema = z.strictObject({
  role: z.enum(relatedPersonRoles).describe('法定代表人 / 主要负责人 / 直接责任人员'),
  id: citizenIdSchema,
  name: z.string().trim().min(1).max(100),
});

export const subjectRefSchema = z.strictObject({
  kind: z.enum(subjectKinds),
  id: subjectIdSchema.describe('USCC for organisations, citizen identity number for persons'),
  name: z.string().trim().min(1).max(200),
});

export const recordContentShape = {
  category: z.string().min(1).max(64).describe('Catalogue entry code (GET /v1/catalogue)'),
  subject: subjectRefSchema,
  occurredAt: occurredAtSchema,
  data: z
    .record(z.string(), z.unknown())
    .describe("Fields of the entry's dataSchema; unknown keys are refused"),
  relatedPersons: z.array(relatedPersonSchema).max(20).optional(),
  consentRef: prefixedId('cns').optional().describe('The written consent on file, for consent-gated fields'),
};

export const recordSubmissionSchema = z.strictObject({ sourceId: sourceIdSchema, ...recordContentShape });
export type RecordSubmission = z.infer<typeof recordSubmissionSchema>;

export const recordCorrectionSchema = z.strictObject({
  ...recordContentShape,
  reason: z.string().trim().min(1).max(1000).optional().describe('Why the record is corrected'),
});
export type RecordCorrection = z.infer<typeof recordCorrectionSchema>;

export const withdrawalReasonCodes = [
  'entered_in_error',
  'decision_revoked',
  'objection_upheld',
  'court_removed',
  'obligation_performed',
  'other',
] as const;

export const recordWithdrawalSchema = z.strictObject({
  reasonCode: z.enum(withdrawalReasonCodes).default('other'),
  reason: z.string().trim().min(1).max(1000).describe('Why the record is withdrawn; kept with the history'),
});
export type RecordWithdrawal = z.infer<typeof recordWithdrawalSchema>;

export const recordStatuses = ['active', 'withdrawn'] as const;
export const versionOperations = ['create', 'correct', 'withdraw'] as const;

export const recordReceiptSchema = z.object({
  id: prefixedId('rec'),
  sourceId: sourceIdSchema,
  version: z.number().int().positive(),
  status: z.enum(recordStatuses),
  created: z.boolean().describe('False when the identical record was already on file'),
  receivedAt: instant(),
  hash: z.string().describe('Hex SHA-256 chain hash of this version'),
  linkedRecords: z
    .array(z.object({ id: prefixedId('rec'), role: z.enum(relatedPersonRoles) }))
    .describe('Records created against the related persons'),
  receipt: transparencyReceiptSchema
    .nullable()
    .describe('The version’s place in the transparency log (null only for versions older than the log)'),
});
export type RecordReceipt = z.infer<typeof recordReceiptSchema>;

export const recordVersionSchema = z.object({
  version: z.number().int().positive(),
  operation: z.enum(versionOperations),
  receivedAt: instant(),
  occurredAt: occurredAtView(),
  severity: z.enum(['minor', 'general', 'serious']).nullable(),
  displayUntil: instant().nullable(),
  data: z.record(z.string(), z.unknown()).nullable(),
  relatedPersons: z.array(z.object({ role: z.enum(relatedPersonRoles), name: z.string(), id: z.string() })),
  consentRef: z.string().nullable(),
  reasonCode: z.string().nullable(),
  reason: z.string().nullable(),
  prevHash: z.string(),
  hash: z.string(),
  erasedAt: instant().nullable().describe('When the content of this version was lawfully erased'),
});

export const tombstoneViewSchema = z.object({
  leafIndex: z.number().int().describe('The tombstone’s leaf in the transparency log'),
  statement: z
    .string()
    .describe('Canonical JSON: record, versions and their leaves, reason, legal basis, time'),
  signature: z.string().describe('Detached ES256 JWS (typ `transparency-tombstone+jws`) over `statement`'),
});

export const recordViewSchema = z.object({
  id: prefixedId('rec'),
  sourceId: sourceIdSchema,
  provider: z.string(),
  category: z.string(),
  subject: z.object({
    kind: z.enum(subjectKinds),
    id: z.string().describe('Masked for natural persons'),
    name: z.string(),
  }),
  origin: z.enum(['pushed', 'linked']),
  linkedFrom: z.object({ recordId: z.string(), role: z.enum(relatedPersonRoles) }).nullable(),
  status: z.enum(recordStatuses),
  currentVersion: z.number().int().positive(),
  chainValid: z.boolean().describe('Whether the stored versions still hash to their chain'),
  versions: z.array(recordVersionSchema),
  tombstones: z
    .array(tombstoneViewSchema)
    .describe('Signed records of lawful erasures of this record’s content'),
});
export type RecordView = z.infer<typeof recordViewSchema>;

export const batchItemResultSchema = z.object({
  index: z.number().int().nonnegative(),
  sourceId: z.string().nullable(),
  status: z.number().int().describe('HTTP status this item would have had alone: 201, 200, 403, 409, 422'),
  id: z.string().optional(),
  version: z.number().int().optional(),
  receipt: transparencyReceiptSchema.optional(),
  problem: z
    .object({
      code: z.string(),
      detail: z.string().optional(),
      errors: z
        .array(
          z.object({
            path: z.string(),
            item: z
              .string()
              .optional()
              .describe(
                'With `format=shuanggongshi-…`: the national data item the field was read from (e.g. 统一社会信用代码)',
              ),
            code: z.string(),
            message: z.string(),
          }),
        )
        .optional(),
    })
    .optional(),
});

export const batchResultSchema = z.object({
  received: z.number().int(),
  created: z.number().int(),
  unchanged: z.number().int(),
  refused: z.number().int(),
  items: z.array(batchItemResultSchema),
});
export type BatchResult = z.infer<typeof batchResultSchema>;

/**
 * A batch that stopped: refused whole before any item (not an array, no body), a plain problem;
 * stopped partway (malformed after some items, too many items or bytes), the problem with the
 * results of the items read before that point, which are committed.
 */
export const batchStoppedSchema = z
  .union([problemSchema, problemSchema.extend(batchResultSchema.shape)])
  .describe(
    'A problem; when the batch stopped partway, with the summary and results of the items committed before that point',
  );

export const registeredNameSchema = z.object({
  name: z.string(),
  provider: z.string().describe('The registering authority that recorded it'),
  recordId: prefixedId('rec'),
  since: instant().describe('When the registry’s record of this name was received'),
  until: instant().nullable().describe('When the registry recorded the next name; null for the current one'),
});

export const subjectNamesSchema = z.object({
  subject: z.object({ kind: z.enum(subjectKinds), id: z.string().describe('Masked for natural persons') }),
  current: registeredNameSchema
    .nullable()
    .describe('The name the registering authority’s record gives; null before it has recorded one'),
  former: z.array(registeredNameSchema).describe('Former names (曾用名), oldest first'),
});
