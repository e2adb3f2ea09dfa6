import type { FastifyInstance } from 'fastify';
import { receiverRoutes } from './exchange/routes/receiver-routes.ts';
import { graphqlPlugin } from './graphql/graphql-plugin.ts';
import queryContext, { type QuerySettings } from './plugins/query-context.ts';
import { authorisationRoutes } from './routes/authorisations/authorisation-routes.ts';
import { gradeRoutes } from './routes/grades/grade-routes.ts';
import { openDataRoutes } from './routes/open-data/open-data-routes.ts';
import { intermediaryColumnRoutes } from './routes/public/intermediary-column-routes.ts';
import { publicRoutes } from './routes/public/public-routes.ts';
import { searchRoutes } from './routes/public/search-routes.ts';
import { registryRoutes } from './routes/registries/registry-routes.ts';
import { noticeRoutes } from './routes/reports/notice-routes.ts';
import { reportRoutes } from './routes/reports/report-routes.ts';
import { screeningRoutes } from './routes/screening/screening-routes.ts';

export { querySchemaName } from './db/schema.ts';
export type { QuerySettings } from './plugins/query-context.ts';

export const defaultQuerySettings: QuerySettings = {
  feedIdleMs: 500,
  followSanctions: true,
  reportRenderQueue: 8,
  exchange: { pollMs: 1000, batchSize: 100, retryBaseMs: 10_000, timeoutMs: 10_000, leaseMs: 60_000 },
  openDataEveryMs: 900_000,
};

/**
 * The query service: public disclosure, authorisations, agency and department registries,
 * signed credit reports (REST and GraphQL under one policy) and the access log. Its read model
 * is built from the ingest feed only.
 */
export default async function queryService(app: FastifyInstance, settings: Partial<QuerySettings> = {}) {
  const resolved = {
    ...defaultQuerySettings,
    ...settings,
    exchange: { ...defaultQuerySettings.exchange, ...settings.exchange },
  };
  await app.register(queryContext, resolved);
  await app.register(publicRoutes);
  await app.register(searchRoutes);
  await app.register(intermediaryColumnRoutes);
  await app.register(openDataRoutes);
  await app.register(screeningRoutes);
  await app.register(authorisationRoutes);
  await app.register(registryRoutes);
  await app.register(reportRoutes);
  await app.register(gradeRoutes);
  await app.register(noticeRoutes);
  await app.register(receiverRoutes);
  await app.register(graphqlPlugin);
}

export const queryMigrations = ['query'] as const;
