/** Public surface of the store: import from here. */
export { openStore, DB_FILE } from './store.js';
export { preparedDocs } from './commit.js';
export type {
  Store,
  OpenStoreOptions,
  CommitPageInput,
  CommitPageResult,
  FindingVersion,
  PreparedPage,
} from './store.js';
export { MASK, mergePatch } from './connectors.js';
export type {
  ConnectorTypes,
  StoredConfig,
  StoredConnector,
  ConnectorStatus,
  ConnectorState,
  StatusPatch,
  ConnectorsRepo,
} from './connectors.js';
export { ROOT_TENANT, runCountsText } from './repos.js';
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
} from './repos.js';
export { SORT_FIELDS, parseSort } from './syslog-index.js';
export type {
  SyslogIndex,
  SearchFilter,
  SearchOptions,
  SearchResult,
  HistogramResult,
  TimeField,
  SortField,
} from './syslog-index.js';
export { migrations, migrate } from './migrations.js';
export type { Migration } from './migrations.js';
export {
  KEY_ENV,
  KEY_FILE,
  NEXT_KEY_FILE,
  SecretUnreadableError,
  decodeKey,
  readKeyFile,
} from './secrets.js';
export { rotateStoreKey, type RotateResult } from './keys.js';
export { lockDataDir, LOCK_FILE, OWNER_FILE, type DataDirLock } from './lock.js';
