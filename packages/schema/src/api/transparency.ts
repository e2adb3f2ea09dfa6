import { z } from 'zod';
import { instant } from './common.ts';
import { pageQuerySchema, pageSchema } from './pagination.ts';

const hex32 = z
  .string()
  .regex(/^[0-9a-f]{64}$/)
  .describe('SHA-256, hex');
const treeSize = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const leafIndex = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const checkpointSchema = z.object({
  format: z.literal('credit-platform/checkpoint/v1'),
  origin: z.string(),
  treeSize: z.number().int(),
  rootHash: hex32.describe('RFC 9162 Merkle tree hash of the first `treeSize` leaves'),
  mapRoot: hex32.describe('Root of the sparse Merkle map of access histories at `treeSize`'),
  issuedAt: instant(),
  signature: z
    .string()
    .describe(
      'Detached ES256 JWS (typ `transparency-checkpoint+jws`) over the canonical JSON of the other fields; keys at /.well-known/jwks.json',
    ),
});
export type CheckpointView = z.infer<typeof checkpointSchema>;

/** Where a pushed version sits in the log, and when a signed checkpoint will cover it. */
export const transparencyReceiptSchema = z.object({
  leafIndex: z.number().int(),
  leafHash: hex32,
  checkpointDueBy: instant().describe('The first checkpoint issued after this time includes the leaf'),
  proof: z.string().describe('Where to fetch the inclusion proof once the checkpoint is out'),
});
export type TransparencyReceipt = z.infer<typeof transparencyReceiptSchema>;

export const leafViewSchema = z.object({
  leafIndex: z.number().int(),
  leafHash: hex32,
  kind: z.enum(['record.version', 'access', 'decision', 'tombstone']),
  leafInput: z.string().describe('The leaf input, canonical JSON; leafHash = SHA-256(0x00 ‖ leafInput)'),
  appendedAt: instant(),
});

export const inclusionQuerySchema = z.strictObject({
  leafIndex: leafIndex.describe(
    'The leaf to prove; must be less than `treeSize` (else 422 `validation_failed` naming `query.leafIndex`)',
  ),
  treeSize: treeSize.describe('The tree size of an issued checkpoint (else 404)'),
});
export const inclusionProofSchema = z.object({
  leafIndex: z.number().int(),
  treeSize: z.number().int(),
  leafHash: hex32,
  path: z.array(hex32).describe('RFC 9162 §2.1.3 inclusion path, deepest first'),
});

export const consistencyQuerySchema = z.strictObject({
  first: treeSize.describe(
    'The tree size of an issued checkpoint, not larger than `second` (else 422 `validation_failed` naming `query.first`)',
  ),
  second: treeSize.describe('The tree size of an issued checkpoint (else 404)'),
});
export const consistencyProofSchema = z.object({
  first: z.number().int(),
  second: z.number().int(),
  proof: z.array(hex32).describe('RFC 9162 §2.1.4 consistency proof'),
});

/** A subject's leaves are read in leaf order: the cursor holds the last leaf index of a page. */
export const subjectLogQuerySchema = pageQuerySchema(z.tuple([z.number().int().min(0)]), {
  treeSize: treeSize.optional().describe('A checkpoint’s tree size; the newest checkpoint when absent'),
});

export const subjectLeafSchema = leafViewSchema.extend({
  ref: z.string().describe('What the leaf logs: `rec_…:version`, an access entry id or an event id'),
  path: z.array(hex32).describe('Inclusion path in the checkpoint’s tree'),
});

export const subjectEntriesSchema = pageSchema(subjectLeafSchema).extend({ checkpoint: checkpointSchema });

export const mapProofSchema = z.object({
  key: hex32.describe('The subject’s blind index: the key of its access history in the map'),
  siblings: z.array(hex32).describe('Sibling hashes from the root down'),
  terminal: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('leaf'), key: hex32, valueHash: hex32 }),
    z.object({ kind: z.literal('empty') }),
  ]),
});

export const accessHistorySchema = pageSchema(subjectLeafSchema).extend({
  checkpoint: checkpointSchema,
  count: z.number().int().describe('How many accesses the map holds for the subject at this checkpoint'),
  mapProof: mapProofSchema,
});
