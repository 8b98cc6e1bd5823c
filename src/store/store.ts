/**
 * The embedded store: one SQLite file `DATA_DIR/inspector-connector.db` holding configuration,
 * encrypted secrets, run history, checkpoints, the findings' current state and the Syslog
 * index. See README.md in this folder for the design and its trade-offs.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { CodedError } from '../core/errors.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { InterflowRecord } from '../core/record.js';
import { recordTerms } from '../search/terms.js';
import { migrate } from './migrations.js';
import { loadKey, secretBox } from './secrets.js';
import { connectorsRepo, type ConnectorsRepo } from './connectors.js';
import {
  checkpointsRepo,
  findingsRepo,
  logFiltersRepo,
  profilesRepo,
  runsRepo,
  tenantsRepo,
  type CheckpointsRepo,
  type FindingsRepo,
  type LogFiltersRepo,
  type ProfilesRepo,
  type RunCounts,
  type RunsRepo,
  type TenantsRepo,
} from './repos.js';
import { syslogIndex, registerSearchFunctions, type SyslogIndex } from './syslog-index.js';

export const DB_FILE = 'inspector-connector.db';

export interface OpenStoreOptions {
  dataDir: string;
  /** 32-byte key; default: INSPECTOR_CONNECTOR_KEY, else DATA_DIR/secret.key (created 0600). */
  key?: Buffer;
  clock?: Clock;
  logger?: Logger;
  /** Environment to read INSPECTOR_CONNECTOR_KEY from (tests). */
  env?: NodeJS.ProcessEnv;
}

/** The current state of one finding, as given with a page (derived from the records if omitted). */
export interface FindingVersion {
  findingArn: string;
  status?: string | null;
  severity?: string | null;
  updatedAt: number;
  recordId: string;
  tenantId?: string;
}

export interface CommitPageInput {
  connectorId: string;
  records: readonly InterflowRecord[];
  /** Saved in the same transaction; undefined = leave the checkpoint as it is. */
  checkpoint?: unknown;
  /** Defaults to the records' `aws_inspector.findingArn/status/severity` and `timestamp`. */
  findings?: readonly FindingVersion[];
  /** When given, the page's counts are added to this run in the same transaction. */
  runId?: number;
  /** Extra counts for the run (received, discarded, discardedByFilter); stored/duplicates are added automatically. */
  counts?: Partial<Pick<RunCounts, 'received' | 'discarded' | 'discardedByFilter'>>;
  /** How many ListFindings pages these records came from (added to the run's pages). Default 1. */
  pages?: number;
}

export interface CommitPageResult {
  stored: number;
  duplicates: number;
  /** `_id`s of the records actually inserted (for `collect --output -`). */
  storedIds: string[];
}

export interface Store {
  readonly dataDir: string;
  readonly dbPath: string;
  /** The raw connection, for modules that append their own migrations and repositories (users, sessions). */
  readonly db: Db;
  readonly tenants: TenantsRepo;
  readonly connectors: ConnectorsRepo;
  readonly profiles: ProfilesRepo;
  readonly logFilters: LogFiltersRepo;
  readonly runs: RunsRepo;
  readonly checkpoints: CheckpointsRepo;
  readonly findings: FindingsRepo;
  readonly index: SyslogIndex;
  /** ONE transaction: records (deduped on _id), findings' state, checkpoint, run counts. */
  commitPage(input: CommitPageInput): CommitPageResult;
  transaction<T>(fn: () => T): T;
  close(): void;
}

export function openStore(opts: OpenStoreOptions): Store {
  const clock = opts.clock ?? systemClock;
  const dataDir = path.resolve(opts.dataDir);
  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new CodedError('ERR_STORE', `cannot create the data directory ${dataDir}: ${(e as Error).message}`);
  }
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
    // WAL + synchronous=NORMAL: a committed transaction survives a process crash (kill -9),
    // because the WAL is in the OS page cache; only a power loss / kernel crash can lose the
    // last transactions (never corrupt the file). The collector re-fetches anything not
    // checkpointed, so that loss is recoverable; FULL would fsync every page commit.
    // 8 KB pages (new databases only): a ~4 KB record fits in one page with its neighbours;
    // measured ~30% faster inserts than 4 KB pages.
    db.pragma('page_size = 8192');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    db.pragma('cache_size = -65536'); // 64 MB page cache
    db.pragma('temp_store = MEMORY');
    const applied = migrate(db, undefined, clock.now());
    if (applied.length) opts.logger?.info({ dbPath, migrations: applied }, 'store schema migrated');
    // Planner statistics (bounded sampling: fast on any size). Without them SQLite may walk
    // the severity index for "time range + severity" instead of the time index.
    db.pragma('analysis_limit = 1000');
    db.pragma('optimize = 0x10002');
  } catch (e) {
    if (e instanceof CodedError) throw e;
    throw new CodedError('ERR_STORE', `cannot open the store ${dbPath}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  registerSearchFunctions(db);

  const box = secretBox(() => opts.key ?? loadKey(dataDir, opts.env));
  if (opts.key && opts.key.length !== 32) {
    throw new CodedError('ERR_STORE', `the encryption key must be exactly 32 bytes (got ${opts.key.length})`);
  }
  const tenants = tenantsRepo(db, clock);
  const connectors = connectorsRepo(db, box, clock, (name) => tenants.getByName(name) !== undefined);
  const profiles = profilesRepo(db, clock);
  const logFilters = logFiltersRepo(db, clock, connectors);
  const runs = runsRepo(db, clock);
  const checkpoints = checkpointsRepo(db, clock);
  const findings = findingsRepo(db);
  const index = syslogIndex(db);

  const ins = {
    doc: db.prepare(
      `INSERT OR IGNORE INTO syslog
         (id, timestamp, write_time, severity, tenantid, connector_id, msg_class, event_status, event_name, doc)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    fts: db.prepare('INSERT INTO syslog_fts (rowid, terms) VALUES (?, ?)'),
    finding: db.prepare(
      `INSERT INTO findings (finding_arn, connector_id, tenantid, status, severity, updated_at, record_id,
                             first_seen_at, last_seen_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(finding_arn) DO UPDATE SET
         connector_id = excluded.connector_id, tenantid = excluded.tenantid, status = excluded.status,
         severity = excluded.severity, updated_at = excluded.updated_at, record_id = excluded.record_id,
         last_seen_at = excluded.last_seen_at
       WHERE excluded.updated_at > findings.updated_at`,
    ),
  };

  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

  /** Paths that have held text values (see TEXT_WORDS), mirrored in `text_paths`. */
  const textPaths = new Set(db.prepare('SELECT path FROM text_paths').pluck().all() as string[]);
  const addTextPath = db.prepare('INSERT OR IGNORE INTO text_paths (path) VALUES (?)');
  let newTextPaths: string[] = [];
  const onText = (p: string) => {
    if (!textPaths.has(p)) {
      textPaths.add(p);
      newTextPaths.push(p);
    }
  };

  let pagesSinceOptimize = 0;
  const connectorExists = db.prepare('SELECT 1 FROM connectors WHERE id = ?').pluck();
  const commit = db.transaction((input: CommitPageInput): CommitPageResult => {
    if (connectorExists.get(input.connectorId) === undefined) {
      throw new CodedError(
        'ERR_NOT_FOUND',
        `connector ${input.connectorId} not found (deleted?): page not stored`,
      );
    }
    const storedIds: string[] = [];
    let duplicates = 0;
    for (const r of input.records) {
      const info = ins.doc.run(
        r._id,
        r.timestamp,
        r.write_time,
        typeof r.severity === 'number' ? r.severity : null,
        r.tenantid,
        input.connectorId,
        str(r.msg_class),
        str(r.event_status),
        str(r.event_name),
        JSON.stringify(r),
      );
      if (info.changes === 0) {
        duplicates++;
        continue;
      }
      ins.fts.run(info.lastInsertRowid, recordTerms(r, onText));
      storedIds.push(r._id);
    }
    const now = clock.now();
    const versions = input.findings ?? deriveFindings(input.records);
    for (const f of versions) {
      ins.finding.run(
        f.findingArn,
        input.connectorId,
        f.tenantId ?? input.records.find((r) => r._id === f.recordId)?.tenantid ?? '',
        f.status ?? null,
        f.severity ?? null,
        f.updatedAt,
        f.recordId,
        now,
        now,
      );
    }
    for (const p of newTextPaths) addTextPath.run(p);
    if (++pagesSinceOptimize >= 1000) {
      pagesSinceOptimize = 0;
      db.pragma('optimize');
    }
    if (input.checkpoint !== undefined) checkpoints.set(input.connectorId, input.checkpoint);
    if (input.runId !== undefined) {
      runs.addCounts(input.runId, {
        ...input.counts,
        stored: storedIds.length,
        duplicates,
        pages: input.pages ?? 1,
      });
    }
    return { stored: storedIds.length, duplicates, storedIds };
  });

  return {
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
    index,
    commitPage(input) {
      newTextPaths = [];
      try {
        return commit(input);
      } catch (e) {
        // Rolled back: the text paths first met in this transaction were not saved.
        for (const p of newTextPaths) textPaths.delete(p);
        if (e instanceof CodedError) throw e;
        throw new CodedError('ERR_STORE', `commit of a page failed: ${(e as Error).message}`, { cause: e });
      }
    },
    transaction: <T>(fn: () => T): T => db.transaction(fn)(),
    close() {
      if (db.open) db.close();
    },
  };
}

/** Findings' versions from mapped records (the finding is kept under `aws_inspector`). */
function deriveFindings(records: readonly InterflowRecord[]): FindingVersion[] {
  const out: FindingVersion[] = [];
  for (const r of records) {
    const f = r.aws_inspector as Record<string, unknown> | undefined;
    if (!f || typeof f.findingArn !== 'string') continue;
    out.push({
      findingArn: f.findingArn,
      status: typeof f.status === 'string' ? f.status : null,
      severity: typeof f.severity === 'string' ? f.severity : null,
      updatedAt: r.timestamp,
      recordId: r._id,
      tenantId: r.tenantid,
    });
  }
  return out;
}
