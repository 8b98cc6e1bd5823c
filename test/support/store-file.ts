/**
 * The embedded store's database file as an artefact, for tests that check or damage the file
 * itself (a secret or a session token must not be in it in clear; what a killed process left;
 * records removed behind the store's back): a connection of the test's own, read-only unless
 * asked. Everything else goes through the store's interface. The one place outside src/store/
 * where tests open the current store's file; the others test/hygiene/import-graph.test.ts allows
 * are legacy-store.ts (writes the previous release's file) and the benchmarks.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { DB_FILE } from '../../src/store/index.js';

export type StoreFile = Database.Database;

/** Runs `fn` on a connection to the database file in `dataDir` (which must exist), then closes it. */
export function withStoreFile<T>(
  dataDir: string,
  fn: (db: StoreFile) => T,
  opts: { write?: boolean } = {},
): T {
  const db = new Database(path.join(dataDir, DB_FILE), { readonly: !opts.write, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** The rows `sql` selects from the database file in `dataDir`. */
export function storeFileRows(dataDir: string, sql: string, ...params: unknown[]): Record<string, unknown>[] {
  return withStoreFile(dataDir, (db) => db.prepare(sql).all(...params) as Record<string, unknown>[]);
}
