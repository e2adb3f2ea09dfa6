import type { Database, Executor } from '@credit/db';
import { and, eq, sql } from 'drizzle-orm';
import { grades } from '../db/schema.ts';

export type GradeRow = typeof grades.$inferSelect;

/** Domain grades (信用评价等级), one per subject, domain and year. */
export function createGradeRepository(db: Database) {
  return {
    async forSubject(subjectKey: Buffer, executor: Executor = db): Promise<GradeRow[]> {
      return executor.select().from(grades).where(eq(grades.subjectKey, subjectKey));
    },

    /** Gives the grade, replacing (and reinstating) the year's earlier one in the domain. */
    async assign(grade: Omit<GradeRow, 'withdrawnAt'>, executor: Executor = db): Promise<void> {
      await executor
        .insert(grades)
        .values({ ...grade, withdrawnAt: null })
        .onConflictDoUpdate({
          target: [grades.subjectKey, grades.domain, grades.year],
          set: {
            grade: sql`excluded.grade`,
            ruleCode: sql`excluded.rule_code`,
            ruleVersion: sql`excluded.rule_version`,
            computedAt: sql`excluded.computed_at`,
            withdrawnAt: null,
          },
        });
    },

    async withdraw(subjectKey: Buffer, domain: string, year: number, at: Date, executor: Executor = db) {
      await executor
        .update(grades)
        .set({ withdrawnAt: at })
        .where(and(eq(grades.subjectKey, subjectKey), eq(grades.domain, domain), eq(grades.year, year)));
    },
  };
}

export type GradeRepository = ReturnType<typeof createGradeRepository>;
