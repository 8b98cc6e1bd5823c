/**
 * Migration 15: `findings.finding_arn` becomes `state_key` (the store keeps a current state per
 * tenant and connector-given key, whatever the source). The rows, the primary key and the index
 * stay valid, and the state keeps moving forward only.
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

describe('migration 15', () => {
  it('renames finding_arn to state_key: rows, primary key and index kept; upserts keep working', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-m15-'));
    dirs.push(dir);
    const db = new Database(path.join(dir, DB_FILE));
    migrate(
      db,
      migrations.filter((m) => m.version < 15),
    );
    db.prepare(
      `INSERT INTO connectors (id, name, tenant, config, secrets, created_at, updated_at)
       VALUES ('c1', 'c', 'Root Tenant', '{"name":"c","region":"us-east-1"}', '{}', 0, 0)`,
    ).run();
    db.prepare(
      `INSERT INTO findings (finding_arn, connector_id, tenantid, status, severity, updated_at, record_id,
                             first_seen_at, last_seen_at)
       VALUES (?, 'c1', 'root', 'ACTIVE', 'HIGH', 100, 'v1', 5, 5)`,
    ).run(ARN);
    db.close();

    const s = openSqliteStore({ dataDir: dir, key: Buffer.alloc(32, 3), env: {}, clock: fixedClock(1_000) });
    stores.push(s);
    const applied = s.db.prepare('SELECT version FROM schema_migrations WHERE version = 15').pluck().get();
    expect(applied).toBe(15);
    const cols = s.db.prepare(`SELECT name, pk FROM pragma_table_info('findings') ORDER BY cid`).all();
    expect(cols).toContainEqual({ name: 'state_key', pk: 2 });
    expect(cols).not.toContainEqual(expect.objectContaining({ name: 'finding_arn' }));
    expect(s.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(
      s.db.prepare(`SELECT name FROM pragma_index_list('findings') WHERE origin = 'c'`).pluck().all(),
    ).toContain('findings_connector');

    // The row as it was, under its key.
    expect(s.findings.get('root', ARN)).toMatchObject({
      key: ARN,
      status: 'ACTIVE',
      updatedAt: 100,
      recordId: 'v1',
      firstSeenAt: 5,
    });
    // The upsert on (tenantid, state_key): an older version is ignored, a newer one wins.
    const rec = (id: string, timestamp: number) =>
      testRecord({ id: 'c1', name: 'c' }, { _id: id, timestamp });
    const state = (id: string, updatedAt: number, status: string) => ({
      key: ARN,
      status,
      severity: 'LOW',
      updatedAt,
      recordId: id,
    });
    s.commitPage({ connectorId: 'c1', records: [rec('v0', 50)], states: [state('v0', 50, 'CLOSED')] });
    expect(s.findings.get('root', ARN)).toMatchObject({ status: 'ACTIVE', recordId: 'v1' });
    s.commitPage({ connectorId: 'c1', records: [rec('v2', 200)], states: [state('v2', 200, 'CLOSED')] });
    expect(s.findings.get('root', ARN)).toMatchObject({ status: 'CLOSED', recordId: 'v2', firstSeenAt: 5 });
    expect(s.findings.page({ tenantId: 'root' }).map((f) => f.key)).toEqual([ARN]);
  });
});
