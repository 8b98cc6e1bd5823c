/** The search threads: answers, the time budget from outside, bounded concurrency, close. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isCodedError, RetryLaterError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { testRecord, withStates } from '../../../test/support/records.js';
import { openSqliteStore, type SqliteStore } from './store.js';
import { startSearchPool } from './search-pool.js';
import type { SearchService } from '../types.js';
import { searchFunctions } from './functions.js';
import { registerSearchFunctions, syslogIndex } from './syslog-index.js';
import Database from 'better-sqlite3';
import { productionStoreTypes } from '../../connectors/registry.js';

let dir: string;
let store: SqliteStore;
const T0 = Date.UTC(2026, 0, 1);

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-search-pool-'));
  store = openSqliteStore({ connectorTypes: productionStoreTypes(), dataDir: dir, key: Buffer.alloc(32, 1) });
  const c = store.connectors.create({
    name: 'pool',
    region: 'us-east-1',
    auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret-key-1' },
  });
  const records = Array.from({ length: 50 }, (_, i) =>
    testRecord(
      { id: c.id, name: 'pool' },
      { _id: `r${i}`, timestamp: T0 + i, event_name: i % 2 ? 'openssl finding' : 'glibc finding' },
    ),
  );
  store.commitPage(withStates({ connectorId: c.id, records, checkpoint: { n: 1 } }));
});
afterAll(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const pools: SearchService[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});
function pool(o: Partial<Parameters<typeof startSearchPool>[0]> = {}): SearchService {
  const p = startSearchPool({ dbPath: store.dbPath, ...o });
  pools.push(p);
  return p;
}
/** A hold the test releases: every search waits in its thread while it is set. */
function holdBuffer() {
  const sab = new SharedArrayBuffer(4);
  const a = new Int32Array(sab);
  Atomics.store(a, 0, 1);
  return {
    sab,
    release: () => {
      Atomics.store(a, 0, 0);
      Atomics.notify(a, 0);
    },
  };
}
const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (isCodedError(e) ? e.code : String(e)),
  );

describe('search pool', () => {
  it('answers search, count and histogram like the index in process', async () => {
    const p = pool();
    const [r, n, h] = await Promise.all([
      p.search({ q: '*ssl', limit: 5 }),
      p.count({ q: 'glibc' }),
      p.histogram({ q: 'openssl', buckets: 5 }),
    ]);
    expect(r.total).toBe(25);
    expect(r.records).toHaveLength(5);
    expect(n).toBe(25);
    expect(h.buckets.reduce((a, b) => a + b.count, 0)).toBe(25);
    expect(await code(p.search({ q: 'a AND (' }))).toBe('ERR_QUERY_INVALID');
  });

  it('a search past its budget answers ERR_QUERY_TIMEOUT while its thread is stuck; the thread is replaced', async () => {
    const hold = holdBuffer();
    const warnings: string[] = [];
    const logger = { warn: (_o: unknown, msg: string) => void warnings.push(msg) } as unknown as Logger;
    const p = pool({ threads: 1, timeoutMs: 300, testHold: hold.sab, logger });
    // The thread never comes back on its own (the hold): the deadline answers from outside.
    expect(await code(p.search({ q: 'openssl' }))).toBe('ERR_QUERY_TIMEOUT');
    // ... and a moment later the stuck thread is terminated (bounded wait).
    for (let i = 0; i < 100 && warnings.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(warnings).toEqual(['search thread still busy past the time budget: replaced']);
    hold.release();
    await p.ready();
    // A new thread answers the next search.
    expect((await p.search({ q: 'openssl', limit: 1 })).total).toBe(25);
  });

  it('in process, the check functions stop a statement once the budget is spent', () => {
    // Called directly (no search around them re-checking the budget after the work): each
    // check throws by itself once the deadline has passed.
    const spent = searchFunctions({ deadline: Date.now() - 1, timeoutMs: 500 });
    const doc = JSON.stringify({ event_name: 'openssl finding', score: 5 });
    const checks: [string, () => number][] = [
      ['ic_wild (free text)', () => spent.ic_wild(doc, null, '*ssl')],
      ['ic_wild (field)', () => spent.ic_wild(doc, 'event_name', '*ssl')],
      ['ic_wild_value', () => spent.ic_wild_value('openssl', '*ssl')],
      ['ic_phrase', () => spent.ic_phrase(doc, null, '["openssl","finding"]')],
      ['ic_words', () => spent.ic_words(doc, 'event_name', '["openssl"]')],
      ['ic_range', () => spent.ic_range(doc, 'score', '1', '9', 3)],
      ['ic_value_eq', () => spent.ic_value_eq(doc, 'event_name', 'openssl finding')],
    ];
    for (const [name, check] of checks) {
      const err = (() => {
        try {
          check();
        } catch (e) {
          return e;
        }
      })();
      expect(isCodedError(err) && err.code, name).toBe('ERR_QUERY_TIMEOUT');
      expect((err as Error).message, name).toMatch(/\(500 ms\): narrow the query or the time range/);
    }
    // ic_tick checks every 64th call (a scan whose rows skip the other checks).
    const ticks = Array.from({ length: 63 }, () => spent.ic_tick());
    expect(ticks.every((t) => t === 0)).toBe(true);
    expect(() => spent.ic_tick()).toThrow(/time budget/);
    // Within the budget the same checks answer.
    const open = searchFunctions({ deadline: Date.now() + 60_000, timeoutMs: 60_000 });
    expect(open.ic_wild(doc, null, '*ssl')).toBe(1);
    expect(open.ic_wild_value('openssl', '*ssl')).toBe(1);
  });

  it('one budget per connection: an index registers the check functions, and obeys their budget', () => {
    const bare = new Database(':memory:');
    try {
      expect(() => bare.prepare('SELECT ic_tick()').get()).toThrow(/no such function/);
      syslogIndex(bare);
      expect(bare.prepare('SELECT ic_tick()').pluck().get()).toBe(0);
    } finally {
      bare.close();
    }
    // Registering again keeps the connection's functions and budget (the store's index sets it).
    const budget = registerSearchFunctions(store.db);
    expect(registerSearchFunctions(store.db)).toBe(budget);
    // A spent budget on the connection stops a statement that calls a check function, with no
    // search around it.
    budget.deadline = Date.now() - 1;
    budget.timeoutMs = 500;
    try {
      expect(() =>
        store.db.prepare("SELECT count(*) FROM syslog WHERE ic_wild(doc, NULL, '*ssl')").get(),
      ).toThrow(/time budget \(500 ms\)/);
    } finally {
      budget.deadline = Infinity;
      budget.timeoutMs = 0;
    }
    expect(store.index.search({ q: '*ssl', limit: 1 }).total).toBe(25);
  });

  it('bounds concurrency: a full queue is refused with ERR_SEARCH_BUSY, the rest run once free', async () => {
    const hold = holdBuffer();
    const p = pool({ threads: 1, queue: 1, timeoutMs: 0, testHold: hold.sab });
    const running = p.count({ q: 'openssl' });
    const queued = p.count({ q: 'glibc' });
    const refused = await p.count({}).catch((e: unknown) => e);
    expect(refused instanceof RetryLaterError && [refused.code, refused.retryAfterMs]).toEqual([
      'ERR_SEARCH_BUSY',
      2000,
    ]);
    hold.release();
    expect(await Promise.all([running, queued])).toEqual([25, 25]);
  });

  it('close() fails running and queued searches at once', async () => {
    const hold = holdBuffer();
    const p = pool({ threads: 1, timeoutMs: 0, testHold: hold.sab });
    const running = code(p.search({ q: 'openssl' }));
    const queued = code(p.search({ q: 'glibc' }));
    await p.close();
    expect(await running).toBe('ERR_SEARCH_BUSY');
    expect(await queued).toBe('ERR_SEARCH_BUSY');
    const refused = await p.count({}).catch((e: unknown) => e);
    expect(refused instanceof RetryLaterError && [refused.code, refused.retryAfterMs]).toEqual([
      'ERR_SEARCH_BUSY',
      2000,
    ]);
    hold.release();
  });
});
