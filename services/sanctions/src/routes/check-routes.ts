import { newId } from '@credit/crypto';
import { inTransaction } from '@credit/db';
import { ProblemError } from '@credit/errors';
import { principalOf, requireSubject, type ZodTypeProvider } from '@credit/http';
import {
  type CheckPartyRole,
  checkFeedbackSchema,
  checkRequestSchema,
  checkResultSchema,
  prefixedId,
  type SanctionAction,
  type SubjectRef,
} from '@credit/schema';
import { and, desc, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { checkFeedback, checks } from '../db/schema.ts';
import { createCheckLog } from '../domain/check-log.ts';
import { measuresToApply } from '../domain/incentive-guard.ts';
import {
  currentGrades,
  decisionFor,
  gradeMeasures,
  standing,
  standingIndustryGrades,
  toMeasure,
  triggeredMeasures,
  uniqueMeasures,
  worstDecision,
} from '../domain/verdicts.ts';

const byId = z.strictObject({ id: prefixedId('chk') });

/**
 * What a party is checked for: the action, and for a company's registration the legal
 * representative and responsible persons also for serving as such (担任法定代表人、高级管理人员), so
 * a person barred from that on any black list is refused as well as one under a practice ban.
 */
function partyActions(action: SanctionAction, role: CheckPartyRole): SanctionAction[] {
  return action === 'company_registration' && role !== 'investor' ? [action, 'serve_as_legal_rep'] : [action];
}

/**
 * 自动比对、自动拦截: "may this subject do this?" answered from the lists in force, with the
 * measures and their legal basis; every check is kept, and departments report what they did.
 */
export async function checkRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const cache = app.sanctions.listing;
  const log = createCheckLog(app.database);
  app.post(
    '/v1/checks',
    {
      config: { auth: { roles: ['government', 'admin', 'platform'] }, rateLimit: app.rateLimitFor('checks') },
      schema: {
        tags: ['sanctions'],
        summary: 'Check a subject before an action (licence, subsidy, tender, platform entry…)',
        body: checkRequestSchema,
        response: { 200: checkResultSchema },
      },
    },
    async (request) => {
      const body = request.body;
      const principal = principalOf(request);
      const now = app.clock();
      const verdictOf = async (subject: SubjectRef, actions: SanctionAction[] = [body.action]) => {
        const entries = standing(cache.entriesOf(subject.key), now);
        const evaluations = standingIndustryGrades(cache.industryGradesOf(subject.key), now);
        const person = subject.scheme === 'citizen_id';
        const triggered = uniqueMeasures([
          ...triggeredMeasures(entries, cache.measures(), actions),
          ...gradeMeasures(evaluations, cache.tiers(), cache.measures(), person, actions),
        ]);
        const applied = await measuresToApply(
          app.db,
          app.sanctions,
          { subjectKey: subject.key, entries, applied: triggered },
          now,
        );
        const relevant = entries.filter((e) => applied.some((m) => e.measures.includes(m.code)));
        return { subject, entries: relevant, evaluations, applied, decision: decisionFor(applied) };
      };
      const subject = body.subject ? requireSubject(app.keyring, body.subject, 'subject') : undefined;
      const parties = (body.parties ?? []).map((party, i) => ({
        role: party.role,
        subject: requireSubject(app.keyring, party.id, `parties.${i}.id`),
      }));
      const own = subject ? await verdictOf(subject) : undefined;
      const partyVerdicts = [];
      for (const party of parties)
        partyVerdicts.push({
          role: party.role,
          ...(await verdictOf(party.subject, partyActions(body.action, party.role))),
        });
      const applied = uniqueMeasures([...(own?.applied ?? []), ...partyVerdicts.flatMap((v) => v.applied)]);
      const result = {
        checkId: newId('chk', now.getTime()),
        decision: worstDecision([own?.decision ?? 'allow', ...partyVerdicts.map((v) => v.decision)]),
        action: body.action,
        entries: (own?.entries ?? []).map((e) => ({
          id: e.entryId,
          listKind: e.listKind,
          domain: e.domain,
          validUntil: e.validUntil?.toISOString() ?? null,
        })),
        measures: applied.map(toMeasure),
        grades: subject ? currentGrades(cache.gradesOf(subject.key), now) : [],
        industryGrades: (own?.evaluations ?? []).map((g) => ({
          evaluationId: g.evaluationId,
          industry: g.industry,
          grade: g.grade,
          tier: g.tier,
          department: g.department,
          period: { from: g.periodFrom, to: g.periodTo },
        })),
        parties: partyVerdicts.map((v) => ({
          role: v.role,
          decision: v.decision,
          entries: v.entries.map((e) => ({ id: e.entryId, listKind: e.listKind, domain: e.domain })),
          measures: v.applied.map((m) => m.code),
        })),
        checkedAt: now.toISOString(),
      };
      // The check is kept under the subject, or under the first party when the company is not
      // registered yet; every party's entries are in it.
      const keptUnder = subject ?? parties[0]?.subject;
      if (!keptUnder) throw new Error('the request schema requires a subject or parties');
      await log.append({
        subjectKey: keptUnder.key,
        checkId: result.checkId,
        org: principal.org ?? principal.sub,
        role: principal.roles[0] ?? 'unknown',
        action: body.action,
        purpose: body.purpose,
        decision: result.decision,
        entries: [
          ...result.entries,
          ...result.parties.flatMap((p) => p.entries.map((e) => ({ ...e, party: p.role }))),
        ],
        measures: applied.map((m) => m.code),
        checkedAt: now,
      });
      return result;
    },
  );

  app.post(
    '/v1/checks/:id/feedback',
    {
      config: { auth: { roles: ['government', 'admin', 'platform'] } },
      schema: {
        tags: ['sanctions'],
        summary: 'Report what was done after a check (奖惩反馈)',
        params: byId,
        body: checkFeedbackSchema,
        response: {
          201: z.object({
            checkId: z.string(),
            seq: z.number().int(),
            outcome: z.string(),
            reportedAt: z.string(),
          }),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const body = request.body;
      const principal = principalOf(request);
      const org = principal.org ?? principal.sub;
      const now = app.clock();
      const row = await inTransaction(app.db, async (tx) => {
        const [check] = await tx.select().from(checks).where(eq(checks.checkId, id));
        if (!check) throw new ProblemError('not_found', 'no such check');
        if (check.org !== org && !principal.roles.includes('admin'))
          throw new ProblemError('forbidden', 'feedback comes from the department that checked');
        const [last] = await tx
          .select({ seq: checkFeedback.seq })
          .from(checkFeedback)
          .where(and(eq(checkFeedback.subjectKey, check.subjectKey), eq(checkFeedback.checkId, id)))
          .orderBy(desc(checkFeedback.seq))
          .limit(1);
        const seq = (last?.seq ?? 0) + 1;
        await tx.insert(checkFeedback).values({
          subjectKey: check.subjectKey,
          checkId: id,
          seq,
          outcome: body.outcome,
          note: body.note ?? null,
          org,
          reportedAt: now,
        });
        return { checkId: id, seq, outcome: body.outcome, reportedAt: now.toISOString() };
      });
      reply.code(201);
      return row;
    },
  );
}
