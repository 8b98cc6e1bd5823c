/**
 * API users and sessions: the password rules, hashing and session tokens, over the store's
 * `users` / `sessions` repositories (which only keep rows). Roles: root_admin (everything, Root Tenant only), tenant_admin
 * (connectors, log filters and users of their tenant), analyst (search their tenant only).
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { CodedError, FieldsError } from '../core/errors.js';
import type { Store, StoredUser } from '../store/index.js';
import { defaultHashGate, hashPassword, passwordProblem, verifyPassword, type HashGate } from './password.js';

export const ROLES = ['root_admin', 'tenant_admin', 'analyst'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  id: string;
  username: string;
  role: Role;
  tenantId: string;
  /** Cannot log in (an admin disabled it); the password is kept for when it is enabled again. */
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** Roles come from ROLES: anything else in the store is refused rather than trusted. */
const toUser = (u: StoredUser): User => {
  if (!(ROLES as readonly string[]).includes(u.role)) {
    throw new CodedError('ERR_STORE', `user ${u.id} has an unknown role`);
  }
  return { ...u, role: u.role as Role };
};

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
  /** A new role and/or tenant (the caller checks the role/tenant rules); ends the user's sessions. */
  update(id: string, change: { role?: Role; tenantId?: string }): User | undefined;
  /** Disabling ends the user's sessions and refuses log-in until enabled again. */
  setDisabled(id: string, disabled: boolean): User | undefined;
  delete(id: string): boolean;
  /** The user when the password is right (and the user is not disabled); costs one scrypt either way (no user enumeration by timing). */
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

export function usersRepo(
  store: Pick<Store, 'users'>,
  clock: Clock,
  opts: { hashGate?: HashGate } = {},
): UsersRepo {
  const gate = opts.hashGate ?? defaultHashGate;
  const users = store.users;
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
    count: () => users.count(),
    list: (tenantId) => users.list(tenantId).map(toUser),
    get: (id) => {
      const u = users.get(id);
      return u && toUser(u);
    },
    getByUsername: (username) => {
      const u = users.getByUsername(username);
      return u && toUser(u);
    },
    async create(input, opts) {
      checkPassword(input.password, input.username, opts);
      if (users.getByUsername(input.username)) {
        throw new CodedError('ERR_CONFLICT', nameNotAvailable(input.username));
      }
      const passwordHash = await hashPassword(input.password, gate);
      // Another request may have taken the name during the await: the store refuses it then.
      const u = users.insert(
        {
          id: randomUUID(),
          username: input.username,
          passwordHash,
          role: input.role,
          tenantId: input.tenantId,
        },
        clock.now(),
      );
      if (!u) throw new CodedError('ERR_CONFLICT', nameNotAvailable(input.username));
      return toUser(u);
    },
    async setPassword(user, password, opts) {
      checkPassword(password, user.username, opts);
      const hash = await hashPassword(password, gate);
      // A new password ends every other session of that user (same transaction).
      users.setPasswordHash(user.id, hash, clock.now());
    },
    update: (id, change) => {
      const u = users.update(id, change, clock.now());
      return u && toUser(u);
    },
    setDisabled: (id, disabled) => {
      const u = users.setDisabled(id, disabled, clock.now());
      return u && toUser(u);
    },
    delete: (id) => users.delete(id),
    async authenticate(username, password) {
      const c = users.credentials(username);
      // A disabled user's password is verified all the same: it costs the time of any other.
      const ok = await verifyPassword(password, c?.passwordHash ?? (await dummyHash()), gate);
      return c && ok && !c.user.disabled ? toUser(c.user) : undefined;
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

export function sessionsRepo(
  store: Pick<Store, 'sessions'>,
  clock: Clock,
  ttlMs = SESSION_TTL_MS,
): SessionsRepo {
  const sessions = store.sessions;
  return {
    create(userId) {
      const token = randomBytes(32).toString('base64url');
      const csrfToken = randomBytes(32).toString('base64url');
      const now = clock.now();
      const expiresAt = now + ttlMs;
      sessions.insert({ tokenHash: sha256(token), userId, csrfToken, createdAt: now, expiresAt });
      return { token, csrfToken, expiresAt };
    },
    lookup(token) {
      // Cheap shape check first: random 32-byte tokens are 43 base64url characters.
      if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
      const r = sessions.get(sha256(token));
      if (!r || r.expiresAt <= clock.now()) return undefined;
      return { userId: r.userId, csrfToken: r.csrfToken, expiresAt: r.expiresAt };
    },
    delete: (token) => sessions.delete(sha256(token)),
    purgeExpired: () => sessions.purgeExpired(clock.now()),
  };
}

/** Constant-time string comparison (CSRF and metrics tokens). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
