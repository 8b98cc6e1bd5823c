/**
 * The full-text index in shards: consecutive rowid ranges of `syslog`, each with an FTS5
 * table of its own (`fts_shards` lists them; the first is the original `syslog_fts`).
 *
 * Why: one FTS5 table's insert cost grows with its size. Once its segments outgrow the page
 * cache, each merge re-reads what it merged before (measured in process, 1,000 records per
 * transaction, 64 MB cache: 115 us per record at 25,000 -> 568 us at 300,000, reading 1.5 MB
 * per record from the OS). Tables of 50,000 records stay inside the cache: 113 -> 169 us at
 * 400,000, ~50 KB read per record (the B-tree indexes). A shard that fills up is sealed:
 * `optimize` merges it into one segment (~0.7 s for 50,000) in the transaction that starts
 * the next, so a query reads one segment per sealed shard, and its terms are listed in the
 * term dictionary of leading wildcards (fts-terms.ts).
 *
 * Searches read every shard: the compiled SQL unions the shards' MATCHes, probes the one shard
 * holding a row, or adds up their counts (fts-sql.ts).
 */
import type { Database } from 'better-sqlite3';
import type { FtsShard } from './fts-sql.js';
import { listShardTerms } from './fts-terms.js';

/** Records per shard by default (an FTS5 table of ~45 MB: inside the 64 MB page cache). */
export const FTS_SHARD_ROWS = 50_000;
/** A sealed shard larger than this many times the shard size (a pre-shard index) is not optimized on sealing: that would take minutes. */
const OPTIMIZE_MAX_FACTOR = 4;

export const FTS_SHARDS_TABLE = `
  CREATE TABLE fts_shards (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    first_rowid INTEGER NOT NULL UNIQUE,
    -- Above every rowid ever given (kept by the committer): a rowid is never given twice,
    -- even after the newest records were deleted (a contentless FTS5 row cannot be deleted,
    -- so a reused rowid would inherit the deleted record's words).
    next_rowid INTEGER NOT NULL
  );
  INSERT INTO fts_shards (id, name, first_rowid, next_rowid)
    VALUES (0, 'syslog_fts', 1, (SELECT coalesce(max(rowid), 0) + 1 FROM syslog));
`;

/** The FTS5 table of a shard: contentless, no positions, `_` a token character (terms.ts). */
export function createShardTable(db: Database, name: string): void {
  if (!/^syslog_fts(_\d+)?$/.test(name)) throw new Error(`not a shard name: ${name}`);
  db.exec(`
    CREATE VIRTUAL TABLE ${name} USING fts5(
      terms,
      content = '',
      detail = none,
      tokenize = "unicode61 remove_diacritics 0 tokenchars '_'"
    );
    INSERT INTO ${name}(${name}, rank) VALUES ('automerge', 16);
  `);
}

export interface ActiveShard extends FtsShard {
  id: number;
  /** The rowid the next record must get. */
  nextRowid: number;
}

/**
 * The shard new rows go to and the rowid the next row must get, starting a new shard first
 * when the current one holds `shardRows` rowids. Call inside the write transaction that
 * inserts the rows, give them explicit rowids from `nextRowid` on (SQLite would reuse the
 * rowids of deleted newest rows) and save the next one with `saveNextRowid`.
 */
export function activeShard(db: Database, shardRows: number): ActiveShard {
  const last = db
    .prepare(
      `SELECT id, name, first_rowid AS firstRowid, next_rowid AS nextRowid
       FROM fts_shards ORDER BY first_rowid DESC LIMIT 1`,
    )
    .get() as ActiveShard;
  const maxRowid = (db.prepare('SELECT max(rowid) FROM syslog').pluck().get() as number | null) ?? 0;
  const nextRowid = Math.max(maxRowid + 1, last.nextRowid, last.firstRowid);
  const held = nextRowid - last.firstRowid;
  if (held < shardRows) return { ...last, nextRowid };
  // Seal: one segment per sealed shard keeps queries over many shards cheap.
  if (held <= OPTIMIZE_MAX_FACTOR * shardRows) {
    db.exec(`INSERT INTO ${last.name}(${last.name}) VALUES ('optimize')`);
  }
  // Its terms, for leading wildcards (fts-terms.ts): once, now that it takes no more rows.
  listShardTerms(db, last);
  const id = last.id + 1;
  const name = `syslog_fts_${id}`;
  createShardTable(db, name);
  db.prepare('INSERT INTO fts_shards (id, name, first_rowid, next_rowid) VALUES (?, ?, ?, ?)').run(
    id,
    name,
    nextRowid,
    nextRowid,
  );
  return { id, name, firstRowid: nextRowid, nextRowid };
}

/** Records the rowid the next record must get (in the transaction that gave the previous ones). */
export function saveNextRowid(db: Database, shardId: number, nextRowid: number): void {
  db.prepare('UPDATE fts_shards SET next_rowid = ? WHERE id = ?').run(nextRowid, shardId);
}
