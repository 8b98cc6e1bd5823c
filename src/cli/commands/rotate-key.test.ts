import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openStore } from '../../store/index.js';
import { rotateKeyCommand } from './rotate-key.js';

let dir: string | undefined;
afterEach(() => {
  vi.restoreAllMocks();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('rotate-key', () => {
  it('a key from INSPECTOR_CONNECTOR_KEY without --new-key-file: the store refuses it (one check), exit 3', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-rotate-'));
    const env = { INSPECTOR_CONNECTOR_KEY: Buffer.alloc(32, 2).toString('base64') };
    openStore({ dataDir: dir, env }).close();
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      err += String(s);
      return true;
    });
    expect(rotateKeyCommand({ data: dir }, env)).toBe(3);
    expect(err).toMatch(
      /^inspector-connector rotate-key: ERR_SECRET_KEY_INVALID: the key comes from INSPECTOR_CONNECTOR_KEY/,
    );
    expect(err).toContain('openssl rand -base64 32 > new.key');
    expect(err).toContain('--new-key-file new.key');
  });
});
