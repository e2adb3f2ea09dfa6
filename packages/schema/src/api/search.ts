import { z } from 'zod';
import { usccSchema } from '../identifiers/identifier-schemas.ts';
import { organisationKinds } from '../identifiers/subject.ts';
import { cursorSchema, pageSchema } from './pagination.ts';
import { listKindSchema } from './sanctions.ts';

/** The longest name or code a search takes: registered names run to a few dozen characters. */
export const maxSearchQueryLength = 199;
export const maxScreeningItems = 1_000;

/** A name or code to search by; the public route checks it in its handler so that a bad length is 422. */
export const searchTextSchema = z
  .string()
  .trim()
  .min(2, 'at least 2 characters')
  .max(maxSearchQueryLength, `at most ${maxSearchQueryLength} characters`);

export const matchKinds = ['exact_id', 'uscc_prefix', 'exact_name', 'fuzzy_name'] as const;

export const publicSearchQuerySchema = z.strictObject({
  q: z
    .string()
    .max(10_000)
    .describe(
      'An organisation’s name or former name (曾用名), in any form (full-width, traditional characters, with or without region or legal form), or the start of its USCC: 2 to 199 characters, else 422',
    ),
  limit: z.coerce.number().int().min(1).max(50).default(10).describe('Items per page (1–50, default 10)'),
  /** A page ends at a rank: the score and USCC of its last item. */
  cursor: cursorSchema(z.tuple([z.number(), usccSchema])).optional(),
});

export const publicSearchItemSchema = z.object({
  id: z.string().describe('The organisation’s USCC'),
  name: z.string().describe('Its current name'),
  formerNames: z.array(z.string()).describe('Names it was registered under before (曾用名), oldest first'),
  kind: z.enum(organisationKinds),
  score: z.number().min(0).max(1),
  matchedName: z.string().describe('The name (current or former) that matched the query'),
  disclosure: z.string().describe('Its public disclosure page'),
});

export const publicSearchPageSchema = pageSchema(publicSearchItemSchema);

export const screeningRequestSchema = z.strictObject({
  items: z
    .array(
      z.strictObject({
        name: searchTextSchema.describe('The name as the caller holds it'),
        id: usccSchema.optional().describe('The USCC the caller holds, if any'),
        ref: z.string().max(200).optional().describe('The caller’s own reference, returned as given'),
      }),
    )
    .min(1)
    .describe(`Up to ${maxScreeningItems} names, answered in order`),
  threshold: z
    .number()
    .min(0)
    .max(1)
    .default(0.7)
    .describe('Lowest score a candidate is returned with (0..1, default 0.7)'),
  limit: z.number().int().min(1).max(10).default(3).describe('Candidates per item (1–10, default 3)'),
  purpose: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe('Why the names are screened; required of departments'),
});

export const screeningCandidateSchema = z.object({
  id: z.string().describe('USCC'),
  name: z.string(),
  formerNames: z.array(z.string()),
  kind: z.enum(organisationKinds),
  score: z.number().min(0).max(1),
  matchedBy: z
    .enum(matchKinds)
    .describe(
      'exact_id: the id given; exact_name: the same name once normalised; fuzzy_name: a similar name',
    ),
  matchedName: z.string(),
  listing: z.object({
    status: z.object({ red: z.boolean(), black: z.boolean(), watch: z.boolean() }),
    entries: z.array(
      z.object({
        id: z.string(),
        listKind: listKindSchema,
        domain: z.string(),
        validFrom: z.string().nullable(),
        validUntil: z.string().nullable(),
        measures: z.array(z.string()).describe('Codes of the measures the entry carries'),
      }),
    ),
  }),
});

export const screeningResultSchema = z.object({
  items: z.array(
    z.object({
      ref: z.string().nullable(),
      name: z.string(),
      id: z.string().nullable(),
      candidates: z
        .array(screeningCandidateSchema)
        .describe('Best first; empty when nothing reaches the threshold'),
      idConflict: z
        .object({ registeredName: z.string(), score: z.number() })
        .nullable()
        .describe('Set when the id given belongs to an organisation whose names do not match the name given'),
    }),
  ),
});
