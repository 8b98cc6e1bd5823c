/**
 * Public surface of the store: import from here (never from ./sqlite/, the embedded backend).
 * The contract is types.ts. What this re-exports from ./sqlite/ is genuinely SQLite's: `openStore`
 * (opens the embedded backend) and its `OpenStoreOptions` (writer thread, shard size), `DB_FILE`
 * (the database file the `search` command looks for), and the data-directory lock (`lockDataDir`,
 * held through a tiny SQLite file). Everything else here is backend-neutral.
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
export { MASK } from './connector-config.js';
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
