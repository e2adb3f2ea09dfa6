import { bulkUpsert, type Database, type Executor } from '@credit/db';
import { and, asc, eq, gt, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import { evaluationDue, records, subjects } from '../db/schema.ts';

export type SubjectRow = typeof subjects.$inferSelect;
export type RecordRow = typeof records.$inferSelect;

/** When a subject is next due for the daily pass; null: nothing of it changes by time alone. */
export interface SubjectDue {
  subjectKey: Buffer;
  dueAt: Date | null;
}

/** A subject the daily pass takes, and whether it has records (only those are evaluated). */
export interface DueSubject {
  subjectKey: Buffer;
  dueAt: Date;
  hasRecords: boolean;
}

/**
 * One row per subject (a statement cannot upsert a row twice), in key order: two transactions
 * writing overlapping subjects (a pass's page, a feed batch) then take the rows' locks in the same
 * order and wait for each other instead of deadlocking.
 */
function distinctByKey<T extends { subjectKey: Buffer }>(rows: readonly T[]): T[] {
  return [...new Map(rows.map((row) => [row.subjectKey.toString('hex'), row])).values()].sort((a, b) =>
    Buffer.compare(a.subjectKey, b.subjectKey),
  );
}

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

    /**
     * Stores when subjects just evaluated are next due; the instant was worked out from everything
     * they stand on now, so it replaces whatever was stored.
     */
    async setDue(rows: readonly SubjectDue[], executor: Executor = db): Promise<void> {
      await bulkUpsert(executor, evaluationDue, distinctByKey(rows), {
        target: ['subjectKey'],
        update: ['dueAt'],
        newer: 'true',
      });
    },

    /**
     * Makes subjects due at `at` at the latest: their entries changed outside an evaluation (a
     * validity that ended, a decision, a repair), which the next pass must see. An earlier due
     * instant stays.
     */
    async markDue(subjectKeys: readonly Buffer[], at: Date, executor: Executor = db): Promise<void> {
      await bulkUpsert(
        executor,
        evaluationDue,
        distinctByKey(subjectKeys.map((subjectKey) => ({ subjectKey, dueAt: at }))),
        {
          target: ['subjectKey'],
          update: ['dueAt'],
          newer: 't.due_at IS NULL OR t.due_at > excluded.due_at',
        },
      );
    },

    /**
     * A page of the subjects due by `now`, after `after` in (due instant, key) order: the order of
     * evaluation_due_idx, so a page reads only due rows however many subjects there are.
     */
    async duePage(
      now: Date,
      after: { dueAt: Date; subjectKey: Buffer } | undefined,
      limit: number,
      executor: Executor = db,
    ): Promise<DueSubject[]> {
      const rows = await executor
        .select({
          subjectKey: evaluationDue.subjectKey,
          dueAt: evaluationDue.dueAt,
          hasRecords: sql<boolean>`EXISTS (SELECT 1 FROM ${records} WHERE ${records.subjectKey} = ${evaluationDue.subjectKey})`,
        })
        .from(evaluationDue)
        .where(
          and(
            lte(evaluationDue.dueAt, now),
            after
              ? sql`(${evaluationDue.dueAt}, ${evaluationDue.subjectKey}) > (${after.dueAt.toISOString()}::timestamptz, ${after.subjectKey}::bytea)`
              : undefined,
          ),
        )
        .orderBy(asc(evaluationDue.dueAt), asc(evaluationDue.subjectKey))
        .limit(limit);
      return rows.map((row) => ({ ...row, dueAt: row.dueAt as Date }));
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
