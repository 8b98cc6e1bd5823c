/**
 * API users and log-in sessions, as rows (tables from migration 3). Persistence only: the
 * password rules, hashing, roles and session tokens are src/auth's, which stores through these.
 */
import type { Database } from 'better-sqlite3';
import type { StoredSession, StoredSessionsRepo, StoredUser, StoredUsersRepo } from '../types.js';
import { isUniqueViolation } from './connection.js';

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  role: string;
  tenant_id: string;
  created_at: number;
  updated_at: number;
}

/** A disabled user's hash starts with this (the lock of `passwd -l`): no migration, the password is kept. */
const LOCK = '!';

const toUser = (r: UserRow): StoredUser => ({
  id: r.id,
  username: r.username,
  role: r.role,
  tenantId: r.tenant_id,
  disabled: r.password_hash.startsWith(LOCK),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function usersRepo(db: Database): StoredUsersRepo {
  const s = {
    count: db.prepare('SELECT count(*) FROM users').pluck(),
    list: db.prepare('SELECT * FROM users ORDER BY username'),
    listTenant: db.prepare('SELECT * FROM users WHERE tenant_id = ? ORDER BY username'),
    get: db.prepare('SELECT * FROM users WHERE id = ?'),
    byName: db.prepare('SELECT * FROM users WHERE username = ?'),
    insert: db.prepare(
      `INSERT INTO users (id, username, password_hash, role, tenant_id, created_at, updated_at)
       VALUES (@id, @username, @passwordHash, @role, @tenantId, @now, @now)`,
    ),
    // A disabled user stays disabled when an admin sets a new password.
    setPassword: db.prepare(
      `UPDATE users SET password_hash = CASE WHEN substr(password_hash, 1, 1) = '${LOCK}' THEN '${LOCK}' || @hash ELSE @hash END,
              updated_at = @now WHERE id = @id`,
    ),
    update: db.prepare(
      'UPDATE users SET role = coalesce(@role, role), tenant_id = coalesce(@tenantId, tenant_id), updated_at = @now WHERE id = @id',
    ),
    lock: db.prepare(
      `UPDATE users SET password_hash = '${LOCK}' || password_hash, updated_at = ? WHERE id = ? AND substr(password_hash, 1, 1) <> '${LOCK}'`,
    ),
    unlock: db.prepare(
      `UPDATE users SET password_hash = substr(password_hash, 2), updated_at = ? WHERE id = ? AND substr(password_hash, 1, 1) = '${LOCK}'`,
    ),
    dropSessions: db.prepare('DELETE FROM sessions WHERE user_id = ?'),
    // A user moved to another tenant: their shared saved searches become private (migration 19).
    unshare: db.prepare(
      `UPDATE saved_searches SET visibility = 'private', updated_at = ? WHERE owner_id = ? AND visibility = 'tenant'`,
    ),
    tenantOf: db.prepare('SELECT tenant_id FROM users WHERE id = ?').pluck(),
    delete: db.prepare('DELETE FROM users WHERE id = ?'),
  };
  const byName = (username: string) => s.byName.get(username) as UserRow | undefined;
  const setPasswordHash = db.transaction((id: string, hash: string, now: number) => {
    s.setPassword.run({ hash, now, id });
    // A new password ends every session of that user.
    s.dropSessions.run(id);
  });
  const get = (id: string) => {
    const r = s.get.get(id) as UserRow | undefined;
    return r && toUser(r);
  };
  const update = db.transaction((id: string, change: { role?: string; tenantId?: string }, now: number) => {
    const before = s.tenantOf.get(id) as string | undefined;
    if (change.tenantId !== undefined && before !== undefined && change.tenantId !== before) {
      s.unshare.run(now, id);
    }
    s.update.run({ id, role: change.role ?? null, tenantId: change.tenantId ?? null, now });
    s.dropSessions.run(id);
    return get(id);
  });
  const setDisabled = db.transaction((id: string, disabled: boolean, now: number) => {
    if (disabled) {
      s.lock.run(now, id);
      s.dropSessions.run(id);
    } else s.unlock.run(now, id);
    return get(id);
  });
  return {
    count: () => s.count.get() as number,
    list: (tenantId) =>
      ((tenantId === undefined ? s.list.all() : s.listTenant.all(tenantId)) as UserRow[]).map(toUser),
    get,
    getByUsername: (username) => {
      const r = byName(username);
      return r && toUser(r);
    },
    credentials: (username) => {
      const r = byName(username);
      // The hash behind the lock mark: the caller checks `user.disabled`.
      const hash = r?.password_hash.startsWith(LOCK) ? r.password_hash.slice(LOCK.length) : r?.password_hash;
      return r && { user: toUser(r), passwordHash: hash! };
    },
    insert(u, now) {
      try {
        s.insert.run({ ...u, now });
      } catch (e) {
        if (isUniqueViolation(e)) return undefined;
        throw e;
      }
      return toUser(s.get.get(u.id) as UserRow);
    },
    setPasswordHash: (id, hash, now) => setPasswordHash.immediate(id, hash, now),
    update: (id, change, now) => update.immediate(id, change, now),
    setDisabled: (id, disabled, now) => setDisabled.immediate(id, disabled, now),
    delete: (id) => s.delete.run(id).changes > 0,
  };
}

export function sessionsRepo(db: Database): StoredSessionsRepo {
  const s = {
    insert: db.prepare(
      `INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at)
       VALUES (@tokenHash, @userId, @csrfToken, @createdAt, @expiresAt)`,
    ),
    get: db.prepare(
      `SELECT token_hash AS tokenHash, user_id AS userId, csrf_token AS csrfToken,
              created_at AS createdAt, expires_at AS expiresAt
         FROM sessions WHERE token_hash = ?`,
    ),
    delete: db.prepare('DELETE FROM sessions WHERE token_hash = ?'),
    purge: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
  };
  return {
    insert: (session) => void s.insert.run(session),
    get: (tokenHash) => s.get.get(tokenHash) as StoredSession | undefined,
    delete: (tokenHash) => void s.delete.run(tokenHash),
    purgeExpired: (now) => s.purge.run(now).changes,
  };
}
