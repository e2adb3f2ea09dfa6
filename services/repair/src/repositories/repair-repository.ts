import type { Database, Executor } from '@credit/db';
import { and, eq, inArray } from 'drizzle-orm';
import { repairs } from '../db/schema.ts';

export type RepairRow = typeof repairs.$inferSelect;

const byKey = (row: Pick<RepairRow, 'subjectKey' | 'repairId'>) =>
  and(eq(repairs.subjectKey, row.subjectKey), eq(repairs.repairId, row.repairId));

/** Repair applications (信用修复); each method runs in the caller's transaction when given one. */
export function createRepairRepository(db: Database) {
  return {
    async find(repairId: string, executor: Executor = db): Promise<RepairRow | undefined> {
      const [row] = await executor.select().from(repairs).where(eq(repairs.repairId, repairId));
      return row;
    },

    /** The application, held until the caller's transaction ends. */
    async lock(repairId: string, executor: Executor = db): Promise<RepairRow | undefined> {
      const [row] = await executor.select().from(repairs).where(eq(repairs.repairId, repairId)).for('update');
      return row;
    },

    /** The id of a repair of the item in one of `statuses`, if any. */
    async findFor(
      targetId: string,
      statuses: readonly RepairRow['status'][],
      executor: Executor = db,
    ): Promise<string | undefined> {
      const [row] = await executor
        .select({ repairId: repairs.repairId })
        .from(repairs)
        .where(and(eq(repairs.targetId, targetId), inArray(repairs.status, [...statuses])));
      return row?.repairId;
    },

    /** Applications whose deadlines are still to be computed from their filing date. */
    async withPendingDeadlines(executor: Executor = db): Promise<string[]> {
      const rows = await executor
        .select({ repairId: repairs.repairId })
        .from(repairs)
        .where(eq(repairs.deadlinesPending, true));
      return rows.map((r) => r.repairId);
    },

    async insert(row: RepairRow, executor: Executor = db): Promise<void> {
      await executor.insert(repairs).values(row);
    },

    async update(
      row: Pick<RepairRow, 'subjectKey' | 'repairId'>,
      change: Partial<RepairRow>,
      executor: Executor = db,
    ): Promise<void> {
      await executor.update(repairs).set(change).where(byKey(row));
    },
  };
}

export type RepairRepository = ReturnType<typeof createRepairRepository>;
