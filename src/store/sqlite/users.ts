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

const toUser = (r: UserRow): StoredUser => ({
  id: r.id,
  username: r.username,
  role: r.role,
  tenantId: r.tenant_id,
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
    setPassword: db.prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?'),
    dropSessions: db.prepare('DELETE FROM sessions WHERE user_id = ?'),
    delete: db.prepare('DELETE FROM users WHERE id = ?'),
  };
  const byName = (username: string) => s.byName.get(username) as UserRow | undefined;
  const setPasswordHash = db.transaction((id: string, hash: string, now: number) => {
    s.setPassword.run(hash, now, id);
    // A new password ends every session of that user.
    s.dropSessions.run(id);
  });
  return {
    count: () => s.count.get() as number,
    list: (tenantId) =>
      ((tenantId === undefined ? s.list.all() : s.listTenant.all(tenantId)) as UserRow[]).map(toUser),
    get: (id) => {
      const r = s.get.get(id) as UserRow | undefined;
      return r && toUser(r);
    },
    getByUsername: (username) => {
      const r = byName(username);
      return r && toUser(r);
    },
    credentials: (username) => {
      const r = byName(username);
      return r && { user: toUser(r), passwordHash: r.password_hash };
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
