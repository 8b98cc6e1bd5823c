/**
 * Encryption at rest for connector secrets: AES-256-GCM, a random 12-byte IV per value, the
 * connector id and field path as additional authenticated data (a ciphertext cannot be moved
 * to another connector or field). Key: `INSPECTOR_CONNECTOR_KEY` (base64 of 32 bytes), else
 * `DATA_DIR/secret.key` (base64 text, mode 0600). Which key the store's secrets belong to is
 * recorded as a key check value (keys.ts), never the key itself.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CodedError, FieldsError } from '../core/errors.js';

export const KEY_FILE = 'secret.key';
/** A key being rotated in (rotate-key): becomes KEY_FILE once the store is re-encrypted. */
export const NEXT_KEY_FILE = 'secret.key.next';
export const KEY_ENV = 'INSPECTOR_CONNECTOR_KEY';

const CHECK_LABEL = 'inspector-connector key check v1';

/** HMAC-SHA256(key, fixed label): identifies the key without revealing it. */
export function keyCheckValue(key: Buffer): string {
  return `hmac-sha256:${createHmac('sha256', key).update(CHECK_LABEL).digest('base64')}`;
}

export function decodeKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
  if (key.length !== 32) {
    throw new CodedError(
      'ERR_SECRET_KEY_INVALID',
      `${source} must be the base64 encoding of exactly 32 bytes (got ${key.length} bytes); generate one with: openssl rand -base64 32`,
    );
  }
  return key;
}

/** Reads a key file (undefined when it does not exist); refuses loose permissions and bad lengths. */
export function readKeyFile(file: string): Buffer | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CodedError(
      'ERR_SECRET_KEY_INVALID',
      `cannot read the key file ${file}: ${(e as Error).message}`,
    );
  }
  if (!st.isFile()) throw new CodedError('ERR_SECRET_KEY_INVALID', `key file ${file} is not a regular file`);
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new CodedError(
      'ERR_SECRET_KEY_INVALID',
      `key file ${file} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${file}`,
    );
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CodedError(
      'ERR_SECRET_KEY_INVALID',
      `cannot read the key file ${file}: ${(e as Error).message}`,
    );
  }
  return decodeKey(text, `key file ${file}`);
}

/** Writes a new key file (mode 0600, never over an existing file) and syncs it to disk. */
export function writeKeyFile(file: string, key: Buffer): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'wx', 0o600);
    fs.writeSync(fd, key.toString('base64') + '\n');
    fs.fsyncSync(fd);
  } catch (e) {
    throw new CodedError(
      'ERR_SECRET_KEY_INVALID',
      `cannot create the key file ${file}: ${(e as Error).message}`,
    );
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  syncDir(path.dirname(file));
}

/** Makes a rename or a new file in `dir` durable (best effort where directories cannot be opened). */
export function syncDir(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export const generateKey = (): Buffer => randomBytes(32);

/** Where the key comes from: the environment wins over the key file. */
export interface KeySource {
  kind: 'explicit' | 'env' | 'file';
  /** For messages: `INSPECTOR_CONNECTOR_KEY` or `key file /data/secret.key`. */
  label: string;
  /** The key, or undefined when the key file does not exist (yet). */
  key: Buffer | undefined;
  file: string;
}

/** A key given as bytes (not base64 text: decodeKey) must be 32 of them. */
export function assertKeyLength(key: Buffer): void {
  if (key.length !== 32) {
    throw new CodedError(
      'ERR_SECRET_KEY_INVALID',
      `the encryption key must be exactly 32 bytes (got ${key.length})`,
    );
  }
}

export function keySource(dataDir: string, env: NodeJS.ProcessEnv, explicit?: Buffer): KeySource {
  const file = path.join(dataDir, KEY_FILE);
  if (explicit) {
    assertKeyLength(explicit);
    return { kind: 'explicit', label: 'the key given', key: explicit, file };
  }
  const fromEnv = env[KEY_ENV];
  if (fromEnv) return { kind: 'env', label: KEY_ENV, key: decodeKey(fromEnv, KEY_ENV), file };
  return { kind: 'file', label: `key file ${file}`, key: readKeyFile(file), file };
}

/** Stored secrets that the current key cannot decrypt; `fields` are their dotted paths. */
export class SecretUnreadableError extends FieldsError {
  constructor(fields: readonly string[]) {
    const what = fields.length === 1 ? `secret ${fields[0]}` : `secrets ${fields.join(', ')}`;
    super(
      'ERR_SECRET_UNREADABLE',
      fields.map((field) => ({
        field,
        message: 'the stored value cannot be decrypted with the current encryption key; re-enter the secret',
      })),
      `the stored ${what} cannot be decrypted with the current encryption key (it was replaced); re-enter the secret`,
    );
  }
}

/**
 * The additional authenticated data of a sealed connector secret: its connector and field (a
 * ciphertext copied to another connector or field does not decrypt). Every backend seals with it.
 */
export const secretAad = (id: string, field: string): string => `${id}\u0000${field}`;

export interface SecretBox {
  encrypt(plaintext: string, aad: string): string;
  /** Throws SecretUnreadableError when the value does not decrypt (wrong key, damaged, moved). */
  decrypt(sealed: string, aad: string): string;
}

/** `getKey` is called lazily so that opening a store to search never needs (or creates) a key. */
export function secretBox(getKey: () => Buffer): SecretBox {
  let key: Buffer | undefined;
  const k = () => (key ??= getKey());
  return {
    encrypt(plaintext, aad) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', k(), iv);
      c.setAAD(Buffer.from(aad, 'utf8'));
      const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
      return `${iv.toString('base64')}.${c.getAuthTag().toString('base64')}.${ct.toString('base64')}`;
    },
    decrypt(sealed, aad) {
      const [iv, tag, ct] = sealed.split('.');
      const theKey = k();
      try {
        const d = createDecipheriv('aes-256-gcm', theKey, Buffer.from(iv ?? '', 'base64'));
        d.setAAD(Buffer.from(aad, 'utf8'));
        d.setAuthTag(Buffer.from(tag ?? '', 'base64'));
        return Buffer.concat([d.update(Buffer.from(ct ?? '', 'base64')), d.final()]).toString('utf8');
      } catch {
        throw new SecretUnreadableError([aad.split('\u0000')[1] ?? 'secret']);
      }
    },
  };
}
