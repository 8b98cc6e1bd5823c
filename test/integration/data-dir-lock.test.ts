/**
 * The real CLI, each command in a process of its own: one owner per data directory (a second
 * `serve`, a `collect` or a `rotate-key` beside a running `serve` are refused with exit 4 and
 * the holder's pid; `search` and `reconcile` keep working; kill -9 of the server frees the
 * directory), and the encryption key check (`serve` refuses a wrong or deleted key with exit 3;
 * `--reset-secrets`; `rotate-key`).
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { openStore } from '../../src/store/index.js';
import { kill9, startServe as startServeProcess } from '../support/cli.js';
import { AWS_TIME, configFor, readerAuth, runCli, spawnCli, writeConfigFile } from './collect-helpers.js';

let emu: Emulator;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  emu = await startEmulator({ ...AWS_TIME, port: 0, findings: 40, seed: 11 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-lock-cli-'));
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await emu.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const config = () => writeConfigFile(dir, configFor(emu, readerAuth, { name: 'lock-inspector' }));
const serveEnv = { INSPECTOR_CONNECTOR_ADMIN_PASSWORD: 'lock-test-admin-password-1', LOG_LEVEL: 'error' };

const startServe = (data: string, env: NodeJS.ProcessEnv = {}, args: string[] = []) =>
  startServeProcess(spawnCli, data, { args, env: { ...serveEnv, ...env }, children });

describe('one owner per data directory', () => {
  it(
    'refuses a second serve, a collect and a rotate-key beside serve; search and reconcile work; kill -9 frees it',
    { timeout: 240_000 },
    async () => {
      const data = path.join(dir, 'data-lock');
      const cfg = config();
      const first = await runCli(['collect', '--config', cfg, '--data', data, '--once']);
      expect(first.code, first.stderr).toBe(0);

      const serve = await startServe(data);
      const second = await runCli(['serve', '--data', data, '--port', '0'], serveEnv);
      expect(second.code).toBe(4);
      expect(second.stderr).toMatch(/ERR_DATA_DIR_LOCKED: the data directory .*data-lock is in use/);
      expect(second.stderr).toContain(`pid ${serve.child.pid} (serve, started `);

      const collect = await runCli(['collect', '--config', cfg, '--data', data, '--once']);
      expect(collect.code).toBe(4);
      expect(collect.stderr).toContain(`pid ${serve.child.pid} (serve,`);
      const newKey = path.join(dir, 'new.key');
      fs.writeFileSync(newKey, Buffer.alloc(32, 7).toString('base64'), { mode: 0o600 });
      const rotate = await runCli(['rotate-key', '--data', data, '--new-key-file', newKey]);
      expect(rotate.code).toBe(4);
      expect(rotate.stderr).toContain(`pid ${serve.child.pid} (serve,`);

      const search = await runCli(['search', '--data', data, '--count']);
      expect(search.code, search.stderr).toBe(0);
      expect(Number(search.stdout.trim())).toBeGreaterThan(0);
      const rec = await runCli(['reconcile', '--config', cfg, '--data', data]);
      expect(rec.code, rec.stdout + rec.stderr).toBe(0);
      expect(rec.stdout).toMatch(/MATCH/);

      await kill9(serve.child);
      const after = await runCli(['collect', '--config', cfg, '--data', data, '--once']);
      expect(after.code, after.stderr).toBe(0);
    },
  );
});

describe('the encryption key at start', () => {
  it(
    'serve refuses a replaced or deleted key file (exit 3); --reset-secrets starts; rotate-key re-encrypts',
    { timeout: 240_000 },
    async () => {
      const data = path.join(dir, 'data-key');
      const cfg = config();
      const fileKey = { INSPECTOR_CONNECTOR_KEY: '' }; // the key file, not the variable
      expect((await runCli(['collect', '--config', cfg, '--data', data, '--once'], fileKey)).code).toBe(0);
      const keyFile = path.join(data, 'secret.key');
      const original = fs.readFileSync(keyFile);

      fs.writeFileSync(keyFile, Buffer.alloc(32, 1).toString('base64'), { mode: 0o600 });
      const wrong = await runCli(['serve', '--data', data, '--port', '0'], { ...serveEnv, ...fileKey });
      expect(wrong.code).toBe(3);
      expect(wrong.stderr).toMatch(/ERR_SECRET_KEY_MISMATCH: key file .*secret\.key is not the key/);
      expect(wrong.stderr).toMatch(/--reset-secrets/);

      fs.writeFileSync(keyFile, 'short', { mode: 0o600 });
      const short = await runCli(['serve', '--data', data, '--port', '0'], { ...serveEnv, ...fileKey });
      expect(short.code).toBe(3);
      expect(short.stderr).toMatch(/ERR_SECRET_KEY_INVALID: key file .* exactly 32 bytes/);

      fs.rmSync(keyFile);
      const missing = await runCli(['serve', '--data', data, '--port', '0'], { ...serveEnv, ...fileKey });
      expect(missing.code).toBe(3);
      expect(missing.stderr).toMatch(/ERR_SECRET_KEY_INVALID: the key file .* is missing/);
      expect(fs.existsSync(keyFile)).toBe(false); // not silently re-created

      // The original key back: rotate it, and the store opens with the new key only.
      fs.writeFileSync(keyFile, original, { mode: 0o600 });
      const rotate = await runCli(['rotate-key', '--data', data], fileKey);
      expect(rotate.code, rotate.stderr).toBe(0);
      expect(rotate.stdout).toMatch(/re-encrypted 2 secrets of 1 connectors under the new key/);
      expect(fs.readFileSync(keyFile).equals(original)).toBe(false);
      const collect = await runCli(['collect', '--config', cfg, '--data', data, '--once'], fileKey);
      expect(collect.code, collect.stderr).toBe(0);

      // The key lost for good: --reset-secrets starts with a new key; the connector shows the code.
      fs.rmSync(keyFile);
      const serve = await startServe(data, { ...fileKey, LOG_LEVEL: 'warn' }, ['--reset-secrets']);
      await kill9(serve.child);
      expect(serve.output()).toMatch(/re-enter their secrets \(ERR_SECRET_UNREADABLE\)/);
      expect(serve.output()).toContain('lock-inspector');
      const store = openStore({ dataDir: data, env: {} });
      try {
        const c = store.connectors.getByName('lock-inspector')!;
        expect(c.status).toMatchObject({ state: 'failed', lastError: { code: 'ERR_SECRET_UNREADABLE' } });
      } finally {
        store.close();
      }
      // collect upserts the connector with the secrets of its config file: repaired.
      const repaired = await runCli(['collect', '--config', cfg, '--data', data, '--once'], fileKey);
      expect(repaired.code, repaired.stderr).toBe(0);
    },
  );
});
