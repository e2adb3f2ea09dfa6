import type { FastifyInstance } from 'fastify';
import sanctionsContext, { type SanctionsSettings } from './plugins/sanctions-context.ts';
import { checkRoutes } from './routes/check-routes.ts';
import { entryRoutes } from './routes/entry-routes.ts';
import { industryEvaluationRoutes } from './routes/industry-evaluation-routes.ts';
import { listingRoutes } from './routes/listing-routes.ts';
import { ruleRoutes } from './routes/rule-routes.ts';
import { webhookRoutes } from './routes/webhook-routes.ts';

export { sanctionsSchemaName } from './db/schema.ts';
export { type ListingCache, listingCacheName } from './domain/listing-cache.ts';
export type { SanctionsSettings } from './plugins/sanctions-context.ts';

export const defaultSanctionsSettings: SanctionsSettings = {
  feedIdleMs: 500,
  webhooks: { pollMs: 1000, retryBaseMs: 5000, maxAttempts: 8, timeoutMs: 5000, leaseMs: 30_000 },
  dailyCheckMs: 60_000,
  maxBatchSubjects: 1000,
};

/**
 * The sanctions service: rules as data over its own projection of the ingest feed, the
 * identification procedure, joint measures, checks, grades, and merchant listing status with a
 * change feed and webhooks.
 */
export default async function sanctionsService(
  app: FastifyInstance,
  settings: Partial<SanctionsSettings> = {},
) {
  await app.register(sanctionsContext, { ...defaultSanctionsSettings, ...settings });
  await app.register(ruleRoutes);
  await app.register(entryRoutes);
  await app.register(checkRoutes);
  await app.register(industryEvaluationRoutes);
  await app.register(listingRoutes);
  await app.register(webhookRoutes);
}

export const sanctionsMigrations = ['sanctions'] as const;
