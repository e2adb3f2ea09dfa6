import { ProblemError } from '@credit/errors';
import { principalOf, type ZodTypeProvider } from '@credit/http';
import {
  findEntry,
  pageQuerySchema,
  pageSchema,
  providerCodeSchema,
  providerRegistrationSchema,
  providerSchema,
  providerStatisticsSchema,
  providerUpdateSchema,
  toPage,
} from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

const byCode = z.strictObject({ code: providerCodeSchema });
/** Providers are listed by code, their key. */
const listQuery = pageQuerySchema(z.tuple([providerCodeSchema]));
const statisticsQuery = z.strictObject({
  from: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('Start of the window (default: 30 days before `to`)'),
  to: z.iso.datetime({ offset: true }).optional().describe('End of the window (default: now)'),
});

function checkCategories(categories: string[] | undefined): void {
  if (!categories) return;
  const errors = categories.flatMap((code, index) =>
    findEntry(code)
      ? []
      : [
          {
            path: `categories.${index}`,
            code: 'unknown_category' as const,
            message: `'${code}' is not a catalogue entry`,
          },
        ],
  );
  if (errors.length > 0) throw ProblemError.fromFieldErrors(errors);
}

/** The provider registry (admin): which department may push which catalogue entries. */
export async function providerRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { providers, statistics } = app.ingest;

  app.post(
    '/v1/providers',
    {
      config: { auth: { roles: ['admin'] }, problems: ['conflict'], headers: { location: [201] } },
      schema: {
        tags: ['providers'],
        summary: 'Register a providing department',
        description:
          'Registering the same code with the same content again answers 200; with other content, 409.',
        body: providerRegistrationSchema,
        response: { 201: providerSchema, 200: providerSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      checkCategories(body.categories);
      const result = await providers.register(body, principalOf(request).sub, app.clock());
      if (result.created) {
        reply.code(201).header('location', `/v1/providers/${result.provider.code}`);
        return result.provider;
      }
      const same =
        result.existing.name === body.name &&
        result.existing.categories.join(',') === [...new Set(body.categories)].sort().join(',') &&
        result.existing.industries.join(',') === [...new Set(body.industries ?? [])].sort().join(',');
      if (!same) {
        throw new ProblemError(
          'conflict',
          `provider '${body.code}' is already registered with other details; use PATCH`,
        );
      }
      return result.existing;
    },
  );

  app.get(
    '/v1/providers',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['providers'],
        summary: 'List providers, by code',
        querystring: listQuery,
        response: { 200: pageSchema(providerSchema) },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      return toPage(await providers.list(cursor?.[0], limit + 1), limit, (provider) => [provider.code]);
    },
  );

  /** A provider may read its own entry and statistics; the credit office reads all. */
  function mayRead(request: Parameters<typeof principalOf>[0], code: string): void {
    const principal = principalOf(request);
    if (principal.roles.includes('admin')) return;
    if (principal.org !== code)
      throw new ProblemError('forbidden', 'a provider may only read its own registry entry');
  }

  app.get(
    '/v1/providers/:code',
    {
      config: { auth: { roles: ['admin', 'provider'] } },
      schema: {
        tags: ['providers'],
        summary: 'One provider',
        params: byCode,
        response: { 200: providerSchema },
      },
    },
    async (request) => {
      const { code } = request.params;
      mayRead(request, code);
      const provider = await providers.find(code);
      if (!provider) throw new ProblemError('not_found', `no provider '${code}'`);
      return provider;
    },
  );

  app.patch(
    '/v1/providers/:code',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['providers'],
        summary: 'Update a provider (name, categories, supervised industries, or suspend and reinstate)',
        params: byCode,
        body: providerUpdateSchema,
        response: { 200: providerSchema },
      },
    },
    async (request) => {
      const { code } = request.params;
      const body = request.body;
      checkCategories(body.categories);
      const provider = await providers.update(code, body, principalOf(request).sub, app.clock());
      if (!provider) throw new ProblemError('not_found', `no provider '${code}'`);
      return provider;
    },
  );

  app.get(
    '/v1/providers/:code/statistics',
    {
      config: { auth: { roles: ['admin', 'provider'] } },
      schema: {
        tags: ['providers'],
        summary: 'Intake statistics: volume, refusals by code, timeliness',
        params: byCode,
        querystring: statisticsQuery,
        response: { 200: providerStatisticsSchema },
      },
    },
    async (request) => {
      const { code } = request.params;
      mayRead(request, code);
      const query = request.query;
      const to = query.to ? new Date(query.to) : app.clock();
      const from = query.from ? new Date(query.from) : new Date(to.getTime() - 30 * 86_400_000);
      if (from >= to) throw new ProblemError('bad_request', '`from` must be before `to`');
      if (!(await providers.find(code))) throw new ProblemError('not_found', `no provider '${code}'`);
      return statistics.forProvider(code, from, to);
    },
  );
}
