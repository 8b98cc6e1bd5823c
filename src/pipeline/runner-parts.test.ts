/**
 * The runner with a connector type that has parts (the contract's `ConnectorType.parts`, as AWS
 * Inspector's regions): the test-only NDJSON type reading each part from its subdirectory, on a
 * real SQLite store (direct commits and the writer thread). Each part has its own checkpoint,
 * failure and status; at most `concurrency` parts run at once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { fixedClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { createMetrics } from '../core/metrics.js';
import { createRegistry, storeTypes, type ConnectorRegistry } from '../connectors/registry.js';
import type { AnyConnectorType } from '../connectors/types.js';
import { openStore, type Store } from '../store/index.js';
import { ndjson, ndjsonFindings, writeFindings } from '../../test/support/connectors/ndjson/index.js';
import { runConnector, type RunOptions } from './runner.js';

const NOW = Date.UTC(2026, 10, 1, 12);

interface World {
  store: Store;
  dir: string;
  registry: ConnectorRegistry;
  id: string;
  run(opts?: RunOptions, at?: number): ReturnType<typeof runConnector>;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** A store (writer thread or not) and an NDJSON connector over a temp directory. */
function world(
  config: Record<string, unknown>,
  o: { writerThread?: boolean; type?: AnyConnectorType; metrics?: ReturnType<typeof createMetrics> } = {},
): World {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-parts-'));
  const dir = path.join(root, 'src');
  fs.mkdirSync(dir);
  const registry = createRegistry([o.type ?? ndjson()]);
  const store = openStore({
    connectorTypes: storeTypes(registry),
    dataDir: path.join(root, 'data'),
    key: Buffer.alloc(32, 7),
    clock: fixedClock(NOW),
    ...(o.writerThread ? { writerThread: true } : {}),
  });
  cleanups.push(() => {
    store.close();
    fs.rmSync(root, { recursive: true, force: true });
  });
  const id = store.connectors.create({ name: 'parts', directory: dir, ...config }, { type: 'ndjson' }).id;
  return {
    store,
    dir,
    registry,
    id,
    run: (opts = {}, at = NOW) =>
      runConnector(
        {
          store,
          clock: fixedClock(at),
          logger: silentLogger(),
          registry,
          ...(o.metrics ? { metrics: o.metrics } : {}),
        },
        id,
        { maxResults: 10, commitRecords: 15, commitDelayMs: 0, ...opts },
      ),
  };
}

/** `n` findings of a part in its subdirectory's file (ids prefixed with the part). */
function fill(w: World, part: string, file: string, n: number, from = 0): void {
  fs.mkdirSync(path.join(w.dir, part), { recursive: true });
  writeFindings(path.join(w.dir, part), file, ndjsonFindings(n + from, NOW, part).slice(from));
}

describe.each([
  { mode: 'direct commits', writerThread: false },
  { mode: 'writer thread', writerThread: true },
])('runConnector with parts ($mode)', ({ writerThread }) => {
  it('collects each part with its own checkpoint; a failing part stops no other; the status is partial, then ok', async () => {
    const metrics = createMetrics(new Registry());
    const w = world({ parts: 'alpha,beta,gamma', partConcurrency: 2 }, { writerThread, metrics });
    fill(w, 'alpha', '0001.ndjson', 35);
    fill(w, 'beta', '0001.ndjson', 22);
    // gamma's subdirectory is missing: that part fails with ERR_NOT_FOUND.
    const first = await w.run();
    expect(first).toMatchObject({
      status: 'failed',
      received: 57,
      stored: 57,
      duplicates: 0,
      error: { code: 'ERR_NOT_FOUND', message: expect.stringMatching(/^1 of 3 parts failed; gamma: /) },
    });
    expect(first.parts).toEqual([
      { part: 'alpha', status: 'ok', received: 35, stored: 35, vanished: 0, durationMs: 0 },
      { part: 'beta', status: 'ok', received: 22, stored: 22, vanished: 0, durationMs: 0 },
      {
        part: 'gamma',
        status: 'failed',
        received: 0,
        stored: 0,
        vanished: 0,
        durationMs: 0,
        error: { code: 'ERR_NOT_FOUND', message: expect.stringContaining('gamma') },
      },
    ]);
    expect(w.store.index.size()).toBe(57);
    expect(w.store.checkpoints.get(w.id, 'alpha')).toEqual({ file: '0001.ndjson', line: 35 });
    expect(w.store.checkpoints.get(w.id, 'beta')).toEqual({ file: '0001.ndjson', line: 22 });
    expect(w.store.checkpoints.get(w.id, 'gamma')).toBeUndefined();
    expect(w.store.checkpoints.get(w.id)).toBeUndefined();
    const status = w.store.connectors.get(w.id)!.status;
    expect(status).toMatchObject({ state: 'partial', lastError: { code: 'ERR_NOT_FOUND' }, lastRunAt: NOW });
    expect(status.lastSuccessAt).toBeUndefined();
    expect(status.parts).toEqual([
      { part: 'alpha', state: 'ok', lastSuccessAt: NOW, lastRunAt: NOW },
      { part: 'beta', state: 'ok', lastSuccessAt: NOW, lastRunAt: NOW },
      {
        part: 'gamma',
        state: 'failed',
        lastError: { code: 'ERR_NOT_FOUND', message: expect.stringContaining('gamma'), at: NOW },
        lastRunAt: NOW,
      },
    ]);
    expect(w.store.runs.get(first.runId)).toMatchObject({ status: 'failed', parts: first.parts, stored: 57 });
    const m = await metrics.registry.metrics();
    expect(m).toMatch(
      new RegExp(`inspector_connector_errors_total\\{connector="${w.id}",code="ERR_NOT_FOUND"\\} 1`),
    );
    expect(m).toMatch(new RegExp(`inspector_connector_records_stored_total\\{connector="${w.id}"\\} 57`));
    for (const [part, up] of [
      ['alpha', 1],
      ['beta', 1],
      ['gamma', 0],
    ] as const) {
      expect(m).toContain(`inspector_connector_part_up{connector="${w.id}",part="${part}"} ${up}`);
    }

    // gamma appears, alpha grows: each part resumes from its own checkpoint.
    fill(w, 'gamma', '0001.ndjson', 4);
    fill(w, 'alpha', '0002.ndjson', 3, 35);
    const second = await w.run({}, NOW + 60_000);
    expect(second).toMatchObject({ status: 'ok', received: 7, stored: 7, duplicates: 0 });
    expect(second.error).toBeUndefined();
    expect(second.parts!.map((p) => [p.part, p.status, p.received])).toEqual([
      ['alpha', 'ok', 3],
      ['beta', 'ok', 0],
      ['gamma', 'ok', 4],
    ]);
    const after = w.store.connectors.get(w.id)!.status;
    expect(after).toMatchObject({ state: 'ok', lastSuccessAt: NOW + 60_000 });
    expect(after.lastError).toBeUndefined();
    expect(after.parts!.every((p) => p.state === 'ok' && p.lastError === undefined)).toBe(true);
    expect(w.store.index.size()).toBe(64);

    // A part taken out of the config loses its status row (its checkpoint stays for a return).
    w.store.connectors.update(w.id, { parts: 'alpha,beta' });
    await w.run({}, NOW + 120_000);
    expect(w.store.connectors.get(w.id)!.status.parts!.map((p) => p.part)).toEqual(['alpha', 'beta']);
    expect(w.store.checkpoints.get(w.id, 'gamma')).toEqual({ file: '0001.ndjson', line: 4 });
  });

  it('a part failing mid-way resumes from its own checkpoint next run, the done part from its own (nothing lost or twice)', async () => {
    const w = world({ parts: 'done,broken', partConcurrency: 2 }, { writerThread });
    fill(w, 'done', '0001.ndjson', 40);
    fill(w, 'broken', '0001.ndjson', 25);
    // broken's second file starts with a line that is not JSON: the part fails there.
    fs.writeFileSync(path.join(w.dir, 'broken', '0002.ndjson'), 'not json\n');
    const first = await w.run();
    expect(first.parts!.map((p) => [p.part, p.status, p.stored, p.error?.code])).toEqual([
      ['done', 'ok', 40, undefined],
      ['broken', 'failed', 25, 'ERR_BAD_RESPONSE'],
    ]);
    expect(w.store.checkpoints.get(w.id, 'broken')).toEqual({ file: '0001.ndjson', line: 25 });
    expect(w.store.connectors.get(w.id)!.status.state).toBe('partial');

    // The bad file is replaced with good findings: broken goes on from its checkpoint.
    fill(w, 'broken', '0002.ndjson', 6, 25);
    const next = await w.run({}, NOW + 60_000);
    expect(next).toMatchObject({ status: 'ok', received: 6, stored: 6, duplicates: 0 });
    expect(next.parts!.map((p) => [p.part, p.received])).toEqual([
      ['done', 0],
      ['broken', 6],
    ]);
    expect(w.store.index.size()).toBe(71);
    const ids = new Set(
      w.store.index.search({ limit: 0 }).records.map((r) => (r.ndjson as { id: string }).id),
    );
    expect(ids.size).toBe(71);
    expect(w.store.connectors.get(w.id)!.status.state).toBe('ok');
  });

  it('every part failing: failed; an aborted run stops every part and keeps their checkpoints', async () => {
    const w = world({ parts: 'x,y' }, { writerThread });
    const failed = await w.run();
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'ERR_NOT_FOUND' } });
    expect(w.store.connectors.get(w.id)!.status).toMatchObject({
      state: 'failed',
      parts: [
        { part: 'x', state: 'failed' },
        { part: 'y', state: 'failed' },
      ],
    });
    fill(w, 'x', '0001.ndjson', 5);
    fill(w, 'y', '0001.ndjson', 5);
    const ac = new AbortController();
    ac.abort();
    const stopped = await w.run({ signal: ac.signal }, NOW + 1000);
    expect(stopped.status).toBe('stopped');
    expect(stopped.parts!.map((p) => p.status)).toEqual(['stopped', 'stopped']);
    // A stopped part only notes that it ran.
    expect(w.store.connectors.get(w.id)!.status).toMatchObject({
      state: 'failed',
      lastRunAt: NOW + 1000,
      parts: [
        { part: 'x', state: 'failed', lastRunAt: NOW + 1000 },
        { part: 'y', state: 'failed', lastRunAt: NOW + 1000 },
      ],
    });
  });
});

describe('runConnector: the parts plan', () => {
  it('runs at most `concurrency` parts at once, and that many do run together', async () => {
    const base = ndjson();
    let active = 0;
    let most = 0;
    const type: AnyConnectorType = {
      ...base,
      async collect(run) {
        active++;
        most = Math.max(most, active);
        try {
          // Yield a few times: a part still at work while the others start (or wait).
          for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
          return await base.collect(run);
        } finally {
          active--;
        }
      },
    };
    const w = world({ parts: 'p1,p2,p3,p4,p5', partConcurrency: 2 }, { type });
    for (const p of ['p1', 'p2', 'p3', 'p4', 'p5']) fill(w, p, '0001.ndjson', 3);
    const out = await w.run();
    expect(out).toMatchObject({ status: 'ok', stored: 15 });
    expect(most).toBe(2);
  });

  it('a plan the contract does not allow fails the run naming what is wrong', async () => {
    for (const [plan, why] of [
      [{ parts: [], concurrency: 1 }, /at least one part/],
      [{ parts: ['a', 'a'], concurrency: 1 }, /listed twice/],
      [{ parts: ['a', ''], concurrency: 1 }, /1-200 characters/],
      [{ parts: ['a'], concurrency: 0 }, /concurrency must be an integer from 1 to 32/],
      [{ parts: ['a'], concurrency: 33 }, /concurrency must be an integer from 1 to 32/],
    ] as const) {
      const type: AnyConnectorType = {
        ...ndjson(),
        parts: () => ({ parts: [...plan.parts], concurrency: plan.concurrency }),
      };
      const w = world({}, { type });
      const out = await w.run();
      expect(out).toMatchObject({
        status: 'failed',
        error: { code: 'ERR_CONFIG_INVALID', message: expect.stringMatching(why) },
      });
      expect(w.store.connectors.get(w.id)!.status.state).toBe('failed');
    }
  });

  it("a checkpoint saved without parts moves to the type's legacyPart once (or is dropped without one)", async () => {
    const w = world({});
    writeFindings(w.dir, '0001.ndjson', ndjsonFindings(12, NOW, 'old'));
    expect(await w.run()).toMatchObject({ status: 'ok', stored: 12 });
    expect(w.store.checkpoints.get(w.id)).toEqual({ file: '0001.ndjson', line: 12 });
    expect(w.store.connectors.get(w.id)!.status.parts).toBeUndefined();

    // The config now has parts; the old directory's files are part "home"'s.
    fs.mkdirSync(path.join(w.dir, 'home'));
    for (const f of ['0001.ndjson']) fs.renameSync(path.join(w.dir, f), path.join(w.dir, 'home', f));
    fill(w, 'home', '0002.ndjson', 2, 12);
    fill(w, 'away', '0001.ndjson', 3);
    w.store.connectors.update(w.id, { parts: 'home,away', legacyPart: 'home' });
    const out = await w.run({}, NOW + 60_000);
    expect(out).toMatchObject({ status: 'ok', received: 5, stored: 5 });
    expect(out.parts!.map((p) => [p.part, p.received])).toEqual([
      ['home', 2],
      ['away', 3],
    ]);
    expect(w.store.checkpoints.parts(w.id)).toEqual(['away', 'home']);

    // Without a legacy part, such a checkpoint is dropped: the parts start from scratch.
    const v = world({});
    writeFindings(v.dir, '0001.ndjson', ndjsonFindings(4, NOW, 'old'));
    await v.run();
    fill(v, 'only', '0001.ndjson', 2);
    v.store.connectors.update(v.id, { parts: 'only' });
    expect(await v.run({}, NOW + 60_000)).toMatchObject({ status: 'ok', received: 2 });
    expect(v.store.checkpoints.parts(v.id)).toEqual(['only']);
  });
});
