/**
 * Write transactions take SQLite's write lock when they begin (BEGIN IMMEDIATE). A deferred
 * transaction that reads first and writes later cannot upgrade its snapshot once another
 * connection (the writer thread, a search thread never writes) has committed meanwhile: SQLite
 * answers SQLITE_BUSY_SNAPSHOT at once, without the busy timeout, and a connector creation or
 * commit failed with 500 while collection was committing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from './store.js';

let dir: string | undefined;
let store: SqliteStore | undefined;
afterEach(() => {
  store?.close();
  store = undefined;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('write transactions begin immediately', () => {
  it('a read-then-write transaction is not broken by another connection committing in between', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-tx-'));
    store = openSqliteStore({ dataDir: dir });
    const other = new Database(store.dbPath, { timeout: 0 });
    try {
      let otherWrite: unknown;
      store.transaction(() => {
        expect(store!.tenants.list().length).toBeGreaterThan(0); // a read: the snapshot starts
        try {
          // Another connection (the writer thread in `serve`) commits meanwhile.
          other.prepare("INSERT INTO tenants (id, name, created_at) VALUES ('t-other', 'Other', 0)").run();
        } catch (e) {
          otherWrite = e;
        }
        store!.tenants.create('Acme'); // then a write
      });
      // The store's transaction held the write lock from its start: the other connection waited
      // (here: busy at once, its timeout being 0), and the store's write went through.
      expect((otherWrite as { code?: string } | undefined)?.code).toBe('SQLITE_BUSY');
      expect(store.tenants.list().map((t) => t.name)).toContain('Acme');
    } finally {
      other.close();
    }
  });
});
