/**
 * Failed log-in limiter with a growing delay, per key (a lower-cased user name, from any client
 * address). The first `free` failures cost nothing; after that each attempt must wait a delay
 * that starts at `delayMs` and doubles with every further failure up to `maxDelayMs`, one
 * attempt at a time. The cap is what keeps an attacker from locking a user out for long: the
 * user can always try again within `maxDelayMs`. A success clears the key; so does
 * `forgetAfterMs` without any attempt. Unknown user names are limited exactly like known ones,
 * so the answers do not tell whether a name exists.
 *
 * An attempt is reserved (`attempt`) before the slow password check and settled afterwards
 * (`fail`, `succeed`, or `release` when the check could not run), so parallel guesses cannot
 * slip past the limit.
 */
import type { Clock } from '../core/clock.js';

export interface LoginLimiter {
  /** Reserves an attempt: 0 when allowed (settle it with fail/succeed/release), else the ms to wait. */
  attempt(key: string): number;
  /** The reserved attempt failed (wrong password). */
  fail(key: string): void;
  /** The reserved attempt succeeded: forget the key's failures. */
  succeed(key: string): void;
  /** The reserved attempt was not judged (e.g. the server was busy): it does not count. */
  release(key: string): void;
}

export interface LoginLimiterOptions {
  clock: Clock;
  /** Failures before delays start (default 5). */
  free?: number;
  /** The first delay (default 15 s); it doubles with each further failure. */
  delayMs?: number;
  /** The longest delay (default 5 min). */
  maxDelayMs?: number;
  /** A key with no attempt for this long starts afresh (default 1 h). */
  forgetAfterMs?: number;
  /** Keys kept at most (memory bound); the oldest are dropped first (default 100 000). */
  maxKeys?: number;
}

interface Entry {
  failures: number;
  /** Attempts reserved and not yet settled. */
  pending: number;
  lockedUntil: number;
  lastAt: number;
}

export const LOGIN_LIMIT_DEFAULTS = {
  free: 5,
  delayMs: 15_000,
  maxDelayMs: 5 * 60_000,
  forgetAfterMs: 3_600_000,
} as const;

export function loginLimiter(opts: LoginLimiterOptions): LoginLimiter {
  const free = opts.free ?? LOGIN_LIMIT_DEFAULTS.free;
  const delayMs = opts.delayMs ?? LOGIN_LIMIT_DEFAULTS.delayMs;
  const maxDelayMs = Math.max(delayMs, opts.maxDelayMs ?? LOGIN_LIMIT_DEFAULTS.maxDelayMs);
  const forgetAfterMs = opts.forgetAfterMs ?? LOGIN_LIMIT_DEFAULTS.forgetAfterMs;
  const maxKeys = opts.maxKeys ?? 100_000;
  const keys = new Map<string, Entry>();

  /** The delay after `failures` failures (0 while within the free ones). */
  const delayAfter = (failures: number) =>
    failures < free ? 0 : Math.min(maxDelayMs, delayMs * 2 ** Math.min(failures - free, 30));
  const stale = (e: Entry, now: number) =>
    e.pending === 0 && now >= e.lockedUntil && now - e.lastAt >= forgetAfterMs;

  const entry = (key: string, now: number): Entry => {
    let e = keys.get(key);
    if (e && stale(e, now)) {
      keys.delete(key);
      e = undefined;
    }
    if (!e) {
      if (keys.size >= maxKeys) {
        for (const [k, v] of keys) if (stale(v, now)) keys.delete(k);
        // Still full (a flood of names): drop the oldest entries.
        for (const k of keys.keys()) {
          if (keys.size < maxKeys) break;
          keys.delete(k);
        }
      }
      e = { failures: 0, pending: 0, lockedUntil: 0, lastAt: now };
      keys.set(key, e);
    }
    return e;
  };

  return {
    attempt(key) {
      const now = opts.clock.now();
      const e = entry(key, now);
      if (e.failures + e.pending >= free) {
        if (now < e.lockedUntil) return e.lockedUntil - now;
        // Past the free failures: one attempt at a time.
        if (e.pending > 0) return delayAfter(e.failures + e.pending);
      }
      e.pending++;
      e.lastAt = now;
      return 0;
    },
    fail(key) {
      const now = opts.clock.now();
      const e = entry(key, now);
      e.pending = Math.max(0, e.pending - 1);
      e.failures++;
      e.lastAt = now;
      const d = delayAfter(e.failures);
      if (d > 0) e.lockedUntil = now + d;
    },
    succeed(key) {
      keys.delete(key);
    },
    release(key) {
      const e = keys.get(key);
      if (e) e.pending = Math.max(0, e.pending - 1);
    },
  };
}
