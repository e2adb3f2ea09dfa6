/**
 * What an auditor needs to check the query service's read models against the stores they are
 * projected from: the tables, the consumers' names and the feeds they follow, and how a listing
 * change becomes a row.
 */
export { projectionName as recordsProjectionName, recordBodyColumns } from './consumers/ingest-projection.ts';
export { queryFollowedRepairEvents, queryRepairFollowName } from './consumers/repair-follow.ts';
export { listEntryRowOf, listEventTypes, listProjectionName } from './consumers/sanctions-projection.ts';
export { listEntries, querySchemaName, records } from './db/schema.ts';
