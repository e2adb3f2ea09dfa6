import { actorOf } from '@credit/auth';
import { inTransaction } from '@credit/db';
import { ProblemError } from '@credit/errors';
import { principalOf, type ZodTypeProvider } from '@credit/http';
import {
  collectPage,
  pageQuerySchema,
  pageSchema,
  prefixedId,
  repairPrecheckSchema,
  repairRequestSchema,
  repairSchema,
  repairStepSchema,
  repairSupplementSchema,
  repairTargetTypes,
} from '@credit/schema';
import { and, desc, eq, inArray, lt, type SQL } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { awaitingDeadlines, repairs } from '../db/schema.ts';
import {
  eligibility,
  fileRepair,
  lockRepair,
  repairView,
  stepRepair,
  supplementRepair,
} from '../domain/repairs.ts';
import { callerSubject, maySee, requireResponsible } from './case-access.ts';

const byId = z.strictObject({ id: prefixedId('rpr') });
const precheckQuery = z.strictObject({ type: z.enum(repairTargetTypes), id: z.string().min(1).max(64) });
/** Cases are listed newest first by id: ids begin with their filing time and never change. */
const listQuery = pageQuerySchema(z.tuple([prefixedId('rpr')]), {
  overdue: z.enum(['true', 'false']).optional(),
  awaitingCalendar: z
    .enum(['true'])
    .optional()
    .describe('Only cases with a deadline awaiting an official calendar year not loaded yet'),
});

/** 信用修复: precheck, application with evidence and a credit commitment, acceptance, decision. */
export async function repairRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const context = app.repair;

  app.get(
    '/v1/repairs/precheck',
    {
      config: { auth: { roles: ['subject'] }, problems: ['not_found'] },
      schema: {
        tags: ['repair'],
        summary: 'Whether an item of yours is repairable now, and if not from when',
        querystring: precheckQuery,
        response: { 200: repairPrecheckSchema },
      },
    },
    async (request) => {
      const { type, id } = request.query;
      const subject = callerSubject(app.keyring, principalOf(request));
      const check = await eligibility(app.db, context, type, id, context.clock());
      if (!check.subjectKey.equals(subject.key))
        throw new ProblemError('not_found', `no such ${type} of yours`);
      return {
        target: { type, id },
        repairable: check.repairable,
        eligibleNow: check.eligibleNow,
        earliestDate: check.earliestDate,
        rule: check.rule,
      };
    },
  );

  app.post(
    '/v1/repairs',
    {
      config: {
        auth: { roles: ['subject'] },
        problems: ['not_found', 'already_repaired', 'already_under_repair'],
        headers: { location: [201] },
      },
      schema: {
        tags: ['repair'],
        summary: 'Apply to repair a dishonesty record or a list entry',
        description:
          'Refused with `repair_not_yet_eligible` (and the earliest date) before the minimum publicity period, `not_repairable` where repair does not apply, 409 `already_under_repair` while a repair of the item is open and `already_repaired` once one took effect (each with its `repairId`); after a repair was not accepted or denied the item may be applied for again.',
        body: repairRequestSchema,
        response: { 201: repairSchema },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = request.body;
      const subject = callerSubject(app.keyring, principal);
      const row = await inTransaction(app.db, (tx) =>
        fileRepair(tx, context, subject.key, body, actorOf(principal)),
      );
      reply.code(201).header('location', `/v1/repairs/${row.repairId}`);
      return repairView(app.db, context, row, context.clock());
    },
  );

  app.get(
    '/v1/repairs',
    {
      config: { auth: { roles: ['admin', 'provider', 'government'] } },
      schema: {
        tags: ['repair'],
        summary: 'Repair applications: a department its own, the credit office all',
        querystring: listQuery,
        response: { 200: pageSchema(repairSchema) },
      },
    },
    async (request) => {
      const { overdue, awaitingCalendar, limit, cursor } = request.query;
      const principal = principalOf(request);
      const conditions: SQL[] = [];
      if (!principal.roles.includes('admin'))
        conditions.push(eq(repairs.responsibleDepartment, principal.org ?? ''));
      if (awaitingCalendar)
        conditions.push(
          inArray(repairs.repairId, app.db.select({ id: awaitingDeadlines.caseId }).from(awaitingDeadlines)),
        );
      const now = context.clock();
      // Whether a case is overdue is counted in working days, in code: such a page is collected.
      return collectPage({
        limit,
        after: cursor,
        keyOf: (row: typeof repairs.$inferSelect) => [row.repairId],
        read: async (after, count) =>
          app.db
            .select()
            .from(repairs)
            .where(and(...conditions, after ? lt(repairs.repairId, String(after[0])) : undefined))
            .orderBy(desc(repairs.repairId))
            .limit(count),
        keep: async (rows) => {
          const views = await Promise.all(rows.map((row) => repairView(app.db, context, row, now)));
          return views.map((view) => (overdue === 'true' && !view.overdue ? undefined : view));
        },
      });
    },
  );

  app.get(
    '/v1/repairs/:id',
    {
      config: { auth: { roles: ['subject', 'admin', 'provider', 'government'] } },
      schema: {
        tags: ['repair'],
        summary: 'One repair application with its deadlines and history',
        params: byId,
        response: { 200: repairSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const [row] = await app.db.select().from(repairs).where(eq(repairs.repairId, id));
      if (!row || !maySee(app.keyring, principalOf(request), row.subjectKey, row.responsibleDepartment)) {
        throw new ProblemError('not_found', 'no such repair application');
      }
      return repairView(app.db, context, row, context.clock());
    },
  );

  app.post(
    '/v1/repairs/:id/steps',
    {
      config: { auth: { roles: ['admin', 'provider', 'government'] }, problems: ['invalid_state'] },
      schema: {
        tags: ['repair'],
        summary:
          'The credit office accepts, refuses or asks for a supplement; the responsible department approves or denies',
        params: byId,
        body: repairStepSchema,
        response: { 200: repairSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const body = request.body;
      const principal = principalOf(request);
      const row = await inTransaction(app.db, async (tx) => {
        const current = await lockRepair(tx, context, id);
        const acceptance =
          body.action === 'accept' || body.action === 'not_accept' || body.action === 'request_supplement';
        if (acceptance && !principal.roles.includes('admin'))
          throw new ProblemError('forbidden', 'the credit office accepts applications (受理)');
        const actor = acceptance
          ? (principal.org ?? principal.sub)
          : requireResponsible(principal, current.responsibleDepartment);
        return stepRepair(tx, context, current, body.action, body.note, actor);
      });
      return repairView(app.db, context, row, context.clock());
    },
  );

  app.post(
    '/v1/repairs/:id/supplement',
    {
      config: { auth: { roles: ['subject'] }, problems: ['invalid_state'] },
      schema: {
        tags: ['repair'],
        summary: 'Supplement an application; its deadline resumes',
        params: byId,
        body: repairSupplementSchema,
        response: { 200: repairSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const principal = principalOf(request);
      const subject = callerSubject(app.keyring, principal);
      const body = request.body;
      const row = await inTransaction(app.db, async (tx) => {
        const current = await lockRepair(tx, context, id);
        if (!current.subjectKey.equals(subject.key))
          throw new ProblemError('not_found', 'no such repair application');
        return supplementRepair(tx, context, current, body.evidence, actorOf(principal));
      });
      return repairView(app.db, context, row, context.clock());
    },
  );
}
