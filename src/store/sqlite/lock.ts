/**
 * One owner per data directory: `serve` (and `demo`), `collect` and `rotate-key` hold this lock
 * for their lifetime; `search` and `reconcile` only read and do not take it.
 *
 * The lock is an OS lock, not a pid file: `DATA_DIR/owner.lock` is a tiny SQLite database
 * opened with `locking_mode=EXCLUSIVE` and written once, so SQLite holds its POSIX advisory
 * (fcntl) write lock until the connection closes, and the OS drops it when the process dies,
 * kill -9 included. A second owner gets SQLITE_BUSY at once (busy_timeout=0). SQLite also
 * tracks the lock per file within a process, so a second attempt in the same process fails too.
 * `DATA_DIR/owner.json` (pid, command, start time) is informational, for the refusal message.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { CodedError } from '../../core/errors.js';

export const LOCK_FILE = 'owner.lock';
export const OWNER_FILE = 'owner.json';

export interface OwnerInfo {
  pid: number;
  command: string;
  host: string;
  startedAt: string;
}

export interface DataDirLock {
  readonly dataDir: string;
  /** Releases the lock (idempotent); the OS releases it anyway when the process exits. */
  release(): void;
}

function readOwner(dataDir: string): OwnerInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dataDir, OWNER_FILE), 'utf8')) as OwnerInfo;
  } catch {
    return undefined;
  }
}

function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

/** The data directory, absolute, created owner-only (0700) if absent; ERR_STORE when it cannot be. */
export function makeDataDir(dir: string): string {
  const dataDir = path.resolve(dir);
  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new CodedError('ERR_STORE', `cannot create the data directory ${dataDir}: ${(e as Error).message}`);
  }
  return dataDir;
}

/** Takes the data directory's lock for `command` or throws ERR_DATA_DIR_LOCKED naming the holder. */
export function lockDataDir(dir: string, command: string): DataDirLock {
  const dataDir = makeDataDir(dir);
  const file = path.join(dataDir, LOCK_FILE);
  let db: Db | undefined;
  try {
    db = new Database(file, { timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = MEMORY'); // no journal file beside it
    db.exec('BEGIN EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS owner (pid INTEGER NOT NULL)');
    db.exec('DELETE FROM owner');
    db.prepare('INSERT INTO owner (pid) VALUES (?)').run(process.pid);
    db.exec('COMMIT');
  } catch (e) {
    db?.close();
    if (!isBusy(e)) {
      throw new CodedError(
        'ERR_STORE',
        `cannot lock the data directory ${dataDir} (${file}): ${(e as Error).message}`,
      );
    }
    const o = readOwner(dataDir);
    const holder = o
      ? `pid ${o.pid} (${o.command}${o.host && o.host !== os.hostname() ? ` on ${o.host}` : ''}, started ${o.startedAt})`
      : 'a process whose pid is not recorded';
    throw new CodedError(
      'ERR_DATA_DIR_LOCKED',
      `the data directory ${dataDir} is in use by another inspector-connector process: ${holder}. ` +
        'Only one serve, collect or rotate-key may use a data directory at a time: stop that process ' +
        'first, or use another --data directory (search and reconcile work alongside it).',
    );
  }
  const info: OwnerInfo = {
    pid: process.pid,
    command,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
  };
  const ownerFile = path.join(dataDir, OWNER_FILE);
  try {
    const tmp = `${ownerFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(info) + '\n', { mode: 0o600 });
    fs.renameSync(tmp, ownerFile);
  } catch {
    /* informational only: the lock is held */
  }
  let held: Db | undefined = db;
  return {
    dataDir,
    release() {
      if (!held) return;
      // Remove the side file first, while the lock still guards it (no other owner yet).
      if (readOwner(dataDir)?.pid === process.pid) fs.rmSync(ownerFile, { force: true });
      held.close();
      held = undefined;
    },
  };
}
