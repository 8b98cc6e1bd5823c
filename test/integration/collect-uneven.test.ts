/**
 * The collector against AWS's uneven pages (the emulator's default paging): short pages and empty
 * pages that carry a nextToken, a nextToken on the last page followed by an empty page, and
 * findings that change between pages. Over HTTP with the real client (AWS SDK v3, SigV4): every
 * finding version is stored exactly once, none lost.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import {
  AWS_TIME,
  addConnector,
  configFor,
  emulatorVersions,
  expectExactVersions,
  indexVersions,
  run,
  tempStore,
  type TempStore,
} from './collect-helpers.js';

const N = 2500;
let emu: Emulator;
let ts: TempStore;

beforeAll(async () => {
  emu = await startEmulator({ ...AWS_TIME, port: 0, findings: N, seed: 9 });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  ts = tempStore();
  emu.state.clearRequests();
});
afterEach(() => {
  ts.close();
});

const arnOf = (v: string) => v.slice(0, v.indexOf('|'));

describe('collection under uneven pages', () => {
  it(`stores all ${N} findings exactly once: 0 lost, 0 duplicated`, async () => {
    expect(emu.state.summary().paging).toBe('uneven');
    const id = addConnector(ts.store, configFor(emu));
    // 50 per page: with seed 9 the draws include a token on a query's last page (not every page
    // size does, e.g. 100); the shapes are asserted below, so a change of draws shows up here.
    const out = await run(ts.store, id, { maxResults: 50 });
    expect(out).toMatchObject({ status: 'ok', received: N, stored: N, duplicates: 0 });
    expectExactVersions(ts.store, emu);
    // The pages were uneven indeed: every shape AWS sends, and more pages than full ones take.
    const lists = emu.state.requests().filter((q) => q.operation === 'ListFindings');
    const shapes = new Set(lists.flatMap((q) => (q.shape ? [q.shape] : [])));
    expect([...shapes].sort()).toEqual(['empty', 'short', 'trailing']);
    expect(lists.filter((q) => q.returned === 0).length).toBeGreaterThan(1);
    expect(out.pages).toBe(lists.length);
    expect(out.pages).toBeGreaterThan(Math.ceil(N / 50) + 1);
  });

  it('findings that change and appear between pages: each version once, unchanged findings once, none lost', async () => {
    // Every version as a record (rescans too): the index then shows that none was lost.
    const id = addConnector(ts.store, configFor(emu, undefined, { recordVersions: 'all' }));
    // The run's window ends at AWS's time (the Date header): 4 minutes ahead here, then AWS's
    // clock steps back before the first page is stored, so versions written during the run fall
    // inside the window being paged, behind the cursor or ahead of it.
    emu.state.moveClock({ advanceMs: 240_000 });
    // The subject is data changing between pages: AWS indexes these changes at once here (the
    // lag is tested in collect-lag.test.ts).
    emu.state.indexLagMs = 0;
    let stepped = false;
    const before = new Set(emulatorVersions(emu));
    const changed = new Set<string>();
    const added = new Set<string>();
    const out = await run(ts.store, id, {
      maxResults: 50,
      onProgress: (p) => {
        if (!stepped) emu.state.moveClock({ advanceMs: -240_000 });
        stepped = true;
        // While the first query (ACTIVE + SUPPRESSED) pages: the changed versions stay within
        // this run's queries (a rescanned CLOSED finding comes with the CLOSED query after it).
        if (p.query !== 'active' || p.pages % 4 !== 0 || p.pages > 48) return;
        for (const a of emu.state.mutate({ count: 15, status: 'SUPPRESSED', fromStatus: 'ACTIVE' }).arns)
          changed.add(a);
        for (const a of emu.state.mutate({ count: 5, observed: true }).arns) changed.add(a);
        for (const a of emu.state.addFindings({ count: 3 }).arns) added.add(a);
      },
    });
    emu.state.indexLagMs = AWS_TIME.indexLagSeconds * 1000;
    expect(out.status).toBe('ok');
    expect(changed.size).toBeGreaterThan(100);
    expect(added.size).toBeGreaterThan(10);

    const idx = indexVersions(ts.store);
    const now = emulatorVersions(emu);
    // No version twice; every current version stored (the changes and the new findings too).
    expect(idx.length).toBe(new Set(idx).size);
    expect(out.duplicates).toBe(0);
    const stored = new Set(idx);
    expect(now.filter((v) => !stored.has(v))).toEqual([]);
    // Nothing invented: each stored version existed before the run or exists now.
    const known = new Set([...before, ...now]);
    expect(idx.filter((v) => !known.has(v))).toEqual([]);
    // A finding present throughout and never changed: exactly one record.
    const perArn = new Map<string, number>();
    for (const v of idx) perArn.set(arnOf(v), (perArn.get(arnOf(v)) ?? 0) + 1);
    const unchanged = [...before].map(arnOf).filter((a) => !changed.has(a));
    expect(unchanged.length).toBeGreaterThan(N / 2);
    expect(unchanged.filter((a) => perArn.get(a) !== 1)).toEqual([]);
    for (const a of added) expect([a, perArn.get(a)]).toEqual([a, 1]);
    // Some changed findings were stored in their old version first (the cursor had passed them).
    expect([...changed].some((a) => (perArn.get(a) ?? 0) >= 2)).toBe(true);
  });
});
