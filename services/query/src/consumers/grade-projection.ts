import type { Executor } from '@credit/db';
import type { FeedEvent } from '@credit/events';
import { type GradeEventType, gradeEventSchemas } from '@credit/schema';
import { sql } from 'drizzle-orm';
import { gradeChanges, grades } from '../db/schema.ts';

export const gradeProjectionName = 'query-grades';

const changeOf: Record<GradeEventType, 'assigned' | 'withdrawn'> = {
  'grade.assigned': 'assigned',
  'grade.withdrawn': 'withdrawn',
};

/**
 * Follows the grades of the sanctions feed: each assignment or withdrawal is kept once in the
 * history, and moves the grade of its subject, domain and year forward (never back: an older
 * event replayed does not undo a newer one).
 */
export async function applyGradeEvents(tx: Executor, events: FeedEvent[]): Promise<void> {
  for (const event of events) {
    const type = event.type as GradeEventType;
    const schema = gradeEventSchemas[type];
    if (!schema) continue;
    const { evaluationId, domain, year, grade, ruleCode, department } = schema.parse(event.payload);
    const change = changeOf[type];
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
        },
        setWhere: sql`${grades.updatedAt} <= excluded.updated_at`,
      });
  }
}
