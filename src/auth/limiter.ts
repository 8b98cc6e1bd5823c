/**
 * Failed log-in limiter: at most `max` attempts per key (client address + username) in a
 * window; a successful log-in clears its key, so only failures add up. An attempt is counted
 * before the (slow) password check, so parallel guesses cannot slip past the limit.
 */
import type { Clock } from '../core/clock.js';

export interface FailureLimiter {
  /** Counts an attempt; returns 0 when allowed, else the ms until the key may try again. */
  attempt(key: string): number;
  /** A success: forget the key's attempts. */
  succeed(key: string): void;
}

export function failureLimiter(opts: {
  max: number;
  windowMs: number;
  clock: Clock;
  maxKeys?: number;
}): FailureLimiter {
  const keys = new Map<string, { count: number; resetAt: number }>();
  const maxKeys = opts.maxKeys ?? 100_000;
  const prune = (now: number) => {
    for (const [k, v] of keys) if (v.resetAt <= now) keys.delete(k);
  };
  return {
    attempt(key) {
      const now = opts.clock.now();
      let e = keys.get(key);
      if (!e || e.resetAt <= now) {
        if (keys.size >= maxKeys) prune(now);
        e = { count: 0, resetAt: now + opts.windowMs };
        keys.set(key, e);
      }
      if (e.count >= opts.max) return e.resetAt - now;
      e.count++;
      return 0;
    },
    succeed(key) {
      keys.delete(key);
    },
  };
}
