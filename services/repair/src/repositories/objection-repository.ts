import type { Database, Executor } from '@credit/db';
import { and, eq, inArray } from 'drizzle-orm';
import { objections } from '../db/schema.ts';

export type ObjectionRow = typeof objections.$inferSelect;

const byKey = (row: Pick<ObjectionRow, 'subjectKey' | 'objectionId'>) =>
  and(eq(objections.subjectKey, row.subjectKey), eq(objections.objectionId, row.objectionId));

/** Objections (异议) and their state; each method runs in the caller's transaction when given one. */
export function createObjectionRepository(db: Database) {
  return {
    async find(objectionId: string, executor: Executor = db): Promise<ObjectionRow | undefined> {
      const [row] = await executor.select().from(objections).where(eq(objections.objectionId, objectionId));
      return row;
    },

    /** The objection, held until the caller's transaction ends. */
    async lock(objectionId: string, executor: Executor = db): Promise<ObjectionRow | undefined> {
      const [row] = await executor
        .select()
        .from(objections)
        .where(eq(objections.objectionId, objectionId))
        .for('update');
      return row;
    },

    /** An objection to the item that is still open (one of `statuses`), if any. */
    async findOpenFor(
      targetId: string,
      statuses: readonly ObjectionRow['status'][],
      executor: Executor = db,
    ): Promise<ObjectionRow | undefined> {
      const [row] = await executor
        .select()
        .from(objections)
        .where(and(eq(objections.targetId, targetId), inArray(objections.status, [...statuses])));
      return row;
    },

    /** Upheld objections to a record, waiting for its provider's correction. */
    async awaitingCorrection(recordId: string, executor: Executor = db): Promise<ObjectionRow[]> {
      return executor
        .select()
        .from(objections)
        .where(and(eq(objections.targetId, recordId), eq(objections.status, 'upheld')));
    },

    async insert(row: ObjectionRow, executor: Executor = db): Promise<void> {
      await executor.insert(objections).values(row);
    },

    async update(
      row: Pick<ObjectionRow, 'subjectKey' | 'objectionId'>,
      change: Partial<ObjectionRow>,
      executor: Executor = db,
    ): Promise<void> {
      await executor.update(objections).set(change).where(byKey(row));
    },
  };
}

export type ObjectionRepository = ReturnType<typeof createObjectionRepository>;
