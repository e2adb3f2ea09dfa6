import { endOfShanghaiDay } from '@credit/calendar';
import { idFromDigest, sha256 } from '@credit/crypto';
import type { Executor } from '@credit/db';
import { ProblemError } from '@credit/errors';
import type { NewEvent } from '@credit/events';
import {
  type GradeTier,
  type IndustryEvaluationEventType,
  type IndustryEvaluationRequest,
  type IndustryEvaluationView,
  type IntermediaryIndustry,
  industryGrade,
  industryLabel,
  intermediaryIndustries,
  type SubjectKind,
  type SubjectRef,
} from '@credit/schema';
import type { IndustryEvaluationRow } from '../repositories/industry-evaluation-repository.ts';
import type { ProcedureContext } from './entry-writer.ts';

/** The id of a department's evaluation: stable per department and its source id, so a resubmission finds it. */
export function industryEvaluationId(department: string, sourceId: string): string {
  return idFromDigest('evl', sha256(`industry-evaluation:${department}:${sourceId}`));
}

const dayMs = 86_400_000;

/** By default a result stands one more period of the same length after its period ends. */
export function defaultValidUntil(period: { from: string; to: string }): Date {
  const from = Date.parse(`${period.from}T00:00:00Z`);
  const to = Date.parse(`${period.to}T00:00:00Z`);
  const last = new Date(to + (to - from) + dayMs).toISOString().slice(0, 10);
  return endOfShanghaiDay(last);
}

function isIndustry(code: string): code is IntermediaryIndustry {
  return (intermediaryIndustries as readonly string[]).includes(code);
}

/** The grade's tier on the industry's scale; a grade not on it is refused (422). */
export function tierOf(industry: string, grade: string, path = 'grade'): GradeTier {
  // The request schema admits catalogue industries only; a stored one left the catalogue.
  if (!isIndustry(industry)) throw new Error(`${industry} is not an intermediary industry`);
  const onScale = industryGrade(industry, grade);
  if (!onScale)
    throw ProblemError.fromFieldErrors(
      [{ path, code: 'grade_off_scale', message: `${grade} is not on the ${industry} scale` }],
      `${grade} is not on the evaluation scale of ${industry}`,
    );
  return onScale.tier;
}

/** Only a department supervising the industry evaluates its agencies (403 otherwise). */
export async function requireSupervisor(
  executor: Executor,
  context: Pick<ProcedureContext, 'store'>,
  department: string,
  industry: string,
  admin: boolean,
): Promise<void> {
  if (admin) return;
  if (!(await context.store.industryEvaluations.supervises(department, industry, executor)))
    throw new ProblemError(
      'department_not_permitted',
      `department '${department}' does not supervise ${industry}`,
    );
}

/**
 * Only an agency registered in the industry (`POST /v1/intermediaries`), or a practitioner
 * registered with one, is evaluated in it. The sanctions service knows registrations from the
 * ingest feed: one made moments ago may not have arrived yet, and then reads as no registration
 * (409 `invalid_state`, which says to retry; the state changes when it arrives). A subject
 * registered in other industries only is refused at `industry` (422): that does not change.
 */
export async function requireRegistered(
  executor: Executor,
  context: Pick<ProcedureContext, 'store'>,
  subject: SubjectRef,
  subjectKind: SubjectKind,
  industry: IntermediaryIndustry,
): Promise<void> {
  const industries = await context.store.industryEvaluations.registeredIndustries(subject.key, executor);
  if (industries.includes(industry)) return;
  const who = subjectKind === 'natural_person' ? 'practitioner' : 'agency';
  if (industries.length === 0) {
    const message =
      who === 'agency'
        ? 'this organisation is not registered as an intermediary (POST /v1/intermediaries); a registration made moments ago reaches evaluations within seconds, retry then'
        : 'this person is not registered as a practitioner of an intermediary (POST /v1/intermediaries/{uscc}/practitioners); a registration made moments ago reaches evaluations within seconds, retry then';
    throw new ProblemError('invalid_state', message, {
      errors: [{ path: 'subject', code: 'invalid_state', message }],
    });
  }
  const registered = industries.filter(isIndustry).map(industryLabel).join('、');
  throw ProblemError.fromFieldErrors(
    [
      {
        path: 'industry',
        code: 'validation_failed',
        message: `the ${who} is registered in ${industries.join(', ')} (${registered}), not ${industry}`,
      },
    ],
    `the ${who} is not registered in ${industry}; a department evaluates the agencies of its own industry`,
  );
}

function eventOf(
  type: IndustryEvaluationEventType,
  row: IndustryEvaluationRow,
  extra: Record<string, unknown> = {},
): NewEvent {
  return {
    type,
    subjectKey: row.subjectKey,
    aggregateId: row.evaluationId,
    payload: {
      evaluationId: row.evaluationId,
      industry: row.industry,
      department: row.department,
      grade: row.grade,
      tier: row.tier,
      periodFrom: row.periodFrom,
      periodTo: row.periodTo,
      validUntil: row.validUntil.toISOString(),
      version: row.version,
      ...extra,
    },
  };
}

/**
 * Takes a department's evaluation: the industry and grade checked against the catalogue's scale,
 * the department against the industry's supervisors, the subject against the industry's
 * registered agencies and their practitioners, then kept once per (department, source id)
 * and announced (`industry_evaluation.published`). A resubmission of the same source id answers
 * the evaluation held (`created: false`); one that differs is a conflict, corrections have their
 * own route.
 */
export async function submitEvaluation(
  tx: Executor,
  context: Pick<ProcedureContext, 'store'>,
  input: IndustryEvaluationRequest,
  subject: SubjectRef,
  subjectKind: SubjectKind,
  department: string,
  admin: boolean,
  now: Date,
): Promise<{ row: IndustryEvaluationRow; created: boolean }> {
  const tier = tierOf(input.industry, input.grade);
  await requireSupervisor(tx, context, department, input.industry, admin);
  await requireRegistered(tx, context, subject, subjectKind, input.industry);
  const evaluationId = industryEvaluationId(department, input.sourceId);
  const row: IndustryEvaluationRow = {
    subjectKey: subject.key,
    evaluationId,
    subjectKind,
    industry: input.industry,
    department,
    sourceId: input.sourceId,
    version: 1,
    grade: input.grade,
    tier,
    periodFrom: input.period.from,
    periodTo: input.period.to,
    validUntil: input.validUntil ? endOfShanghaiDay(input.validUntil) : defaultValidUntil(input.period),
    basis: input.basis,
    receivedAt: now,
    updatedAt: now,
  };
  const store = context.store.industryEvaluations;
  if (await store.insert(row, department, tx)) {
    await context.store.feed.publish([eventOf('industry_evaluation.published', row)], now, tx);
    return { row, created: true };
  }
  const held = await store.find(evaluationId, tx);
  if (!held) throw new Error('an evaluation id was taken but the evaluation is not there');
  const same =
    held.subjectKey.equals(row.subjectKey) &&
    held.industry === row.industry &&
    held.periodFrom === row.periodFrom &&
    held.periodTo === row.periodTo &&
    (held.version > 1 || (held.grade === row.grade && held.basis === row.basis));
  if (!same)
    throw new ProblemError(
      'source_id_conflict',
      'this sourceId already names a different evaluation; correct it with POST /v1/industry-evaluations/{id}/corrections',
    );
  return { row: held, created: false };
}

/**
 * The department corrects its evaluation (更正发布): a new version with the corrected grade, which
 * the check API uses as soon as it is announced (`industry_evaluation.corrected`); the repair
 * service closes the upheld objection it answers.
 */
export async function correctEvaluation(
  tx: Executor,
  context: Pick<ProcedureContext, 'store'>,
  evaluationId: string,
  input: { grade: string; basis: string; reason: string; objectionId?: string | undefined },
  department: string,
  admin: boolean,
  now: Date,
): Promise<IndustryEvaluationRow> {
  const store = context.store.industryEvaluations;
  const held = await store.lock(evaluationId, tx);
  if (!held) throw new ProblemError('not_found', 'no such evaluation');
  if (!admin && held.department !== department)
    throw new ProblemError('not_responsible_department', `${held.department} made this evaluation`);
  const tier = tierOf(held.industry, input.grade);
  const next = await store.correct(
    held,
    { grade: input.grade, tier, basis: input.basis },
    input.reason,
    input.objectionId ?? null,
    department,
    now,
    tx,
  );
  await context.store.feed.publish(
    [
      eventOf('industry_evaluation.corrected', next, {
        previousGrade: held.grade,
        objectionId: input.objectionId ?? null,
        correctedAt: now.toISOString(),
      }),
    ],
    now,
    tx,
  );
  return next;
}

export function evaluationView(row: IndustryEvaluationRow): IndustryEvaluationView {
  return {
    id: row.evaluationId,
    sourceId: row.sourceId,
    subjectKind: row.subjectKind as IndustryEvaluationView['subjectKind'],
    industry: row.industry,
    department: row.department,
    grade: row.grade,
    tier: row.tier,
    period: { from: row.periodFrom, to: row.periodTo },
    validUntil: row.validUntil.toISOString(),
    basis: row.basis,
    version: row.version,
    receivedAt: row.receivedAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
