/** The query language run for real: parse -> SQL -> a SQLite store filled with records. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { CodedError } from '../../core/errors.js';
import type { InterflowRecord } from '../../core/record.js';
import { openSqliteStore, type SqliteStore } from './store.js';
import { syslogIndex } from './syslog-index.js';
import { testRecord, withStates } from '../../../test/support/records.js';
import { productionStoreTypes } from '../../connectors/registry.js';

let dir: string;
let store: SqliteStore;
let connectorId: string;

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

function rec(
  id: string,
  day: number,
  f: { status: string; severity: number; pkg: string[]; cve: string; title: string; score?: number },
  extra: Record<string, unknown> = {},
): InterflowRecord {
  return {
    _id: id,
    timestamp: T0 + day * DAY,
    write_time: T0 + 400 * DAY - day * 1000,
    tenantid: id === 'r6' ? 'acme' : 'root',
    tenant_name: id === 'r6' ? 'Acme' : 'Root Tenant',
    msg_class: 'aws_inspector_finding',
    msg_origin: {
      source: 'aws_inspector',
      vendor: 'aws',
      category: 'security_scan',
      processor: { type: 'log_collector', name: 'root-inspector', id: connectorId },
    },
    event_name: f.title,
    event_status: f.status,
    severity: f.severity,
    package_name: f.pkg,
    aws_inspector: {
      findingArn: `arn:aws:inspector2:us-east-1:123456789012:finding/${id}abc`,
      status: f.status,
      title: f.title,
      ...(f.score !== undefined ? { inspectorScore: f.score } : {}),
      packageVulnerabilityDetails: {
        vulnerabilityId: f.cve,
        vulnerablePackages: f.pkg.map((name) => ({ name, version: '1.0.2k' })),
      },
      resources: [{ type: 'AWS_EC2_INSTANCE', id: `i-0${id}`, region: 'us-east-1' }],
    },
    ...extra,
  };
}

/**
 * The six records, one page each: with a small `ftsShardRows` they land in several full-text
 * shards (a shard starts at a transaction's start), so every case also runs across shards.
 */
function openSearchStore(ftsShardRows: number): void {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-search-'));
  store = openSqliteStore({
    connectorTypes: productionStoreTypes(),
    dataDir: dir,
    key: Buffer.alloc(32, 1),
    clock: fixedClock(T0),
    ftsShardRows,
  });
  connectorId = store.connectors.create({
    name: 'root-inspector',
    region: 'us-east-1',
    auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x'.repeat(40) },
  }).id;
  const records = [
    rec('r1', 1, {
      status: 'ACTIVE',
      severity: 90,
      pkg: ['openssl', 'openssl-libs'],
      cve: 'CVE-2024-1234',
      title: 'CVE-2024-1234 - openssl remote code execution',
      score: 9.8,
    }),
    rec('r2', 2, {
      status: 'CLOSED',
      severity: 70,
      pkg: ['glibc'],
      cve: 'CVE-2023-4911',
      title: 'CVE-2023-4911 - glibc buffer overflow',
      score: 7.5,
    }),
    rec('r3', 3, {
      status: 'SUPPRESSED',
      severity: 30,
      pkg: ['zlib'],
      cve: 'CVE-2022-37434',
      title: 'zlib heap overflow, code execution remote',
      score: 3.1,
    }),
    rec(
      'r4',
      10,
      {
        status: 'ACTIVE',
        severity: 50,
        pkg: ['log4j-core'],
        cve: 'CVE-2021-44228',
        title: 'Log4Shell: log4j-core JNDI lookup',
      },
      { marker: '--' },
    ),
    rec(
      'r5',
      20,
      {
        status: 'ACTIVE',
        severity: 10,
        pkg: ['café-lib'],
        cve: 'CVE-2020-0001',
        title: 'Ünïcode title Straße',
      },
      { note: 'path C:\\temp (x)', ip: '10.0.0.1' },
    ),
    rec('r6', 30, {
      status: 'CLOSED',
      severity: 100,
      pkg: ['openssh'],
      cve: 'CVE-2024-6387',
      title: 'regreSSHion openssh race',
      score: 8.1,
    }),
  ];
  for (const r of records) store.commitPage(withStates({ connectorId, checkpoint: null, records: [r] }));
}

const ids = (q: string, opts: Record<string, unknown> = {}) =>
  store.index
    .search({ q, limit: 0, sort: 'timestamp:asc', ...opts })
    .records.map((r) => r._id)
    .join(',');

// One shard (the default size), and a shard per two records (three shards).
describe.each([
  ['one full-text shard', 50_000],
  ['three full-text shards', 2],
])('search over a real store (%s)', (_name, shardRows) => {
  beforeAll(() => openSearchStore(shardRows));
  afterAll(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('holds the records in the shards expected', () => {
    const shards = store.db
      .prepare('SELECT name, first_rowid FROM fts_shards ORDER BY first_rowid')
      .raw()
      .all();
    expect(shards).toEqual(
      shardRows === 2
        ? [
            ['syslog_fts', 1],
            ['syslog_fts_1', 3],
            ['syslog_fts_2', 5],
          ]
        : [['syslog_fts', 1]],
    );
  });
  const cases: [string, string][] = [
    ['*', 'r1,r2,r3,r4,r5,r6'],
    ['', 'r1,r2,r3,r4,r5,r6'],
    // free text, case-insensitive, any field
    ['openssl', 'r1'],
    ['OPENSSL', 'r1'],
    ['glibc', 'r2'],
    ['nothing-like-this', ''],
    ['straße', 'r5'],
    ['CAFÉ', 'r5'],
    // field:value on dotted paths, through arrays
    ['aws_inspector.status:CLOSED', 'r2,r6'],
    ['aws_inspector.status:closed', 'r2,r6'],
    ['event_status:ACTIVE', 'r1,r4,r5'],
    ['msg_origin.source:aws_inspector', 'r1,r2,r3,r4,r5,r6'],
    // field:word matches a word of the value (words split at punctuation, '_' included)
    ['msg_origin.source:aws', 'r1,r2,r3,r4,r5,r6'],
    ['msg_origin.source:aws_insp', ''],
    ['aws_inspector.packageVulnerabilityDetails.vulnerablePackages.name:glibc', 'r2'],
    ['aws_inspector.resources.id:i-0r3', 'r3'],
    ['aws_inspector.packageVulnerabilityDetails.vulnerabilityId:CVE-2024-1234', 'r1'],
    ['aws_inspector.findingArn:arn:aws:inspector2:us-east-1:123456789012:finding/r2abc', 'r2'],
    ['package_name:openssl', 'r1'],
    ['package_name:openssl-libs', 'r1'],
    ['status:ACTIVE', ''],
    ['_id:r4', 'r4'],
    // columns (_id, timestamp, write_time, severity) have no field tokens: SQL answers them,
    // phrase or not; _id's words stay free text
    ['r4', 'r4'],
    ['severity:"90"', 'r1'],
    ['tenantid:acme', 'r6'],
    ['ip:"10.0.0.1"', 'r5'],
    // phrases: words in order within one value
    ['"remote code execution"', 'r1'],
    ['"code execution remote"', 'r3'],
    ['"execution remote code"', ''],
    ['event_name:"buffer overflow"', 'r2'],
    ['event_name:"overflow buffer"', ''],
    ['note:"C:\\\\temp"', 'r5'],
    // punctuation-only: ignored in free text (as an analyzer would), compared whole on a field
    ['openssl - ', 'r1'],
    ['openssl -- ', 'r1'],
    ['openssl AND NOT /', 'r1'],
    ['openssl OR /', 'r1'],
    ['/', 'r1,r2,r3,r4,r5,r6'],
    ['note:\\(x\\)', 'r5'],
    ['note:\\(\\)', ''],
    ['marker:--', 'r4'],
    ['marker:-', ''],
    ['ip:10.0.0.1 AND note:/', ''],
    // wildcards
    ['package_name:open*', 'r1,r6'],
    ['package_name:openss?', 'r1,r6'],
    ['package_name:openssl-l*', 'r1'],
    ['aws_inspector.findingArn:arn\\:aws\\:inspector2\\:*r2abc', 'r2'],
    ['aws_inspector.findingArn:arn:aws:inspector2:*r2abc', 'r2'],
    ['package_name:caf?-lib', 'r5'],
    ['_id:r?', 'r1,r2,r3,r4,r5,r6'],
    ['event_name:\\(x\\) OR _id:r1', 'r1'],
    ['package_name:*ssh', 'r6'],
    ['package_name:log4j*', 'r4'],
    ['log4*', 'r4'],
    ['aws_inspector.inspectorScore:*', 'r1,r2,r3,r6'],
    ['_exists_:aws_inspector.inspectorScore', 'r1,r2,r3,r6'],
    ['_exists_:note', 'r5'],
    ['_exists_:aws_inspector.packageVulnerabilityDetails', 'r1,r2,r3,r4,r5,r6'],
    ['NOT _exists_:aws_inspector.inspectorScore', 'r4,r5'],
    // boolean logic
    ['openssl OR glibc', 'r1,r2'],
    ['openssl || glibc', 'r1,r2'],
    ['openssl AND glibc', ''],
    ['remote code', 'r1,r3'],
    ['remote && code', 'r1,r3'],
    ['remote -zlib', 'r1'],
    ['remote AND NOT zlib', 'r1'],
    ['remote !zlib', 'r1'],
    ['NOT aws_inspector.status:ACTIVE', 'r2,r3,r6'],
    ['(openssl OR zlib) AND severity:>=50', 'r1'],
    ['aws_inspector.status:(CLOSED OR SUPPRESSED)', 'r2,r3,r6'],
    ['+openssl', 'r1'],
    ['NOT "remote code"', 'r2,r3,r4,r5,r6'],
    ['"remote code" OR glibc', 'r1,r2'],
    // ranges: indexed columns
    ['severity:[50 TO 90]', 'r1,r2,r4'],
    ['severity:{50 TO 90}', 'r2'],
    ['severity:[50 TO 90}', 'r2,r4'],
    ['severity:>=90', 'r1,r6'],
    ['severity:<30', 'r5'],
    ['severity:[* TO 10]', 'r5'],
    ['severity:90', 'r1'],
    [`timestamp:[${T0 + 2 * DAY} TO ${T0 + 10 * DAY}]`, 'r2,r3,r4'],
    ['timestamp:>=2026-01-11T00:00:00Z', 'r4,r5,r6'],
    ['timestamp:[2026-01-02 TO 2026-01-03]', 'r1,r2'],
    // ranges on any field (checked on the record)
    ['aws_inspector.inspectorScore:[7 TO 9]', 'r2,r6'],
    ['aws_inspector.inspectorScore:>9', 'r1'],
    ['aws_inspector.status:[ACTIVE TO CLOSED]', 'r1,r2,r4,r5,r6'],
  ];
  it.each(cases)('%s', (q, expected) => {
    expect(ids(q)).toBe(expected);
    expect(store.index.count({ q })).toBe(expected ? expected.split(',').length : 0);
  });

  it('applies time range on timestamp or write_time, inclusive', () => {
    expect(ids('*', { from: T0 + 2 * DAY, to: T0 + 10 * DAY })).toBe('r2,r3,r4');
    expect(
      ids('*', { timeField: 'write_time', from: T0 + 400 * DAY - 3000, to: T0 + 400 * DAY - 2000 }),
    ).toBe('r2,r3');
    expect(ids('openssl OR glibc OR zlib', { from: T0 + 2 * DAY })).toBe('r2,r3');
    expect(() => ids('*', { from: T0 + DAY, to: T0 })).toThrow(
      /from \(\d{4}-\d\d-\d\dT[\d:.]+Z\) must not be after to \(\d{4}-/,
    );
  });

  it('restricts to tenants', () => {
    expect(ids('*', { tenantIds: ['acme'] })).toBe('r6');
    expect(ids('*', { tenantIds: [] })).toBe('');
    expect(store.index.count({ q: 'severity:>=90', tenantIds: ['root'] })).toBe(1);
    // Pure full-text queries get the tenant folded into the FTS match: same answers.
    expect(ids('openssl OR openssh', { tenantIds: ['acme'] })).toBe('r6');
    expect(store.index.count({ q: 'openssl OR openssh', tenantIds: ['acme'] })).toBe(1);
    expect(store.index.count({ q: 'openssl OR openssh', tenantIds: ['root', 'acme'] })).toBe(2);
    expect(store.index.count({ q: 'openssl OR openssh', tenantIds: ['nobody'] })).toBe(0);
    expect(ids('openssl OR openssh', { tenantIds: ['root'], from: T0 + 2 * DAY })).toBe('');
    expect(store.index.count({ q: 'openssl OR openssh', tenantIds: ['acme'], from: T0 + 2 * DAY })).toBe(1);
  });

  it('sorts on whitelisted fields, pages with limit/offset, reports the total', () => {
    const page = store.index.search({ q: '*', sort: 'severity:desc', limit: 2, offset: 1 });
    expect(page.total).toBe(6);
    expect(page.records.map((r) => r._id)).toEqual(['r1', 'r2']);
    expect(store.index.search({ q: '*' }).records[0]!._id).toBe('r6');
    expect(() => store.index.search({ q: '*', sort: 'doc:desc' })).toThrow(
      /sort must be FIELD:asc or FIELD:desc with FIELD one of: timestamp, write_time, severity/,
    );
    expect(() => store.index.search({ q: '*', limit: -1 })).toThrow(/limit must be an integer >= 0/);
    expect(() => store.index.search({ q: '*', timeField: 'doc' as never })).toThrow(
      /timeField must be one of/,
    );
  });

  it('returns full records; stream yields the JSON text in order', () => {
    const r = store.index.search({ q: '_id:r2' }).records[0]!;
    expect((r.aws_inspector as { status: string }).status).toBe('CLOSED');
    const lines = [...store.index.stream({ q: 'openssl OR glibc', limit: 0 })];
    expect(lines.map((l) => (JSON.parse(l) as InterflowRecord)._id)).toEqual(['r2', 'r1']);
  });

  it('stream: without a budget the statement iterator itself (no per-row wrapper); with one, the same rows', () => {
    const bare = store.index.stream({ q: 'openssl OR glibc', limit: 0 });
    const kind = bare.constructor.name;
    const rows = [...bare];
    expect(kind).toBe('StatementIterator');
    expect(rows.length).toBe(2);
    const budgeted = store.index.stream({ q: 'openssl OR glibc', limit: 0, timeoutMs: 60_000 });
    expect(budgeted.constructor.name).not.toBe('StatementIterator');
    expect([...budgeted]).toEqual(rows);
  });

  it('histogram: counts per bucket over the range, empty buckets included', () => {
    const h = store.index.histogram({ q: '*', from: T0, to: T0 + 31 * DAY - 1, buckets: 10 });
    expect(h.interval).toBe(7 * DAY);
    expect(h.buckets.reduce((n, b) => n + b.count, 0)).toBe(6);
    expect(h.buckets[0]).toEqual({ start: Math.floor(T0 / (7 * DAY)) * 7 * DAY, count: 3 });
    expect(h.buckets.some((b) => b.count === 0)).toBe(true);
    const auto = store.index.histogram({ q: 'aws_inspector.status:CLOSED' });
    expect(auto.buckets.reduce((n, b) => n + b.count, 0)).toBe(2);
    expect(store.index.histogram({ q: 'nothing-here' })).toMatchObject({ buckets: [] });
  });

  it('recent: newest stored first', () => {
    expect(store.index.recent(2).map((r) => r._id)).toEqual(['r6', 'r5']);
  });

  it('bad queries are ERR_QUERY_INVALID, never a store error', () => {
    for (const q of ['(openssl', 'severity:[a TO 5]', 'a AND', '"x']) {
      let err: unknown;
      try {
        store.index.search({ q });
      } catch (e) {
        err = e;
      }
      expect(err, q).toBeInstanceOf(CodedError);
      expect((err as CodedError).code, q).toBe('ERR_QUERY_INVALID');
    }
  });
});

describe.each([
  ['one full-text shard', 50_000],
  ['three full-text shards', 1000],
])(
  'query plans agree (index walk with FTS probe, index walk with match set, fetch and sort; %s)',
  (_n, shardRows) => {
    let d: string;
    let s: SqliteStore;
    const N = 3000;
    const recs: InterflowRecord[] = [];
    beforeAll(() => {
      d = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-plans-'));
      s = openSqliteStore({
        connectorTypes: productionStoreTypes(),
        dataDir: d,
        key: Buffer.alloc(32, 1),
        ftsShardRows: shardRows,
      });
      const c = s.connectors.create({
        name: 'plans',
        region: 'us-east-1',
        auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'z'.repeat(40) },
      });
      for (let i = 0; i < N; i++) {
        recs.push({
          _id: `p${i}`,
          // Not in insertion order, with ties, so that index order and rowid order differ.
          timestamp: T0 + ((i * 7919) % 1000) * 1000,
          write_time: T0 + i,
          tenantid: i % 4 === 0 ? 'acme' : 'root',
          tenant_name: 'x',
          msg_class: 'aws_inspector_finding',
          msg_origin: {
            source: 'aws_inspector',
            vendor: 'aws',
            category: 'security_scan',
            processor: { type: 'log_collector', name: 'plans', id: c.id },
          },
          event_name: i % 3 === 0 ? 'common rare' : i % 50 === 0 ? 'rare' : 'common',
          event_status: 'ACTIVE',
          severity: (i % 10) * 10,
        });
      }
      for (let i = 0; i < N; i += 500)
        s.commitPage(withStates({ connectorId: c.id, records: recs.slice(i, i + 500) }));
      const shards = s.db.prepare('SELECT first_rowid FROM fts_shards ORDER BY first_rowid').pluck().all();
      expect(shards).toEqual(shardRows === 1000 ? [1, 1001, 2001] : [1]);
    });
    afterAll(() => {
      s.close();
      fs.rmSync(d, { recursive: true, force: true });
    });

    const expected = (pred: (r: InterflowRecord) => boolean, offset: number, limit: number) =>
      recs
        .map((r, rowid) => ({ r, rowid }))
        .filter(({ r }) => pred(r))
        .sort((a, b) => b.r.timestamp - a.r.timestamp || b.r.severity - a.r.severity || b.rowid - a.rowid)
        .slice(offset, offset + limit)
        .map(({ r }) => r._id);

    const cases: [string, string, string[] | undefined, (r: InterflowRecord) => boolean][] = [
      ['most rows match (walk + FTS probe)', 'common', undefined, (r) => r.event_name.includes('common')],
      [
        'a third match (walk + match set)',
        'event_name:rare',
        undefined,
        (r) => r.event_name.includes('rare'),
      ],
      ['few match (fetch and sort)', 'rare NOT common', undefined, (r) => r.event_name === 'rare'],
      [
        'tenant folded into the match',
        'common',
        ['root'],
        (r) => r.event_name.includes('common') && r.tenantid === 'root',
      ],
      ['tenant only', '*', ['root'], (r) => r.tenantid === 'root'],
      ['severity + tenant', 'severity:>=50', ['acme', 'root'], (r) => r.severity >= 50],
    ];
    it.each(cases)('%s', (_name, q, tenantIds, pred) => {
      // probeRatio 1 forces the per-row FTS probe wherever the walk is shorter than the matches.
      for (const index of [s.index, syslogIndex(s.db, { probeRatio: 1 })])
        for (const [offset, limit] of [
          [0, 50],
          [400, 20],
          [0, 0],
        ] as const) {
          const res = index.search({ q, limit, offset, ...(tenantIds ? { tenantIds } : {}) });
          const want = expected(pred, offset, limit === 0 ? N : limit);
          expect(res.records.map((r) => r._id)).toEqual(want);
          expect(res.total).toBe(recs.filter(pred).length);
        }
    });
  },
);

describe('text fields (values of more than TEXT_WORDS words: free words + a marker, no field tokens)', () => {
  let tdir: string;
  let ts: SqliteStore;
  let cid: string;
  const LONG_OVERFLOW = 'A buffer overflow in the parser allows remote attackers to crash the service';
  const LONG_OTHER = 'An integer underflow in the decoder allows local users to read adjacent memory';
  const doc = (id: string, aws: Record<string, unknown>): InterflowRecord =>
    testRecord(
      { id: cid, name: 'text-inspector' },
      { _id: id, timestamp: T0 + Number(id.slice(1)) * DAY, write_time: T0, aws_inspector: aws },
    );
  const tids = (q: string) =>
    ts.index
      .search({ q, limit: 0, sort: 'timestamp:asc' })
      .records.map((r) => r._id)
      .join(',');

  beforeAll(() => {
    tdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-text-'));
    ts = openSqliteStore({
      connectorTypes: productionStoreTypes(),
      dataDir: tdir,
      key: Buffer.alloc(32, 1),
      clock: fixedClock(T0),
    });
    cid = ts.connectors.create({
      name: 'text-inspector',
      region: 'us-east-1',
      auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x'.repeat(40) },
    }).id;
    // A failed transaction must not leave the path "known": the table would lack it.
    expect(() =>
      ts.commitPage(
        withStates({
          connectorId: cid,
          records: [doc('t1', { description: LONG_OVERFLOW, title: 'openssl flaw' })],
          checkpoint: { bad: 1n },
        }),
      ),
    ).toThrow();
    expect(ts.index.size()).toBe(0);
    ts.commitPage(
      withStates({
        connectorId: cid,
        checkpoint: null,
        records: [
          doc('t1', { description: LONG_OVERFLOW, title: 'openssl flaw' }),
          doc('t2', { description: 'heap overflow', title: 'zlib flaw' }),
          doc('t3', { description: LONG_OTHER, title: 'overflow elsewhere' }),
          doc('t4', {
            referenceUrls: ['https://a.example/x', 'see zeta one two three four five six seven eight nine'],
            // epoch milliseconds: no field token (MAX_TOKEN_INT), checked on the record
            seenAt: 1_730_000_000_123,
            port: 443,
          }),
        ],
      }),
    );
  });

  afterAll(() => {
    ts.close();
    fs.rmSync(tdir, { recursive: true, force: true });
  });

  it('records the paths that held text, and only those', () => {
    expect(ts.db.prepare('SELECT path FROM text_paths ORDER BY path').pluck().all()).toEqual([
      'aws_inspector.description',
      'aws_inspector.referenceUrls',
    ]);
  });

  const cases: [string, string][] = [
    ['aws_inspector.description:overflow', 't1,t2'],
    ['aws_inspector.description:OVERFLOW AND aws_inspector.title:openssl', 't1'],
    ['aws_inspector.description:overflow-parser', 't1'],
    ['aws_inspector.description:"remote attackers"', 't1'],
    ['aws_inspector.description:"attackers remote"', ''],
    ['aws_inspector.description:overfl*', 't1,t2'],
    ['aws_inspector.description:*flow', 't1,t2,t3'],
    ['NOT aws_inspector.description:overflow', 't3,t4'],
    ['aws_inspector.description:(crash OR memory)', 't1,t3'],
    ['aws_inspector.title:overflow', 't3'],
    ['overflow', 't1,t2,t3'],
    ['"buffer overflow"', 't1'],
    ['_exists_:aws_inspector.description', 't1,t2,t3'],
    // one word in a short value (field token), the other in a long one (text) of the same field
    ['aws_inspector.referenceUrls:example-zeta', 't4'],
    ['aws_inspector.referenceUrls:zeta', 't4'],
    ['aws_inspector.referenceUrls:nowhere-zeta', ''],
    ['aws_inspector.seenAt:1730000000123', 't4'],
    ['aws_inspector.seenAt:1730000000124', ''],
    ['aws_inspector.seenAt:17300*', 't4'],
    ['aws_inspector.seenAt:[1730000000000 TO 1730000000200]', 't4'],
    ['aws_inspector.port:443', 't4'],
    ['aws_inspector.port:44*', 't4'],
  ];
  it.each(cases)('%s', (q, expected) => {
    expect(tids(q)).toBe(expected);
    expect(ts.index.count({ q })).toBe(expected ? expected.split(',').length : 0);
  });

  it('a store opened later knows the text paths (queries use them)', () => {
    const again = openSqliteStore({
      connectorTypes: productionStoreTypes(),
      dataDir: tdir,
      key: Buffer.alloc(32, 1),
      clock: fixedClock(T0),
    });
    try {
      expect(again.index.count({ q: 'aws_inspector.description:crash' })).toBe(1);
    } finally {
      again.close();
    }
  });
});
