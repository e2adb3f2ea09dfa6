import { z } from 'zod';
import { exportPresets } from '../national/export.ts';

/** What a manifest's signature is over: its canonical JSON (keys sorted, no spaces). */
export const openDataManifestFormat = 'credit-platform/open-data/v1';
export const openDataSignatureType = 'open-data-manifest+jws';

// A day that exists (2026-02-30 does not) in years PostgreSQL's date holds (it has no year 0).
const plainDay = z.iso
  .date()
  .regex(/^[1-9]/)
  .describe('A day in Asia/Shanghai (YYYY-MM-DD)');

export const openDataFileSchema = z.object({
  name: z.string().describe('Read at GET /v1/open-data/days/{day}/files/{name}'),
  kind: z
    .enum(['full', 'increment'])
    .describe(
      '`full`: everything public at the cut; `increment`: what changed since the previous cut (upserts and deletions)',
    ),
  format: z
    .enum(['csv', 'jsonl'])
    .describe('`csv`: UTF-8 with a BOM, one preset a file; `jsonl`: every preset'),
  preset: z.enum(exportPresets).nullable().describe('The item set of a CSV file’s rows; null for JSON Lines'),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  records: z
    .number()
    .int()
    .nonnegative()
    .describe('Rows (upserts and deletions) the file holds, headers aside'),
});

export const openDataManifestSchema = z.object({
  format: z.literal(openDataManifestFormat),
  day: plainDay,
  cutAt: z.string().describe('The instant the cut was made: files hold what public disclosure showed then'),
  previousDay: plainDay
    .nullable()
    .describe(
      'The cut this day’s increments apply to; null for the first cut (its increments start from nothing)',
    ),
  checkpoint: z
    .object({ treeSize: z.number().int().positive(), rootHash: z.string(), issuedAt: z.string() })
    .nullable()
    .describe(
      'The newest transparency-log checkpoint the read model had applied at the cut: every record version in the files up to it is in the log (GET /v1/transparency/checkpoints/{treeSize})',
    ),
  files: z.array(openDataFileSchema),
});
export type OpenDataManifest = z.infer<typeof openDataManifestSchema>;

export const signedOpenDataManifestSchema = z.object({
  manifest: openDataManifestSchema,
  signature: z
    .string()
    .describe(
      'Detached compact JWS (ES256, typ open-data-manifest+jws) over the canonical JSON of `manifest`, verifiable with /.well-known/jwks.json',
    ),
});

export const openDataDaySchema = z.object({
  day: plainDay,
  previousDay: plainDay.nullable(),
  cutAt: z.string(),
  manifest: z.string().describe('Where its signed manifest is read'),
});

export const openDataDayParamsSchema = z.strictObject({ day: plainDay });
export const openDataFileParamsSchema = z.strictObject({
  day: plainDay,
  name: z
    .string()
    .max(120)
    .regex(/^[0-9a-z.-]+$/),
});

/**
 * A cut asked for with POST /v1/open-data/cuts, as its status resource reads: cut (with its
 * signed manifest), still running, or failed (tried again by the next request or the daily job).
 */
export const openDataCutStatusSchema = z.discriminatedUnion('state', [
  signedOpenDataManifestSchema.extend({
    day: plainDay,
    state: z.literal('cut'),
  }),
  z.object({
    day: plainDay,
    state: z.literal('running'),
    startedAt: z
      .string()
      .nullable()
      .describe('When the cut started; null when another instance of the platform runs it'),
  }),
  z.object({
    day: plainDay,
    state: z.literal('failed'),
    failedAt: z.string(),
    detail: z
      .string()
      .describe('What to do: the failure itself is logged; the daily job or another POST cuts the day again'),
  }),
]);
export type OpenDataCutStatus = z.infer<typeof openDataCutStatusSchema>;

/**
 * `Prefer` (RFC 7240) on POST /v1/open-data/cuts: `wait=N` waits up to N seconds (at most 60) for
 * the cut before answering 202; `respond-async` alone answers 202 at once. Without it the server
 * waits 10 seconds.
 */
export const openDataCutHeadersSchema = z.object({
  prefer: z
    .string()
    .max(200)
    .optional()
    .describe(
      'RFC 7240: `wait=N` (seconds, at most 60) before a running cut is answered 202 with its status URL; `respond-async` alone answers 202 at once. Default: wait 10 s.',
    ),
});
