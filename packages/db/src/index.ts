export { copyEncodedTuples } from './binary-copy.ts';
export {
  type CopiedTuple,
  inlinedStatement,
  readBinaryCopy,
  readBinaryCopyOn,
  readsBinaryCopy,
} from './binary-copy-out.ts';
export { bulkDocument, bulkInsert, bulkInsertStatement, bulkUpsert } from './bulk-insert.ts';
export type { CipherStore, Rewrap, RewrapBatch, StoredCipher } from './cipher-store.ts';
export {
  type DatabaseHandle,
  type DatabaseSession,
  type DatabaseTarget,
  openDatabase,
} from './connection.ts';
export {
  DataDirectoryInUseError,
  type DataDirectoryLock,
  type LockHolder,
  lockDataDirectory,
  lockPathOf,
} from './data-directory-lock.ts';
export { isConnectionError, isRetryableTransactionError, pgErrorCode, pgErrorCodes } from './errors.ts';
export { connectionStream, readsInPlace } from './in-place-socket.ts';
export {
  MigrationDriftError,
  type MigrationFile,
  migrate,
  pendingMigrations,
  readMigrations,
} from './migrate.ts';
export {
  keepPartitions,
  listPartitions,
  type Partition,
  type PartitionedTable,
  type PartitionRetention,
  type PartitionUpkeep,
} from './partitions.ts';
export {
  type DatabaseHosts,
  NoPrimaryError,
  PrimaryFinder,
  parseDatabaseHosts,
  primaryFollowingClient,
  type ServerAddress,
} from './primary-hosts.ts';
export {
  formatLsn,
  openReplicaSet,
  parseLsn,
  ReplicaNotInRecoveryError,
  type ReplicaSet,
  type ReplicaSetOptions,
  type ReplicaState,
  serverOf,
  type WalPosition,
} from './replicas.ts';
export {
  type SealedSecret,
  type SealSecret,
  type SigningSecretTable,
  signingSecretTable,
} from './signing-secrets.ts';
export { holdsConcurrentTransactions, inTransaction } from './transaction.ts';
export {
  asBuffer,
  bytea,
  type Database,
  defineJobRuns,
  type Executor,
  instant,
  resultRows,
  xid8,
} from './types.ts';
