/**
 * The shared rate limit (issue 13.4) end to end: real SDK clients over HTTP against the
 * emulator's throttling fault (a token bucket of `ratePerSecond` answering 429
 * ThrottlingException + Retry-After). N collectors of the same account and region running at
 * once get their findings with far fewer 429s when they share one bucket than when each goes
 * alone. Counts, never times.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { createInspectorClient } from '../../src/connectors/aws-inspector/client.js';
import { defaultSleep } from '../../src/core/clock.js';
import { RateLimits } from '../../src/connectors/aws-inspector/rate-limit.js';
import { concurrentPulls } from '../support/concurrent-pulls.js';
import { configFor, control } from './collect-helpers.js';

const COLLECTORS = 6;
/** The emulator's findings: the reader (a delegated administrator) sees them all. */
const FINDINGS = 400;
/** The emulator's limit; the shared bucket is set a little under it. */
const EMULATOR_RATE = 10;
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, findings: FINDINGS, seed: 31 });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(async () => {
  await control(emu, 'faults', 'DELETE');
});

const throttles = async () =>
  ((await control(emu, 'faults')) as { injected: { throttle: number } }).injected.throttle;

/** N collectors of the same connector config at once; each one's finding count and the 429s. */
async function pulls(rateLimits: RateLimits | false): Promise<{ findings: number[]; throttled: number }> {
  await control(emu, 'faults', 'DELETE');
  // Retry-After 0: only the SDK's own backoff spaces the retries, so a storm shows in the counts.
  await control(emu, 'faults', 'POST', { throttle: { ratePerSecond: EMULATOR_RATE, retryAfterSeconds: 0 } });
  const run = await concurrentPulls({
    cfg: configFor(emu),
    collectors: COLLECTORS,
    rateLimits,
    maxResults: 50,
    // The collector's own page retries (after the SDK's) stay bounded but short here.
    sleep: (ms, signal) => defaultSleep(Math.min(ms, 200), signal),
  });
  expect(run.errors).toEqual([]);
  return { findings: run.findings, throttled: await throttles() };
}

describe('shared per-region rate limit against a throttling AWS', () => {
  it(`${COLLECTORS} concurrent collectors sharing one bucket get every finding with far fewer 429s than without it`, async () => {
    const without = await pulls(false);
    const limits = new RateLimits({ ratePerSecond: EMULATOR_RATE * 0.8, burst: 4, minRatePerSecond: 1 });
    const shared = await pulls(limits);

    // Everything arrived, the same for every collector, with and without the bucket.
    expect(without.findings).toEqual(Array(COLLECTORS).fill(FINDINGS));
    expect(shared.findings).toEqual(Array(COLLECTORS).fill(FINDINGS));

    // Alone, the collectors storm the emulator's limit; sharing the bucket, they stay under it.
    expect(without.throttled).toBeGreaterThanOrEqual(10);
    expect(shared.throttled * 5).toBeLessThanOrEqual(without.throttled);
    // One bucket for all of them (same endpoint, region and keys), which saw every 429 it caused.
    const states = limits.states();
    expect(states).toHaveLength(1);
    expect(states[0]!.throttled).toBe(shared.throttled);
  }, 180_000);

  it('a 429 with Retry-After lowers the shared rate and pauses the key for every client of it', async () => {
    const limits = new RateLimits({ ratePerSecond: 20, burst: 20, minRatePerSecond: 1 });
    const cfg = configFor(emu);
    const a = createInspectorClient(cfg, { logger: silentLogger(), connectorId: 'a', rateLimits: limits });
    const b = createInspectorClient(cfg, { logger: silentLogger(), connectorId: 'b', rateLimits: limits });
    try {
      await control(emu, 'faults', 'POST', { throttle: { count: 1, retryAfterSeconds: 1 } });
      const before = Date.now();
      // The SDK retries the throttled attempt; the page arrives.
      const page = await a.listFindingsPage({ filterCriteria: {}, maxResults: 10 });
      expect(page.findings.length).toBeGreaterThan(0);
      const [state] = limits.states();
      expect(state).toMatchObject({ throttled: 1, region: 'us-east-1' });
      // Halved, then raised a little by the retry's success.
      expect(state!.ratePerSecond).toBeLessThan(20);
      expect(state!.ratePerSecond).toBeGreaterThanOrEqual(10);
      expect(state!.pausedUntil).toBeGreaterThanOrEqual(before + 1000);
      // The other client uses the same bucket (no second one).
      await b.listFindingsPage({ filterCriteria: {}, maxResults: 10 });
      expect(limits.states()).toHaveLength(1);
      expect(await throttles()).toBe(1);
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  it('a request that would wait longer than maxWaitMs fails at once with ERR_THROTTLED, naming the setting, unsent', async () => {
    const limits = new RateLimits({ ratePerSecond: 0.1, burst: 1, minRatePerSecond: 0.1, maxWaitMs: 1000 });
    const client = createInspectorClient(configFor(emu), {
      logger: silentLogger(),
      connectorId: 'mw',
      rateLimits: limits,
    });
    try {
      await client.listFindingsPage({ filterCriteria: {}, maxResults: 10 });
      await control(emu, 'requests', 'DELETE');
      // The next token is 10 s away, over the 1 s allowed.
      await expect(client.listFindingsPage({ filterCriteria: {}, maxResults: 10 })).rejects.toMatchObject({
        code: 'ERR_THROTTLED',
        message: expect.stringMatching(/INSPECTOR_CONNECTOR_AWS_MAX_WAIT_SECONDS/),
      });
      const logged = (await control(emu, 'requests')) as { requests: { operation: string }[] };
      expect(logged.requests.filter((r) => r.operation === 'ListFindings')).toHaveLength(0);
    } finally {
      client.destroy();
    }
  });

  it('an aborted wait for the bucket ends the call at once, before any request', async () => {
    const limits = new RateLimits({ ratePerSecond: 0.1, burst: 1, minRatePerSecond: 0.1, maxWaitMs: 60_000 });
    const cfg = configFor(emu);
    const client = createInspectorClient(cfg, {
      logger: silentLogger(),
      connectorId: 'ab',
      rateLimits: limits,
    });
    try {
      await client.listFindingsPage({ filterCriteria: {}, maxResults: 10 });
      await control(emu, 'requests', 'DELETE');
      const ac = new AbortController();
      // The next token is 10 s away: abort while waiting.
      const pending = client.listFindingsPage(
        { filterCriteria: {}, maxResults: 10 },
        { abortSignal: ac.signal },
      );
      setTimeout(() => ac.abort(), 50);
      await expect(pending).rejects.toThrow();
      const logged = (await control(emu, 'requests')) as { requests: { operation: string }[] };
      expect(logged.requests.filter((r) => r.operation === 'ListFindings')).toHaveLength(0);
    } finally {
      client.destroy();
    }
  });
});
