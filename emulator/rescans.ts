/**
 * Rescans that change nothing material: Amazon Inspector re-evaluates findings continuously, and
 * each re-evaluation moves `updatedAt` (and `lastObservedAt`) and lets the EPSS score drift,
 * while status, severity, packages, fix and exploit availability stay as they were. On a busy
 * account most ACTIVE findings get such a version every day (DOMAIN.md).
 *
 * `rate` = the fraction of ACTIVE findings rescanned per emulator day (0 = none). Days start at
 * the emulator's start time; whether finding i is rescanned on day d, at what time of the day and
 * by how much its EPSS score drifts are pure functions of (seed, d, i), so a run is repeatable.
 * Rescans are applied lazily, in time order, up to the emulator's clock whenever the state is
 * read or changed: moving the clock a day forward rescans a day's worth of findings.
 */
import { hash3, mix32 } from './rng.js';
import type { FindingStore } from './store.js';

const DAY = 86_400_000;
const S_PICK = 0x5e5c01;
const S_TIME = 0x5e5c02;
const S_DRIFT = 0x5e5c03;
/** Largest EPSS move of one rescan, either way (EPSS moves little from day to day). */
export const EPSS_DRIFT_MAX = 0.005;

const unit = (h: number): number => h / 4294967296;

export class Rescans {
  /** Versions made by rescans since start. */
  applied = 0;
  /** Everything before this time (epoch ms) has been applied. */
  private from: number;
  /** The loaded day's schedule, sorted by time: rescan times and finding indices. */
  private day = -1;
  private times = new Float64Array(0);
  private idx = new Uint32Array(0);
  private cursor = 0;

  constructor(
    private readonly seed: number,
    private readonly startedAt: number,
    private rateValue: number,
  ) {
    this.from = startedAt;
    checkRate(rateValue);
  }

  get rate(): number {
    return this.rateValue;
  }

  /** Changes the rate from now on (the rest of today is scheduled again at the new rate). */
  setRate(store: FindingStore, now: number, rate: number): void {
    checkRate(rate);
    this.advance(store, now);
    this.rateValue = rate;
    this.day = -1;
  }

  /** Applies every rescan due up to `now`, in time order. */
  advance(store: FindingStore, now: number, skip?: (i: number) => boolean): void {
    if (now < this.from) return; // the clock moved back: nothing is due
    if (this.rateValue === 0) {
      this.from = now + 1;
      return;
    }
    const active = store.statuses.lookup('ACTIVE');
    const moved: number[] = [];
    while (this.from <= now) {
      const d = Math.floor((this.from - this.startedAt) / DAY);
      if (d !== this.day) this.schedule(store, d);
      const to = Math.min(now + 1, this.startedAt + (d + 1) * DAY);
      while (this.cursor < this.times.length && this.times[this.cursor]! < to) {
        const t = this.times[this.cursor]!;
        const i = this.idx[this.cursor++]!;
        // Only ACTIVE findings are rescanned, and never back in time (a newer change stands).
        if (t < this.from || store.status[i] !== active || store.upd[i]! >= t) continue;
        // An account that stopped reporting: no rescans.
        if (skip?.(i)) continue;
        store.mutate(i, { now: t, observed: true });
        const drift = (unit(hash3(this.daySeed(d), i, S_DRIFT)) * 2 - 1) * EPSS_DRIFT_MAX;
        store.epssDrift.set(i, (store.epssDrift.get(i) ?? 0) + drift);
        moved.push(i);
      }
      this.from = to;
    }
    this.applied += moved.length;
    if (moved.length > 0) store.mutated(moved);
  }

  private daySeed(d: number): number {
    return mix32(this.seed ^ Math.imul(d + 1, 0x9e3779b1));
  }

  /** Day d's rescans (findings that exist now), sorted by time; the cursor skips what is past. */
  private schedule(store: FindingStore, d: number): void {
    const ds = this.daySeed(d);
    const start = this.startedAt + d * DAY;
    const picked: number[] = [];
    const times: number[] = [];
    for (let i = 0; i < store.n; i++) {
      if (unit(hash3(ds, i, S_PICK)) >= this.rateValue) continue;
      picked.push(i);
      times.push(start + Math.floor(unit(hash3(ds, i, S_TIME)) * DAY));
    }
    const order = picked.map((_, k) => k).sort((a, b) => times[a]! - times[b]! || picked[a]! - picked[b]!);
    this.times = Float64Array.from(order, (k) => times[k]!);
    this.idx = Uint32Array.from(order, (k) => picked[k]!);
    this.cursor = 0;
    while (this.cursor < this.times.length && this.times[this.cursor]! < this.from) this.cursor++;
    this.day = d;
  }
}

function checkRate(rate: number): void {
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > 1)
    throw new Error(`rescanRate: a fraction from 0 to 1 (of ACTIVE findings rescanned per day), got ${rate}`);
}
