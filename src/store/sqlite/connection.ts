import type { Database } from 'better-sqlite3';

/**
 * Per-connection settings, for the store's connection and the writer thread's alike.
 *
 * WAL + synchronous=NORMAL: a committed transaction survives a process crash (kill -9),
 * because the WAL is in the OS page cache; only a power loss / kernel crash can lose the
 * last transactions (never corrupt the file). The collector re-fetches anything not
 * checkpointed, so that loss is recoverable; FULL would fsync every commit.
 * 8 KB pages (new databases only): a ~4 KB record fits in one page with its neighbours;
 * measured ~30% faster inserts than 4 KB pages.
 */
export function configureConnection(db: Database): void {
  db.pragma('page_size = 8192');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Two connections may write (the store's and its writer thread's): wait for each other.
  db.pragma('busy_timeout = 10000');
  db.pragma('foreign_keys = ON');
  db.pragma('cache_size = -65536'); // 64 MB page cache (a shard's merges fit: fts-shards.ts)
  db.pragma('temp_store = MEMORY');
  // ANALYZE (run by PRAGMA optimize) samples at most this many rows per index: without it, the
  // periodic optimize of a commit connection would read whole multi-GB indexes.
  db.pragma('analysis_limit = 1000');
}

/** True when `e` is better-sqlite3's error for a violated UNIQUE constraint (or unique index). */
export const isUniqueViolation = (e: unknown): boolean =>
  (e as { code?: unknown } | null)?.code === 'SQLITE_CONSTRAINT_UNIQUE';

/** Runs `fn`; a violated UNIQUE index becomes `taken()` (e.g. a 400 naming the field: names). */
export function unlessTaken<T>(fn: () => T, taken: () => Error): T {
  try {
    return fn();
  } catch (e) {
    if (isUniqueViolation(e)) throw taken();
    throw e;
  }
}
