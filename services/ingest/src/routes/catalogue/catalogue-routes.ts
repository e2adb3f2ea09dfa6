import { ProblemError } from '@credit/errors';
import type { ZodTypeProvider } from '@credit/http';
import { exportCatalogue } from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

const byCode = z.strictObject({ code: z.string().min(1).max(64) });

const catalogueEntrySchema = z.object({
  code: z.string(),
  zh: z.string(),
  en: z.string(),
  class: z.string(),
  subjectKinds: z.array(z.string()),
  publicity: z.enum(['public', 'authorised', 'government']),
  severity: z.object({ default: z.string(), allowed: z.array(z.string()) }).nullable(),
  repairable: z.boolean(),
  displayMonths: z.number().nullable(),
  displayUntilField: z.string().nullable(),
  allowsRelatedPersons: z.boolean(),
  namesSubject: z
    .boolean()
    .describe('The registering authority’s record: its subject name is the subject’s current name'),
  amountField: z.string().nullable(),
  refersTo: z
    .object({ field: z.string(), entry: z.string() })
    .nullable()
    .describe(
      'A data field naming another record of the subject that must be on file (a breach’s commitment)',
    ),
  consentGatedFields: z.array(z.string()),
  basis: z.string(),
  dataSchema: z.record(z.string(), z.unknown()).describe('JSON Schema (2020-12) of `data`'),
  sample: z.record(z.string(), z.unknown()),
});

const catalogueSchema = z.object({
  version: z.string(),
  fingerprint: z.string().describe('Changes whenever any entry changes'),
  classes: z.array(z.object({ code: z.string(), zh: z.string(), en: z.string() })),
  severities: z.array(
    z.object({
      code: z.string(),
      zh: z.string(),
      displayMonths: z.number(),
      minPublicityMonths: z.number(),
      published: z.boolean(),
    }),
  ),
  prohibitedFields: z.array(z.object({ code: z.string(), zh: z.string(), en: z.string() })),
  consentGatedFields: z.array(z.object({ code: z.string(), zh: z.string(), en: z.string() })),
  entries: z.array(catalogueEntrySchema),
});

/** The collection catalogue (归集目录), public: what may be pushed and in which shape. */
export async function catalogueRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const catalogue = exportCatalogue();
  const etag = `"${catalogue.version}-${catalogue.fingerprint}"`;

  app.get(
    '/v1/catalogue',
    {
      config: { auth: 'public', headers: { etag: [200, 304] } },
      schema: {
        tags: ['catalogue'],
        summary: 'The collection catalogue with the JSON Schema of every entry',
        response: {
          200: catalogueSchema,
          304: { description: 'Not modified (If-None-Match)', type: 'null' },
        },
      },
    },
    async (request, reply) => {
      reply.header('etag', etag).header('cache-control', 'public, max-age=300');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return catalogue;
    },
  );

  app.get(
    '/v1/catalogue/:code',
    {
      config: { auth: 'public', headers: { etag: [200] } },
      schema: {
        tags: ['catalogue'],
        summary: 'One catalogue entry',
        params: byCode,
        response: { 200: catalogueEntrySchema },
      },
    },
    async (request, reply) => {
      const { code } = request.params;
      const entry = catalogue.entries.find((e) => e.code === code);
      if (!entry) throw new ProblemError('not_found', `no catalogue entry '${code}'`);
      reply.header('etag', etag).header('cache-control', 'public, max-age=300');
      return entry;
    },
  );
}
