/**
 * Public surface of the store: import from here (never from ./sqlite/, the embedded backend).
 * The contract is types.ts; `openStore` opens the embedded SQLite store behind it.
 */
import { openSqliteStore, type OpenStoreOptions } from './sqlite/store.js';
import type { Store } from './types.js';

/** Opens (creating and migrating) the embedded store in `opts.dataDir`. */
export function openStore(opts: OpenStoreOptions): Store {
  return openSqliteStore(opts);
}
export type { OpenStoreOptions } from './sqlite/store.js';
export { DB_FILE } from './sqlite/store.js';
export type * from './types.js';
export { ROOT_TENANT, SORT_FIELDS, runCountsText } from './types.js';
export { MASK, mergePatch } from './sqlite/connectors.js';
export type {
  ConnectorTypes,
  StoredConfig,
  StoredConnector,
  ConnectorStatus,
  ConnectorState,
  StatusPatch,
  ConnectorsRepo,
} from './sqlite/connectors.js';
export {
  DEFAULT_SEARCH_TIMEOUT_MS,
  SEARCH_TIMEOUT_ENV,
  inProcessSearch,
  parseSearchTimeout,
  searchTimeoutFromEnv,
} from './search-service.js';
export {
  KEY_ENV,
  KEY_FILE,
  NEXT_KEY_FILE,
  SecretUnreadableError,
  decodeKey,
  readKeyFile,
} from './secrets.js';
export { lockDataDir, LOCK_FILE, OWNER_FILE, type DataDirLock } from './sqlite/lock.js';
