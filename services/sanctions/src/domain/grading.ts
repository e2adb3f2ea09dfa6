import { shanghaiYear } from '@credit/calendar';
import { idFromDigest, sha256 } from '@credit/crypto';
import type { Executor } from '@credit/db';
import type { NewEvent } from '@credit/events';
import type { GradeEventType, RuleDefinition } from '@credit/schema';
import type { GradeRow } from '../repositories/grade-repository.ts';
import type { ActiveRule } from '../repositories/rule-repository.ts';
import { type ProcedureContext, ruleNoLongerMet } from './entry-writer.ts';
import { evaluateRule, type GradeHistory, type RecordRow } from './rule-engine.ts';

/** A subject as grading reads it: its kind, its records, and the grades it was given. */
export interface GradedSubject {
  kind: string;
  records: RecordRow[];
  grades: GradeHistory;
  gradeRows: GradeRow[];
}

/** The id an evaluation (grade) is known by, e.g. to object to it: stable per subject, domain and year. */
export function evaluationId(subjectKey: Buffer, domain: string, year: number): string {
  return idFromDigest('evl', sha256(`${subjectKey.toString('hex')}:${domain}:${year}`));
}

/**
 * Domain grades: the highest-ranked grade rule that holds this year, per domain; a change is
 * announced. A grade of this year whose domain no grade rule holds for any more (the subject's
 * records changed, or the rules did) is withdrawn and the withdrawal announced, so nobody reads
 * or checks against a grade that no longer stands.
 */
export async function gradeSubject(
  tx: Executor,
  context: Pick<ProcedureContext, 'store'>,
  subjectKey: Buffer,
  state: GradedSubject,
  ruleSet: ActiveRule[],
  now: Date,
): Promise<number> {
  const year = shanghaiYear(now);
  const best = new Map<string, ActiveRule>();
  for (const rule of ruleSet.filter((r) => r.definition.kind === 'grade')) {
    if (!evaluateRule(rule.definition, state.kind, state.records, now, state.grades).matched) continue;
    const current = best.get(rule.definition.domain);
    if (!current || (rule.definition.grade?.rank ?? 0) > (current.definition.grade?.rank ?? 0))
      best.set(rule.definition.domain, rule);
  }
  const events: NewEvent[] = [];
  for (const [domain, rule] of best) {
    const grade = rule.definition.grade?.label ?? '';
    if (state.grades.get(domain, year) === grade) continue;
    await context.store.grades.assign(
      { subjectKey, domain, year, grade, ruleCode: rule.code, ruleVersion: rule.version, computedAt: now },
      tx,
    );
    events.push(gradeEvent('grade.assigned', subjectKey, domain, year, grade, rule.code, rule.definition));
  }
  const rulesByCode = new Map(ruleSet.map((r) => [r.code, r.definition]));
  const lapsed = state.gradeRows.filter(
    (g) => g.year === year && g.withdrawnAt === null && !best.has(g.domain),
  );
  for (const row of lapsed) {
    await context.store.grades.withdraw(subjectKey, row.domain, year, now, tx);
    const definition = rulesByCode.get(row.ruleCode);
    events.push(
      gradeEvent('grade.withdrawn', subjectKey, row.domain, year, row.grade, row.ruleCode, definition, {
        reason: ruleNoLongerMet,
      }),
    );
  }
  await context.store.feed.publish(events, now, tx);
  return best.size;
}

function gradeEvent(
  type: GradeEventType,
  subjectKey: Buffer,
  domain: string,
  year: number,
  grade: string,
  ruleCode: string,
  definition: RuleDefinition | undefined,
  extra: Record<string, unknown> = {},
): NewEvent {
  const id = evaluationId(subjectKey, domain, year);
  return {
    type,
    subjectKey,
    aggregateId: id,
    payload: {
      evaluationId: id,
      domain,
      year,
      grade,
      ruleCode,
      // A retired rule's department is not at hand; the credit office answers for the withdrawal.
      department: definition?.identifyingDepartment ?? 'credit-office',
      ...extra,
    },
  };
}
