/** The shared adaptive rate limit: the bucket on an injected clock (no real time), keys, settings. */
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { fixedClock } from '../../core/clock.js';
import { createMetrics } from '../../core/metrics.js';
import {
  AdaptiveTokenBucket,
  DEFAULT_RATE_LIMIT,
  MAX_WAIT_ENV,
  MIN_RATE_ENV,
  RATE_ENV,
  BURST_ENV,
  RateLimits,
  bindRateLimitMetrics,
  isThrottlingError,
  rateLimitKey,
  rateLimitSettingsFromEnv,
  retryAfterMs,
  sharedRateLimits,
  type RateLimitSettings,
} from './rate-limit.js';

const KEY = { region: 'us-east-1', scope: 'account:123456789012', endpoint: 'aws:aws' };
const SETTINGS: RateLimitSettings = {
  ratePerSecond: 4,
  burst: 2,
  minRatePerSecond: 0.5,
  maxWaitMs: 30_000,
  recoverySeconds: 35,
};

/** What `f` throws (undefined if it does not). */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** A bucket on a fake clock; its sleep advances that clock (and ends early on abort). */
function setup(settings: Partial<RateLimitSettings> = {}) {
  const clock = fixedClock(1_000_000);
  const slept: number[] = [];
  const sleep = (ms: number, signal?: AbortSignal) => {
    slept.push(ms);
    if (!signal?.aborted) clock.advance(ms);
    return Promise.resolve();
  };
  const bucket = new AdaptiveTokenBucket(KEY, { ...SETTINGS, ...settings }, clock, undefined, sleep);
  return { clock, bucket, slept };
}

describe('AdaptiveTokenBucket', () => {
  it('lets a burst through at once, then spaces requests at the rate, in reservation order', () => {
    const { bucket } = setup();
    expect(bucket.reserve()).toBe(0);
    expect(bucket.reserve()).toBe(0);
    // 4/s: one token every 250 ms; each further reservation queues behind the previous one.
    expect(bucket.reserve()).toBe(250);
    expect(bucket.reserve()).toBe(500);
    expect(bucket.reserve()).toBe(750);
  });

  it('refills at the rate up to the burst, not beyond', () => {
    const { bucket, clock } = setup();
    bucket.reserve();
    bucket.reserve();
    clock.advance(250);
    expect(bucket.reserve()).toBe(0);
    clock.advance(60_000);
    expect(bucket.reserve()).toBe(0);
    expect(bucket.reserve()).toBe(0);
    expect(bucket.reserve()).toBe(250);
  });

  it('acquire() sleeps for the reserved time through the injected sleep', async () => {
    const { bucket, slept } = setup();
    await bucket.acquire();
    await bucket.acquire();
    await bucket.acquire();
    expect(slept).toEqual([250]);
  });

  it('halves the rate on a throttle, once per second for a burst of 429s, down to the floor, and empties the bucket', () => {
    const { bucket, clock } = setup();
    bucket.onThrottle();
    expect(bucket.ratePerSecond).toBe(2);
    // Three more answers of the same burst: one congestion signal.
    bucket.onThrottle();
    bucket.onThrottle();
    bucket.onThrottle();
    expect(bucket.ratePerSecond).toBe(2);
    expect(bucket.state().throttled).toBe(4);
    // Empty: the next request waits a token at the lowered rate (2/s = 500 ms).
    expect(bucket.reserve()).toBe(500);
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      bucket.onThrottle();
    }
    expect(bucket.ratePerSecond).toBe(SETTINGS.minRatePerSecond);
  });

  it('pauses the key for Retry-After (every caller), capped at maxWaitMs, and accrues no tokens while paused', () => {
    const { bucket, clock } = setup({ maxWaitMs: 10_000 });
    bucket.onThrottle(3000); // rate 2/s, paused 3 s
    expect(bucket.state().pausedUntil).toBe(clock.now() + 3000);
    // After the pause, one token per 500 ms: the queue does not burst out when the pause ends.
    expect(bucket.reserve()).toBe(3500);
    expect(bucket.reserve()).toBe(4000);
    clock.advance(2000);
    expect(bucket.reserve()).toBe(2500);
    // A hostile Retry-After is capped.
    clock.advance(60_000);
    bucket.onThrottle(3_600_000);
    expect(bucket.state().pausedUntil).toBe(clock.now() + 10_000);
  });

  it('never waits longer than maxWaitMs: such a request fails at once with ERR_THROTTLED and takes no token', () => {
    const { bucket, clock } = setup({ maxWaitMs: 1000 });
    bucket.onThrottle(900); // 2/s, paused 0.9 s
    // 0.9 s of pause + one token at 2/s = 1.4 s: over the bound.
    expect(() => bucket.reserve()).toThrow(
      /us-east-1 is being throttled: .* wait 2 s, over the 1 s allowed \(INSPECTOR_CONNECTOR_AWS_MAX_WAIT_SECONDS\)/,
    );
    expect(thrown(() => bucket.reserve())).toMatchObject({ code: 'ERR_THROTTLED' });
    // The refused requests took nothing: at the pause's end the next waits one token only.
    clock.advance(900);
    expect(bucket.reserve()).toBe(500);
  });

  it('recovers linearly from the floor to the configured rate on successes, not beyond', () => {
    const { bucket, clock } = setup();
    for (let i = 0; i < 4; i++) {
      bucket.onThrottle();
      clock.advance(1000);
    }
    expect(bucket.ratePerSecond).toBe(0.5);
    // recoverySeconds 35 for 0.5 -> 4: +0.1/s.
    clock.advance(10_000 - 1000);
    bucket.onSuccess();
    expect(bucket.ratePerSecond).toBeCloseTo(1.5, 6);
    clock.advance(10_000);
    bucket.onSuccess();
    expect(bucket.ratePerSecond).toBeCloseTo(2.5, 6);
    clock.advance(100_000);
    bucket.onSuccess();
    expect(bucket.ratePerSecond).toBe(4);
  });

  it('an abort ends the wait and throws an AbortError', async () => {
    const { bucket } = setup();
    const ac = new AbortController();
    bucket.reserve();
    bucket.reserve();
    ac.abort();
    await expect(bucket.acquire(ac.signal)).rejects.toMatchObject({ name: 'AbortError' });
    const live = new AbortController();
    const sleepAborting = (_ms: number) => {
      live.abort();
      return Promise.resolve();
    };
    const b2 = new AdaptiveTokenBucket(KEY, SETTINGS, fixedClock(0), undefined, sleepAborting);
    b2.reserve();
    b2.reserve();
    await expect(b2.acquire(live.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('rateLimitSettingsFromEnv', () => {
  it('defaults when nothing is set, and reads every variable', () => {
    expect(rateLimitSettingsFromEnv({})).toEqual(DEFAULT_RATE_LIMIT);
    expect(
      rateLimitSettingsFromEnv({
        [RATE_ENV]: '20',
        [BURST_ENV]: '40',
        [MIN_RATE_ENV]: '1.5',
        [MAX_WAIT_ENV]: '90',
      }),
    ).toEqual({
      ...DEFAULT_RATE_LIMIT,
      ratePerSecond: 20,
      burst: 40,
      minRatePerSecond: 1.5,
      maxWaitMs: 90_000,
    });
    // A rate under the default floor lowers the floor with it.
    expect(rateLimitSettingsFromEnv({ [RATE_ENV]: '0.2' }).minRatePerSecond).toBe(0.2);
    expect(rateLimitSettingsFromEnv({ [RATE_ENV]: '0' }).ratePerSecond).toBe(0);
  });

  it.each([
    [
      RATE_ENV,
      'fast',
      /INSPECTOR_CONNECTOR_AWS_RATE_PER_SECOND must be a number from 0.1 to 1000 \(or 0: no rate limit\), got "fast"/,
    ],
    [RATE_ENV, '5000', /INSPECTOR_CONNECTOR_AWS_RATE_PER_SECOND must be .* got "5000"/],
    [BURST_ENV, '2.5', /INSPECTOR_CONNECTOR_AWS_BURST must be a whole number from 1 to 1000, got "2.5"/],
    [BURST_ENV, '0', /INSPECTOR_CONNECTOR_AWS_BURST must be/],
    [
      MAX_WAIT_ENV,
      '601',
      /INSPECTOR_CONNECTOR_AWS_MAX_WAIT_SECONDS must be a whole number from 1 to 600, got "601"/,
    ],
    [MIN_RATE_ENV, '-1', /INSPECTOR_CONNECTOR_AWS_MIN_RATE_PER_SECOND must be/],
  ])('%s=%s is refused, naming the variable', (name, value, message) => {
    const e = thrown(() => rateLimitSettingsFromEnv({ [name]: value }));
    expect(e).toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    expect((e as Error).message).toMatch(message);
  });

  it('refuses a floor above the rate', () => {
    expect(() => rateLimitSettingsFromEnv({ [RATE_ENV]: '2', [MIN_RATE_ENV]: '3' })).toThrow(
      /INSPECTOR_CONNECTOR_AWS_MIN_RATE_PER_SECOND must be at most INSPECTOR_CONNECTOR_AWS_RATE_PER_SECOND \(2\), got "3"/,
    );
  });
});

describe('sharedRateLimits', () => {
  it('refuses a bad environment value (what `serve` checks at start), naming the variable', () => {
    const saved = process.env[BURST_ENV];
    process.env[BURST_ENV] = 'lots';
    try {
      expect(() => sharedRateLimits()).toThrow(/INSPECTOR_CONNECTOR_AWS_BURST must be a whole number/);
    } finally {
      if (saved === undefined) delete process.env[BURST_ENV];
      else process.env[BURST_ENV] = saved;
    }
  });
});

describe('rateLimitKey', () => {
  const cfg = (over: Record<string, unknown> = {}) => ({
    region: 'eu-west-1',
    endpoints: {},
    auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' },
    ...over,
  });
  it('keys an IAM role on its account: two roles of one account share a bucket', () => {
    const a = rateLimitKey(
      cfg({
        auth: { method: 'iam_role', accessKeyId: 'AKIA1', roleArn: 'arn:aws:iam::123456789012:role/A' },
      }),
    );
    const b = rateLimitKey(
      cfg({
        auth: { method: 'iam_role', accessKeyId: 'AKIA2', roleArn: 'arn:aws:iam::123456789012:role/B' },
      }),
    );
    expect(a).toEqual({ region: 'eu-west-1', scope: 'account:123456789012', endpoint: 'aws:aws' });
    expect(b).toEqual(a);
  });
  it('keys access keys on a hash of the key id (never the id itself); regions and endpoints differ', () => {
    const k = rateLimitKey(cfg());
    expect(k.scope).toMatch(/^key:[0-9a-f]{12}$/);
    expect(JSON.stringify(k)).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(rateLimitKey(cfg({ region: 'eu-west-2' }))).not.toEqual(k);
    expect(rateLimitKey(cfg({ region: 'cn-north-1' })).endpoint).toBe('aws:aws-cn');
    expect(rateLimitKey(cfg({ endpoints: { inspector2: 'http://127.0.0.1:4566/' } })).endpoint).toBe(
      'http://127.0.0.1:4566',
    );
  });
});

describe('RateLimits', () => {
  it('hands every client of one key the same bucket, another key its own; off = no bucket', () => {
    const limits = new RateLimits(SETTINGS, fixedClock(0));
    const a = limits.bucket(KEY);
    expect(limits.bucket({ ...KEY })).toBe(a);
    expect(limits.bucket({ ...KEY, region: 'eu-west-1' })).not.toBe(a);
    expect(limits.states()).toHaveLength(2);
    expect(new RateLimits({ ratePerSecond: 0 }).bucket(KEY)).toBeUndefined();
    expect(() => new RateLimits({ ratePerSecond: 2, minRatePerSecond: 3 })).toThrow(/minRatePerSecond/);
  });

  it('feeds the throttled counter and the rate gauge of the metrics module', async () => {
    const limits = new RateLimits(SETTINGS, fixedClock(0));
    const metrics = createMetrics(new Registry());
    const unbind = bindRateLimitMetrics(metrics, limits);
    const b = limits.bucket(KEY)!;
    b.onThrottle();
    b.onThrottle();
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      'inspector_connector_aws_throttled_total{region="us-east-1",scope="account:123456789012"} 2',
    );
    expect(text).toContain(
      'inspector_connector_aws_rate_limit_per_second{region="us-east-1",scope="account:123456789012"} 2',
    );
    unbind();
    b.onThrottle();
    expect(await metrics.registry.metrics()).toContain(
      'inspector_connector_aws_throttled_total{region="us-east-1",scope="account:123456789012"} 2',
    );
  });
});

describe('retryAfterMs / isThrottlingError', () => {
  it('reads Retry-After in seconds or as a date, and x-amz-retry-after in ms', () => {
    expect(retryAfterMs({ 'Retry-After': '3' }, 0)).toBe(3000);
    expect(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 1970 00:00:05 GMT' }, 1000)).toBe(4000);
    expect(retryAfterMs({ 'x-amz-retry-after': '1500' }, 0)).toBe(1500);
    expect(retryAfterMs({ 'retry-after': 'soon' }, 0)).toBeUndefined();
    expect(retryAfterMs(undefined, 0)).toBeUndefined();
  });
  it('knows throttling by name or HTTP 429, not a quota or a 500', () => {
    expect(isThrottlingError({ name: 'ThrottlingException' })).toBe(true);
    expect(isThrottlingError({ name: 'X', $metadata: { httpStatusCode: 429 } })).toBe(true);
    expect(
      isThrottlingError({ name: 'ServiceQuotaExceededException', $metadata: { httpStatusCode: 402 } }),
    ).toBe(false);
    expect(isThrottlingError({ name: 'InternalServerException', $metadata: { httpStatusCode: 500 } })).toBe(
      false,
    );
  });
});
