/**
 * Threat Hunting's saved searches and search history (tables from migration 19). Validation is
 * src/core/saved-search.ts's; a saved search's tenant is read from its owner's row, so it
 * follows the owner and needs nothing when a tenant is renamed (ids do not change).
 */
import { randomUUID } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import type { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import { CodedError, FieldsError } from '../../core/errors.js';
import { configIssues } from '../../core/schema.js';
import {
  HISTORY_MAX,
  SAVED_PER_USER,
  historyInput,
  savedSearchInput,
  type SavedSearchInput,
} from '../../core/saved-search.js';
import type { HistoryEntry, SavedSearch, SavedSearchesRepo, SearchHistoryRepo } from '../types.js';
import { unlessTaken } from './connection.js';

interface SavedRow {
  id: string;
  owner_id: string;
  owner: string;
  tenant_id: string;
  name: string;
  visibility: 'private' | 'tenant';
  definition: string;
  created_at: number;
  updated_at: number;
}

const SELECT = `SELECT s.*, u.username AS owner, u.tenant_id FROM saved_searches s JOIN users u ON u.id = s.owner_id`;

const toSaved = (r: SavedRow): SavedSearch => ({
  id: r.id,
  name: r.name,
  ...(JSON.parse(r.definition) as Omit<SavedSearchInput, 'name' | 'visibility'>),
  visibility: r.visibility,
  ownerId: r.owner_id,
  owner: r.owner,
  tenantId: r.tenant_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

function parse<T extends z.ZodType>(schema: T, v: unknown): z.output<T> {
  const p = schema.safeParse(v);
  if (!p.success) throw new FieldsError('ERR_VALIDATION', configIssues(p.error));
  return p.data;
}

/** The definition column: everything but the name and visibility (their own columns). */
function definition(d: SavedSearchInput): string {
  const { name: _n, visibility: _v, ...rest } = d;
  return JSON.stringify(rest);
}

export function savedSearchesRepo(db: Database, clock: Clock): SavedSearchesRepo {
  const s = {
    visible: db.prepare(
      `${SELECT} WHERE s.owner_id = @userId
          OR (s.visibility = 'tenant' AND u.tenant_id = (SELECT tenant_id FROM users WHERE id = @userId))
        ORDER BY s.name COLLATE NOCASE, u.username`,
    ),
    get: db.prepare(`${SELECT} WHERE s.id = ?`),
    owner: db.prepare('SELECT 1 FROM users WHERE id = ?').pluck(),
    count: db.prepare('SELECT count(*) FROM saved_searches WHERE owner_id = ?').pluck(),
    insert: db.prepare(
      `INSERT INTO saved_searches (id, owner_id, name, visibility, definition, created_at, updated_at)
       VALUES (@id, @ownerId, @name, @visibility, @definition, @now, @now)`,
    ),
    update: db.prepare(
      `UPDATE saved_searches SET name = @name, visibility = @visibility, definition = @definition,
              updated_at = @now WHERE id = @id`,
    ),
    delete: db.prepare('DELETE FROM saved_searches WHERE id = ?'),
  };
  const get = (id: string) => {
    const r = s.get.get(id) as SavedRow | undefined;
    return r && toSaved(r);
  };
  const taken = (name: string) =>
    new FieldsError('ERR_VALIDATION', [
      {
        field: 'name',
        message: `you already have a saved search named "${name}" (names are compared ignoring case)`,
      },
    ]);
  /** Names are unique per owner: the unique index decides (also between two writers). */
  const write = (d: SavedSearchInput, statement: Statement, keys: { id: string; ownerId?: string }) =>
    unlessTaken(
      () =>
        statement.run({
          ...keys,
          name: d.name,
          visibility: d.visibility ?? 'private',
          definition: definition(d),
          now: clock.now(),
        }),
      () => taken(d.name),
    );
  const create = db.transaction((ownerId: string, input: unknown): SavedSearch => {
    const d = parse(savedSearchInput, input);
    if (s.owner.get(ownerId) === undefined) {
      throw new CodedError('ERR_NOT_FOUND_RESOURCE', `user ${ownerId} not found`);
    }
    if ((s.count.get(ownerId) as number) >= SAVED_PER_USER) {
      throw new CodedError(
        'ERR_CONFLICT',
        `you have ${SAVED_PER_USER} saved searches, the most one user may keep: delete one first`,
      );
    }
    const id = randomUUID();
    write(d, s.insert, { id, ownerId });
    return get(id)!;
  });
  const update = db.transaction((id: string, patch: unknown): SavedSearch => {
    const cur = get(id);
    if (!cur) throw new CodedError('ERR_NOT_FOUND_RESOURCE', `saved search ${id} not found`);
    const { id: _i, ownerId: _o, owner: _w, tenantId: _t, createdAt: _c, updatedAt: _u, ...def } = cur;
    const p = patch !== null && typeof patch === 'object' ? (patch as Record<string, unknown>) : {};
    const d = parse(savedSearchInput, { ...def, ...p });
    write(d, s.update, { id });
    return get(id)!;
  });
  return {
    listVisible: (userId) => (s.visible.all({ userId }) as SavedRow[]).map(toSaved),
    get,
    create: (ownerId, input) => create.immediate(ownerId, input),
    update: (id, patch) => update.immediate(id, patch),
    delete: (id) => s.delete.run(id).changes > 0,
  };
}

export function searchHistoryRepo(db: Database): SearchHistoryRepo {
  const s = {
    list: db.prepare(
      'SELECT query, entry, ran_at FROM search_history WHERE user_id = ? ORDER BY rowid DESC LIMIT ?',
    ),
    drop: db.prepare('DELETE FROM search_history WHERE user_id = ? AND query = ?'),
    insert: db.prepare('INSERT INTO search_history (user_id, query, entry, ran_at) VALUES (?, ?, ?, ?)'),
    // Keeps the newest HISTORY_MAX of the user (the newest have the largest rowids).
    trim: db.prepare(
      `DELETE FROM search_history WHERE user_id = @userId AND rowid NOT IN (
         SELECT rowid FROM search_history WHERE user_id = @userId ORDER BY rowid DESC LIMIT @max)`,
    ),
    clear: db.prepare('DELETE FROM search_history WHERE user_id = ?'),
  };
  const add = db.transaction((userId: string, entry: unknown, at: number): HistoryEntry => {
    const e = parse(historyInput, entry);
    // Run again: removed and inserted anew, so it is the newest (largest rowid).
    s.drop.run(userId, e.query);
    const rest = { timeRange: e.timeRange, ...(e.timeField ? { timeField: e.timeField } : {}) };
    try {
      s.insert.run(userId, e.query, JSON.stringify(rest), at);
    } catch (err) {
      // The user is gone (foreign key): nothing to record.
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
        throw new CodedError('ERR_NOT_FOUND_RESOURCE', `user ${userId} not found`);
      }
      throw err;
    }
    s.trim.run({ userId, max: HISTORY_MAX });
    return { query: e.query, ...rest, ranAt: at };
  });
  return {
    list: (userId) =>
      (s.list.all(userId, HISTORY_MAX) as { query: string; entry: string; ran_at: number }[]).map((r) => ({
        query: r.query,
        ...(JSON.parse(r.entry) as Omit<HistoryEntry, 'query' | 'ranAt'>),
        ranAt: r.ran_at,
      })),
    add: (userId, entry, at) => add.immediate(userId, entry, at),
    clear: (userId) => s.clear.run(userId).changes,
  };
}
