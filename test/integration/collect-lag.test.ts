/**
 * AWS's time, not the host's: the emulator lists a version only `indexLagSeconds` after it was
 * written, and its clock (updatedAt, the `Date` header) is off the host's by ±3 minutes. Over HTTP
 * with the real client and a real SQLite store: with a lag within the overlap every version is
 * collected whichever way the clocks differ; a lag beyond the overlap is caught by the band
 * below it, counted (`lateVersions`) and put on the connector as a warning.
 *
 * Time is the emulator's, moved by its control API; the runs' host clock is the emulator's
 * minus the offset, so "host" and "AWS" stay apart by exactly the offset.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import {
  addConnector,
  configFor,
  control,
  indexVersions,
  run,
  sorted,
  tempStore,
  type TempStore,
} from './collect-helpers.js';
import { checkpointOf } from '../support/checkpoints.js';

const N = 300;
let emu: Emulator | undefined;
let ts: TempStore | undefined;
afterEach(async () => {
  ts?.close();
  await emu?.close();
  ts = undefined;
  emu = undefined;
});

/**
 * An emulator with lag and offset, a connector with a 1-minute overlap, and a step function:
 * write versions of `perStep` findings never written before, let `stepSeconds` of AWS time
 * pass, run. Returns every version written and what each run reported.
 */
async function scenario(o: { offsetSeconds: number; lagSeconds: number; steps: number }) {
  emu = await startEmulator({
    port: 0,
    findings: N,
    seed: 17,
    indexLagSeconds: o.lagSeconds,
    clockOffsetSeconds: o.offsetSeconds,
  });
  const e = emu;
  ts = tempStore();
  const store = ts.store;
  // Every version as a record (observed rescans too): the index then shows that none was lost.
  const id = addConnector(store, configFor(e, undefined, { overlapMinutes: 1, recordVersions: 'all' }));
  const host = { now: () => e.state.now() - o.offsetSeconds * 1000 };
  const runOnce = () => run(store, id, { clock: host });
  const advance = (s: number) => control(e, 'clock', 'POST', { advanceMs: s * 1000 });

  const first = await runOnce();
  expect(first).toMatchObject({ status: 'ok', stored: N, lateVersions: 0 });
  const written = new Set(indexVersions(store));
  // Each finding is changed once at most, so every version written stays listed once indexed.
  const fresh =
    e.state.store.n > 0 ? Array.from({ length: e.state.store.n }, (_, i) => e.state.store.arnOf(i)) : [];
  const outcomes = [];
  for (let k = 0; k < o.steps; k++) {
    const arns = fresh.splice(0, 8);
    const m = (await control(e, 'mutate', 'POST', { arns, status: 'SUPPRESSED' })) as {
      arns: string[];
      updatedAt: number;
    };
    for (const a of m.arns) written.add(`${a}|${m.updatedAt}`);
    await advance(20);
    outcomes.push(await runOnce());
  }
  // Past the lag: everything written is listed now; two more runs.
  await advance(o.lagSeconds + 1);
  outcomes.push(await runOnce());
  await advance(20);
  outcomes.push(await runOnce());
  for (const out of outcomes) expect(out.status).toBe('ok');
  return { e, store, id, written, outcomes };
}

describe('indexing lag within the overlap, AWS clock off by 3 minutes', () => {
  for (const offsetSeconds of [-180, 180]) {
    it(`offset ${offsetSeconds > 0 ? '+' : ''}${offsetSeconds} s, lag 40 s, overlap 1 min: every version collected, none late; windows end at AWS's time`, async () => {
      const { e, store, id, written, outcomes } = await scenario({ offsetSeconds, lagSeconds: 40, steps: 6 });
      const idx = indexVersions(store);
      expect(idx.length).toBe(new Set(idx).size);
      expect(sorted(idx)).toEqual(sorted([...written]));
      expect(outcomes.map((x) => x.lateVersions)).toEqual(outcomes.map(() => 0));
      expect(store.connectors.get(id)!.status.lastError).toBeUndefined();
      // The window ends at AWS's time (the Date header, whole seconds), not the host's.
      const cp = checkpointOf(store, id) as { lastCompletedEnd: number };
      const aws = e.state.now();
      expect(aws - cp.lastCompletedEnd).toBeGreaterThanOrEqual(0);
      expect(aws - cp.lastCompletedEnd).toBeLessThan(60_000);
    });
  }
});

describe('indexing lag beyond the overlap', () => {
  it('lag 100 s, overlap 1 min: the late versions are counted, stored, and the connector warns', async () => {
    const { store, id, written, outcomes } = await scenario({
      offsetSeconds: -180,
      lagSeconds: 100,
      steps: 6,
    });
    // Caught by the band below the overlap: nothing lost (the lag is under twice the overlap).
    const idx = indexVersions(store);
    expect(sorted(idx)).toEqual(sorted([...written]));
    const late = outcomes.reduce((a, x) => a + x.lateVersions, 0);
    // Runs 20 s apart: a version is listed 100 s after it was written, when the last window
    // ended 80 s after it, so its overlap started 20 s after it: late. That holds for the
    // versions of steps 0-2 at least; the last steps' versions are listed after the long final
    // wait (lag + 1 s), whose window overlap still reaches them.
    expect(late).toBeGreaterThanOrEqual(8 * 3);
    expect(late).toBeLessThanOrEqual(8 * 6);
    const last = outcomes.findLast((x) => x.lateVersions > 0)!;
    expect(last.lateHint).toBe(
      'indexing lag exceeded the overlap of 1 min (collected by the band below it); raise overlapMinutes',
    );
    const status = store.connectors.get(id)!.status;
    expect(status.state).toBe('ok');
    expect(status.lastError).toMatchObject({ code: 'ERR_INDEXING_LAG' });
    expect(status.lastError!.message).toMatch(
      /^\d+ finding versions arrived late \(stored\): indexing lag exceeded the overlap of 1 min/,
    );
  });
});
