import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
let dir: string | undefined;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Resolves with the first stdout match of `re`. */
function waitFor(stream: NodeJS.ReadableStream, re: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      const m = re.exec(buf);
      if (m) {
        stream.off('data', onData);
        resolve(m);
      }
    };
    stream.on('data', onData);
    stream.on('end', () => reject(new Error(`stream ended without ${re}: ${buf}`)));
  });
}

describe('serve (a real process)', () => {
  it('starts on a free port, prints the generated admin password once, answers /healthz, exits 0 on SIGTERM', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-serve-'));
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
    delete env.INSPECTOR_CONNECTOR_ADMIN_PASSWORD;
    delete env.INSPECTOR_CONNECTOR_KEY;
    const start = () =>
      spawn(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--data', dir!, '--port', '0'],
        {
          cwd: root,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );

    const child = start();
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const [, url] = await waitFor(child.stdout, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const password = /generated password: (\S+)/.exec(out)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);

    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    expect(login.status).toBe(200);

    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    // Second start on the same data: the admin exists, no password is printed again.
    const again = start();
    let out2 = '';
    again.stdout.on('data', (d: Buffer) => (out2 += d.toString('utf8')));
    await waitFor(again.stdout, /listening on/);
    let err2 = '';
    again.stderr.on('data', (d: Buffer) => (err2 += d.toString('utf8')));
    const exited2 = new Promise<string>((resolve) =>
      again.on('exit', (code, signal) => resolve(`${code}/${signal}`)),
    );
    again.kill('SIGINT');
    expect(await exited2, err2).toBe('0/null');
    expect(out2).not.toContain('password');
    expect(out2).not.toContain(password!);
  });
});
