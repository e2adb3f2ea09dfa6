import type { Database, Executor } from '@credit/db';
import { and, asc, eq, gt, inArray, isNull, or } from 'drizzle-orm';
import { records, subjects } from '../db/schema.ts';

export type SubjectRow = typeof subjects.$inferSelect;
export type RecordRow = typeof records.$inferSelect;

/** Subjects (encrypted identities) and their records, as this service projects them from the ingest feed. */
export function createSubjectRepository(db: Database) {
  return {
    async find(subjectKey: Buffer, executor: Executor = db): Promise<SubjectRow | undefined> {
      const [row] = await executor.select().from(subjects).where(eq(subjects.subjectKey, subjectKey));
      return row;
    },

    async findMany(subjectKeys: Buffer[], executor: Executor = db): Promise<SubjectRow[]> {
      return executor.select().from(subjects).where(inArray(subjects.subjectKey, subjectKeys));
    },

    async recordsOf(subjectKey: Buffer, executor: Executor = db): Promise<RecordRow[]> {
      return executor.select().from(records).where(eq(records.subjectKey, subjectKey));
    },

    /** Some of a subject's records, by id. */
    async recordsById(
      subjectKey: Buffer,
      recordIds: string[],
      executor: Executor = db,
    ): Promise<RecordRow[]> {
      if (recordIds.length === 0) return [];
      return executor
        .select()
        .from(records)
        .where(and(eq(records.subjectKey, subjectKey), inArray(records.recordId, recordIds)));
    },

    /** A page of the keys of subjects with records, in key order after `after`. */
    async keysWithRecords(
      after: Buffer | undefined,
      limit: number,
      executor: Executor = db,
    ): Promise<Buffer[]> {
      const page = await executor
        .selectDistinct({ subjectKey: records.subjectKey })
        .from(records)
        .where(after ? gt(records.subjectKey, after) : undefined)
        .orderBy(asc(records.subjectKey))
        .limit(limit);
      return page.map((p) => p.subjectKey);
    },

    /** Which of these subjects have a standing dishonesty record of one of `classes` on display, by hex key. */
    async withStandingRecordOf(
      subjectKeys: readonly Buffer[],
      classes: string[],
      now: Date,
      executor: Executor = db,
    ): Promise<Set<string>> {
      if (subjectKeys.length === 0) return new Set<string>();
      const rows = await executor
        .selectDistinct({ subjectKey: records.subjectKey })
        .from(records)
        .where(
          and(
            inArray(records.subjectKey, [...subjectKeys]),
            inArray(records.classCode, classes),
            eq(records.status, 'active'),
            isNull(records.repairedAt),
            or(isNull(records.displayUntil), gt(records.displayUntil, now)),
          ),
        );
      return new Set(rows.map((r) => r.subjectKey.toString('hex')));
    },
  };
}

export type SubjectRepository = ReturnType<typeof createSubjectRepository>;
