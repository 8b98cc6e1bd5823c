/**
 * Encryption at rest for connector secrets: AES-256-GCM, a random 12-byte IV per value, the
 * connector id and field path as additional authenticated data (a ciphertext cannot be moved
 * to another connector or field). Key: `INSPECTOR_CONNECTOR_KEY` (base64 of 32 bytes), else
 * `DATA_DIR/secret.key` (base64 text), generated with mode 0600 on first use.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CodedError } from '../core/errors.js';

export const KEY_FILE = 'secret.key';
export const KEY_ENV = 'INSPECTOR_CONNECTOR_KEY';

function decodeKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
  if (key.length !== 32) {
    throw new CodedError(
      'ERR_STORE',
      `${source} must be the base64 encoding of exactly 32 bytes (got ${key.length} bytes); generate one with: openssl rand -base64 32`,
    );
  }
  return key;
}

/** Resolve the encryption key: explicit, env var, or the key file (created if missing). */
export function loadKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const fromEnv = env[KEY_ENV];
  if (fromEnv) return decodeKey(fromEnv, KEY_ENV);
  const file = path.join(dataDir, KEY_FILE);
  try {
    const text = randomBytes(32).toString('base64') + '\n';
    // 'wx': never overwrite an existing key (that would make stored secrets unreadable).
    fs.writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new CodedError('ERR_STORE', `cannot create the key file ${file}: ${(e as Error).message}`);
    }
  }
  const st = fs.statSync(file);
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new CodedError(
      'ERR_STORE',
      `key file ${file} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${file}`,
    );
  }
  return decodeKey(fs.readFileSync(file, 'utf8'), `key file ${file}`);
}

export interface SecretBox {
  encrypt(plaintext: string, aad: string): string;
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
      try {
        const d = createDecipheriv('aes-256-gcm', k(), Buffer.from(iv ?? '', 'base64'));
        d.setAAD(Buffer.from(aad, 'utf8'));
        d.setAuthTag(Buffer.from(tag ?? '', 'base64'));
        return Buffer.concat([d.update(Buffer.from(ct ?? '', 'base64')), d.final()]).toString('utf8');
      } catch (e) {
        if (e instanceof CodedError) throw e;
        throw new CodedError(
          'ERR_STORE',
          `cannot decrypt a stored secret (${aad.split('\u0000')[1] ?? 'secret'}): the key in ${KEY_ENV} or ${KEY_FILE} is not the one it was encrypted with`,
        );
      }
    },
  };
}
