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
