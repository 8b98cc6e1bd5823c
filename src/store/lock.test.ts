/** The data directory's owner lock (lock.ts): refusal naming the holder, release, kill -9. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CodedError } from '../core/errors.js';
import { lockDataDir, OWNER_FILE } from './lock.js';

const LOCK_TS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lock.ts');
const dirs: string[] = [];
const children: ChildProcess[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-lock-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function refusal(dir: string, command: string): CodedError {
  try {
    lockDataDir(dir, command).release();
  } catch (e) {
    if (e instanceof CodedError) return e;
    throw e;
  }
  throw new Error('the lock was granted');
}

/** A child process that takes the lock, prints "locked" and waits (until killed). */
async function lockedByChild(dir: string): Promise<ChildProcess> {
  const code = `import(${JSON.stringify(LOCK_TS)}).then((m) => { m.lockDataDir(${JSON.stringify(dir)}, 'serve'); process.stdout.write('locked\\n'); setInterval(() => {}, 1 << 30); });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('locked')) resolve();
    });
    child.on('exit', (c) => reject(new Error(`child exited ${c}: ${err}`)));
  });
  return child;
}

describe('data directory lock', () => {
  it('a second owner in the same process is refused, naming the holder; released, it is free again', () => {
    const dir = tmp();
    const lock = lockDataDir(dir, 'serve');
    const e = refusal(dir, 'collect');
    expect(e.code).toBe('ERR_DATA_DIR_LOCKED');
    expect(e.message).toContain(`pid ${process.pid} (serve, started `);
    expect(e.message).toMatch(/stop that process first, or use another --data directory/);
    // The failed attempt closed its own handle without dropping the holder's lock.
    expect(refusal(dir, 'collect').code).toBe('ERR_DATA_DIR_LOCKED');
    lock.release();
    expect(fs.existsSync(path.join(dir, OWNER_FILE))).toBe(false);
    const again = lockDataDir(dir, 'collect');
    again.release();
  });

  it('held by another process: refused with its pid; after kill -9 of that process the lock is free', async () => {
    const dir = tmp();
    const child = await lockedByChild(dir);
    const e = refusal(dir, 'serve');
    expect(e.code).toBe('ERR_DATA_DIR_LOCKED');
    expect(e.message).toContain(`pid ${child.pid} (serve,`);
    const gone = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await gone;
    // The OS dropped the lock; the stale owner.json does not matter (the lock is the truth).
    expect(fs.existsSync(path.join(dir, OWNER_FILE))).toBe(true);
    const lock = lockDataDir(dir, 'serve');
    expect(JSON.parse(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8'))).toMatchObject({
      pid: process.pid,
      command: 'serve',
    });
    lock.release();
  });
});
