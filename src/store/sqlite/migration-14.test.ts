/**
 * Migration 14 (connectors.type): a database at version 13 with a connector row (every connector
 * then was an Amazon Inspector one) migrates to `type = 'aws-inspector'`, and the store reads it
 * back with its type; a new connector gets the type it was created with.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { productionStoreTypes } from '../../connectors/registry.js';
import { migrate, migrations } from './migrations.js';
import { DB_FILE, openSqliteStore } from './store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('migration 14: connectors.type', () => {
  it('types every existing connector aws-inspector; the store exposes the type', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mig14-'));
    dirs.push(dir);
    const db = new Database(path.join(dir, DB_FILE));
    migrate(
      db,
      migrations.filter((m) => m.version <= 13),
    );
    const cols = () =>
      (db.prepare('PRAGMA table_info(connectors)').all() as { name: string }[]).map((c) => c.name);
    expect(cols()).not.toContain('type');
    db.prepare(
      `INSERT INTO connectors (id, name, tenant, active, config, secrets, created_at, updated_at)
       VALUES ('c1', 'old', 'Root Tenant', 1, ?, '{}', 1, 1)`,
    ).run(JSON.stringify({ name: 'old', tenant: 'Root Tenant', region: 'us-east-1', intervalMinutes: 5 }));
    expect(
      migrate(
        db,
        migrations.filter((m) => m.version <= 14),
      ),
    ).toEqual([14]);
    expect(cols()).toContain('type');
    expect(db.prepare("SELECT type FROM connectors WHERE id = 'c1'").pluck().get()).toBe('aws-inspector');
    db.close();

    const store = openSqliteStore({
      dataDir: dir,
      key: Buffer.alloc(32, 4),
      connectorTypes: productionStoreTypes(),
    });
    try {
      expect(store.connectors.get('c1')).toMatchObject({ id: 'c1', type: 'aws-inspector', name: 'old' });
    } finally {
      store.close();
    }
  });

  it('refuses an unknown type naming the field, and writes nothing without connector types', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mig14-'));
    dirs.push(dir);
    const cfg = {
      name: 'x',
      region: 'us-east-1',
      auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' },
    };
    const store = openSqliteStore({
      dataDir: dir,
      key: Buffer.alloc(32, 4),
      connectorTypes: productionStoreTypes(),
    });
    try {
      expect(() => store.connectors.create(cfg, { type: 'nope' })).toThrow(
        expect.objectContaining({
          code: 'ERR_CONFIG_INVALID',
          fields: [expect.objectContaining({ field: 'type' })],
        }),
      );
      expect(store.connectors.create(cfg).type).toBe('aws-inspector');
    } finally {
      store.close();
    }
    const bare = openSqliteStore({ dataDir: dir, key: Buffer.alloc(32, 4) });
    try {
      expect(bare.connectors.list()).toHaveLength(1);
      expect(() => bare.connectors.create({ ...cfg, name: 'y' })).toThrow(
        expect.objectContaining({ code: 'ERR_INTERNAL' }),
      );
    } finally {
      bare.close();
    }
  });
});
