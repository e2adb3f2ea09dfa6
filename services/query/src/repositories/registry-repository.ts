import { shanghaiDate } from '@credit/calendar';
import type { Database, Executor } from '@credit/db';
import { asc, eq, gt } from 'drizzle-orm';
import { agencies, departments } from '../db/schema.ts';

export type AgencyRow = typeof agencies.$inferSelect;
export type DepartmentRow = typeof departments.$inferSelect;

/** Whether an agency may query today: registered, not suspended, licence valid (Asia/Shanghai date). */
export function agencyLicensed(agency: AgencyRow, now: Date): boolean {
  return agency.licenceValidUntil >= shanghaiDate(now);
}

/** The registries of credit agencies (信用服务机构) and government departments with their remit. */
export function createRegistryRepository(db: Database) {
  return {
    async findAgency(uscc: string, executor: Executor = db): Promise<AgencyRow | undefined> {
      const [row] = await executor.select().from(agencies).where(eq(agencies.uscc, uscc));
      return row;
    },

    async registerAgency(
      input: { uscc: string; name: string; licenceNumber: string; licenceValidUntil: string },
      now: Date,
    ): Promise<{ row: AgencyRow; created: boolean }> {
      const [row] = await db
        .insert(agencies)
        .values({ ...input, status: 'active', statusReason: null, createdAt: now, updatedAt: now })
        .onConflictDoUpdate({
          target: agencies.uscc,
          set: {
            name: input.name,
            licenceNumber: input.licenceNumber,
            licenceValidUntil: input.licenceValidUntil,
            updatedAt: now,
          },
        })
        .returning();
      if (!row) throw new Error('upsert returned no row');
      return { row, created: row.createdAt.getTime() === now.getTime() };
    },

    async setAgencyStatus(uscc: string, status: 'active' | 'suspended', reason: string | null, now: Date) {
      const [row] = await db
        .update(agencies)
        .set({ status, statusReason: reason, updatedAt: now })
        .where(eq(agencies.uscc, uscc))
        .returning();
      return row;
    },

    /** `limit` agencies after the USCC `after`, by USCC (the primary key). */
    async pageAgencies(after: string | undefined, limit: number): Promise<AgencyRow[]> {
      return db
        .select()
        .from(agencies)
        .where(after ? gt(agencies.uscc, after) : undefined)
        .orderBy(asc(agencies.uscc))
        .limit(limit);
    },

    async findDepartment(code: string, executor: Executor = db): Promise<DepartmentRow | undefined> {
      const [row] = await executor.select().from(departments).where(eq(departments.code, code));
      return row;
    },

    async registerDepartment(input: { code: string; name: string; remit: string[] }, now: Date) {
      const [row] = await db
        .insert(departments)
        .values({ ...input, status: 'active', createdAt: now, updatedAt: now })
        .onConflictDoUpdate({
          target: departments.code,
          set: { name: input.name, remit: input.remit, updatedAt: now },
        })
        .returning();
      if (!row) throw new Error('upsert returned no row');
      return row;
    },

    /** `limit` departments after the code `after`, by code (the primary key). */
    async pageDepartments(after: string | undefined, limit: number): Promise<DepartmentRow[]> {
      return db
        .select()
        .from(departments)
        .where(after ? gt(departments.code, after) : undefined)
        .orderBy(asc(departments.code))
        .limit(limit);
    },
  };
}

export type RegistryRepository = ReturnType<typeof createRegistryRepository>;
