/**
 * Migration 17: `findings.fingerprint` (what `recordVersions: material` compares) and
 * `runs.unchanged`. A state from before it has no fingerprint: the next version is stored
 * whatever it holds (unknown never equals), and from then on unchanged versions are skipped.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { testRecord } from '../../../test/support/records.js';
import { DB_FILE, openSqliteStore, type SqliteStore } from './store.js';
import { migrate, migrations } from './migrations.js';

const dirs: string[] = [];
const stores: SqliteStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const ARN = 'arn:aws:inspector2:us-east-1:123456789012:finding/abc';

describe('migration 17', () => {
  it('adds findings.fingerprint (NULL for existing states) and runs.unchanged (0 for existing runs)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-m17-'));
    dirs.push(dir);
    const db = new Database(path.join(dir, DB_FILE));
    migrate(
      db,
      migrations.filter((m) => m.version < 17),
    );
    db.prepare(
      `INSERT INTO connectors (id, name, tenant, config, secrets, created_at, updated_at)
       VALUES ('c1', 'c', 'Root Tenant', '{"name":"c","region":"us-east-1"}', '{}', 0, 0)`,
    ).run();
    db.prepare(
      `INSERT INTO findings (state_key, connector_id, tenantid, status, severity, updated_at, record_id,
                             first_seen_at, last_seen_at)
       VALUES (?, 'c1', 'root', 'ACTIVE', 'HIGH', 100, 'v1', 5, 5)`,
    ).run(ARN);
    db.prepare(`INSERT INTO runs (connector_id, started_at, stored) VALUES ('c1', 1, 7)`).run();
    db.close();

    const s = openSqliteStore({ dataDir: dir, key: Buffer.alloc(32, 3), env: {}, clock: fixedClock(1_000) });
    stores.push(s);
    expect(s.db.prepare('SELECT version FROM schema_migrations WHERE version = 17').pluck().get()).toBe(17);
    expect(s.findings.get('root', ARN)).toMatchObject({ recordId: 'v1', fingerprint: null });
    expect(s.runs.totals('c1')).toMatchObject({ stored: 7, unchanged: 0 });

    const rec = (id: string, timestamp: number) =>
      testRecord({ id: 'c1', name: 'c' }, { _id: id, timestamp });
    const page = (id: string, updatedAt: number) => ({
      connectorId: 'c1',
      skipUnchanged: true,
      records: [rec(id, updatedAt)],
      states: [{ key: ARN, status: 'ACTIVE', severity: 'HIGH', updatedAt, recordId: id, fingerprint: 'fp' }],
    });
    // Unknown before: stored; the same fingerprint next: skipped, the state moves on.
    expect(s.commitPage(page('v2', 200))).toMatchObject({ stored: 1, unchanged: 0 });
    expect(s.commitPage(page('v3', 300))).toMatchObject({ stored: 0, unchanged: 1 });
    expect(s.findings.get('root', ARN)).toMatchObject({ updatedAt: 300, recordId: 'v2', fingerprint: 'fp' });
    expect(s.db.pragma('integrity_check', { simple: true })).toBe('ok');
  });
});
