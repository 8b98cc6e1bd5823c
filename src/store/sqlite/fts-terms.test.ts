/** The term dictionary of sealed shards and the leading-wildcard expansion (fts-terms.ts). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import type { InterflowRecord } from '../../core/record.js';
import { testRecord, withStates } from '../../../test/support/records.js';
import { openSqliteStore, type SqliteStore } from './store.js';
import { migrate } from './migrations.js';
import { MAX_WILD_TERMS, expandWildcard, expandable, type ShardRow } from './fts-terms.js';
import { productionStoreTypes } from '../../connectors/registry.js';

const dirs: string[] = [];
const stores: SqliteStore[] = [];
function open(ftsShardRows: number): SqliteStore {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-terms-'));
  dirs.push(dir);
  const s = openSqliteStore({
    connectorTypes: productionStoreTypes(),
    dataDir: dir,
    key: Buffer.alloc(32, 3),
    clock: fixedClock(1_700_000_000_000),
    ftsShardRows,
  });
  stores.push(s);
  return s;
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const VALUES = [
  'openssl',
  'openssl-libs',
  'LibSSL 3.0',
  'ssl',
  'no-match',
  'xsslx here',
  'a-b-c',
  'sslx',
  'OpenSsl',
  'glibc',
  'x-\u{1d400}ssl',
];
const TEXT = 'this long remediation text mentions libssl and many other words to be text';

/** Records over several shards of 4, the newest (open) one holding some. */
function fill(s: SqliteStore, n: number): void {
  const c = s.connectors.create({
    name: 'terms',
    region: 'us-east-1',
    auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 's'.repeat(40) },
  });
  for (let i = 0; i < n; i += 3) {
    const records: InterflowRecord[] = [];
    for (let k = i; k < Math.min(n, i + 3); k++) {
      records.push(
        testRecord(c, {
          _id: `rec-${k}`,
          timestamp: 1_700_000_000_000 + k * 1000,
          event_name: VALUES[k % VALUES.length]!,
          package: { name: VALUES[(k * 7) % VALUES.length]!, port: 443 + k },
          ...(k % 4 === 0 ? { note: TEXT } : { note: VALUES[(k * 3) % VALUES.length]! }),
        } as Partial<InterflowRecord> & Pick<InterflowRecord, '_id' | 'timestamp'>),
      );
    }
    s.commitPage(withStates({ connectorId: c.id, records }));
  }
}

const answers = (s: SqliteStore, q: string) => ({
  ids: s.index.search({ q, limit: 0, sort: 'timestamp:asc' }).records.map((r) => r._id),
  page: s.index.search({ q, limit: 3, sort: 'timestamp:desc' }).records.map((r) => r._id),
  count: s.index.count({ q }),
  countTimed: s.index.count({ q, from: 0 }),
});

const shards = (s: SqliteStore) =>
  s.db
    .prepare(
      'SELECT id, first_rowid AS firstRowid, terms_listed AS termsListed FROM fts_shards ORDER BY first_rowid',
    )
    .all() as ShardRow[];

const QUERIES = [
  '*ssl',
  '*SSL',
  '**ssl',
  '*ssl*',
  '*ssl* AND package.name:glibc',
  'NOT *ssl',
  '*ssl OR glibc',
  'event_name:*ssl',
  'event_name:*ssl*',
  'package.name:*ssl',
  'note:*ssl',
  'note:*ssl*',
  'package.port:*4',
  '*a*b*c*',
  '*zzz',
  '*libs',
  '*4',
];

describe('leading wildcards from the term dictionary', () => {
  it('lists each sealed shard once, not the open one, and expands *ssl into the matching terms', () => {
    const s = open(4);
    fill(s, 30);
    const sh = shards(s);
    expect(sh.length).toBeGreaterThan(3);
    expect(sh.map((r) => r.termsListed)).toEqual([...sh.slice(0, -1).map(() => 1), 0]);
    const e = expandWildcard(s.db, sh, null, '*ssl', false)!;
    // A word with a letter outside the BMP (a surrogate pair) reversed and back intact.
    expect(e.tokens.sort()).toEqual(['libssl', 'openssl', 'ssl', '\u{1d400}ssl']);
    expect(e.openFrom).toBe(sh[sh.length - 1]!.firstRowid);
    // A field: its field tokens (not other fields'); a text field also its free words.
    expect(expandWildcard(s.db, sh, 'event_name', '*ssl', false)!.tokens.length).toBe(4);
    const note = expandWildcard(s.db, sh, 'note', '*ssl', true)!;
    expect(note.textWords).toContain('libssl');
    // Not expanded: several runs, no letter (numbers), a literal prefix is not asked.
    expect(expandable('*a*b*c*')).toBeUndefined();
    expect(expandable('*4')).toBeUndefined();
    expect(expandable('*e1')).toBeUndefined();
    expect(expandable('*s?l')).toBeUndefined();
    expect(expandable('*ssl*')).toBe('ssl');
  });

  it('answers exactly as checking every record does, over sealed shards and the open one', () => {
    const s = open(4);
    fill(s, 30);
    const expanded = QUERIES.map((q) => answers(s, q));
    // The same store without its dictionary: every leading wildcard checks the records.
    s.db.exec('UPDATE fts_shards SET terms_listed = 0');
    const scanned = QUERIES.map((q) => answers(s, q));
    for (let i = 0; i < QUERIES.length; i++)
      expect({ q: QUERIES[i], ...expanded[i] }).toEqual({ q: QUERIES[i], ...scanned[i] });
    expect(expanded[0]!.count).toBeGreaterThan(0);
    expect(expanded[5]!.count).toBeGreaterThan(0);
  });

  it('is answered by the index for the sealed shards (the records are not read there)', () => {
    const s = open(4);
    fill(s, 30);
    // rec-0 (sealed shard) holds openssl in its index row; its document no longer does.
    s.db
      .prepare(`UPDATE syslog SET doc = json_set(doc, '$.event_name', 'x') WHERE id = ?`)
      .run(s.db.prepare('SELECT id FROM syslog ORDER BY rowid LIMIT 1').pluck().get());
    expect(s.index.search({ q: 'event_name:*ssl', limit: 0, sort: 'timestamp:asc' }).records[0]!._id).toBe(
      s.index.search({ q: '*', limit: 1, sort: 'timestamp:asc' }).records[0]!._id,
    );
    s.db.exec('UPDATE fts_shards SET terms_listed = 0');
    expect(
      s.index.search({ q: 'event_name:*ssl', limit: 0, sort: 'timestamp:asc' }).records[0]!._id,
    ).not.toBe(s.index.search({ q: '*', limit: 1, sort: 'timestamp:asc' }).records[0]!._id);
  });

  it(`more than ${MAX_WILD_TERMS} matching terms: the records are checked instead`, () => {
    const s = open(MAX_WILD_TERMS + 10);
    const c = s.connectors.create({
      name: 'many',
      region: 'us-east-1',
      auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 's'.repeat(40) },
    });
    const n = MAX_WILD_TERMS + 20;
    const records = Array.from({ length: n }, (_, k) =>
      testRecord(c, { _id: `m-${k}`, timestamp: 1_700_000_000_000 + k, event_name: `w${k}ssl` }),
    );
    s.commitPage(withStates({ connectorId: c.id, records: records.slice(0, MAX_WILD_TERMS + 10) }));
    s.commitPage(withStates({ connectorId: c.id, records: records.slice(MAX_WILD_TERMS + 10) }));
    expect(shards(s)[0]!.termsListed).toBe(1);
    expect(expandWildcard(s.db, shards(s), null, '*ssl', false)).toBeUndefined();
    expect(s.index.count({ q: '*ssl' })).toBe(n);
  });

  it('migration 13 lists the shards sealed before it', () => {
    const s = open(4);
    fill(s, 20);
    const before = answers(s, '*ssl');
    // Back to version 12: no dictionary.
    s.db.exec(`
      DROP TABLE fts_terms;
      ALTER TABLE fts_shards DROP COLUMN terms_listed;
      DELETE FROM schema_migrations WHERE version = 13;
    `);
    expect(migrate(s.db)).toEqual([13]);
    const sh = shards(s);
    expect(sh.map((r) => r.termsListed)).toEqual([...sh.slice(0, -1).map(() => 1), 0]);
    expect(expandWildcard(s.db, sh, null, '*ssl', false)!.tokens.length).toBe(4);
    expect(answers(s, '*ssl')).toEqual(before);
  });
});
