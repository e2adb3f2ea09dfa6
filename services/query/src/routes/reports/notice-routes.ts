import { principalOf } from '@credit/http';
import { and, desc, eq, lt } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { recipientNotices } from '../../db/schema.ts';

const noticeQuery = z.strictObject({
  before: z.string().max(40).optional().describe('Notice id to continue before (newest first)'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const recipientNoticeSchema = z.object({
  id: z.string(),
  kind: z.enum(['record_repaired']),
  recordId: z.string(),
  occurredAt: z.string(),
  createdAt: z.string(),
});

/** Notices to agencies and departments about data they received that has since changed (repaired). */
export async function noticeRoutes(app: FastifyInstance) {
  app.get(
    '/v1/notifications',
    {
      config: { auth: { roles: ['agency', 'government'] } },
      schema: {
        tags: ['reports'],
        summary: 'Records you received in a report that were repaired since: stop using them',
        querystring: noticeQuery,
        response: { 200: z.object({ items: z.array(recipientNoticeSchema) }) },
      },
    },
    async (request) => {
      const { before, limit } = request.query as z.infer<typeof noticeQuery>;
      const org = principalOf(request).org ?? '';
      const rows = await app.db
        .select()
        .from(recipientNotices)
        .where(
          before
            ? and(eq(recipientNotices.org, org), lt(recipientNotices.noticeId, before))
            : eq(recipientNotices.org, org),
        )
        .orderBy(desc(recipientNotices.noticeId))
        .limit(limit);
      return {
        items: rows.map((row) => ({
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
