/**
 * The scheduler with a real store and a fake AWS client whose requests the test releases one
 * by one, so every assertion waits on events, never on elapsed time; the generic part runs a
 * connector of every type (test/support/connectors/cases.ts) on a short "minute".
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import type { ClientFactory, InspectorClient, ListFindingsPage } from '../connectors/aws-inspector/client.js';
import { openStore, type Store } from '../store/index.js';
import type { RunOutcome } from './runner.js';
import { createScheduler, type Scheduler } from './scheduler.js';
import { productionStoreTypes, storeTypes } from '../connectors/registry.js';
import { awsRegistry } from '../../test/support/connectors/index.js';
import { checkpointOf } from '../../test/support/checkpoints.js';
import { TYPE_CASES, type TypeSource } from '../../test/support/connectors/cases.js';

interface Gate {
  factory: ClientFactory;
  /** Requests waiting for an answer. */
  waiting: { resolve: (p: ListFindingsPage) => void; reject: (e: unknown) => void }[];
  requested: Promise<void>;
  calls: number;
  concurrent: number;
  maxConcurrent: number;
}

/** Every ListFindings call waits until the test answers it. */
function gatedClient(): Gate {
  let signal: () => void = () => undefined;
  const gate: Gate = {
    factory: () => client,
    waiting: [],
    requested: new Promise((r) => (signal = r)),
    calls: 0,
    concurrent: 0,
    maxConcurrent: 0,
  };
  const client: InspectorClient = {
    listFindingsPage(_req, opts) {
      gate.calls++;
      gate.concurrent++;
      gate.maxConcurrent = Math.max(gate.maxConcurrent, gate.concurrent);
      return new Promise<ListFindingsPage>((resolve, reject) => {
        const done = () => gate.concurrent--;
        gate.waiting.push({
          resolve: (p) => {
            done();
            resolve(p);
          },
          reject: (e) => {
            done();
            reject(e);
          },
        });
        opts?.abortSignal?.addEventListener('abort', () => {
          done();
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
        });
        const s = signal;
        gate.requested = new Promise((r) => (signal = r));
        s();
      });
    },
    getCallerIdentity: () => Promise.reject(new Error('unused')),
    batchGetAccountStatus: () => Promise.reject(new Error('unused')),
    destroy: () => undefined,
  };
  return gate;
}

const answerEmpty = async (g: Gate) => {
  while (g.waiting.length === 0) await g.requested;
  g.waiting.shift()!.resolve({ findings: [] });
};

let dir: string;
let store: Store;
let id: string;
let scheduler: Scheduler | undefined;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sched-'));
  store = openStore({ connectorTypes: productionStoreTypes(), dataDir: dir, key: Buffer.alloc(32, 3) });
  id = store.connectors.create({
    name: 'root-aws-inspector',
    region: 'us-east-1',
    initialLookbackDays: 0,
    intervalMinutes: 1,
    auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x'.repeat(40) },
  }).id;
});

afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function outcomes() {
  const list: RunOutcome[] = [];
  let wake: () => void = () => undefined;
  let next = new Promise<void>((r) => (wake = r));
  return {
    list,
    push(o: RunOutcome) {
      list.push(o);
      const w = wake;
      next = new Promise<void>((r) => (wake = r));
      w();
    },
    async waitFor(n: number) {
      while (list.length < n) await next;
    },
  };
}

describe('scheduler', () => {
  it('does not pull until the connector is eligible; then pulls at once', async () => {
    const g = gatedClient();
    const runs = outcomes();
    scheduler = createScheduler({
      store,
      clock: systemClock,
      logger: silentLogger(),
      registry: awsRegistry(g.factory),
      minuteMs: 3_600_000,
      onRunFinished: (o) => runs.push(o),
    });
    scheduler.start();
    expect(scheduler.nextRunAt(id)).toBeUndefined();
    expect(scheduler.isRunning(id)).toBe(false);
    // Active but in no profile: not eligible.
    scheduler.notifyChanged(id);
    expect(scheduler.isRunning(id)).toBe(false);

    store.profiles.addConnector('default', id);
    scheduler.notifyChanged(id);
    expect(scheduler.isRunning(id)).toBe(true);
    await answerEmpty(g);
    await runs.waitFor(1);
    expect(runs.list[0]!.status).toBe('ok');
    // Next pull one interval after this run's start.
    expect(scheduler.nextRunAt(id)).toBeGreaterThan(Date.now() + 3_000_000);
    expect(store.connectors.get(id)!.status.state).toBe('ok');

    // Removed from the profile: the planned pull is cancelled.
    store.profiles.removeConnector('default', id);
    scheduler.notifyChanged(id);
    expect(scheduler.nextRunAt(id)).toBeUndefined();
  });

  it('never overlaps runs of one connector; trigger during a run returns that run', async () => {
    store.profiles.addConnector('default', id);
    const g = gatedClient();
    scheduler = createScheduler({
      store,
      clock: systemClock,
      logger: silentLogger(),
      registry: awsRegistry(g.factory),
      minuteMs: 3_600_000,
    });
    // start() plans the never-run connector at once (timer 0) while we also trigger it.
    scheduler.start();
    const a = scheduler.trigger(id);
    const b = scheduler.trigger(id);
    expect(a).toBe(b);
    expect(scheduler.isRunning(id)).toBe(true);
    await answerEmpty(g);
    const out = await a;
    expect(out.status).toBe('ok');
    expect(g.maxConcurrent).toBe(1);
    expect(store.runs.list(id)).toHaveLength(1);
  });

  it('runs again every interval', async () => {
    store.profiles.addConnector('default', id);
    const g = gatedClient();
    const runs = outcomes();
    scheduler = createScheduler({
      store,
      clock: systemClock,
      logger: silentLogger(),
      registry: awsRegistry(g.factory),
      minuteMs: 20, // intervalMinutes 1 -> 20 ms
      onRunFinished: (o) => runs.push(o),
    });
    scheduler.start();
    // A first run asks once (ACTIVE/SUPPRESSED); later runs twice (the window on updatedAt, then on
    // lastObservedAt for findings without updatedAt).
    for (let i = 0; i < 5; i++) await answerEmpty(g);
    await runs.waitFor(3);
    expect(runs.list.map((o) => o.status)).toEqual(['ok', 'ok', 'ok']);
    expect(store.runs.list(id).length).toBeGreaterThanOrEqual(3);
  });

  it('stop() ends a run in progress between pages and waits for it', async () => {
    store.profiles.addConnector('default', id);
    const g = gatedClient();
    scheduler = createScheduler({
      store,
      clock: systemClock,
      logger: silentLogger(),
      registry: awsRegistry(g.factory),
      minuteMs: 3_600_000,
    });
    scheduler.start();
    while (g.waiting.length === 0) await g.requested;
    // First page stored, the prefetch of the second is in flight when we stop.
    g.waiting.shift()!.resolve({ findings: [], nextToken: 't1' });
    while (g.waiting.length === 0) await g.requested;
    await scheduler.stop();
    expect(scheduler.isRunning(id)).toBe(false);
    const run = store.runs.list(id)[0]!;
    expect(run.status).toBe('ok');
    expect(run.pages).toBe(1);
    const cp = checkpointOf(store, id) as { queue: { nextToken?: string }[] };
    expect(cp.queue[0]!.nextToken).toBe('t1');
    expect(store.connectors.get(id)!.status.lastSuccessAt).toBeUndefined();
    scheduler = undefined;
  });

  it('stopConnector() stops that connector after its current page and plans nothing (before delete)', async () => {
    store.profiles.addConnector('default', id);
    const g = gatedClient();
    scheduler = createScheduler({
      store,
      clock: systemClock,
      logger: silentLogger(),
      registry: awsRegistry(g.factory),
      minuteMs: 3_600_000,
    });
    scheduler.start();
    while (g.waiting.length === 0) await g.requested;
    g.waiting.shift()!.resolve({ findings: [], nextToken: 'next' });
    while (g.waiting.length === 0) await g.requested;
    store.connectors.setActive(id, false);
    scheduler.notifyChanged(id);
    await scheduler.stopConnector(id);
    expect(scheduler.isRunning(id)).toBe(false);
    expect(scheduler.nextRunAt(id)).toBeUndefined();
    expect(store.runs.list(id)[0]).toMatchObject({ status: 'ok', pages: 1 });
    expect(store.connectors.delete(id)).toBe(true);
  });

  it('a successful test of a failed connector clears the status and plans a run within a minute', async () => {
    store.profiles.addConnector('default', id);
    const g = gatedClient();
    const runs = outcomes();
    scheduler = createScheduler({
      store,
      clock: systemClock,
      logger: silentLogger(),
      registry: awsRegistry(g.factory),
      minuteMs: 3_600_000,
      onRunFinished: (o) => runs.push(o),
    });
    scheduler.start();
    while (g.waiting.length === 0) await g.requested;
    const { CodedError } = await import('../core/errors.js');
    g.waiting.shift()!.reject(new CodedError('ERR_AUTH_INVALID', 'bad keys'));
    await runs.waitFor(1);
    expect(store.connectors.get(id)!.status.state).toBe('failed');
    expect(scheduler.nextRunAt(id)).toBeGreaterThan(Date.now() + 3_000_000);

    scheduler.onTestResult(id, false);
    expect(store.connectors.get(id)!.status.state).toBe('failed');
    const before = Date.now();
    scheduler.onTestResult(id, true);
    expect(store.connectors.get(id)!.status.state).toBe('ok');
    expect(store.connectors.get(id)!.status.lastError).toBeUndefined();
    const next = scheduler.nextRunAt(id)!;
    expect(next).toBeGreaterThanOrEqual(before + 60_000);
    expect(next).toBeLessThanOrEqual(Date.now() + 60_000);

    // Partial (some parts failed): the status stays as the last run left it; the early run comes.
    store.connectors.setStatus(id, {
      state: 'partial',
      lastError: { code: 'ERR_PERMISSION', message: '1 of 2 parts failed; b: denied', at: 1 },
    });
    // Planned again an interval after the last run (far), as an edit does.
    scheduler.notifyChanged(id);
    expect(scheduler.nextRunAt(id)).toBeGreaterThan(Date.now() + 3_000_000);
    const beforePartial = Date.now();
    scheduler.onTestResult(id, true);
    expect(store.connectors.get(id)!.status).toMatchObject({
      state: 'partial',
      lastError: { code: 'ERR_PERMISSION' },
    });
    expect(scheduler.nextRunAt(id)).toBeGreaterThanOrEqual(beforePartial + 60_000);
    expect(scheduler.nextRunAt(id)).toBeLessThanOrEqual(Date.now() + 60_000);
  });
});

describe.each(TYPE_CASES)('scheduler with any connector type: $type', (tc) => {
  let s: Store;
  let d: string;
  let src: TypeSource;
  let cid: string;
  let sched: Scheduler | undefined;

  beforeEach(() => {
    src = tc.source(30, Date.now());
    d = fs.mkdtempSync(path.join(os.tmpdir(), 'sched-any-'));
    s = openStore({ connectorTypes: storeTypes(src.registry), dataDir: d, key: Buffer.alloc(32, 3) });
    cid = s.connectors.create({ ...src.config, intervalMinutes: 1 }, { type: tc.type }).id;
  });
  afterEach(async () => {
    await sched?.stop();
    sched = undefined;
    s.close();
    fs.rmSync(d, { recursive: true, force: true });
    src.cleanup();
  });

  it('pulls at once when the connector becomes eligible, then every interval; stop() ends it', async () => {
    const runs = outcomes();
    sched = createScheduler({
      store: s,
      clock: systemClock,
      logger: silentLogger(),
      registry: src.registry,
      // A "minute" of 200 ms: the second pull follows the first without a fake clock.
      minuteMs: 200,
      onRunFinished: (o) => runs.push(o),
    });
    sched.start();
    expect(sched.isRunning(cid)).toBe(false);
    s.profiles.addConnector('default', cid);
    sched.notifyChanged(cid);
    await runs.waitFor(1);
    expect(runs.list[0]).toMatchObject({ status: 'ok', stored: 30 });
    expect(sched.nextRunAt(cid)).toBeDefined();

    src.add(5);
    await runs.waitFor(2);
    expect(runs.list[1]).toMatchObject({ status: 'ok', stored: 5 });
    expect(s.index.size()).toBe(35);
    await sched.stop();
    expect(sched.nextRunAt(cid)).toBeUndefined();
  });
});
