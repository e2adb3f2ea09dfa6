import { identityAad } from '@credit/crypto';
import { inTransaction } from '@credit/db';
import { ProblemError } from '@credit/errors';
import { principalOf, requireSubject, tokenSubject, type ZodTypeProvider } from '@credit/http';
import {
  discloseIdentity,
  type GradeTier,
  gradeTiers,
  industryEvaluationCorrectionSchema,
  industryEvaluationRequestSchema,
  industryEvaluationSchema,
  intermediaryIndustrySchema,
  kindsAllowedForUscc,
  pageQuerySchema,
  pageSchema,
  prefixedId,
  type SubjectKind,
  type SubjectRef,
  subjectIdSchema,
  supervisionListItemSchema,
  supervisionSchema,
  toPage,
} from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { currentlyDishonest } from '../domain/incentive-guard.ts';
import {
  correctEvaluation,
  evaluationView,
  requireSupervisor,
  submitEvaluation,
} from '../domain/industry-evaluations.ts';
import { standing, standingIndustryGrades } from '../domain/verdicts.ts';

const byId = z.strictObject({ id: prefixedId('evl') });
/** The list is read in subject key order (hex), the key of `DISTINCT ON`. */
const supervisionListQuery = pageQuerySchema(z.tuple([z.string().regex(/^[0-9a-f]{64}$/)]), {
  industry: intermediaryIndustrySchema,
  tier: z.enum(gradeTiers).optional(),
});
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
        problems: ['department_not_permitted', 'source_id_conflict', 'invalid_state', 'grade_off_scale'],
        headers: { location: [201] },
      },
      schema: {
        tags: ['sanctions'],
        summary:
          'Push an evaluation result (信用评价) for an intermediary or practitioner of an industry you supervise',
        description:
          'The grade must be on the industry’s scale (GET /v1/intermediaries/industries), else 422 `grade_off_scale`; a department not supervising the industry is refused with 403 `department_not_permitted`. The subject must be an agency registered in the industry (POST /v1/intermediaries) or a practitioner registered with one: a subject registered in other industries only is refused with 422 `validation_failed` at `industry`; one not registered at all with 409 `invalid_state` at `subject` — registrations reach this service from the ingest feed, usually within a second, so right after registering retry a 409 shortly. Sending the same `sourceId` again answers 200 with the evaluation held.',
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

  app.get(
    '/v1/supervision',
    {
      config: { auth: { roles: ['provider', 'admin'] }, problems: ['department_not_permitted'] },
      schema: {
        tags: ['sanctions'],
        summary:
          'Graded supervision of an industry you supervise: each agency’s current evaluation and recommended inspections',
        description:
          'For planning inspections (分级分类监管): the current evaluation of every evaluated agency or practitioner of the industry, optionally of one `tier`, in a stable order, each subject as officials see it and whether it is registered in the industry (`registered`; `id` and `name` are null for a subject of an evaluation taken before registration was required whose identity the service never held). Only a department supervising the industry (or the credit office) reads it.',
        querystring: supervisionListQuery,
        response: { 200: pageSchema(supervisionListItemSchema) },
      },
    },
    async (request) => {
      const { industry, tier, cursor, limit } = request.query;
      const caller = department(request);
      await requireSupervisor(app.db, app.sanctions, caller.org, industry, caller.admin);
      const now = app.clock();
      const rows = await app.sanctions.store.industryEvaluations.currentInIndustry(
        industry,
        tier,
        now,
        cursor ? Buffer.from(cursor[0], 'hex') : undefined,
        limit + 1,
      );
      const page = toPage(rows, limit, (row) => [row.subjectKey.toString('hex')]);
      const keys = page.items.map((row) => row.subjectKey);
      const cache = app.sanctions.listing;
      const dishonest = await currentlyDishonest(app.db, app.sanctions, keys, now);
      const identities = new Map(
        (await app.sanctions.store.subjects.findMany(keys)).map((row) => [
          row.subjectKey.toString('hex'),
          row,
        ]),
      );
      const registered = await app.sanctions.store.industryEvaluations.registeredIn(keys, industry);
      const tiers = cache.tiers();
      const low = tiers.find((t) => t.tier === 'low');
      return {
        ...page,
        items: page.items.map((row) => {
          const hex = row.subjectKey.toString('hex');
          const listed = standing(cache.entriesOf(row.subjectKey), now).some((e) => e.listKind !== 'red');
          const currentDishonesty = listed || dishonest.has(hex);
          const own = tiers.find((t) => t.tier === row.tier);
          const applies =
            currentDishonesty && low && low.inspectionsPerYear > (own?.inspectionsPerYear ?? 0) ? low : own;
          const identity = identities.get(hex);
          const decrypt = (field: 'identifier' | 'name', cipher: Buffer) =>
            cipher.length === 0
              ? ''
              : app.keyring.decrypt(identity?.keyId ?? '', cipher, identityAad(field, row.subjectKey));
          const kind = row.subjectKind as SubjectKind;
          // Without an identity (an evaluation taken before registration was required, of an
          // organisation never registered) the list says so rather than showing blanks.
          const shown = identity
            ? discloseIdentity({ as: 'official' }, 'subject', kind, {
                id: decrypt('identifier', identity.identifierCipher),
                name: decrypt('name', identity.nameCipher),
              })
            : { id: null, name: null };
          return {
            subject: { kind, id: shown.id, name: shown.name, registered: registered.has(hex) },
            evaluationId: row.evaluationId,
            industry: row.industry,
            grade: row.grade,
            tier: row.tier,
            department: row.department,
            period: { from: row.periodFrom, to: row.periodTo },
            currentDishonesty,
            inspectionsPerYear: applies?.inspectionsPerYear ?? 1,
            inspection: applies?.inspection ?? '',
          };
        }),
      };
    },
  );
}
