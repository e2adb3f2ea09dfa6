/**
 * What an auditor needs to check the record store and its log from outside the service: the
 * tables, how a version's leaf is built, and how a version's chain and commitment are checked.
 */
export {
  logCheckpoints,
  logLeaves,
  logSubjectLeaves,
  records,
  recordVersions,
  tombstones,
} from './db/schema.ts';
export { chainHolds } from './domain/version-check.ts';
export { type TombstoneStatement, tombstoneFormat } from './erasure/erasure.ts';
export { recordVersionLeaf, versionRef } from './transparency/record-leaf.ts';
