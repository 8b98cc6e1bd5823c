/**
 * A process-wide, adaptive request rate limit per Amazon Inspector endpoint and caller
 * (issue 13, point 4): every request of every client built in this process for the same
 * (endpoint, region, account) takes a token from ONE bucket, so many regions, connectors or
 * parts collecting at once never turn into a throttling storm.
 *
 * - **Key** (`rateLimitKey`): the region; the endpoint (`aws:<partition>` for AWS's own, else the
 *   override URL, e.g. a VPC endpoint, proxy or emulator: another service instance); and the
 *   caller's account when the config names it (an IAM role's ARN holds the account: two roles
 *   of one account share a bucket), else a hash of the access key id (two connectors with the
 *   same keys share; two key pairs of one account do not, which the adaptive rate absorbs).
 *   AWS's API rate quotas are per account and region, hence this key.
 * - **Bucket** (`AdaptiveTokenBucket`): `burst` tokens refilled at the current rate. A request
 *   reserves a token and waits its turn (FIFO by reservation, no polling). A 429 /
 *   ThrottlingException halves the rate (at most once a second: the answers of one burst are one
 *   signal; never below `minRatePerSecond`), empties the bucket, and with a `Retry-After`
 *   pauses the whole key for that long (capped at `maxWaitMs`); otherwise the request's own
 *   backoff is the SDK's retry strategy. Successes raise the rate back linearly, from the minimum
 *   to the configured rate in `recoverySeconds` (AIMD). No wait is longer than `maxWaitMs`: a
 *   request that would wait longer fails at once with ERR_THROTTLED (retryable: the collector's
 *   page retries take it); an abort ends a wait at once.
 * - **Defaults**: Amazon Inspector's published quotas page (docs.aws.amazon.com/general/latest/
 *   gr/inspector2.html, "Amazon Inspector endpoints and quotas") did not give us an API request
 *   rate for ListFindings / BatchGetAccountStatus when looked up (issue 13); the defaults are
 *   therefore a conservative guess: 10 requests/s with a burst of 10 per account and region
 *   (up to about 1,000 findings/s at 100 per page), adapting down to 1/s and back up in 30 s.
 *   One sequential collector against AWS is bound by AWS's response time well below that, so
 *   the default does not slow one region down; it bounds many regions, connectors and parts of
 *   one account together. Tune with the environment variables below (0 = off).
 */
import crypto from 'node:crypto';
import { CodedError } from '../../core/errors.js';
import { defaultSleep, systemClock, type Clock } from '../../core/clock.js';

import { partitionOf } from './regions.js';

export const RATE_ENV = 'INSPECTOR_CONNECTOR_AWS_RATE_PER_SECOND';
export const BURST_ENV = 'INSPECTOR_CONNECTOR_AWS_BURST';
export const MIN_RATE_ENV = 'INSPECTOR_CONNECTOR_AWS_MIN_RATE_PER_SECOND';
export const MAX_WAIT_ENV = 'INSPECTOR_CONNECTOR_AWS_MAX_WAIT_SECONDS';

export interface RateLimitSettings {
  /** Requests per second per key when nothing is throttled; 0 = no rate limit at all. */
  ratePerSecond: number;
  /** Tokens the bucket holds: requests that may go at once after a quiet spell. */
  burst: number;
  /** The floor the rate is lowered to under throttling. */
  minRatePerSecond: number;
  /** Longest a request waits for its token or a Retry-After pause, ms. */
  maxWaitMs: number;
  /** Seconds for the rate to climb back from the floor to `ratePerSecond` (successes only). */
  recoverySeconds: number;
}

export const DEFAULT_RATE_LIMIT: Readonly<RateLimitSettings> = {
  ratePerSecond: 10,
  burst: 10,
  minRatePerSecond: 1,
  maxWaitMs: 60_000,
  recoverySeconds: 30,
};

/** Bounds of the settings (environment variables and the constructor check the same). */
export const RATE_LIMIT_BOUNDS = {
  ratePerSecond: { min: 0.1, max: 1000 },
  burst: { min: 1, max: 1000 },
  minRatePerSecond: { min: 0.01, max: 1000 },
  maxWaitSeconds: { min: 1, max: 600 },
} as const;

const invalid = (name: string, allowed: string, got: string) =>
  new CodedError('ERR_CONFIG_INVALID', `${name} must be ${allowed}, got "${got}"`);

function readNumber(
  env: NodeJS.ProcessEnv,
  name: string,
  bound: { min: number; max: number },
  opts: { integer?: boolean; zeroAllowed?: string } = {},
): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const v = raw.trim();
  const allowed = `${opts.integer ? 'a whole number' : 'a number'} from ${bound.min} to ${bound.max}${opts.zeroAllowed ? ` (or 0: ${opts.zeroAllowed})` : ''}`;
  if (!(opts.integer ? /^\d+$/ : /^\d+(\.\d+)?$/).test(v)) throw invalid(name, allowed, raw);
  const n = Number(v);
  if (n === 0 && opts.zeroAllowed) return 0;
  if (!(n >= bound.min && n <= bound.max)) throw invalid(name, allowed, raw);
  return n;
}

/**
 * The settings from the environment (defaults for what is unset). Bad values throw
 * ERR_CONFIG_INVALID naming the variable and what is allowed.
 */
export function rateLimitSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): RateLimitSettings {
  const b = RATE_LIMIT_BOUNDS;
  const rate = readNumber(env, RATE_ENV, b.ratePerSecond, { zeroAllowed: 'no rate limit' });
  const burst = readNumber(env, BURST_ENV, b.burst, { integer: true });
  const minRate = readNumber(env, MIN_RATE_ENV, b.minRatePerSecond);
  const maxWait = readNumber(env, MAX_WAIT_ENV, b.maxWaitSeconds, { integer: true });
  const s: RateLimitSettings = {
    ...DEFAULT_RATE_LIMIT,
    ...(rate !== undefined ? { ratePerSecond: rate } : {}),
    ...(burst !== undefined ? { burst } : {}),
    ...(maxWait !== undefined ? { maxWaitMs: maxWait * 1000 } : {}),
  };
  if (minRate !== undefined) {
    if (s.ratePerSecond > 0 && minRate > s.ratePerSecond) {
      throw invalid(MIN_RATE_ENV, `at most ${RATE_ENV} (${s.ratePerSecond})`, String(minRate));
    }
    s.minRatePerSecond = minRate;
  } else if (s.ratePerSecond > 0) {
    s.minRatePerSecond = Math.min(DEFAULT_RATE_LIMIT.minRatePerSecond, s.ratePerSecond);
  }
  return s;
}

function checkSettings(s: RateLimitSettings): void {
  const bad = (what: string) => {
    throw new CodedError('ERR_CONFIG_INVALID', `rate limit: ${what}`);
  };
  if (!(s.ratePerSecond === 0 || s.ratePerSecond > 0)) bad('ratePerSecond must be >= 0');
  if (s.ratePerSecond === 0) return;
  if (!(s.burst >= 1)) bad('burst must be >= 1');
  if (!(s.minRatePerSecond > 0 && s.minRatePerSecond <= s.ratePerSecond))
    bad('minRatePerSecond must be > 0 and <= ratePerSecond');
  if (!(s.maxWaitMs > 0 && Number.isFinite(s.maxWaitMs))) bad('maxWaitMs must be a positive number');
  if (!(s.recoverySeconds > 0)) bad('recoverySeconds must be > 0');
}

/** What one bucket looks like now (metrics, logs, tests). */
export interface BucketState {
  region: string;
  /** `account:<id>` or `key:<hash>`; never a secret. */
  scope: string;
  endpoint: string;
  ratePerSecond: number;
  /** Throttled answers seen on this key since the process started. */
  throttled: number;
  /** Epoch ms until which requests of this key wait (Retry-After); 0 if none. */
  pausedUntil: number;
}

export interface RateLimitKey {
  region: string;
  scope: string;
  endpoint: string;
}

export type RateLimitEvent = { kind: 'throttled' | 'rate'; state: BucketState };

const DECREASE_HOLD_MS = 1000;

/** One key's adaptive token bucket. All times come from the injected clock. */
export class AdaptiveTokenBucket {
  private rate: number;
  private tokens: number;
  private last: number;
  private pausedUntil = 0;
  private lastDecrease = Number.NEGATIVE_INFINITY;
  private lastIncrease: number;
  private throttledCount = 0;

  constructor(
    readonly key: RateLimitKey,
    private readonly settings: RateLimitSettings,
    private readonly clock: Clock = systemClock,
    private readonly emit: (e: RateLimitEvent) => void = () => undefined,
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void> = defaultSleep,
  ) {
    checkSettings(settings);
    if (settings.ratePerSecond <= 0) throw new CodedError('ERR_INTERNAL', 'a bucket needs a rate > 0');
    this.rate = settings.ratePerSecond;
    this.tokens = settings.burst;
    this.last = clock.now();
    this.lastIncrease = this.last;
  }

  get ratePerSecond(): number {
    return this.rate;
  }

  state(): BucketState {
    return {
      ...this.key,
      ratePerSecond: this.rate,
      throttled: this.throttledCount,
      pausedUntil: this.pausedUntil,
    };
  }

  /** Tokens accrue at the current rate, but not while paused, up to `burst`. */
  private refill(now: number): void {
    const from = Math.max(this.last, this.pausedUntil);
    if (now > from)
      this.tokens = Math.min(this.settings.burst, this.tokens + ((now - from) / 1000) * this.rate);
    this.last = Math.max(this.last, now);
  }

  /**
   * Reserves the next token: the ms to wait before sending (0 = now). A wait over `maxWaitMs`
   * takes nothing and throws ERR_THROTTLED.
   */
  reserve(): number {
    const now = this.clock.now();
    this.refill(now);
    const pause = Math.max(0, this.pausedUntil - now);
    const deficit = 1 - this.tokens;
    const wait = pause + (deficit > 0 ? (deficit * 1000) / this.rate : 0);
    if (wait > this.settings.maxWaitMs) {
      throw new CodedError(
        'ERR_THROTTLED',
        `Amazon Inspector in ${this.key.region} is being throttled: the shared rate limit (now ${round(this.rate)} requests/s) would make this request wait ${Math.ceil(wait / 1000)} s, over the ${this.settings.maxWaitMs / 1000} s allowed (${MAX_WAIT_ENV})`,
      );
    }
    this.tokens -= 1;
    return wait;
  }

  /** Waits for a token (abortable: an abort ends the wait at once and throws an AbortError). */
  async acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw abortError();
    const wait = this.reserve();
    if (wait > 0) await this.sleep(wait, signal);
    if (signal?.aborted) throw abortError();
  }

  /** A request went through: the rate climbs back linearly towards the configured one. */
  onSuccess(): void {
    const now = this.clock.now();
    const max = this.settings.ratePerSecond;
    if (this.rate >= max) {
      this.lastIncrease = now;
      return;
    }
    this.refill(now);
    const perMs = (max - this.settings.minRatePerSecond) / (this.settings.recoverySeconds * 1000);
    this.rate = Math.min(max, this.rate + perMs * Math.max(0, now - this.lastIncrease));
    this.lastIncrease = now;
    this.emit({ kind: 'rate', state: this.state() });
  }

  /**
   * AWS throttled a request of this key: halve the rate (once per second at most), empty the
   * bucket, and pause the key for `retryAfterMs` (capped at maxWaitMs) when AWS said so.
   */
  onThrottle(retryAfterMs?: number): void {
    const now = this.clock.now();
    this.refill(now);
    this.throttledCount++;
    if (now - this.lastDecrease >= DECREASE_HOLD_MS) {
      this.rate = Math.max(this.settings.minRatePerSecond, this.rate / 2);
      this.lastDecrease = now;
    }
    this.lastIncrease = now;
    this.tokens = Math.min(this.tokens, 0);
    if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > 0) {
      this.pausedUntil = Math.max(this.pausedUntil, now + Math.min(retryAfterMs, this.settings.maxWaitMs));
    }
    this.emit({ kind: 'throttled', state: this.state() });
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

function abortError(): Error {
  const e = new Error('Request aborted');
  e.name = 'AbortError';
  return e;
}

/** The parts of a connector config the key is made of. */
export interface RateLimitSubject {
  region: string;
  endpoints: { inspector2?: string | undefined };
  auth: { method: string; accessKeyId: string; roleArn?: string | undefined };
}

/** The bucket key of a client built from this config (see the module comment). */
export function rateLimitKey(cfg: RateLimitSubject): RateLimitKey {
  const override = cfg.endpoints.inspector2;
  let endpoint = `aws:${partitionOf(cfg.region) ?? 'unknown'}`;
  if (override) {
    try {
      const u = new URL(override);
      endpoint = `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
    } catch {
      endpoint = override;
    }
  }
  const account =
    cfg.auth.method === 'iam_role'
      ? /^arn:[\w-]+:iam::(\d{12}):/.exec(cfg.auth.roleArn ?? '')?.[1]
      : undefined;
  const scope = account
    ? `account:${account}`
    : `key:${crypto.createHash('sha256').update(cfg.auth.accessKeyId).digest('hex').slice(0, 12)}`;
  return { region: cfg.region, scope, endpoint };
}

/** The buckets of one process (or of one test): one per key, created on first use. */
export class RateLimits {
  private readonly buckets = new Map<string, AdaptiveTokenBucket>();
  private readonly listeners = new Set<(e: RateLimitEvent) => void>();
  readonly settings: RateLimitSettings;

  constructor(
    settings: Partial<RateLimitSettings> = {},
    private readonly clock: Clock = systemClock,
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void> = defaultSleep,
  ) {
    this.settings = { ...DEFAULT_RATE_LIMIT, ...settings };
    checkSettings(this.settings);
  }

  get enabled(): boolean {
    return this.settings.ratePerSecond > 0;
  }

  /** The key's bucket; undefined when the rate limit is off. */
  bucket(key: RateLimitKey): AdaptiveTokenBucket | undefined {
    if (!this.enabled) return undefined;
    const id = `${key.endpoint}|${key.region}|${key.scope}`;
    let b = this.buckets.get(id);
    if (!b) {
      b = new AdaptiveTokenBucket(key, this.settings, this.clock, (e) => this.publish(e), this.sleep);
      this.buckets.set(id, b);
      this.publish({ kind: 'rate', state: b.state() });
    }
    return b;
  }

  states(): BucketState[] {
    return [...this.buckets.values()].map((b) => b.state());
  }

  /** Events of every bucket (metrics); returns the unsubscribe. */
  subscribe(listener: (e: RateLimitEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private publish(e: RateLimitEvent): void {
    for (const l of this.listeners) l(e);
  }
}

let shared: RateLimits | undefined;

/**
 * The process-wide buckets, configured from the environment on first use (bad values throw
 * ERR_CONFIG_INVALID naming the variable: call it at start-up to fail early).
 */
export function sharedRateLimits(env: NodeJS.ProcessEnv = process.env): RateLimits {
  shared ??= new RateLimits(rateLimitSettingsFromEnv(env));
  return shared;
}

/** Counters the metrics module defines (structural: no import of prom-client types here). */
export interface RateLimitMetrics {
  awsThrottled: { inc(labels: { region: string; scope: string }): void };
  awsRateLimit: { set(labels: { region: string; scope: string }, value: number): void };
}

/** Feeds the throttled-requests counter and the per-region rate gauge; returns the unsubscribe. */
export function bindRateLimitMetrics(
  metrics: RateLimitMetrics,
  limits: RateLimits = sharedRateLimits(),
): () => void {
  const labels = (s: BucketState) => ({ region: s.region, scope: s.scope });
  for (const s of limits.states()) metrics.awsRateLimit.set(labels(s), s.ratePerSecond);
  return limits.subscribe((e) => {
    if (e.kind === 'throttled') metrics.awsThrottled.inc(labels(e.state));
    metrics.awsRateLimit.set(labels(e.state), e.state.ratePerSecond);
  });
}

/** The wait a throttled answer asks for, ms: `Retry-After` (seconds or an HTTP date) or `x-amz-retry-after` (ms). */
export function retryAfterMs(
  headers: Record<string, string | undefined> | undefined,
  now: number,
): number | undefined {
  if (!headers) return undefined;
  for (const [k, raw] of Object.entries(headers)) {
    if (raw === undefined) continue;
    const name = k.toLowerCase();
    const v = String(raw).trim();
    if (name === 'x-amz-retry-after' && /^\d+$/.test(v)) return Number(v);
    if (name === 'retry-after') {
      if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
      const t = Date.parse(v);
      if (Number.isFinite(t)) return Math.max(0, t - now);
    }
  }
  return undefined;
}

/** Whether an SDK error is AWS throttling (by name or HTTP 429, never by message text). */
export function isThrottlingError(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  if (!err || typeof err !== 'object') return false;
  return err.$metadata?.httpStatusCode === 429 || THROTTLING_ERROR_NAMES.includes(err.name ?? '');
}

/** AWS's names for "too many requests" (client.ts classifies them as ERR_THROTTLED). */
export const THROTTLING_ERROR_NAMES: readonly string[] = [
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
];
