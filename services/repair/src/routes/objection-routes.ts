import { actorOf } from '@credit/auth';
import { inTransaction } from '@credit/db';
import { ProblemError } from '@credit/errors';
import { principalOf, type ZodTypeProvider } from '@credit/http';
import {
  collectPage,
  deadlineExtensionSchema,
  objectionAdmissionSchema,
  objectionDecisionSchema,
  objectionRequestSchema,
  objectionSchema,
  objectionStatuses,
  pageQuerySchema,
  pageSchema,
  prefixedId,
} from '@credit/schema';
import { and, desc, eq, inArray, lt, type SQL } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { awaitingDeadlines, objections } from '../db/schema.ts';
import {
  admitObjection,
  decideObjection,
  extendObjection,
  fileObjection,
  lockObjection,
  objectionView,
} from '../domain/objections.ts';
import { callerSubject, maySee, requireResponsible } from './case-access.ts';

const byId = z.strictObject({ id: prefixedId('obj') });
/** Cases are listed newest first by id: ids begin with their filing time and never change. */
const listQuery = pageQuerySchema(z.tuple([prefixedId('obj')]), {
  status: z.enum(objectionStatuses).optional(),
  overdue: z.enum(['true', 'false']).optional(),
  awaitingCalendar: z
    .enum(['true'])
    .optional()
    .describe('Only cases with a deadline awaiting an official calendar year not loaded yet'),
});

/** 异议: a subject objects to a record, a list entry or an evaluation; the responsible department answers. */
export async function objectionRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const context = app.repair;

  app.post(
    '/v1/objections',
    {
      config: {
        auth: { roles: ['subject'] },
        problems: ['not_found', 'already_under_objection'],
        headers: { location: [201] },
      },
      schema: {
        tags: ['repair'],
        summary: 'Object to an item about you; it is marked disputed at once',
        description:
          'The answer names the responsible department and the deadlines (`dueAt`: 30 days from filing).',
        body: objectionRequestSchema,
        response: { 201: objectionSchema },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = request.body;
      const subject = callerSubject(app.keyring, principal);
      const row = await inTransaction(app.db, (tx) =>
        fileObjection(tx, context, subject.key, body, actorOf(principal)),
      );
      reply.code(201).header('location', `/v1/objections/${row.objectionId}`);
      return objectionView(app.db, context, row, context.clock());
    },
  );

  app.get(
    '/v1/objections',
    {
      config: { auth: { roles: ['admin', 'provider', 'government'] } },
      schema: {
        tags: ['repair'],
        summary:
          'Objections to answer: a department sees its own, the credit office all (`overdue=true` for those past a deadline)',
        querystring: listQuery,
        response: { 200: pageSchema(objectionSchema) },
      },
    },
    async (request) => {
      const { status, overdue, awaitingCalendar, limit, cursor } = request.query;
      const principal = principalOf(request);
      const conditions: SQL[] = [];
      if (status) conditions.push(eq(objections.status, status));
      if (!principal.roles.includes('admin'))
        conditions.push(eq(objections.responsibleDepartment, principal.org ?? ''));
      if (awaitingCalendar)
        conditions.push(
          inArray(
            objections.objectionId,
            app.db.select({ id: awaitingDeadlines.caseId }).from(awaitingDeadlines),
          ),
        );
      const now = context.clock();
      // Whether a case is overdue is counted in working days, in code: such a page is collected.
      return collectPage({
        limit,
        after: cursor,
        keyOf: (row: typeof objections.$inferSelect) => [row.objectionId],
        read: async (after, count) =>
          app.db
            .select()
            .from(objections)
            .where(and(...conditions, after ? lt(objections.objectionId, String(after[0])) : undefined))
            .orderBy(desc(objections.objectionId))
            .limit(count),
        keep: async (rows) => {
          const views = await Promise.all(rows.map((row) => objectionView(app.db, context, row, now)));
          return views.map((view) => (overdue === 'true' && !view.overdue ? undefined : view));
        },
      });
    },
  );

  app.get(
    '/v1/objections/:id',
    {
      config: { auth: { roles: ['subject', 'admin', 'provider', 'government'] } },
      schema: {
        tags: ['repair'],
        summary: 'One objection with its deadlines and history',
        params: byId,
        response: { 200: objectionSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const [row] = await app.db.select().from(objections).where(eq(objections.objectionId, id));
      if (!row || !maySee(app.keyring, principalOf(request), row.subjectKey, row.responsibleDepartment)) {
        throw new ProblemError('not_found', 'no such objection');
      }
      return objectionView(app.db, context, row, context.clock());
    },
  );

  app.post(
    '/v1/objections/:id/admission',
    {
      config: { auth: { roles: ['admin', 'provider', 'government'] }, problems: ['invalid_state'] },
      schema: {
        tags: ['repair'],
        summary: 'Accept the objection for review, or find it inadmissible',
        params: byId,
        body: objectionAdmissionSchema,
        response: { 200: objectionSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const body = request.body;
      const principal = principalOf(request);
      const row = await inTransaction(app.db, async (tx) => {
        const current = await lockObjection(tx, context, id);
        const actor = requireResponsible(principal, current.responsibleDepartment);
        return admitObjection(tx, context, current, body.admissible, body.note, actor);
      });
      return objectionView(app.db, context, row, context.clock());
    },
  );

  app.post(
    '/v1/objections/:id/decision',
    {
      config: { auth: { roles: ['admin', 'provider', 'government'] }, problems: ['invalid_state'] },
      schema: {
        tags: ['repair'],
        summary:
          'The responsible department answers: upheld (correct within 3 working days) or rejected (applicant told within 7)',
        params: byId,
        body: objectionDecisionSchema,
        response: { 200: objectionSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const body = request.body;
      const principal = principalOf(request);
      const row = await inTransaction(app.db, async (tx) => {
        const current = await lockObjection(tx, context, id);
        const actor = requireResponsible(principal, current.responsibleDepartment);
        return decideObjection(tx, context, current, body.outcome, body.note, actor);
      });
      return objectionView(app.db, context, row, context.clock());
    },
  );

  app.post(
    '/v1/objections/:id/extension',
    {
      config: { auth: { roles: ['admin'] }, problems: ['invalid_state'] },
      schema: {
        tags: ['repair'],
        summary: 'Extend the answer deadline, with the reason kept',
        params: byId,
        body: deadlineExtensionSchema,
        response: { 200: objectionSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const body = request.body;
      const principal = principalOf(request);
      const row = await inTransaction(app.db, async (tx) =>
        extendObjection(
          tx,
          context,
          await lockObjection(tx, context, id),
          body.workingDays,
          body.reason,
          principal.sub,
        ),
      );
      return objectionView(app.db, context, row, context.clock());
    },
  );
}
