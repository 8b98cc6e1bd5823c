/**
 * API users and sessions, stored in the same SQLite file as the rest (tables from migration 3
 * in src/store/sqlite/migrations.ts). Roles: root_admin (everything, Root Tenant only), tenant_admin
 * (connectors, log filters and users of their tenant), analyst (search their tenant only).
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { Clock } from '../core/clock.js';
import { CodedError, FieldsError } from '../core/errors.js';
import { defaultHashGate, hashPassword, passwordProblem, verifyPassword, type HashGate } from './password.js';

export const ROLES = ['root_admin', 'tenant_admin', 'analyst'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  id: string;
  username: string;
  role: Role;
  tenantId: string;
  createdAt: number;
  updatedAt: number;
}

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  role: Role;
  tenant_id: string;
  created_at: number;
  updated_at: number;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  role: r.role,
  tenantId: r.tenant_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export interface UsersRepo {
  count(): number;
  list(tenantId?: string): User[];
  get(id: string): User | undefined;
  getByUsername(username: string): User | undefined;
  /**
   * Validates the password rules (src/auth/password.ts): a FieldsError ERR_VALIDATION naming
   * `opts.field`; the caller checks role/tenant rules.
   */
  create(
    input: { username: string; password: string; role: Role; tenantId: string },
    opts?: PasswordFieldOptions,
  ): Promise<User>;
  /** Validates the password rules like create (the user name feeds the guessability check); ends the user's sessions. */
  setPassword(
    user: { id: string; username: string },
    password: string,
    opts?: PasswordFieldOptions,
  ): Promise<void>;
  delete(id: string): boolean;
  /** The user when the password is right; costs one scrypt either way (no user enumeration by timing). */
  authenticate(username: string, password: string): Promise<User | undefined>;
}

/** Where a refused password came from, for the FieldsError it raises. */
export interface PasswordFieldOptions {
  /** The field named in the error (default "password"): a request field or an environment variable. */
  field?: string;
  /** What the message calls the password (default: the field). */
  label?: string;
}

/**
 * User names are global (log-in needs no tenant), so a taken name is refused whichever tenant
 * holds it; the message says no more than that, so a tenant admin learns nothing about other
 * tenants' users.
 */
const nameNotAvailable = (username: string) => `the user name "${username}" is not available: choose another`;

export function usersRepo(db: Database, clock: Clock, opts: { hashGate?: HashGate } = {}): UsersRepo {
  const gate = opts.hashGate ?? defaultHashGate;
  const s = {
    count: db.prepare('SELECT count(*) FROM users').pluck(),
    list: db.prepare('SELECT * FROM users ORDER BY username'),
    listTenant: db.prepare('SELECT * FROM users WHERE tenant_id = ? ORDER BY username'),
    get: db.prepare('SELECT * FROM users WHERE id = ?'),
    byName: db.prepare('SELECT * FROM users WHERE username = ?'),
    insert: db.prepare(
      `INSERT INTO users (id, username, password_hash, role, tenant_id, created_at, updated_at)
       VALUES (@id, @username, @hash, @role, @tenantId, @now, @now)`,
    ),
    setPassword: db.prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?'),
    dropSessions: db.prepare('DELETE FROM sessions WHERE user_id = ?'),
    delete: db.prepare('DELETE FROM users WHERE id = ?'),
  };
  let dummy: Promise<string> | undefined;
  const dummyHash = () =>
    (dummy ??= hashPassword(randomBytes(16).toString('hex'), gate).catch((e: unknown) => {
      dummy = undefined; // a busy gate must not leave a rejected promise here for good
      throw e;
    }));

  const checkPassword = (password: string, username: string, opts: PasswordFieldOptions = {}) => {
    const field = opts.field ?? 'password';
    const problem = passwordProblem(password, { field: opts.label ?? field, userInputs: [username] });
    if (problem) throw new FieldsError('ERR_VALIDATION', [{ field, message: problem }]);
  };

  return {
    count: () => s.count.get() as number,
    list: (tenantId) =>
      ((tenantId === undefined ? s.list.all() : s.listTenant.all(tenantId)) as UserRow[]).map(toUser),
    get: (id) => {
      const r = s.get.get(id) as UserRow | undefined;
      return r && toUser(r);
    },
    getByUsername: (username) => {
      const r = s.byName.get(username) as UserRow | undefined;
      return r && toUser(r);
    },
    async create(input, opts) {
      checkPassword(input.password, input.username, opts);
      if (s.byName.get(input.username)) {
        throw new CodedError('ERR_CONFLICT', nameNotAvailable(input.username));
      }
      const hash = await hashPassword(input.password, gate);
      const id = randomUUID();
      // Re-checked after the await: another request may have taken the name meanwhile.
      if (s.byName.get(input.username)) {
        throw new CodedError('ERR_CONFLICT', nameNotAvailable(input.username));
      }
      s.insert.run({
        id,
        username: input.username,
        hash,
        role: input.role,
        tenantId: input.tenantId,
        now: clock.now(),
      });
      return toUser(s.get.get(id) as UserRow);
    },
    async setPassword(user, password, opts) {
      checkPassword(password, user.username, opts);
      const hash = await hashPassword(password, gate);
      db.transaction(() => {
        s.setPassword.run(hash, clock.now(), user.id);
        // A new password ends every other session of that user.
        s.dropSessions.run(user.id);
      }).immediate();
    },
    delete: (id) => s.delete.run(id).changes > 0,
    async authenticate(username, password) {
      const r = s.byName.get(username) as UserRow | undefined;
      const ok = await verifyPassword(password, r?.password_hash ?? (await dummyHash()), gate);
      return r && ok ? toUser(r) : undefined;
    },
  };
}

// ---------------------------------------------------------------- sessions

export const SESSION_TTL_MS = 12 * 3_600_000;

export interface Session {
  userId: string;
  csrfToken: string;
  expiresAt: number;
}

export interface SessionsRepo {
  /** A new session; the token is returned once and only its hash is stored. */
  create(userId: string): { token: string; csrfToken: string; expiresAt: number };
  /** The live session for a token, or undefined (unknown or expired). */
  lookup(token: string): Session | undefined;
  delete(token: string): void;
  purgeExpired(): number;
}

const sha256 = (t: string) => createHash('sha256').update(t, 'utf8').digest('hex');

export function sessionsRepo(db: Database, clock: Clock, ttlMs = SESSION_TTL_MS): SessionsRepo {
  const s = {
    insert: db.prepare(
      'INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
    ),
    get: db.prepare('SELECT user_id, csrf_token, expires_at FROM sessions WHERE token_hash = ?'),
    delete: db.prepare('DELETE FROM sessions WHERE token_hash = ?'),
    purge: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
  };
  return {
    create(userId) {
      const token = randomBytes(32).toString('base64url');
      const csrfToken = randomBytes(32).toString('base64url');
      const now = clock.now();
      const expiresAt = now + ttlMs;
      s.insert.run(sha256(token), userId, csrfToken, now, expiresAt);
      return { token, csrfToken, expiresAt };
    },
    lookup(token) {
      // Cheap shape check first: random 32-byte tokens are 43 base64url characters.
      if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
      const r = s.get.get(sha256(token)) as
        { user_id: string; csrf_token: string; expires_at: number } | undefined;
      if (!r || r.expires_at <= clock.now()) return undefined;
      return { userId: r.user_id, csrfToken: r.csrf_token, expiresAt: r.expires_at };
    },
    delete: (token) => void s.delete.run(sha256(token)),
    purgeExpired: () => s.purge.run(clock.now()).changes,
  };
}

/** Constant-time string comparison (CSRF and metrics tokens). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
