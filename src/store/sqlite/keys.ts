/**
 * Which key the store's secrets belong to. The store records a key check value
 * (HMAC-SHA256(key, fixed label), `store_meta.secret_key_check`; never the key) and refuses a key
 * that does not match it, or a missing key file once secrets exist (a new key would make them
 * unreadable). `reset` (serve --reset-secrets) accepts the current key instead; connectors whose
 * secrets it cannot decrypt are marked failed with ERR_SECRET_UNREADABLE until re-entered.
 *
 * rotate-key: the new key is written to `secret.key.next`, every secret is re-encrypted and the
 * new check value recorded in ONE transaction, then `secret.key.next` is renamed over
 * `secret.key`. A crash between the commit and the rename leaves a store that matches
 * `secret.key.next`: the next process owning the data directory completes the rename; a crash
 * before the commit leaves one that matches `secret.key`: the stale `secret.key.next` is removed.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { CodedError } from '../../core/errors.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { ConnectorsRepo, RotateKeyOptions, RotateResult } from '../types.js';
import {
  KEY_ENV,
  KEY_FILE,
  NEXT_KEY_FILE,
  SecretUnreadableError,
  generateKey,
  keyCheckValue,
  keySource,
  readKeyFile,
  secretAad,
  secretBox,
  syncDir,
  writeKeyFile,
  type KeySource,
} from '../secrets.js';

export const KEY_CHECK = 'secret_key_check';

function storedCheck(db: Database): string | undefined {
  const v = db.prepare('SELECT value FROM store_meta WHERE name = ?').pluck().get(KEY_CHECK);
  return typeof v === 'string' ? v : undefined;
}

function setCheck(db: Database, value: string): void {
  db.prepare(
    'INSERT INTO store_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
  ).run(KEY_CHECK, value);
}

/** One sealed secret (the first), to test a key on a store that has no check value yet. */
function sampleSecret(db: Database): { aad: string; sealed: string } | undefined {
  const rows = db.prepare(`SELECT id, secrets FROM connectors WHERE secrets <> '{}'`).iterate() as Iterable<{
    id: string;
    secrets: string;
  }>;
  for (const r of rows) {
    for (const [f, sealed] of Object.entries(JSON.parse(r.secrets) as Record<string, string>)) {
      return { aad: secretAad(r.id, f), sealed };
    }
  }
  return undefined;
}

function decrypts(key: Buffer, s: { aad: string; sealed: string }): boolean {
  try {
    secretBox(() => key).decrypt(s.sealed, s.aad);
    return true;
  } catch {
    return false;
  }
}

const RESET_HINT =
  'if it is lost, start once with "inspector-connector serve --reset-secrets": it keeps this key and marks the connectors whose secrets must be re-entered (ERR_SECRET_UNREADABLE)';

function mismatch(src: KeySource): CodedError {
  const restore =
    src.kind === 'env'
      ? `set ${KEY_ENV} to the key the secrets were encrypted with (after "rotate-key": the new key)`
      : src.kind === 'file'
        ? `restore the original ${src.file} from a backup (mode 0600), or set ${KEY_ENV} to it`
        : 'open the store with the key its secrets were encrypted with';
  return new CodedError(
    'ERR_SECRET_KEY_MISMATCH',
    `${src.label} is not the key this store's connector secrets were encrypted with (its key check value does not match). Recovery: ${restore}; ${RESET_HINT}`,
  );
}

export interface ResolveKeyOptions {
  dataDir: string;
  env: NodeJS.ProcessEnv;
  /** A key given by the caller (tests, in-process embedding) instead of env / file. */
  key?: Buffer;
  /**
   * The caller owns the data directory (holds its lock): it may complete or clean up an
   * interrupted rotation. Others only read `secret.key.next` when the store matches it.
   */
  owner?: boolean;
  /** Accept the current key (a new key file if there is none) although it does not match. */
  reset?: boolean;
  logger?: Logger;
}

export interface ResolvedKey {
  key: Buffer;
  source: KeySource;
  /** The check value was replaced by `reset`. */
  reset: boolean;
  /** The check value was recorded now, for the first time (a new store, or one from before check values). */
  recorded: boolean;
}

/** The store's key, checked against (or, on first use, recorded as) its key check value. */
export function resolveStoreKey(db: Database, o: ResolveKeyOptions): ResolvedKey {
  let src = keySource(o.dataDir, o.env, o.key);
  const check = storedCheck(db);
  if (src.kind === 'file') src = pendingRotation(src, check, o);
  if (!src.key) {
    // Never re-created silently once secrets exist: they would all become unreadable.
    if ((check !== undefined || sampleSecret(db)) && !o.reset) {
      throw new CodedError(
        'ERR_SECRET_KEY_INVALID',
        `the key file ${src.file} is missing, but this store holds connector secrets encrypted with a key (a new key is never created in its place). Recovery: restore ${KEY_FILE} from a backup (mode 0600) or set ${KEY_ENV}; ${RESET_HINT}`,
      );
    }
    const created = generateKey();
    try {
      writeKeyFile(src.file, created);
      src = { ...src, key: created };
      o.logger?.info({ file: src.file }, 'created a new encryption key');
    } catch (e) {
      // Another process created it first: use that one.
      const existing = readKeyFile(src.file);
      if (!existing) throw e;
      src = { ...src, key: existing };
    }
  }
  const key = src.key!;
  const value = keyCheckValue(key);
  if (check === value) return { key, source: src, reset: false, recorded: false };
  if (check === undefined) {
    // A new store, or one from before key check values: a key that opens its secrets is theirs.
    const sample = sampleSecret(db);
    if (!sample || decrypts(key, sample)) {
      setCheck(db, value);
      return { key, source: src, reset: false, recorded: true };
    }
  }
  if (!o.reset) throw mismatch(src);
  setCheck(db, value);
  o.logger?.warn(
    { source: src.label },
    'encryption key reset (--reset-secrets): secrets encrypted with the previous key must be re-entered',
  );
  return { key, source: src, reset: true, recorded: false };
}

/** secret.key.next is left by a rotate-key that stopped between its commit and its rename. */
function pendingRotation(src: KeySource, check: string | undefined, o: ResolveKeyOptions): KeySource {
  const nextFile = path.join(o.dataDir, NEXT_KEY_FILE);
  const next = readKeyFile(nextFile);
  if (!next || check === undefined) return src;
  if (keyCheckValue(next) === check) {
    if (!o.owner) return { ...src, key: next, label: `key file ${nextFile}` };
    fs.renameSync(nextFile, src.file);
    syncDir(o.dataDir);
    o.logger?.warn(
      { file: src.file },
      'completed an interrupted key rotation (secret.key.next -> secret.key)',
    );
    return { ...src, key: next };
  }
  if (o.owner && src.key && keyCheckValue(src.key) === check) {
    // The rotation never committed: the store still matches secret.key.
    fs.unlinkSync(nextFile);
    syncDir(o.dataDir);
    o.logger?.warn({ file: nextFile }, 'removed the new key of a key rotation that did not commit');
  }
  return src;
}

/**
 * Marks failed (ERR_SECRET_UNREADABLE) every connector a secret of which does not decrypt with
 * the store's key; returns their names. Connectors already so marked keep their status.
 */
export function markUnreadableSecrets(connectors: ConnectorsRepo, clock: Clock): string[] {
  const names: string[] = [];
  for (const c of connectors.list()) {
    try {
      connectors.getDecrypted(c.id);
    } catch (e) {
      if (!(e instanceof SecretUnreadableError)) throw e;
      names.push(c.name);
      if (c.status.state === 'failed' && c.status.lastError?.code === e.code) continue;
      connectors.setStatus(c.id, {
        state: 'failed',
        lastError: { code: e.code, message: e.message, at: clock.now() },
      });
    }
  }
  return names;
}

export interface RotateOptions extends RotateKeyOptions {
  dataDir: string;
  env: NodeJS.ProcessEnv;
  logger?: Logger;
}

/** Re-encrypts every secret under a new key in ONE transaction, then swaps the key file. */
export function rotateStoreKey(db: Database, o: RotateOptions): RotateResult {
  const current = resolveStoreKey(db, {
    dataDir: o.dataDir,
    env: o.env,
    owner: true,
    ...(o.logger ? { logger: o.logger } : {}),
  });
  if (current.source.kind === 'explicit') {
    throw new CodedError(
      'ERR_SECRET_KEY_INVALID',
      'rotate-key works on the key file or INSPECTOR_CONNECTOR_KEY',
    );
  }
  if (current.source.kind === 'env' && !o.newKey) {
    throw new CodedError(
      'ERR_SECRET_KEY_INVALID',
      `the key comes from ${KEY_ENV}: create the new key in a file (openssl rand -base64 32 > new.key; chmod 600 new.key), ` +
        `pass --new-key-file new.key, then set ${KEY_ENV} to it before the next start`,
    );
  }
  const newKey = o.newKey ?? generateKey();
  if (newKey.equals(current.key)) {
    throw new CodedError('ERR_SECRET_KEY_INVALID', 'the new key is the current key');
  }
  const nextFile = path.join(o.dataDir, NEXT_KEY_FILE);
  if (current.source.kind === 'file') writeKeyFile(nextFile, newKey);
  const from = secretBox(() => current.key);
  const to = secretBox(() => newKey);
  const result: RotateResult = { source: current.source.kind, connectors: 0, secrets: 0, unreadable: [] };
  // The commit must be on disk before the key file is swapped (WAL + NORMAL syncs later).
  const sync = db.pragma('synchronous', { simple: true }) as number;
  db.pragma('synchronous = FULL');
  try {
    db.transaction(() => {
      const rows = db.prepare('SELECT id, name, secrets FROM connectors ORDER BY name').all() as {
        id: string;
        name: string;
        secrets: string;
      }[];
      const update = db.prepare('UPDATE connectors SET secrets = ? WHERE id = ?');
      for (const r of rows) {
        const sealed = JSON.parse(r.secrets) as Record<string, string>;
        let unreadable = false;
        for (const [f, v] of Object.entries(sealed)) {
          const aad = secretAad(r.id, f);
          try {
            sealed[f] = to.encrypt(from.decrypt(v, aad), aad);
            result.secrets++;
          } catch (e) {
            if (!(e instanceof SecretUnreadableError)) throw e;
            unreadable = true; // unreadable under any key: left as it is
          }
        }
        if (unreadable) result.unreadable.push(r.name);
        update.run(JSON.stringify(sealed), r.id);
        result.connectors++;
      }
      setCheck(db, keyCheckValue(newKey));
    }).immediate();
  } catch (e) {
    if (current.source.kind === 'file') fs.rmSync(nextFile, { force: true });
    throw e;
  } finally {
    db.pragma(`synchronous = ${sync}`);
  }
  o.afterCommit?.();
  if (current.source.kind === 'file') {
    fs.renameSync(nextFile, current.source.file);
    syncDir(o.dataDir);
  }
  return result;
}
