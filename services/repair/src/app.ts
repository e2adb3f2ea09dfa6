import type { FastifyInstance } from 'fastify';
import repairContext, { type RepairSettings } from './plugins/repair-context.ts';
import { objectionRoutes } from './routes/objection-routes.ts';
import { repairRoutes } from './routes/repair-routes.ts';
import { subjectRoutes } from './routes/subject-routes.ts';

export { repairSchemaName } from './db/schema.ts';
export type { RepairSettings } from './plugins/repair-context.ts';

export const defaultRepairSettings: RepairSettings = {
  feedIdleMs: 500,
  expiryEveryMs: 3_600_000,
  calendarWatchMs: 3_600_000,
};

/**
 * The repair service: objections and credit repair with their legal deadlines on the official
 * working-day calendar, display-period expiry, and notices to subjects. It learns of records,
 * list entries and evaluations from the ingest and sanctions feeds and announces its decisions
 * on its own.
 */
export default async function repairService(app: FastifyInstance, settings: Partial<RepairSettings> = {}) {
  await app.register(repairContext, { ...defaultRepairSettings, ...settings });
  await app.register(objectionRoutes);
  await app.register(repairRoutes);
  await app.register(subjectRoutes);
}

export const repairMigrations = ['repair'] as const;
