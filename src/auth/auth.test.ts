import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../core/clock.js';
import { openStore, ROOT_TENANT, type Store } from '../store/index.js';
import { CodedError, FieldsError } from '../core/errors.js';
import {
  createHashGate,
  generatePassword,
  hashPassword,
  passwordProblem,
  verifyPassword,
} from './password.js';
import { loginLimiter } from './limiter.js';
import { ensureAdmin } from './bootstrap.js';
import { sessionsRepo, usersRepo } from './users.js';
import { storeFileRows } from '../../test/support/store-file.js';

let store: Store | undefined;
let dir: string | undefined;
afterEach(() => {
  store?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  store = undefined;
  dir = undefined;
});
function open(): Store {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-auth-'));
  store = openStore({ dataDir: dir, key: randomBytes(32) });
  return store;
}

describe('password hashing (scrypt)', () => {
  it('hashes with N=2^15, r=8, p=1 and a random salt; verifies only the right password', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(a).not.toBe(b); // salted
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('correct horse battery', a.replace(/.$/, a.endsWith('A') ? 'B' : 'A'))).toBe(
      false,
    );
    expect(await verifyPassword('x', 'plain-text')).toBe(false);
  });

  it('generates strong passwords and enforces a minimum length', () => {
    const p = generatePassword();
    expect(p).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(generatePassword()).not.toBe(p);
    expect(passwordProblem('short')).toMatch(/at least 12/);
    expect(passwordProblem('long-enough-pw')).toBeUndefined();
    expect(passwordProblem(generatePassword())).toBeUndefined();
  });
});

describe('password rules (NIST SP 800-63B)', () => {
  it('refuses the weak passwords of issue 10 with a reason naming the field', () => {
    expect(passwordProblem(' '.repeat(12))).toMatch(
      /^password is too easy to guess: it repeats one character/,
    );
    expect(passwordProblem('\0'.repeat(12))).toBe(
      'password must not contain control characters (found U+0000); any other character is allowed',
    );
    expect(passwordProblem('aaaaaaaaaaaa')).toMatch(
      /^password is too easy to guess: it repeats one character/,
    );
    expect(passwordProblem('123456789012', { field: 'newPassword' })).toMatch(
      /^newPassword is too easy to guess: it is a commonly used or breached password/,
    );
  });

  it('refuses common passwords, sequences, keyboard walks and the user name; NFKC does not hide them', () => {
    expect(passwordProblem('password1234')).toMatch(/commonly used or breached/);
    expect(passwordProblem('ｐａｓｓｗｏｒｄ１２３４')).toMatch(/commonly used or breached/); // full-width
    expect(passwordProblem('abcdefghijkl')).toMatch(/simple sequence/);
    expect(passwordProblem('qwertyuiop[]')).toMatch(/keyboard pattern/);
    expect(passwordProblem('inspector-connector1')).toMatch(/user name or the name of this service/);
    expect(passwordProblem('alicealice12', { userInputs: ['alice'] })).toMatch(/too easy to guess/);
  });

  it('refuses control characters (C0, DEL, C1) and broken Unicode; allows spaces and any script', () => {
    for (const c of ['\t', '\n', '\x7f', '\u0085']) {
      expect(passwordProblem(`long-enough${c}passphrase`), JSON.stringify(c)).toMatch(/control characters/);
    }
    expect(passwordProblem('\ud800long-enough-passphrase')).toMatch(/valid Unicode/);
    expect(passwordProblem('correct horse battery staple')).toBeUndefined();
    expect(passwordProblem('Schöne Grüße aus Köln')).toBeUndefined();
    expect(passwordProblem('long-enough-pw')).toBeUndefined();
  });

  it('counts Unicode characters, not UTF-16 units, for the minimum of 12', () => {
    expect(passwordProblem('🌧'.repeat(11))).toBe('password must be at least 12 characters');
    expect(passwordProblem('x'.repeat(1025))).toBe('password must be at most 1024 characters');
  });
});

describe('password hashing gate', () => {
  it('runs a bounded number of hashes at once, queues a few, and answers ERR_BUSY beyond', async () => {
    const gate = createHashGate({ concurrency: 2, maxQueue: 1 });
    const started: number[] = [];
    const release: (() => void)[] = [];
    const task = (i: number) => () =>
      new Promise<number>((resolve) => {
        started.push(i);
        release.push(() => resolve(i));
      });
    const runs = [gate.run(task(1)), gate.run(task(2)), gate.run(task(3))];
    await Promise.resolve();
    expect(started).toEqual([1, 2]); // the third waits
    const busy = await gate.run(task(4)).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(CodedError);
    expect((busy as CodedError).code).toBe('ERR_BUSY');
    expect((busy as CodedError).httpStatus).toBe(503);
    release[0]!();
    expect(await runs[0]).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([1, 2, 3]); // handed the free slot
    release[1]!();
    release[2]!();
    expect(await Promise.all(runs)).toEqual([1, 2, 3]);
    // A failing task frees its slot too.
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run(async () => 'ok')).toBe('ok');
  });
});

describe('failed log-in limiter (per user name, growing delay)', () => {
  const limiter = (clock = fixedClock(0)) => ({
    clock,
    l: loginLimiter({ clock, free: 3, delayMs: 1_000, maxDelayMs: 5_000, forgetAfterMs: 60_000 }),
  });
  const fail = (l: ReturnType<typeof loginLimiter>, key = 'bob') => {
    const wait = l.attempt(key);
    if (wait === 0) l.fail(key);
    return wait;
  };

  it('allows `free` failures, then doubles the delay up to the cap; a success resets', () => {
    const { clock, l } = limiter();
    expect([fail(l), fail(l), fail(l)]).toEqual([0, 0, 0]);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const wait = l.attempt('bob');
      waits.push(wait);
      clock.advance(wait);
      expect(fail(l)).toBe(0);
    }
    // 1 s, 2 s, 4 s, then the cap of 5 s: the user can always try again within the cap.
    expect(waits).toEqual([1_000, 2_000, 4_000, 5_000, 5_000, 5_000]);
    expect(l.attempt('other')).toBe(0); // other names are not affected
    clock.advance(5_000);
    expect(l.attempt('bob')).toBe(0);
    l.succeed('bob');
    expect([fail(l), fail(l), fail(l)]).toEqual([0, 0, 0]);
  });

  it('counts attempts in flight: parallel guesses cannot pass the limit; release does not count', () => {
    const { clock, l } = limiter();
    expect([l.attempt('bob'), l.attempt('bob'), l.attempt('bob')]).toEqual([0, 0, 0]);
    expect(l.attempt('bob')).toBeGreaterThan(0); // three in flight use up the free ones
    l.release('bob'); // e.g. the server was busy: not judged
    expect(l.attempt('bob')).toBe(0);
    l.fail('bob');
    l.fail('bob');
    l.fail('bob');
    const wait = l.attempt('bob');
    expect(wait).toBe(1_000);
    clock.advance(wait);
    expect(l.attempt('bob')).toBe(0);
    expect(l.attempt('bob')).toBeGreaterThan(0); // past the free ones: one at a time
  });

  it('forgets a key after a quiet period, and bounds memory', () => {
    const { clock, l } = limiter();
    fail(l);
    fail(l);
    fail(l);
    expect(l.attempt('bob')).toBe(1_000);
    clock.advance(60_000);
    expect([fail(l), fail(l), fail(l)]).toEqual([0, 0, 0]);

    const small = loginLimiter({ clock, free: 1, delayMs: 1_000, maxKeys: 2 });
    for (const k of ['a', 'b', 'c']) fail(small, k);
    expect(small.attempt('c')).toBe(1_000); // the newest key is kept
    expect(small.attempt('a')).toBe(0); // the oldest was dropped
  });
});

describe('admin bootstrap', () => {
  it('uses INSPECTOR_CONNECTOR_ADMIN_PASSWORD when set, and never prints it', async () => {
    const users = usersRepo(open(), fixedClock(1));
    const r = await ensureAdmin(users, { INSPECTOR_CONNECTOR_ADMIN_PASSWORD: 'chosen-password-1' });
    expect(r).toEqual({ created: true });
    expect(await users.authenticate('admin', 'chosen-password-1')).toMatchObject({
      role: 'root_admin',
      tenantId: ROOT_TENANT.id,
    });
  });

  it('refuses a weak INSPECTOR_CONNECTOR_ADMIN_PASSWORD, naming the variable', async () => {
    const users = usersRepo(open(), fixedClock(1));
    await expect(ensureAdmin(users, { INSPECTOR_CONNECTOR_ADMIN_PASSWORD: '123456789012' })).rejects.toThrow(
      /^INSPECTOR_CONNECTOR_ADMIN_PASSWORD: password is too easy to guess/,
    );
    expect(users.count()).toBe(0);
  });

  it('generates a password otherwise (no fixed default), only on the first start', async () => {
    const users = usersRepo(open(), fixedClock(1));
    const r = await ensureAdmin(users, {});
    expect(r.created).toBe(true);
    expect(r.generatedPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(await users.authenticate('admin', r.generatedPassword!)).toBeDefined();
    expect(await ensureAdmin(users, {})).toEqual({ created: false });
    expect(users.count()).toBe(1);
  });
});

describe('sessions', () => {
  it('stores the sha256 of the token, expires, and is removed on delete', async () => {
    const s = open();
    const clock = fixedClock(1_000);
    const users = usersRepo(s, clock);
    const u = await users.create({
      username: 'u1',
      password: 'u1-password-123',
      role: 'analyst',
      tenantId: ROOT_TENANT.id,
    });
    const sessions = sessionsRepo(s, clock, 5_000);
    const { token, csrfToken, expiresAt } = sessions.create(u.id);
    expect(expiresAt).toBe(6_000);
    expect(sessions.lookup(token)).toEqual({ userId: u.id, csrfToken, expiresAt });
    expect(JSON.stringify(storeFileRows(s.dataDir, 'SELECT * FROM sessions'))).not.toContain(token);
    expect(sessions.lookup(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'))).toBeUndefined();
    clock.advance(5_000);
    expect(sessions.lookup(token)).toBeUndefined();
    expect(sessions.purgeExpired()).toBe(1);
    const again = sessions.create(u.id);
    sessions.delete(again.token);
    expect(sessions.lookup(again.token)).toBeUndefined();
  });

  it('usernames are unique regardless of case', async () => {
    const users = usersRepo(open(), fixedClock(1));
    await users.create({
      username: 'Bob',
      password: 'bob-password-123',
      role: 'analyst',
      tenantId: ROOT_TENANT.id,
    });
    await expect(
      users.create({
        username: 'bob',
        password: 'bob-password-123',
        role: 'analyst',
        tenantId: ROOT_TENANT.id,
      }),
    ).rejects.toThrow(/user name "bob" is not available/);
  });

  it("create and setPassword refuse a weak password with a FieldsError naming the caller's field", async () => {
    const s = open();
    const users = usersRepo(s, fixedClock(1));
    const input = { username: 'alice', role: 'analyst' as const, tenantId: ROOT_TENANT.id };
    const refused = (p: Promise<unknown>) =>
      p.then(
        () => expect.unreachable('accepted a weak password'),
        (e: unknown) => {
          expect(e).toBeInstanceOf(FieldsError);
          return { code: (e as FieldsError).code, fields: (e as FieldsError).fields };
        },
      );
    expect(await refused(users.create({ ...input, password: 'short' }))).toEqual({
      code: 'ERR_VALIDATION',
      fields: [{ field: 'password', message: 'password must be at least 12 characters' }],
    });
    const u = await users.create({ ...input, password: 'alice-password-123' });
    const hashBefore = s.users.credentials('alice')?.passwordHash;
    // The user name given to setPassword feeds the guessability check.
    const weak = await refused(users.setPassword(u, 'alicealice12', { field: 'newPassword' }));
    expect(weak.fields).toHaveLength(1);
    expect(weak.fields[0]!.field).toBe('newPassword');
    expect(weak.fields[0]!.message).toMatch(/^newPassword is too easy to guess: /);
    expect(s.users.credentials('alice')?.passwordHash).toBe(hashBefore);
    await users.setPassword(u, 'a-brand-new-password');
    expect(await users.authenticate('alice', 'a-brand-new-password')).toBeDefined();
  });
});
