/** The full-text index in shards (fts-shards.ts), on real SQLite files. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { tenantRecordId, type InterflowRecord } from '../../core/record.js';
import { recordTerms } from './terms.js';
import { configureConnection } from './connection.js';
import { DB_FILE, openSqliteStore, type SqliteStore } from './store.js';
import { migrate, migrations } from './migrations.js';
import { testRecord, withStates } from '../../../test/support/records.js';
import { productionStoreTypes } from '../../connectors/registry.js';

const dirs: string[] = [];
const stores: SqliteStore[] = [];
function open(extra: Partial<Parameters<typeof openSqliteStore>[0]> = {}, dataDir?: string): SqliteStore {
  const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ic-shards-'));
  if (!dataDir) dirs.push(dir);
  const s = openSqliteStore({
    connectorTypes: productionStoreTypes(),
    dataDir: dir,
    key: Buffer.alloc(32, 3),
    clock: fixedClock(1_700_000_000_000),
    ...extra,
  });
  stores.push(s);
  return s;
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const connector = (s: SqliteStore) =>
  s.connectors.create({
    name: 'shards',
    region: 'us-east-1',
    auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 's'.repeat(40) },
  });

const rec = (c: { id: string; name: string }, i: number, words: string): InterflowRecord =>
  testRecord(c, { _id: `rec-${i}`, timestamp: 1_700_000_000_000 + i * 1000, event_name: words });

const shardRows = (s: SqliteStore) =>
  s.db.prepare('SELECT name, first_rowid, next_rowid FROM fts_shards ORDER BY first_rowid').raw().all();

/**
 * The index's answers: every match (the shards' union), a page of 5, the FTS-only count (the
 * shards' counts added) and a count with a time filter (the union again). The per-row probe of
 * the shard holding a row is exercised by search.test.ts ("query plans agree": it needs more
 * than 1,000 matches).
 */
function answers(s: SqliteStore, q: string) {
  return {
    search: s.index.search({ q, limit: 0, sort: 'timestamp:asc' }).records.map((r) => r._id),
    page: s.index.search({ q, limit: 5, sort: 'timestamp:asc' }).records.map((r) => r._id),
    count: s.index.count({ q }),
    countTimed: s.index.count({ q, from: 0 }),
  };
}

describe('full-text shards', () => {
  it('starts a shard when the current one is full, at a transaction start; every query reads them all', () => {
    const s = open({ ftsShardRows: 3 });
    const c = connector(s);
    // 1 + 2 + 1 + 3 + 1 records: a shard is started before a transaction once the last one holds >= 3.
    const groups = [1, 2, 1, 3, 1];
    let i = 0;
    for (const n of groups) {
      const records = Array.from({ length: n }, () => rec(c, ++i, i % 2 ? 'odd shared' : 'even shared'));
      s.commitPage(withStates({ connectorId: c.id, records }));
    }
    expect(shardRows(s)).toEqual([
      ['syslog_fts', 1, 4],
      ['syslog_fts_1', 4, 8],
      ['syslog_fts_2', 8, 9],
    ]);
    const all = Array.from({ length: 8 }, (_, k) => `rec-${k + 1}`);
    expect(answers(s, 'shared')).toEqual({ search: all, page: all.slice(0, 5), count: 8, countTimed: 8 });
    const odd = all.filter((_, k) => k % 2 === 0);
    expect(answers(s, 'odd')).toEqual({ search: odd, page: odd, count: 4, countTimed: 4 });
    expect(answers(s, 'shared NOT even')).toEqual({ search: odd, page: odd, count: 4, countTimed: 4 });
    expect(s.index.search({ q: 'even OR event_status:ACTIVE', limit: 0 }).total).toBe(8);
  });

  it('never gives a rowid twice: a record stored after the newest were deleted does not inherit their words', () => {
    const s = open({ ftsShardRows: 100 });
    const c = connector(s);
    s.commitPage(
      withStates({ connectorId: c.id, records: [rec(c, 1, 'kept'), rec(c, 2, 'gone'), rec(c, 3, 'gone')] }),
    );
    s.db.prepare("DELETE FROM syslog WHERE id IN ('rec-2', 'rec-3')").run();
    s.commitPage(withStates({ connectorId: c.id, records: [rec(c, 4, 'fresh')] }));
    expect(s.db.prepare("SELECT rowid FROM syslog WHERE id = 'rec-4'").pluck().get()).toBe(4);
    // (An FTS-only count still sees the deleted records' words: the product never deletes records.)
    const { count: _ftsCount, ...gone } = answers(s, 'gone');
    expect(gone).toEqual({ search: [], page: [], countTimed: 0 });
    expect(answers(s, 'fresh')).toEqual({ search: ['rec-4'], page: ['rec-4'], count: 1, countTimed: 1 });
  });

  it("a record stored after a whole shard's records were deleted goes to the shard its rowid's range names", () => {
    const s = open({ ftsShardRows: 2 });
    const c = connector(s);
    for (let i = 1; i <= 3; i++)
      s.commitPage(withStates({ connectorId: c.id, records: [rec(c, i, `word${i} common`)] }));
    expect(shardRows(s)).toEqual([
      ['syslog_fts', 1, 3],
      ['syslog_fts_1', 3, 4],
    ]);
    // The whole newest shard's records deleted: SQLite alone would give rowid 3 again.
    s.db.prepare("DELETE FROM syslog WHERE id = 'rec-3'").run();
    s.commitPage(withStates({ connectorId: c.id, records: [rec(c, 4, 'word4 common')] }));
    expect(s.db.prepare("SELECT rowid FROM syslog WHERE id = 'rec-4'").pluck().get()).toBe(4);
    expect(
      s.db.prepare("SELECT rowid FROM syslog_fts_1 WHERE syslog_fts_1 MATCH 'word4'").pluck().all(),
    ).toEqual([4]);
    expect(answers(s, 'word4')).toEqual({ search: ['rec-4'], page: ['rec-4'], count: 1, countTimed: 1 });
    expect(answers(s, 'common').search).toEqual(['rec-1', 'rec-2', 'rec-4']);
  });

  it('more shards than one compound SELECT may hold (450): search, probe and counts', () => {
    const s = open({ ftsShardRows: 1 });
    const c = connector(s);
    for (let i = 1; i <= 450; i++) {
      s.commitPage(
        withStates({ connectorId: c.id, records: [rec(c, i, i % 150 === 0 ? 'needle hay' : 'hay')] }),
      );
    }
    expect(shardRows(s)).toHaveLength(450);
    expect(answers(s, 'needle')).toEqual({
      search: ['rec-150', 'rec-300', 'rec-450'],
      page: ['rec-150', 'rec-300', 'rec-450'],
      count: 3,
      countTimed: 3,
    });
    expect(s.index.count({ q: 'hay' })).toBe(450);
    expect(s.index.search({ q: 'hay NOT needle', limit: 1, sort: 'timestamp:desc' }).records[0]?._id).toBe(
      'rec-449',
    );
  });

  it('a word repeated within a record (terms are not deduplicated) counts the record once', () => {
    const s = open();
    const c = connector(s);
    const r = testRecord(c, {
      _id: 'rep',
      timestamp: 1_700_000_000_000,
      event_name: 'echo echo echo',
      tags: ['echo', 'Echo'],
      note: 'echo one two three four five six seven eight nine echo',
    });
    s.commitPage(withStates({ connectorId: c.id, records: [r, rec(c, 2, 'other')] }));
    expect(answers(s, 'echo')).toEqual({ search: ['rep'], page: ['rep'], count: 1, countTimed: 1 });
    expect(answers(s, 'tags:echo')).toEqual({ search: ['rep'], page: ['rep'], count: 1, countTimed: 1 });
  });

  it('the writer thread starts shards too (its committer gets the store options)', async () => {
    const s = open({ ftsShardRows: 2, writerThread: true });
    const c = connector(s);
    for (let i = 1; i <= 6; i += 2) {
      const page = s.preparePage(
        withStates({ connectorId: c.id, records: [rec(c, i, 'w'), rec(c, i + 1, 'w')] }),
      );
      await s.commitPreparedAsync([page], { transfer: true });
    }
    expect(shardRows(s).map((r) => (r as unknown[])[1])).toEqual([1, 3, 5]);
    expect(answers(s, 'w').count).toBe(6);
  });

  it('an index built before shards becomes the first shard; new records go to the next ones', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-shards-old-'));
    dirs.push(dir);
    const old = new Database(path.join(dir, DB_FILE));
    configureConnection(old);
    migrate(
      old,
      migrations.filter((m) => m.version <= 8),
    );
    const ins = old.prepare(
      `INSERT INTO syslog (id, timestamp, write_time, severity, tenantid, connector_id, msg_class, event_status, event_name, doc)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const fts = old.prepare('INSERT INTO syslog_fts (rowid, terms) VALUES (?, ?)');
    for (let i = 1; i <= 5; i++) {
      const r = rec({ id: 'legacy', name: 'legacy' }, i, 'legacy old');
      const info = ins.run(
        r._id,
        r.timestamp,
        r.write_time,
        r.severity,
        r.tenantid,
        'legacy',
        r.msg_class,
        r.event_status,
        r.event_name,
        JSON.stringify(r),
      );
      fts.run(info.lastInsertRowid, recordTerms(r));
    }
    old.close();

    const s = open({ ftsShardRows: 2 }, dir);
    expect(shardRows(s)).toEqual([['syslog_fts', 1, 6]]);
    const c = connector(s);
    s.commitPage(withStates({ connectorId: c.id, records: [rec(c, 6, 'new old')] }));
    expect(shardRows(s)).toEqual([
      ['syslog_fts', 1, 6],
      ['syslog_fts_1', 6, 7],
    ]);
    // Migration 10 gave the legacy records their identity per tenant.
    const legacy = [1, 2, 3, 4, 5].map((i) => tenantRecordId('root', `rec-${i}`));
    expect(answers(s, 'old')).toEqual({
      search: [...legacy, 'rec-6'],
      page: legacy,
      count: 6,
      countTimed: 6,
    });
    expect(answers(s, 'new').search).toEqual(['rec-6']);
  });
});
