import { principalOf, type ZodTypeProvider } from '@credit/http';
import { pageQuerySchema, pageSchema, prefixedId, toPage } from '@credit/schema';
import { and, desc, eq, lt } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { recipientNotices } from '../../db/schema.ts';

/** Newest first by notice id, which begins with the time of the change it reports. */
const noticeQuery = pageQuerySchema(z.tuple([prefixedId('ntc')]));

const recipientNoticeSchema = z.object({
  id: z.string(),
  kind: z.enum(['record_repaired']),
  recordId: z.string(),
  occurredAt: z.string(),
  createdAt: z.string(),
});

/** Notices to agencies and departments about data they received that has since changed (repaired). */
export async function noticeRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/v1/notifications',
    {
      config: { auth: { roles: ['agency', 'government'] } },
      schema: {
        tags: ['reports'],
        summary: 'Records you received in a report that were repaired since: stop using them',
        querystring: noticeQuery,
        description: 'Newest first.',
        response: { 200: pageSchema(recipientNoticeSchema) },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      const org = principalOf(request).org ?? '';
      const rows = await app.db
        .select()
        .from(recipientNotices)
        .where(
          and(eq(recipientNotices.org, org), cursor ? lt(recipientNotices.noticeId, cursor[0]) : undefined),
        )
        .orderBy(desc(recipientNotices.noticeId))
        .limit(limit + 1);
      const page = toPage(rows, limit, (row) => [row.noticeId]);
      return {
        ...page,
        items: page.items.map((row) => ({
          id: row.noticeId,
          kind: row.kind as 'record_repaired',
          recordId: row.recordId,
          occurredAt: row.occurredAt.toISOString(),
          createdAt: row.createdAt.toISOString(),
        })),
      };
    },
  );
}
