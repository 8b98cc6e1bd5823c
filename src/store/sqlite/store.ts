/**
 * The embedded store: one SQLite file `DATA_DIR/inspector-connector.db` holding configuration,
 * encrypted secrets, run history, checkpoints, the findings' current state and the Syslog
 * index. See README.md in this folder for the design and its trade-offs.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { CodedError } from '../../core/errors.js';
import { systemClock, type Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { configureConnection } from './connection.js';
import { startWriter, type PageWriter } from './writer.js';
import { pageCommitter, preparePage, preparedDocs, type PreparedPage } from './commit.js';
import { groupCommitSink } from '../page-sink.js';
import { migrate } from './migrations.js';
import { FTS_SHARD_ROWS } from './fts-shards.js';
import { assertKeyLength, secretBox } from '../secrets.js';
import { markUnreadableSecrets, resolveStoreKey, rotateStoreKey } from './keys.js';
import { connectorsRepo } from './connectors.js';
import { makeDataDir } from './lock.js';
import {
  checkpointsRepo,
  findingsRepo,
  logFiltersRepo,
  profilesRepo,
  runsRepo,
  tenantsRepo,
} from './repos.js';
import { sessionsRepo, usersRepo } from './users.js';
import { savedSearchesRepo, searchHistoryRepo } from './saved-searches.js';
import { startSearchPool } from './search-pool.js';
import type { CommitPageInput, CommitPageResult, ConnectorTypes, Store } from '../types.js';
import { syslogIndex } from './syslog-index.js';

export const DB_FILE = 'inspector-connector.db';

export interface OpenStoreOptions {
  dataDir: string;
  /** 32-byte key; default: INSPECTOR_CONNECTOR_KEY, else DATA_DIR/secret.key (created 0600). */
  key?: Buffer;
  clock?: Clock;
  logger?: Logger;
  /** Environment to read INSPECTOR_CONNECTOR_KEY from (tests). */
  env?: NodeJS.ProcessEnv;
  /**
   * Commit `commitPreparedAsync` pages on a writer thread (its own connection to the same
   * file): the collector's thread fetches, maps and prepares while the other commits, so a
   * run uses two cores. Default false (inline).
   */
  writerThread?: boolean;
  /** Records per full-text index shard (fts-shards.ts; tests use small ones). Default 50,000. */
  ftsShardRows?: number;
  /**
   * Check the key now, as the owner of the data directory (serve, collect, rotate-key): a key
   * that does not match the store's key check value, a missing key file once secrets exist, a
   * bad key file are refused here (ERR_SECRET_KEY_*); an interrupted rotation is completed.
   * Default: the key is loaded and checked on the first use of a secret (search never needs it).
   */
  verifyKey?: boolean;
  /**
   * With verifyKey: accept the current key although it does not match (`serve --reset-secrets`);
   * connectors whose secrets it cannot decrypt are marked failed with ERR_SECRET_UNREADABLE.
   */
  resetSecrets?: boolean;
  /**
   * The connector types (validation, secret fields), from the registry
   * (`storeTypes(registry)`, src/connectors/registry.ts). Without them connectors can be read
   * but not created or updated.
   */
  connectorTypes?: ConnectorTypes;
}

/**
 * The SQLite store: the storage contract plus what only this backend's own code and tests use
 * (the connection, prepared pages). Outside src/store/ it is seen as a `Store`.
 */
export interface SqliteStore extends Store {
  readonly dbPath: string;
  /** The connection (this backend's modules and tests only: never exported from src/store). */
  readonly db: Db;
  /** A page's JSON texts and index terms, ready for commitPrepared (no database access). */
  preparePage(input: CommitPageInput): PreparedPage;
  /** ONE transaction for several prepared pages (a group commit); the last checkpoint wins. */
  commitPrepared(pages: readonly PreparedPage[]): CommitPageResult;
  /**
   * The same, on the store's writer thread when it was opened with `writerThread` (else
   * inline). Commits are applied in call order. With `transfer`, the pages' buffers move to
   * the thread and are unusable here afterwards.
   */
  commitPreparedAsync(
    pages: readonly PreparedPage[],
    opts?: { transfer?: boolean },
  ): Promise<CommitPageResult>;
}

export function openSqliteStore(opts: OpenStoreOptions): SqliteStore {
  const clock = opts.clock ?? systemClock;
  if (opts.key) assertKeyLength(opts.key);
  const dataDir = makeDataDir(opts.dataDir);
  const dbPath = path.join(dataDir, DB_FILE);
  let db: Db;
  try {
    db = new Database(dbPath);
    // Records and sealed secrets: owner-only, like the key file.
    // Best effort: a store owned by another user (read by an operator) stays as it is.
    if (process.platform !== 'win32') {
      try {
        fs.chmodSync(dbPath, 0o600);
      } catch {
        /* not our file to change */
      }
    }
    configureConnection(db);
    const applied = migrate(db, undefined, clock.now());
    if (applied.length) {
      opts.logger?.info({ dbPath, migrations: applied }, 'store schema migrated');
      // A migration that rewrote the records (10) leaves a WAL the size of the index: give the
      // disk space back now rather than at the last connection's close.
      db.pragma('wal_checkpoint(TRUNCATE)');
    }
    // Planner statistics (bounded sampling: fast on any size). Without them SQLite may walk
    // the severity index for "time range + severity" instead of the time index.
    db.pragma('optimize = 0x10002');
  } catch (e) {
    if (e instanceof CodedError) throw e;
    throw new CodedError('ERR_STORE', `cannot open the store ${dbPath}: ${(e as Error).message}`, {
      cause: e,
    });
  }

  const keyOptions = {
    dataDir,
    env: opts.env ?? process.env,
    ...(opts.key ? { key: opts.key } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  };
  let eagerKey: Buffer | undefined;
  /** Only a reset or first-recorded key can leave secrets it does not decrypt: then scan them. */
  let scanSecrets = false;
  if (opts.verifyKey) {
    try {
      const k = resolveStoreKey(db, { ...keyOptions, owner: true, reset: opts.resetSecrets === true });
      eagerKey = k.key;
      scanSecrets = k.reset || k.recorded;
    } catch (e) {
      db.close();
      throw e;
    }
  }
  const box = secretBox(() => eagerKey ?? resolveStoreKey(db, keyOptions).key);
  const tenants = tenantsRepo(db, clock);
  const connectors = connectorsRepo(
    db,
    box,
    clock,
    (name) => tenants.getByName(name) !== undefined,
    opts.connectorTypes,
  );
  const profiles = profilesRepo(db, clock);
  const logFilters = logFiltersRepo(db, clock, connectors);
  const runs = runsRepo(db, clock);
  const checkpoints = checkpointsRepo(db, clock);
  const findings = findingsRepo(db);
  const index = syslogIndex(db);
  const users = usersRepo(db);
  const sessions = sessionsRepo(db);
  const savedSearches = savedSearchesRepo(db, clock);
  const searchHistory = searchHistoryRepo(db);
  const ping = db.prepare('SELECT 1').pluck();
  if (scanSecrets) {
    const unreadable = markUnreadableSecrets(connectors, clock);
    if (unreadable.length) {
      opts.logger?.warn(
        { connectors: unreadable },
        'connectors with secrets the current key cannot decrypt: re-enter their secrets (ERR_SECRET_UNREADABLE)',
      );
    }
  }

  const committer = { ftsShardRows: opts.ftsShardRows ?? FTS_SHARD_ROWS };
  const commit = pageCommitter(db, committer);
  let writer: PageWriter | undefined;

  const store: SqliteStore = {
    dataDir,
    dbPath,
    db,
    tenants,
    connectors,
    profiles,
    logFilters,
    runs,
    checkpoints,
    findings,
    users,
    sessions,
    savedSearches,
    searchHistory,
    index,
    commitPage: (input) => commit([preparePage(input, clock.now())]),
    preparePage: (input) => preparePage(input, clock.now()),
    commitPrepared: (pages) => commit(pages),
    pageSink: (o) =>
      groupCommitSink<PreparedPage>(
        {
          prepare: (page) =>
            preparePage(
              {
                ...page,
                connectorId: o.connectorId,
                part: o.part ?? '',
                ...(o.runId !== undefined ? { runId: o.runId } : {}),
              },
              clock.now(),
            ),
          records: (p) => p.rows.length,
          // Through the store object: its tests wrap commitPreparedAsync (slow or failing commits).
          commit: (pages, c) => store.commitPreparedAsync(pages, c),
          docs: preparedDocs,
        },
        o,
      ),
    async commitPreparedAsync(pages, o = {}) {
      if (!opts.writerThread) return commit(pages);
      writer ??= startWriter(dbPath, committer);
      return writer.commit(pages, o.transfer === true);
    },
    transaction: <T>(fn: () => T): T => db.transaction(fn).immediate(),
    searchService: (o = {}) => startSearchPool({ ...o, dbPath }),
    rotateKey: (o = {}) =>
      rotateStoreKey(db, {
        dataDir,
        env: opts.env ?? process.env,
        ...(opts.logger ? { logger: opts.logger } : {}),
        ...o,
      }),
    ping() {
      try {
        ping.get();
      } catch (e) {
        throw new CodedError('ERR_STORE', `the store does not answer: ${(e as Error).message}`, { cause: e });
      }
    },
    close() {
      // The writer thread finishes what it was posted, then closes its own connection.
      writer?.close();
      writer = undefined;
      if (db.open) db.close();
    },
  };
  return store;
}
