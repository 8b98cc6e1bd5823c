import { describe, expect, it } from 'vitest';
import { mapBounded } from './concurrency.js';

describe('mapBounded', () => {
  it('keeps at most `limit` calls in flight and returns the results in the items order', async () => {
    let inFlight = 0;
    let most = 0;
    const release: (() => void)[] = [];
    const p = mapBounded([1, 2, 3, 4, 5], 2, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise<void>((r) => release.push(r));
      inFlight--;
      return n * 10;
    });
    // Release the waiting calls one at a time, newest first, until all five have run.
    for (let released = 0; released < 5; released++) {
      while (release.length === 0) await new Promise((r) => setImmediate(r));
      release.pop()!();
      await new Promise((r) => setImmediate(r));
    }
    expect(await p).toEqual([10, 20, 30, 40, 50]);
    expect(most).toBe(2);
  });

  it('runs everything at once when the limit is larger; a limit below 1 still runs one at a time; empty is empty', async () => {
    let most = 0;
    let inFlight = 0;
    const track = async (n: number) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return n;
    };
    expect(await mapBounded([1, 2, 3], 10, track)).toEqual([1, 2, 3]);
    expect(most).toBe(3);
    most = 0;
    expect(await mapBounded([1, 2, 3], 0, track)).toEqual([1, 2, 3]);
    expect(most).toBe(1);
    expect(await mapBounded([], 4, track)).toEqual([]);
  });

  it('rejects when a call rejects', async () => {
    await expect(
      mapBounded([1, 2], 2, async (n) => {
        if (n === 2) throw new Error('boom');
        return n;
      }),
    ).rejects.toThrow('boom');
  });
});
