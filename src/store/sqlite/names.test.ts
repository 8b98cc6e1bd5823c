/**
 * Migration 11: connector and log-filter names unique per tenant ignoring case. Existing
 * duplicates that differ only by case (and blank names) are renamed, never a failed migration;
 * the rows that reference the rebuilt tables (runs, profiles, attachments, checkpoints) stay.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { openSqliteStore, type SqliteStore } from './store.js';
import { migrate, migrations } from './migrations.js';
import { productionStoreTypes } from '../../connectors/registry.js';

const dirs: string[] = [];
const stores: SqliteStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-names-'));
  dirs.push(d);
  return d;
}
function open(dir: string): SqliteStore {
  const s = openSqliteStore({
    connectorTypes: productionStoreTypes(),
    dataDir: dir,
    clock: fixedClock(1_700_000_000_000),
    key: randomBytes(32),
  });
  stores.push(s);
  return s;
}
const config = (over: Record<string, unknown> = {}) => ({
  name: 'c',
  region: 'us-east-1',
  auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' },
  ...over,
});
const cond = [{ field: 'severity', operator: 'lt', values: [30] }];

describe('migration 11', () => {
  it('renames case duplicates (oldest keeps its name) and blank names; keeps every reference; enforces per tenant', () => {
    const dir = tmp();
    const db = new Database(path.join(dir, 'inspector-connector.db'));
    db.pragma('foreign_keys = ON');
    migrate(
      db,
      migrations.filter((m) => m.version < 11),
    );
    db.prepare(`INSERT INTO tenants (id, name, created_at) VALUES ('acme', 'Acme', 0)`).run();
    const conn = db.prepare(
      `INSERT INTO connectors (id, name, tenant, config, secrets, created_at, updated_at) VALUES (?, ?, ?, ?, '{}', ?, ?)`,
    );
    const long = 'x'.repeat(64);
    for (const [id, name, tenant, at] of [
      ['c1', 'conn-a', 'Root Tenant', 1],
      ['c2', 'CONN-A', 'Root Tenant', 2],
      ['c3', 'Conn-A', 'Root Tenant', 3],
      ['c4', 'conn-a-2', 'Root Tenant', 0], // the first suffix is taken already
      ['c5', 'cONN-a', 'Acme', 5], // another tenant: kept
      ['c6', '   ', 'Acme', 6],
      ['c7', long, 'Acme', 7],
      ['c8', long.toUpperCase(), 'Acme', 8],
    ] as const) {
      conn.run(id, name, tenant, JSON.stringify({ name, tenant, region: 'us-east-1' }), at, at);
    }
    db.prepare(
      `INSERT INTO profile_connectors (profile_id, connector_id, added_at) VALUES ('default', 'c2', 1)`,
    ).run();
    db.prepare(`INSERT INTO runs (connector_id, started_at) VALUES ('c2', 1)`).run();
    db.prepare(`INSERT INTO checkpoints (connector_id, data, updated_at) VALUES ('c3', '{}', 1)`).run();
    const lf = db.prepare(
      `INSERT INTO log_filters (id, name, definition, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
    );
    for (const [id, name, tenant, at] of [
      ['f1', 'Drop', undefined, 1],
      ['f2', 'drop', undefined, 2], // global duplicate (the old UNIQUE was case-sensitive)
      ['f3', 'DROP', 'Acme', 3], // Acme's own scope: kept
      ['f4', 'dRop', 'Root Tenant', 4],
    ] as const) {
      lf.run(id, name, JSON.stringify({ name, ...(tenant ? { tenant } : {}), conditions: cond }), at, at);
    }
    db.prepare(
      `INSERT INTO connector_log_filters (connector_id, filter_id, position) VALUES ('c2', 'f2', 0)`,
    ).run();
    db.close();

    const s = open(dir);
    const names = Object.fromEntries(s.connectors.list().map((c) => [c.id, c.name]));
    expect(names).toEqual({
      c1: 'conn-a',
      c2: 'CONN-A-3',
      c3: 'Conn-A-4',
      c4: 'conn-a-2',
      c5: 'cONN-a',
      c6: 'unnamed',
      c7: long,
      c8: `${'X'.repeat(62)}-2`,
    });
    // The config's copy of the name follows.
    expect(s.connectors.get('c2')!.config.name).toBe('CONN-A-3');
    // References survived the rebuild (no cascade).
    expect(s.profiles.profilesOf('c2')).toEqual(['default']);
    expect(s.runs.totals('c2')).toMatchObject({ runs: 1 });
    expect(s.db.prepare(`SELECT count(*) FROM runs WHERE connector_id = 'c2'`).pluck().get()).toBe(1);
    expect(s.checkpoints.get('c3')).toBeDefined();
    expect(s.logFilters.idsForConnector('c2')).toEqual(['f2']);
    expect(Object.fromEntries(s.logFilters.list().map((f) => [f.id, [f.name, f.tenant]]))).toEqual({
      f1: ['Drop', undefined],
      f2: ['drop-2', undefined],
      f3: ['DROP', 'Acme'],
      f4: ['dRop', 'Root Tenant'],
    });
    expect(s.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(s.db.pragma('foreign_key_check')).toEqual([]);

    // The database itself now refuses a case duplicate in a tenant (whatever the caller checks).
    const insert = () =>
      s.db
        .prepare(
          `INSERT INTO connectors (id, name, tenant, config, secrets, created_at, updated_at) VALUES ('z', 'CONN-a', 'root tenant', '{}', '{}', 0, 0)`,
        )
        .run();
    expect(insert).toThrow(/UNIQUE constraint failed/);
    expect(() => s.connectors.create(config({ name: 'UNNAMED', tenant: 'Acme' }))).toThrow(
      /already exists in tenant Acme/,
    );
    expect(s.connectors.create(config({ name: 'unnamed' })).tenant).toBe('Root Tenant');
    expect(s.connectors.getByName('CONN-a-3')?.id).toBe('c2');
    expect(s.connectors.getByName('CONN-A', 'acme')?.id).toBe('c5');
  });
});

describe('names per tenant in the repos', () => {
  it('connectors and log filters: unique per tenant ignoring case; blank names refused', () => {
    const s = open(tmp());
    s.tenants.create('Acme');
    s.connectors.create(config({ name: 'Conn' }));
    expect(() => s.connectors.create(config({ name: 'CONN' }))).toThrow(
      /already exists in tenant Root Tenant/,
    );
    expect(s.connectors.create(config({ name: 'CONN', tenant: 'Acme' })).name).toBe('CONN');
    expect(() => s.connectors.create(config({ name: ' \t ' }))).toThrow(/name: name must/);
    expect(() => s.connectors.create(config({ name: '   ' }))).toThrow(/name must not be blank/);

    s.logFilters.create({ name: 'Low', conditions: cond });
    expect(() => s.logFilters.create({ name: 'LOW', conditions: cond })).toThrow(
      /already exists for all tenants/,
    );
    const acme = s.logFilters.create({ name: 'low', tenant: 'Acme', conditions: cond });
    expect(() => s.logFilters.create({ name: 'LoW', tenant: 'Acme', conditions: cond })).toThrow(
      /already exists for tenant Acme/,
    );
    // Moving a filter into a scope where its name is taken is refused as well.
    expect(() => s.logFilters.update(acme.id, { tenant: undefined })).toThrow(
      /already exists for all tenants/,
    );
    expect(s.logFilters.update(acme.id, { name: 'low-acme', tenant: undefined }).tenant).toBeUndefined();
    expect(() => s.logFilters.create({ name: '  ', conditions: cond })).toThrow(/name must not be blank/);
  });
});
