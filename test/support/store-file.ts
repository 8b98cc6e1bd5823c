/**
 * Reading the embedded store's database file directly, for tests that check the artefact itself
 * (a secret or a session token must not be in it in clear): a read-only connection of the
 * test's own, on the file in the data directory. Everything else goes through the store.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { DB_FILE } from '../../src/store/index.js';

/** The rows `sql` selects from the database file in `dataDir`. */
export function storeFileRows(dataDir: string, sql: string, ...params: unknown[]): Record<string, unknown>[] {
  const db = new Database(path.join(dataDir, DB_FILE), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as Record<string, unknown>[];
  } finally {
    db.close();
  }
}
