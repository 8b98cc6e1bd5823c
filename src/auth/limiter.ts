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
import { randomBytes } from 'node:crypto';
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

/** How long a known client is remembered by default (the API's device cookie lasts as long). */
export const KNOWN_CLIENT_MS = 30 * 86_400_000;

/**
 * Clients (browsers and addresses) from which a user name has logged in before. The per-user-name
 * delay above must not let an attacker keep a user out for good by failing at the cap's pace
 * (OWASP's "device cookies"): an attempt from a known client is limited under a key of its own
 * (user name + client), so only that client's own failures slow it down, while unknown clients
 * share the user name's key. A client is known by the `ic_device` cookie set at a successful
 * log-in (a random token, kept here) or by an address that logged in as that user before.
 * Kept in memory, bounded per user and in all; forgotten after `rememberMs` (default 30 days).
 */
export interface KnownClients {
  /** The client id ("d:<token>" or "a:<address>") when this client has logged in as `user`, else undefined. */
  lookup(user: string, device: string | undefined, address: string): string | undefined;
  /** Remembers a successful log-in; returns the device token to set (the one sent, if still valid). */
  remember(user: string, device: string | undefined, address: string): string;
}

export function knownClients(opts: {
  clock: Clock;
  rememberMs?: number;
  perUser?: number;
  maxUsers?: number;
}): KnownClients {
  const rememberMs = opts.rememberMs ?? KNOWN_CLIENT_MS;
  const perUser = opts.perUser ?? 10;
  const maxUsers = opts.maxUsers ?? 100_000;
  /** user -> client id -> last successful log-in (insertion order = least recent first). */
  const users = new Map<string, Map<string, number>>();
  const fresh = (at: number | undefined, now: number) => at !== undefined && now - at < rememberMs;
  const touch = (user: string, id: string, now: number) => {
    let m = users.get(user);
    if (!m) {
      if (users.size >= maxUsers) users.delete(users.keys().next().value!);
      m = new Map();
    }
    users.delete(user);
    users.set(user, m); // most recent user last
    m.delete(id);
    m.set(id, now);
    while (m.size > perUser) m.delete(m.keys().next().value!);
  };
  return {
    lookup(user, device, address) {
      const m = users.get(user);
      if (!m) return undefined;
      const now = opts.clock.now();
      if (device && fresh(m.get(`d:${device}`), now)) return `d:${device}`;
      if (fresh(m.get(`a:${address}`), now)) return `a:${address}`;
      return undefined;
    },
    remember(user, device, address) {
      const now = opts.clock.now();
      const token =
        device && fresh(users.get(user)?.get(`d:${device}`), now)
          ? device
          : randomBytes(24).toString('base64url');
      touch(user, `a:${address}`, now);
      touch(user, `d:${token}`, now);
      return token;
    },
  };
}
