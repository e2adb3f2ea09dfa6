import { z } from 'zod';
import { intermediaryIndustrySchema } from '../intermediaries/industries.ts';
import { instant } from './common.ts';

export const providerCodeSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{1,63}$/, 'lower-case letters, digits, _ and -; starts with a letter')
  .describe("The department's code; its tokens carry it as the `org` claim");

export const providerRegistrationSchema = z.strictObject({
  code: providerCodeSchema,
  name: z.string().trim().min(1).max(200),
  categories: z
    .array(z.string().min(1).max(64))
    .min(1)
    .max(200)
    .describe('Catalogue entry codes it may push'),
  industries: z
    .array(intermediaryIndustrySchema)
    .max(6)
    .optional()
    .describe(
      'Intermediary industries it supervises (行业主管部门, seeds/003): it registers their agencies and reviews their declarations',
    ),
});

export const providerUpdateSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  categories: z.array(z.string().min(1).max(64)).min(1).max(200).optional(),
  industries: z.array(intermediaryIndustrySchema).max(6).optional(),
  status: z.enum(['active', 'suspended']).optional(),
});

export const providerSchema = z.object({
  code: providerCodeSchema,
  name: z.string(),
  categories: z.array(z.string()),
  industries: z.array(intermediaryIndustrySchema),
  status: z.enum(['active', 'suspended']),
  createdAt: instant(),
  updatedAt: instant(),
  revision: z.number().int().positive(),
});
export type Provider = z.infer<typeof providerSchema>;

export const providerStatisticsSchema = z.object({
  provider: providerCodeSchema,
  from: instant(),
  to: instant(),
  received: z.number().int(),
  accepted: z.number().int().describe('New records and new versions'),
  unchanged: z.number().int().describe('Identical resubmissions'),
  refused: z.number().int(),
  refusalRate: z.number(),
  refusalsByCode: z.record(z.string(), z.number().int()),
  byCategory: z.record(z.string(), z.number().int()),
  delay: z
    .object({
      medianHours: z.number().nullable(),
      p90Hours: z.number().nullable(),
      maxHours: z.number().nullable(),
    })
    .describe('Delay between occurredAt and receipt, over accepted records'),
  subjectNameMismatches: z
    .number()
    .int()
    .describe(
      'Accepted versions naming their subject otherwise than the registering authority’s record in force when they arrived (the name stays with the record; the subject keeps its registered name)',
    ),
});
