import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../core/clock.js';
import { openStore, ROOT_TENANT, type Store } from '../store/index.js';
import { generatePassword, hashPassword, passwordProblem, verifyPassword } from './password.js';
import { ensureAdmin } from './bootstrap.js';
import { sessionsRepo, usersRepo } from './users.js';

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
  });
});

describe('admin bootstrap', () => {
  it('uses INSPECTOR_CONNECTOR_ADMIN_PASSWORD when set, and never prints it', async () => {
    const users = usersRepo(open().db, fixedClock(1));
    const r = await ensureAdmin(users, { INSPECTOR_CONNECTOR_ADMIN_PASSWORD: 'chosen-password-1' });
    expect(r).toEqual({ created: true });
    expect(await users.authenticate('admin', 'chosen-password-1')).toMatchObject({
      role: 'root_admin',
      tenantId: ROOT_TENANT.id,
    });
  });

  it('generates a password otherwise (no fixed default), only on the first start', async () => {
    const users = usersRepo(open().db, fixedClock(1));
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
    const users = usersRepo(s.db, clock);
    const u = await users.create({
      username: 'u1',
      password: 'u1-password-123',
      role: 'analyst',
      tenantId: ROOT_TENANT.id,
    });
    const sessions = sessionsRepo(s.db, clock, 5_000);
    const { token, csrfToken, expiresAt } = sessions.create(u.id);
    expect(expiresAt).toBe(6_000);
    expect(sessions.lookup(token)).toEqual({ userId: u.id, csrfToken, expiresAt });
    expect(JSON.stringify(s.db.prepare('SELECT * FROM sessions').all())).not.toContain(token);
    expect(sessions.lookup(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'))).toBeUndefined();
    clock.advance(5_000);
    expect(sessions.lookup(token)).toBeUndefined();
    expect(sessions.purgeExpired()).toBe(1);
    const again = sessions.create(u.id);
    sessions.delete(again.token);
    expect(sessions.lookup(again.token)).toBeUndefined();
  });

  it('usernames are unique regardless of case', async () => {
    const users = usersRepo(open().db, fixedClock(1));
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
});
