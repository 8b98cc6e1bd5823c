/**
 * Migration 18: checkpoints keyed by (connector_id, part) (every existing checkpoint becomes part
 * ''), connector_parts, runs.parts, and connectors.state 'partial' (the connectors table rebuilt
 * with foreign keys off: the rows that reference a connector stay, and still cascade).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { DB_FILE, openSqliteStore, type SqliteStore } from './store.js';
import { migrate, migrations } from './migrations.js';

const dirs: string[] = [];
const stores: SqliteStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('migration 18', () => {
  it("keeps every checkpoint as part '', every connector with its status and references; allows partial", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-m18-'));
    dirs.push(dir);
    const db = new Database(path.join(dir, DB_FILE));
    db.pragma('foreign_keys = ON');
    migrate(
      db,
      migrations.filter((m) => m.version < 18),
    );
    for (const id of ['c1', 'c2']) {
      db.prepare(
        `INSERT INTO connectors (id, name, tenant, config, secrets, state, last_error_code, last_error_message,
                                 last_error_at, last_run_at, created_at, updated_at)
         VALUES (?, ?, 'Root Tenant', ?, '{}', 'failed', 'ERR_THROTTLED', 'slow down', 9, 8, 0, 0)`,
      ).run(id, `name-${id}`, JSON.stringify({ name: `name-${id}`, region: 'us-east-1' }));
      db.prepare(`INSERT INTO checkpoints (connector_id, data, updated_at) VALUES (?, ?, 5)`).run(
        id,
        JSON.stringify({ token: `t-${id}` }),
      );
      db.prepare(`INSERT INTO runs (connector_id, started_at, stored) VALUES (?, 1, 7)`).run(id);
      db.prepare(
        `INSERT INTO profile_connectors (profile_id, connector_id, added_at) VALUES ('default', ?, 1)`,
      ).run(id);
    }
    db.close();

    const s = openSqliteStore({ dataDir: dir, key: Buffer.alloc(32, 3), env: {}, clock: fixedClock(1_000) });
    stores.push(s);
    expect(s.db.prepare('SELECT version FROM schema_migrations WHERE version = 18').pluck().get()).toBe(18);
    expect(s.checkpoints.get('c1')).toEqual({ token: 't-c1' });
    expect(s.checkpoints.get('c1', '')).toEqual({ token: 't-c1' });
    expect(s.checkpoints.parts('c1')).toEqual(['']);
    expect(s.connectors.get('c1')!.status).toEqual({
      state: 'failed',
      lastError: { code: 'ERR_THROTTLED', message: 'slow down', at: 9 },
      lastRunAt: 8,
    });
    expect(s.runs.list('c1')[0]).toMatchObject({ stored: 7 });
    expect(s.runs.list('c1')[0]!.parts).toBeUndefined();
    expect(s.connectors.setStatus('c1', { state: 'partial' }).status.state).toBe('partial');
    expect(() => s.db.prepare(`UPDATE connectors SET state = 'bogus' WHERE id = 'c1'`).run()).toThrow(
      /CHECK/,
    );
    // The unique name index survived the rebuild.
    expect(() => s.db.prepare(`UPDATE connectors SET name = 'NAME-C1' WHERE id = 'c2'`).run()).toThrow(
      /UNIQUE/,
    );
    // References still cascade: deleting c1 removes its runs, checkpoints, profile link and parts.
    s.checkpoints.set('c1', { token: 'a' }, 'a');
    s.connectors.setStatus('c1', { parts: { set: [{ part: 'a', state: 'ok' }] } });
    expect(s.connectors.delete('c1')).toBe(true);
    const count = (table: string) =>
      s.db.prepare(`SELECT count(*) FROM ${table} WHERE connector_id = 'c1'`).pluck().get();
    for (const t of ['runs', 'checkpoints', 'profile_connectors', 'connector_parts'])
      expect(count(t)).toBe(0);
    expect(s.checkpoints.get('c2')).toEqual({ token: 't-c2' });
    expect(s.profiles.profilesOf('c2')).toEqual(['default']);
    expect(s.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(s.db.pragma('foreign_key_check')).toEqual([]);
  });
});
