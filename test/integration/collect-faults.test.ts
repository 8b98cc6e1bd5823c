/**
 * A hostile AWS: throttling with Retry-After, 500s, connection resets, malformed and truncated
 * bodies, empty pages that still carry a nextToken, full pages without one, and nextTokens
 * rejected mid-window. After each, the index holds exactly the emulator's finding versions.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import {
  AWS_TIME,
  addConnector,
  configFor,
  control,
  expectExactVersions,
  run,
  tempStore,
  type TempStore,
} from './collect-helpers.js';
import { checkpointOf, partOf } from '../support/checkpoints.js';

/** A multiple of the page size: with clean pages the last page is full and carries no nextToken. */
const N = 1000;
let emu: Emulator;
let ts: TempStore;

interface LoggedRequest {
  operation: string;
  status: number;
  hasNextToken?: boolean;
  returned?: number;
  fault?: string;
  errorCode?: string;
}

beforeAll(async () => {
  emu = await startEmulator({ ...AWS_TIME, port: 0, findings: N, seed: 7 });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(async () => {
  ts = tempStore();
  await control(emu, 'faults', 'DELETE');
  await control(emu, 'requests', 'DELETE');
});
afterEach(async () => {
  ts.close();
  await control(emu, 'faults', 'DELETE');
  emu.state.cleanPages = false;
});

const requests = async () =>
  ((await control(emu, 'requests')) as { requests: LoggedRequest[] }).requests.filter(
    (r) => r.operation === 'ListFindings',
  );
const injected = async () =>
  ((await control(emu, 'faults')) as { injected: Record<string, number> }).injected;

/** The index holds every version of the emulator, each once. */
const expectExact = () => expectExactVersions(ts.store, emu);

describe('faults during collection', () => {
  it('throttling (429 + Retry-After) and 500s are retried by the SDK; nothing lost or duplicated', async () => {
    await control(emu, 'faults', 'POST', {
      throttle: { count: 2, retryAfterSeconds: 1 },
      error500: { count: 2 },
    });
    const id = addConnector(ts.store, configFor(emu));
    const out = await run(ts.store, id);
    expect(out).toMatchObject({ status: 'ok', stored: N, duplicates: 0 });
    expect(await injected()).toMatchObject({ throttle: 2, error500: 2 });
    expectExact();
  });

  it('the SDK waits as long as Retry-After says before retrying a throttled request', async () => {
    await control(emu, 'faults', 'POST', { throttle: { count: 1, retryAfterSeconds: 2 } });
    const id = addConnector(ts.store, configFor(emu));
    const out = await run(ts.store, id);
    expect(out).toMatchObject({ status: 'ok', stored: N });
    const all = ((await control(emu, 'requests')) as { requests: (LoggedRequest & { at: number })[] })
      .requests;
    const i = all.findIndex((r) => r.status === 429);
    expect(i).toBeGreaterThanOrEqual(0);
    const retry = all.slice(i + 1).find((r) => r.operation === 'ListFindings')!;
    // A lower bound enforced by the retry strategy, not a speed measurement.
    expect(retry.at - all[i]!.at).toBeGreaterThanOrEqual(1900);
  });

  it('connection resets and malformed or truncated bodies: retried, then the run completes', async () => {
    await control(emu, 'faults', 'POST', {
      reset: { count: 2 },
      malformed: { count: 1 },
      truncate: { count: 1 },
    });
    const id = addConnector(ts.store, configFor(emu));
    const out = await run(ts.store, id);
    expect(out).toMatchObject({ status: 'ok', stored: N, duplicates: 0 });
    expect(await injected()).toMatchObject({ reset: 2, malformed: 1, truncate: 1 });
    expectExact();
  });

  it('follows nextToken through empty pages, and stops on a full page without one', async () => {
    // Clean pages: the test counts requests, one per page of 100 plus the injected empty ones.
    emu.state.cleanPages = true;
    await control(emu, 'faults', 'POST', { emptyPage: { count: 4 } });
    const id = addConnector(ts.store, configFor(emu));
    const out = await run(ts.store, id);
    expect(out).toMatchObject({ status: 'ok', stored: N });
    const reqs = await requests();
    const empties = reqs.filter((r) => r.fault === 'emptyPage');
    expect(empties).toHaveLength(4);
    expect(empties.every((r) => r.returned === 0)).toBe(true);
    // One request per page of 100 plus the empty ones, plus the (empty) CLOSED query: no extra
    // request after a full page that carries no token.
    const active = (emu.state.summary().byStatus as Record<string, number>).ACTIVE ?? 0;
    const suppressed = (emu.state.summary().byStatus as Record<string, number>).SUPPRESSED ?? 0;
    const closed = (emu.state.summary().byStatus as Record<string, number>).CLOSED ?? 0;
    const pages = (n: number) => Math.max(1, Math.ceil(n / 100));
    expect(reqs.length).toBe(pages(active + suppressed) + pages(closed) + 4);
    expectExact();
  });

  it('a full last page without nextToken ends the query (exactly N/100 requests for N findings)', async () => {
    // Clean pages: the subject is a full last page without a token (uneven pages may add one).
    const small = await startEmulator({ ...AWS_TIME, port: 0, findings: 300, seed: 3, cleanPages: true });
    try {
      // No sweep (it would list the open findings again after this "gap").
      const id = addConnector(
        ts.store,
        configFor(small, undefined, { initialLookbackDays: 0, sweepHours: 0 }),
      );
      // Later runs query all statuses in one window (on updatedAt, then on lastObservedAt): make
      // those the only queries by completing a first run.
      ts.store.checkpoints.set(id, { v: 1, lastCompletedEnd: 0, queue: [] }, partOf(ts.store, id));
      const out = await run(ts.store, id, { maxResults: 100 });
      expect(out).toMatchObject({ status: 'ok', stored: 300, pages: 6 });
      const reqs = (await control(small, 'requests')) as { requests: LoggedRequest[] };
      const lists = reqs.requests.filter((r) => r.operation === 'ListFindings');
      expect(lists.map((r) => r.returned)).toEqual([100, 100, 100, 100, 100, 100]);
    } finally {
      await small.close();
    }
  });

  it('a nextToken rejected mid-window restarts the query; nothing duplicated in the index', async () => {
    // Tokens live 60 s of the emulator's clock; after page 3 is stored the clock jumps 2 min.
    await control(emu, 'faults', 'POST', { tokenTtlSeconds: 60 });
    const id = addConnector(ts.store, configFor(emu));
    let jumped = false;
    const out = await run(ts.store, id, {
      onProgress: (p) => {
        if (p.pages === 3 && !jumped) {
          jumped = true;
          emu.state.moveClock({ advanceMs: 120_000 });
        }
      },
    });
    expect(out.status).toBe('ok');
    expect(out.tokenRestarts).toBeGreaterThanOrEqual(1);
    expect(out.duplicates).toBeGreaterThan(0);
    const reqs = await requests();
    expect(reqs.some((r) => r.status === 400 && r.errorCode === 'ValidationException')).toBe(true);
    expectExact();
  });

  it('a stored token the service rejects (e.g. after a crash, too late) restarts that query', async () => {
    const id = addConnector(ts.store, configFor(emu));
    const first = await run(ts.store, id);
    expect(first.status).toBe('ok');
    const cp = checkpointOf(ts.store, id) as { lastCompletedEnd: number; lastSweepAt: number };
    const runStart = cp.lastCompletedEnd + 60_000;
    // The first run's checkpoint (its listing counted as a sweep: none is due) with a window
    // in progress whose token the service no longer knows (in the part the connector runs).
    ts.store.checkpoints.set(
      id,
      {
        v: 1,
        lastCompletedEnd: cp.lastCompletedEnd,
        lastSweepAt: cp.lastSweepAt,
        runStart,
        queue: [
          {
            key: 'window',
            filterCriteria: { updatedAt: [{ startInclusive: 0, endInclusive: runStart }] },
            nextToken: 'bm90LWEtdG9rZW4',
          },
        ],
      },
      partOf(ts.store, id),
    );
    const out = await run(ts.store, id);
    expect(out).toMatchObject({ status: 'ok', tokenRestarts: 1, stored: 0, duplicates: N });
    expectExact();
  });

  it('when retries are exhausted the run fails with the coded error; the next run resumes and completes', async () => {
    const id = addConnector(ts.store, configFor(emu));
    // Let 3 pages through, then every request fails with 500. Pages are uneven: count what they held.
    let armed = false;
    let before = 0;
    const failing = await run(ts.store, id, {
      clientOptions: { maxAttempts: 2 },
      pageRetries: 1,
      onProgress: (p) => {
        if (p.pages === 3 && !armed) {
          armed = true;
          before = p.findings;
          emu.state.faults.set({ error500: { fraction: 1 } });
        }
      },
    });
    expect(failing.status).toBe('failed');
    expect(failing.error?.code).toBe('ERR_AWS_SERVER');
    expect(before).toBeGreaterThan(0);
    expect(failing.stored).toBe(before);
    expect(ts.store.connectors.get(id)!.status).toMatchObject({
      state: 'failed',
      lastError: { code: 'ERR_AWS_SERVER' },
    });
    expect(ts.store.index.size()).toBe(before);

    await control(emu, 'faults', 'DELETE');
    const resumed = await run(ts.store, id);
    expect(resumed).toMatchObject({ status: 'ok', stored: N - before, duplicates: 0 });
    expect(ts.store.connectors.get(id)!.status.state).toBe('ok');
    expectExact();
  });

  it('throttled on every attempt: ERR_THROTTLED (429), and the status says so', async () => {
    await control(emu, 'faults', 'POST', { throttle: { fraction: 1, retryAfterSeconds: 0 } });
    const id = addConnector(ts.store, configFor(emu));
    const out = await run(ts.store, id, {
      clientOptions: { maxAttempts: 2 },
      pageRetries: 0,
      throttleRetries: 0,
    });
    expect(out).toMatchObject({ status: 'failed', error: { code: 'ERR_THROTTLED' } });
    expect(ts.store.connectors.get(id)!.status.lastError?.code).toBe('ERR_THROTTLED');
    expect(ts.store.index.size()).toBe(0);
  });

  it('a malformed body on every attempt fails the window cleanly with ERR_BAD_RESPONSE; nothing half-written', async () => {
    const id = addConnector(ts.store, configFor(emu));
    let armed = false;
    const out = await run(ts.store, id, {
      pageRetries: 1,
      onProgress: (p) => {
        if (p.pages === 2 && !armed) {
          armed = true;
          emu.state.faults.set({ malformed: { fraction: 1 } });
        }
      },
    });
    expect(out).toMatchObject({ status: 'failed', error: { code: 'ERR_BAD_RESPONSE' } });
    // Whole pages only: what is stored is exactly what the checkpoint acknowledges.
    expect(ts.store.index.size()).toBe(out.stored);
    expect(out.stored % 100).toBe(0);
    const cp = checkpointOf(ts.store, id) as { queue: { nextToken?: string }[] };
    expect(cp.queue[0]!.nextToken).toBeDefined();
  });
});
