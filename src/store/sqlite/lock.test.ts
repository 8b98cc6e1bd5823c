/** The data directory's owner lock (lock.ts): refusal naming the holder, release, kill -9. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { kill9 } from '../../../test/support/cli.js';
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

/** Matches the refusal: ERR_DATA_DIR_LOCKED with a message containing `holder`. */
const refused = (holder: string) =>
  expect.objectContaining({ code: 'ERR_DATA_DIR_LOCKED', message: expect.stringContaining(holder) });

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
    expect(() => lockDataDir(dir, 'collect')).toThrow(refused(`pid ${process.pid} (serve, started `));
    // The failed attempt closed its own handle without dropping the holder's lock.
    expect(() => lockDataDir(dir, 'collect')).toThrow(
      expect.objectContaining({
        code: 'ERR_DATA_DIR_LOCKED',
        message: expect.stringMatching(/stop that process first, or use another --data directory/),
      }),
    );
    lock.release();
    expect(fs.existsSync(path.join(dir, OWNER_FILE))).toBe(false);
    const again = lockDataDir(dir, 'collect');
    again.release();
  });

  it('held by another process: refused with its pid; after kill -9 of that process the lock is free', async () => {
    const dir = tmp();
    const child = await lockedByChild(dir);
    expect(() => lockDataDir(dir, 'serve')).toThrow(refused(`pid ${child.pid} (serve,`));
    await kill9(child);
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
