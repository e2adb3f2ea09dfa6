import { inTransaction } from '@credit/db';
import { ProblemError } from '@credit/errors';
import { principalOf, requireSubject, tokenSubject, type ZodTypeProvider } from '@credit/http';
import {
  type GradeTier,
  industryEvaluationCorrectionSchema,
  industryEvaluationRequestSchema,
  industryEvaluationSchema,
  kindsAllowedForUscc,
  prefixedId,
  type SubjectKind,
  type SubjectRef,
  subjectIdSchema,
  supervisionSchema,
} from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { currentlyDishonest } from '../domain/incentive-guard.ts';
import { correctEvaluation, evaluationView, submitEvaluation } from '../domain/industry-evaluations.ts';
import { standing, standingIndustryGrades } from '../domain/verdicts.ts';

const byId = z.strictObject({ id: prefixedId('evl') });
const bySubject = z.strictObject({ id: subjectIdSchema });

function kindOf(subject: SubjectRef): SubjectKind {
  if (subject.scheme === 'citizen_id') return 'natural_person';
  return kindsAllowedForUscc(subject.identifier)[0] ?? 'legal_person';
}

/**
 * Industry credit evaluations (信用评价, seeds/003 四(五)): supervising departments push their
 * periodic results per their industry's scale and correct them; departments read the graded
 * supervision (inspection frequency) they call for (四(四)).
 */
export async function industryEvaluationRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const department = (request: Parameters<typeof principalOf>[0]) => {
    const principal = principalOf(request);
    return { org: principal.org ?? principal.sub, admin: principal.roles.includes('admin') };
  };

  app.post(
    '/v1/industry-evaluations',
    {
      config: {
        auth: { roles: ['provider', 'government', 'admin'] },
        problems: ['department_not_permitted', 'source_id_conflict', 'grade_off_scale'],
        headers: { location: [201] },
      },
      schema: {
        tags: ['sanctions'],
        summary:
          'Push an evaluation result (信用评价) for an intermediary or practitioner of an industry you supervise',
        description:
          'The grade must be on the industry’s scale (GET /v1/intermediaries/industries), else 422 `grade_off_scale`; a department not supervising the industry is refused with 403 `department_not_permitted`. Sending the same `sourceId` again answers 200 with the evaluation held.',
        body: industryEvaluationRequestSchema,
        response: { 200: industryEvaluationSchema, 201: industryEvaluationSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const caller = department(request);
      const subject = requireSubject(app.keyring, body.subject, 'subject');
      const now = app.clock();
      const { row, created } = await inTransaction(app.db, (tx) =>
        submitEvaluation(tx, app.sanctions, body, subject, kindOf(subject), caller.org, caller.admin, now),
      );
      await app.sanctions.listing.refreshSubjects([row.subjectKey]);
      reply.code(created ? 201 : 200);
      if (created) reply.header('location', `/v1/industry-evaluations/${row.evaluationId}`);
      return evaluationView(row);
    },
  );

  app.post(
    '/v1/industry-evaluations/:id/corrections',
    {
      config: {
        auth: { roles: ['provider', 'government', 'admin'] },
        problems: ['not_responsible_department', 'grade_off_scale'],
      },
      schema: {
        tags: ['sanctions'],
        summary: 'Correct your evaluation (更正发布), e.g. after an upheld objection',
        description:
          'A new version with the corrected grade, used by checks at once; naming the upheld objection closes it (it is due within 3 working days of the decision).',
        params: byId,
        body: industryEvaluationCorrectionSchema,
        response: { 200: industryEvaluationSchema },
      },
    },
    async (request) => {
      const caller = department(request);
      const now = app.clock();
      const row = await inTransaction(app.db, (tx) =>
        correctEvaluation(tx, app.sanctions, request.params.id, request.body, caller.org, caller.admin, now),
      );
      await app.sanctions.listing.refreshSubjects([row.subjectKey]);
      return evaluationView(row);
    },
  );

  app.get(
    '/v1/industry-evaluations/:id',
    {
      config: { auth: { roles: ['provider', 'government', 'admin', 'subject'] } },
      schema: {
        tags: ['sanctions'],
        summary: 'An evaluation: its department, the subject evaluated, and the credit office read it',
        params: byId,
        response: { 200: industryEvaluationSchema },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const row = await app.sanctions.store.industryEvaluations.find(request.params.id);
      const self = row && tokenSubject(app.keyring, principal.subjectId)?.key.equals(row.subjectKey);
      const own = row && principal.org === row.department && !principal.roles.includes('subject');
      if (!row || !(self || own || principal.roles.includes('admin')))
        throw new ProblemError('not_found', 'no such evaluation');
      return evaluationView(row);
    },
  );

  app.get(
    '/v1/subjects/:id/supervision',
    {
      config: { auth: { roles: ['government', 'provider', 'admin'] } },
      schema: {
        tags: ['sanctions'],
        summary:
          'Graded supervision (分级分类监管): inspection frequency recommended by the current evaluations',
        description:
          'Per industry the current evaluation and its tier’s inspections; `recommendation` is the closest any of them, or current dishonesty, calls for.',
        params: bySubject,
        response: { 200: supervisionSchema },
      },
    },
    async (request) => {
      const subject = requireSubject(app.keyring, request.params.id);
      const now = app.clock();
      const cache = app.sanctions.listing;
      const tiers = cache.tiers();
      const evaluations = standingIndustryGrades(cache.industryGradesOf(subject.key), now);
      const listed = standing(cache.entriesOf(subject.key), now).some((e) => e.listKind !== 'red');
      const dishonest =
        listed || (await currentlyDishonest(app.db, app.sanctions, [subject.key], now)).size > 0;
      const tierOf = (tier: GradeTier) => tiers.find((t) => t.tier === tier);
      const industries = evaluations.map((e) => {
        const tier = tierOf(e.tier);
        return {
          evaluationId: e.evaluationId,
          industry: e.industry,
          grade: e.grade,
          tier: e.tier,
          department: e.department,
          period: { from: e.periodFrom, to: e.periodTo },
          inspectionsPerYear: tier?.inspectionsPerYear ?? 1,
          inspection: tier?.inspection ?? '',
          measures: tier?.measures ?? [],
          legalBasis: tier?.legalBasis ?? '',
        };
      });
      const candidates = [
        ...evaluations.map((e) => e.tier),
        ...(dishonest ? (['low'] as const) : []),
      ].flatMap((t) => {
        const tier = tierOf(t);
        return tier ? [tier] : [];
      });
      const closest = candidates.sort((a, b) => b.inspectionsPerYear - a.inspectionsPerYear)[0];
      return {
        subject: { kind: kindOf(subject), id: subject.identifier },
        industries,
        currentDishonesty: dishonest,
        recommendation: closest
          ? {
              tier: closest.tier,
              inspectionsPerYear: closest.inspectionsPerYear,
              inspection: closest.inspection,
            }
          : null,
      };
    },
  );
}
