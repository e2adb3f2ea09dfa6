import type { Executor } from '@credit/db';
import type { FeedEvent } from '@credit/events';
import {
  type GradeEventType,
  gradeEventSchemas,
  type IndustryEvaluationEventType,
  industryEvaluationEventSchemas,
} from '@credit/schema';
import { type SQL, sql } from 'drizzle-orm';
import { gradeChanges, grades } from '../db/schema.ts';

export const gradeProjectionName = 'query-grades';

const changeOf: Record<GradeEventType, 'assigned' | 'withdrawn'> = {
  'grade.assigned': 'assigned',
  'grade.withdrawn': 'withdrawn',
};

/** What an industry evaluation is in the grade history: its rule is the department's evaluation. */
export const industryEvaluationRule = 'industry_evaluation';

interface GradeChange {
  evaluationId: string;
  domain: string;
  year: number;
  grade: string;
  ruleCode: string;
  department: string;
  change: 'assigned' | 'withdrawn';
  /** An industry evaluation's end of validity; a grade rule's grade has none. */
  validUntil: Date | null;
  /** Moves the year's grade only when this holds beside the event being newer. */
  only?: SQL;
}

/**
 * A grade change of the sanctions feed: a grade rule's assignment or withdrawal, or a supervising
 * department's industry evaluation (信用评价) of an intermediary, whose industry is the domain and
 * whose period's last year the year; a correction moves the year's grade only while it is still
 * that evaluation's (a later period's result of the same year stands).
 */
function gradeChangeOf(event: FeedEvent): GradeChange | undefined {
  const gradeSchema = gradeEventSchemas[event.type as GradeEventType];
  if (gradeSchema) {
    const { evaluationId, domain, year, grade, ruleCode, department } = gradeSchema.parse(event.payload);
    return {
      evaluationId,
      domain,
      year,
      grade,
      ruleCode,
      department,
      change: changeOf[event.type as GradeEventType],
      validUntil: null,
    };
  }
  const evaluationSchema = industryEvaluationEventSchemas[event.type as IndustryEvaluationEventType];
  if (!evaluationSchema) return undefined;
  const { evaluationId, industry, grade, department, periodTo, validUntil } = evaluationSchema.parse(
    event.payload,
  );
  return {
    evaluationId,
    domain: industry,
    year: Number(periodTo.slice(0, 4)),
    grade,
    ruleCode: industryEvaluationRule,
    department,
    change: 'assigned',
    validUntil: new Date(validUntil),
    ...(event.type === 'industry_evaluation.corrected'
      ? { only: sql`${grades.evaluationId} = excluded.evaluation_id` }
      : {}),
  };
}

/**
 * Follows the grades of the sanctions feed: each assignment or withdrawal is kept once in the
 * history, and moves the grade of its subject, domain and year forward (never back: an older
 * event replayed does not undo a newer one).
 */
export async function applyGradeEvents(tx: Executor, events: FeedEvent[]): Promise<void> {
  for (const event of events) {
    const changed = gradeChangeOf(event);
    if (!changed) continue;
    const { evaluationId, domain, year, grade, ruleCode, department, change, validUntil } = changed;
    await tx
      .insert(gradeChanges)
      .values({
        subjectKey: event.subjectKey,
        eventId: event.eventId,
        change,
        domain,
        year,
        grade,
        evaluationId,
        ruleCode,
        department,
        at: event.createdAt,
        feedSeq: event.position.seq,
      })
      .onConflictDoNothing();
    await tx
      .insert(grades)
      .values({
        subjectKey: event.subjectKey,
        domain,
        year,
        grade,
        evaluationId,
        ruleCode,
        department,
        status: change,
        updatedAt: event.createdAt,
        validUntil,
      })
      .onConflictDoUpdate({
        target: [grades.subjectKey, grades.domain, grades.year],
        set: {
          grade: sql`excluded.grade`,
          evaluationId: sql`excluded.evaluation_id`,
          ruleCode: sql`excluded.rule_code`,
          department: sql`excluded.department`,
          status: sql`excluded.status`,
          updatedAt: sql`excluded.updated_at`,
          validUntil: sql`excluded.valid_until`,
        },
        setWhere: changed.only
          ? sql`${grades.updatedAt} <= excluded.updated_at AND ${changed.only}`
          : sql`${grades.updatedAt} <= excluded.updated_at`,
      });
  }
}
