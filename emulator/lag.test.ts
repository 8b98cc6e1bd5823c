/**
 * AWS's time as the emulator keeps it (README "Indexing lag" and "Clock offset"): a version
 * written at T is listed only from emulator time T + lag (before that, the previous version);
 * the emulator's clock is the host's plus an offset, in updatedAt and in the `Date` header.
 * Both are options, CLI flags and control API settings; visibility follows the emulator's clock
 * alone (the host clock is fixed here), so every outcome is deterministic.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from './index.js';
import { READER, control, listAllRaw, signedRequest } from './testing.js';

const HOST = Date.now();
let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

/** `arn -> [status, updatedAt ms]` of every finding ListFindings returns now. */
async function listed(e: Emulator): Promise<Map<string, [string, number]>> {
  const { findings } = await listAllRaw(e.url, READER, {
    filterCriteria: { updatedAt: [{ startInclusive: 0, endInclusive: 1_900_000_000 }] },
  });
  return new Map(
    findings.map((f) => [
      String(f.findingArn),
      [String(f.status), Math.round(Number(f.updatedAt) * 1000)] as [string, number],
    ]),
  );
}

describe('indexing lag', () => {
  it('a mutation is listed only lag seconds after it was written; until then the previous version', async () => {
    emu = await startEmulator({ findings: 60, seed: 4, clock: () => HOST, indexLagSeconds: 30 });
    const before = await listed(emu);
    const { arns, updatedAt } = emu.state.mutate({ count: 5, status: 'SUPPRESSED', fromStatus: 'ACTIVE' });
    expect(updatedAt).toBe(HOST);
    const old = arns.map((a) => before.get(a));
    expect(old.every((v) => v?.[0] === 'ACTIVE')).toBe(true);
    expect((await control(emu.url, 'indexing')).json).toEqual({ lagSeconds: 30, pending: 5 });

    // 29.999 s later: still the previous versions.
    emu.state.moveClock({ advanceMs: 29_999 });
    const early = await listed(emu);
    expect(arns.map((a) => early.get(a))).toEqual(old);
    // A mutation picks by the truth, not by what is listed: the 5 are not ACTIVE any more.
    const again = emu.state.mutate({ count: 60, status: 'CLOSED', fromStatus: 'SUPPRESSED' });
    expect(arns.every((a) => again.arns.includes(a))).toBe(true);

    // At T + 30 s the first versions are listed; the second writes (at T + 29.999 s) are not yet.
    emu.state.moveClock({ advanceMs: 1 });
    const due = await listed(emu);
    expect(arns.map((a) => due.get(a))).toEqual(arns.map(() => ['SUPPRESSED', HOST]));
    expect(emu.state.summary().indexing).toEqual({ lagSeconds: 30, pending: again.arns.length });

    emu.state.moveClock({ advanceMs: 29_999 });
    const all = await listed(emu);
    expect(arns.map((a) => all.get(a))).toEqual(arns.map(() => ['CLOSED', HOST + 29_999]));
    expect(emu.state.pendingWrites()).toBe(0);
  });

  it('an added finding is not listed at all until indexed; a shorter lag set at runtime shows it at once', async () => {
    emu = await startEmulator({ findings: 10, seed: 4, clock: () => HOST, indexLagSeconds: 120 });
    const { arns } = emu.state.addFindings({ count: 3 });
    const second = emu.state.addFindings({ count: 2 });
    // Fresh ARNs although the first three are not in the index yet.
    expect(new Set([...arns, ...second.arns]).size).toBe(5);
    expect((await listed(emu)).size).toBe(10);
    emu.state.moveClock({ advanceMs: 60_000 });
    expect((await listed(emu)).size).toBe(10);
    const set = await control(emu.url, 'indexing', 'POST', { lagSeconds: 60 });
    expect(set).toEqual({ status: 200, json: { lagSeconds: 60, pending: 0 } });
    const now = await listed(emu);
    expect(now.size).toBe(15);
    for (const a of [...arns, ...second.arns]) expect(now.get(a)).toEqual(['ACTIVE', HOST]);
  });

  it('lag 0 (the default) lists a mutation at once; bad settings are refused naming the field', async () => {
    emu = await startEmulator({ findings: 20, seed: 4, clock: () => HOST });
    const { arns } = emu.state.mutate({ count: 2, status: 'CLOSED' });
    const now = await listed(emu);
    expect(arns.map((a) => now.get(a)?.[0])).toEqual(['CLOSED', 'CLOSED']);
    expect(emu.state.pendingWrites()).toBe(0);
    for (const bad of [-1, 1.5, '30', 86_401]) {
      const r = await control(emu.url, 'indexing', 'POST', { lagSeconds: bad });
      expect(r).toEqual({
        status: 400,
        json: { error: 'lagSeconds: an integer number of seconds from 0 to 86400' },
      });
    }
    const extra = await control(emu.url, 'indexing', 'POST', { lagSeconds: 1, lag: 2 });
    expect(extra.json.error).toBe('lag: unknown field; allowed: lagSeconds');
    await expect(startEmulator({ indexLagSeconds: -5 })).rejects.toThrow(/^indexLagSeconds: an integer/);
  });
});

describe('clock offset', () => {
  it('updatedAt of writes and the Date header are host time + offset; the control API reads and sets it', async () => {
    emu = await startEmulator({ findings: 20, seed: 4, clock: () => HOST, clockOffsetSeconds: -180 });
    expect(emu.state.mutate({ count: 1, status: 'CLOSED' }).updatedAt).toBe(HOST - 180_000);
    const res = await signedRequest({ url: emu.url, path: '/findings/list', body: '{}', creds: READER });
    expect(res.status).toBe(200);
    expect(res.headers.date).toBe(new Date(HOST - 180_000).toUTCString());
    expect((await control(emu.url, 'clock')).json).toEqual({ now: HOST - 180_000, offsetMs: -180_000 });
    expect(emu.state.summary().clockOffsetMs).toBe(-180_000);

    const ahead = await control(emu.url, 'clock', 'POST', { offsetSeconds: 240 });
    expect(ahead.json).toEqual({ now: HOST + 240_000, offsetMs: 240_000 });
    // Moving the clock moves the offset with it.
    expect((await control(emu.url, 'clock', 'POST', { advanceMs: 1000 })).json.offsetMs).toBe(241_000);
    const r2 = await signedRequest({ url: emu.url, path: '/findings/list', body: '{}', creds: READER });
    expect(r2.headers.date).toBe(new Date(HOST + 241_000).toUTCString());

    const bad = await control(emu.url, 'clock', 'POST', { offsetSeconds: '60' });
    expect(bad).toEqual({
      status: 400,
      json: { error: 'offsetSeconds: an integer number of seconds from -86400 to 86400' },
    });
  });

  it('generated findings are dated from the offset clock', async () => {
    const at = async (offset: number) => {
      const e = await startEmulator({ findings: 5, seed: 4, clock: () => HOST, clockOffsetSeconds: offset });
      try {
        return [...(await listed(e)).values()].map((v) => v[1]);
      } finally {
        await e.close();
      }
    };
    const base = await at(0);
    expect(await at(120)).toEqual(base.map((t) => t + 120_000));
  });
});
