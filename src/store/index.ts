/** Public surface of the store: import from here. */
export { openStore, DB_FILE } from './sqlite/store.js';
export { preparedDocs } from './sqlite/commit.js';
export type {
  Store,
  OpenStoreOptions,
  CommitPageInput,
  CommitPageResult,
  FindingVersion,
  PreparedPage,
} from './sqlite/store.js';
export { MASK } from './sqlite/connectors.js';
export type {
  StoredConnector,
  ConnectorStatus,
  ConnectorState,
  StatusPatch,
  ConnectorsRepo,
} from './sqlite/connectors.js';
export { ROOT_TENANT, runCountsText } from './sqlite/repos.js';
export type {
  Tenant,
  TenantsRepo,
  Profile,
  ProfilesRepo,
  StoredLogFilter,
  LogFiltersRepo,
  Run,
  RunCounts,
  RunTotals,
  RunsRepo,
  CheckpointsRepo,
  FindingState,
  FindingsRepo,
} from './sqlite/repos.js';
export { SORT_FIELDS, parseSort } from './sqlite/syslog-index.js';
export type {
  SyslogIndex,
  SearchFilter,
  SearchOptions,
  SearchResult,
  HistogramResult,
  TimeField,
  SortField,
} from './sqlite/syslog-index.js';
export { migrations, migrate } from './sqlite/migrations.js';
export type { Migration } from './sqlite/migrations.js';
export {
  KEY_ENV,
  KEY_FILE,
  NEXT_KEY_FILE,
  SecretUnreadableError,
  decodeKey,
  readKeyFile,
} from './secrets.js';
export { rotateStoreKey, type RotateResult } from './sqlite/keys.js';
export { lockDataDir, LOCK_FILE, OWNER_FILE, type DataDirLock } from './sqlite/lock.js';
