/**
 * The key check value, refusing a wrong or missing key, --reset-secrets and its repair by
 * PATCH, and rotate-key with its crash recovery (store/sqlite/keys.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { SecretUnreadableError } from '../index.js';
import { openSqliteStore, type SqliteStore } from './store.js';
import { KEY_CHECK, rotateStoreKey } from './keys.js';
import { NEXT_KEY_FILE, assertKeyLength, keyCheckValue } from '../secrets.js';
import { productionStoreTypes } from '../../connectors/registry.js';

const dirs: string[] = [];
const stores: SqliteStore[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-keys-'));
  dirs.push(d);
  return d;
}
function open(dataDir: string, extra: Partial<Parameters<typeof openSqliteStore>[0]> = {}): SqliteStore {
  const s = openSqliteStore({
    connectorTypes: productionStoreTypes(),
    dataDir,
    clock: fixedClock(1_700_000_000_000),
    env: {},
    ...extra,
  });
  stores.push(s);
  return s;
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const ACCESS = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const config = (name = 'root-inspector') => ({
  name,
  region: 'us-east-1',
  auth: { method: 'access_key', accessKeyId: ACCESS, secretAccessKey: SECRET },
});
const keyFile = (dir: string) => path.join(dir, 'secret.key');
const writeKey = (dir: string, key: Buffer) =>
  fs.writeFileSync(keyFile(dir), key.toString('base64') + '\n', { mode: 0o600 });
const readKey = (dir: string) => Buffer.from(fs.readFileSync(keyFile(dir), 'utf8').trim(), 'base64');

/** Matches a thrown coded error: its code and (optionally) its message. */
const coded = (code: string, message?: RegExp) =>
  expect.objectContaining({ code, ...(message ? { message: expect.stringMatching(message) } : {}) });

/** A data dir with one connector whose secrets are sealed with the key file's key. */
function seeded(): { dir: string; id: string; key: Buffer } {
  const dir = tmp();
  const s = open(dir);
  const id = s.connectors.create(config()).id;
  s.close();
  return { dir, id, key: readKey(dir) };
}

describe('key check value', () => {
  it('records HMAC-SHA256(key, label) in store_meta, never the key', () => {
    const { dir, key } = seeded();
    const s = open(dir);
    const stored = s.db.prepare('SELECT value FROM store_meta WHERE name = ?').pluck().get(KEY_CHECK);
    expect(stored).toBe(keyCheckValue(key));
    expect(stored).toMatch(/^hmac-sha256:[A-Za-z0-9+/]+=*$/);
    s.db.pragma('wal_checkpoint(TRUNCATE)');
    s.close();
    for (const f of fs.readdirSync(dir).filter((f) => f !== 'secret.key')) {
      const bytes = fs.readFileSync(path.join(dir, f));
      expect(bytes.includes(key), f).toBe(false);
      expect(bytes.includes(Buffer.from(key.toString('base64'))), f).toBe(false);
    }
  });

  it('refuses a replaced key file at open (verifyKey), naming the cause and the recovery', () => {
    const { dir } = seeded();
    writeKey(dir, Buffer.alloc(32, 1));
    expect(() => open(dir, { verifyKey: true })).toThrow(
      coded(
        'ERR_SECRET_KEY_MISMATCH',
        /key file .*secret\.key is not the key this store's connector secrets.*restore the original .*secret\.key from a backup.*serve --reset-secrets/,
      ),
    );
    // The lazy path (a store opened without verifyKey) refuses it the same way.
    const lazy = open(dir);
    expect(() => lazy.connectors.create(config('other'))).toThrow(coded('ERR_SECRET_KEY_MISMATCH'));
  });

  it('refuses a wrong INSPECTOR_CONNECTOR_KEY', () => {
    const dir = tmp();
    const env = { INSPECTOR_CONNECTOR_KEY: Buffer.alloc(32, 2).toString('base64') };
    open(dir, { env }).connectors.create(config());
    expect(() =>
      open(dir, {
        env: { INSPECTOR_CONNECTOR_KEY: Buffer.alloc(32, 3).toString('base64') },
        verifyKey: true,
      }),
    ).toThrow(
      coded(
        'ERR_SECRET_KEY_MISMATCH',
        /^INSPECTOR_CONNECTOR_KEY is not the key.*set INSPECTOR_CONNECTOR_KEY/,
      ),
    );
    expect(() => open(dir, { env, verifyKey: true })).not.toThrow();
  });

  it('never re-creates a deleted key file once secrets exist', () => {
    const { dir } = seeded();
    fs.rmSync(keyFile(dir));
    expect(() => open(dir, { verifyKey: true })).toThrow(
      coded(
        'ERR_SECRET_KEY_INVALID',
        /secret\.key is missing, but this store holds connector secrets.*restore/,
      ),
    );
    const lazy = open(dir);
    expect(() => lazy.connectors.create(config('other'))).toThrow(coded('ERR_SECRET_KEY_INVALID'));
    expect(fs.existsSync(keyFile(dir))).toBe(false);
  });

  it('refuses a given key of the wrong length, before touching the data directory', () => {
    const dir = path.join(tmp(), 'never-created');
    expect(() => open(dir, { key: Buffer.alloc(16, 1) })).toThrow(
      coded('ERR_SECRET_KEY_INVALID', /^the encryption key must be exactly 32 bytes \(got 16\)$/),
    );
    expect(fs.existsSync(dir)).toBe(false);
    expect(() => assertKeyLength(Buffer.alloc(33))).toThrow('exactly 32 bytes (got 33)');
    expect(() => assertKeyLength(Buffer.alloc(32))).not.toThrow();
  });

  it('refuses a key file of the wrong length or permissions at open', () => {
    const { dir } = seeded();
    fs.writeFileSync(keyFile(dir), 'abcde', { mode: 0o600 });
    expect(() => open(dir, { verifyKey: true })).toThrow(
      coded('ERR_SECRET_KEY_INVALID', /exactly 32 bytes \(got 3 bytes\)/),
    );
    writeKey(dir, Buffer.alloc(32, 1));
    fs.chmodSync(keyFile(dir), 0o640);
    expect(() => open(dir, { verifyKey: true, resetSecrets: true })).toThrow(
      coded('ERR_SECRET_KEY_INVALID', /readable by group or others \(mode 640\); run: chmod 600/),
    );
  });

  it('a store from before check values: the key that opens its secrets is recorded, another refused', () => {
    const { dir, key } = seeded();
    const s = open(dir);
    s.db.prepare('DELETE FROM store_meta').run();
    s.close();
    writeKey(dir, Buffer.alloc(32, 4));
    expect(() => open(dir, { verifyKey: true })).toThrow(coded('ERR_SECRET_KEY_MISMATCH'));
    writeKey(dir, key);
    const ok = open(dir, { verifyKey: true });
    expect(ok.db.prepare('SELECT value FROM store_meta').pluck().get()).toBe(keyCheckValue(key));
  });
});

describe('unreadable secrets scan at owner start', () => {
  it('runs only after a reset or a first-recorded key: a matching key check decrypts nothing', () => {
    const { dir, id } = seeded();
    // A secret sealed under another key (and another id): it would not decrypt.
    const other = open(tmp());
    const foreign = other.db.prepare('SELECT secrets FROM connectors WHERE id = ?').pluck();
    const sealed = foreign.get(other.connectors.create(config('other')).id) as string;
    const s0 = open(dir);
    s0.db.prepare('UPDATE connectors SET secrets = ? WHERE id = ?').run(sealed, id);
    s0.close();
    const s = open(dir, { verifyKey: true });
    expect(s.connectors.get(id)!.status.lastError).toBeUndefined(); // not scanned: the check matched
    s.close();
    const r = open(dir, { verifyKey: true, resetSecrets: true, key: Buffer.alloc(32, 5) });
    expect(r.connectors.get(id)!.status.lastError).toMatchObject({ code: 'ERR_SECRET_UNREADABLE' });
  });
});

describe('serve --reset-secrets (resetSecrets)', () => {
  it('marks connectors whose secrets do not decrypt failed; PATCH with new secrets repairs them', () => {
    const { dir, id } = seeded();
    fs.rmSync(keyFile(dir)); // lost
    const s = open(dir, { verifyKey: true, resetSecrets: true });
    expect(fs.statSync(keyFile(dir)).mode & 0o777).toBe(0o600); // a new key
    const c = s.connectors.get(id)!;
    expect(c.status.state).toBe('failed');
    expect(c.status.lastError).toMatchObject({ code: 'ERR_SECRET_UNREADABLE' });
    expect(c.status.lastError!.message).toMatch(
      /auth\.accessKeyId, auth\.secretAccessKey .*re-enter the secret/,
    );
    expect(() => s.connectors.getDecrypted(id)).toThrow(SecretUnreadableError);

    // A patch that leaves them out (or masked) names the fields to re-enter.
    expect(() => s.connectors.update(id, { intervalMinutes: 10 })).toThrow(coded('ERR_SECRET_UNREADABLE'));
    expect(() =>
      s.connectors.update(id, { auth: { method: 'access_key', accessKeyId: 'AKIANEWNEWNEWNEW1234' } }),
    ).toThrow(
      expect.objectContaining({
        code: 'ERR_SECRET_UNREADABLE',
        fields: [expect.objectContaining({ field: 'auth.secretAccessKey' })],
      }),
    );

    s.connectors.update(id, {
      auth: { method: 'access_key', accessKeyId: 'AKIANEWNEWNEWNEW1234', secretAccessKey: 'new-secret' },
    });
    expect(s.connectors.getDecrypted(id)!.config.auth).toMatchObject({
      accessKeyId: 'AKIANEWNEWNEWNEW1234',
      secretAccessKey: 'new-secret',
    });
    s.close();
    // The new key is now the store's key: a normal start works.
    const again = open(dir, { verifyKey: true });
    expect((again.connectors.getDecrypted(id)!.config.auth as Record<string, unknown>).secretAccessKey).toBe(
      'new-secret',
    );
  });
});

describe('rotate-key (rotateStoreKey)', () => {
  it('re-encrypts every secret under a generated key and swaps the key file', () => {
    const { dir, id, key } = seeded();
    const s = open(dir);
    s.connectors.create(config('second'));
    const r = rotateStoreKey(s.db, { dataDir: dir, env: {} });
    expect(r).toEqual({ source: 'file', connectors: 2, secrets: 4, unreadable: [] });
    s.close();
    const now = readKey(dir);
    expect(now.equals(key)).toBe(false);
    expect(fs.statSync(keyFile(dir)).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(path.join(dir, NEXT_KEY_FILE))).toBe(false);
    expect(
      (open(dir, { verifyKey: true }).connectors.getDecrypted(id)!.config.auth as Record<string, unknown>)
        .secretAccessKey,
    ).toBe(SECRET);
    // The old key no longer opens the store.
    expect(() => open(dir, { key, verifyKey: true })).toThrow(coded('ERR_SECRET_KEY_MISMATCH'));
  });

  it('a crash between the commit and the key file rename is completed by the next owner', () => {
    const { dir, id, key } = seeded();
    const s = open(dir);
    const newKey = Buffer.alloc(32, 6);
    expect(() =>
      rotateStoreKey(s.db, {
        dataDir: dir,
        env: {},
        newKey,
        afterCommit: () => {
          throw new Error('crash');
        },
      }),
    ).toThrow('crash');
    s.close();
    expect(readKey(dir).equals(key)).toBe(true); // the rename did not happen
    // A reader (not the owner) uses secret.key.next without touching the files...
    const reader = open(dir);
    expect((reader.connectors.getDecrypted(id)!.config.auth as Record<string, unknown>).secretAccessKey).toBe(
      SECRET,
    );
    reader.close();
    expect(fs.existsSync(path.join(dir, NEXT_KEY_FILE))).toBe(true);
    // ...the owner completes the rotation.
    const owner = open(dir, { verifyKey: true });
    expect((owner.connectors.getDecrypted(id)!.config.auth as Record<string, unknown>).secretAccessKey).toBe(
      SECRET,
    );
    expect(readKey(dir).equals(newKey)).toBe(true);
    expect(fs.existsSync(path.join(dir, NEXT_KEY_FILE))).toBe(false);
  });

  it('a crash before the commit leaves the old key in force; the stale next key is removed', () => {
    const { dir, id, key } = seeded();
    fs.writeFileSync(path.join(dir, NEXT_KEY_FILE), Buffer.alloc(32, 8).toString('base64'), { mode: 0o600 });
    const owner = open(dir, { verifyKey: true });
    expect((owner.connectors.getDecrypted(id)!.config.auth as Record<string, unknown>).secretAccessKey).toBe(
      SECRET,
    );
    expect(readKey(dir).equals(key)).toBe(true);
    expect(fs.existsSync(path.join(dir, NEXT_KEY_FILE))).toBe(false);
  });

  it('with INSPECTOR_CONNECTOR_KEY: the new key must be given; the old variable is then refused', () => {
    const dir = tmp();
    const env = { INSPECTOR_CONNECTOR_KEY: Buffer.alloc(32, 2).toString('base64') };
    const s = open(dir, { env });
    const id = s.connectors.create(config()).id;
    expect(() => rotateStoreKey(s.db, { dataDir: dir, env })).toThrow(
      coded('ERR_SECRET_KEY_INVALID', /--new-key-file/),
    );
    const newKey = Buffer.alloc(32, 9);
    expect(rotateStoreKey(s.db, { dataDir: dir, env, newKey }).source).toBe('env');
    s.close();
    expect(fs.existsSync(keyFile(dir))).toBe(false);
    expect(() => open(dir, { env, verifyKey: true })).toThrow(coded('ERR_SECRET_KEY_MISMATCH'));
    const next = open(dir, { env: { INSPECTOR_CONNECTOR_KEY: newKey.toString('base64') }, verifyKey: true });
    expect((next.connectors.getDecrypted(id)!.config.auth as Record<string, unknown>).secretAccessKey).toBe(
      SECRET,
    );
  });
});
