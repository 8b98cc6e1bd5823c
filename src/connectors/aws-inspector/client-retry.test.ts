/** The retry strategy the client uses: the SDK's standard one, minus its retry quota. */
import { describe, expect, it } from 'vitest';
import { StandardRetryStrategy } from '@smithy/core/retry';
import type { RetryErrorInfo, RetryStrategyV2 } from '@smithy/types';
import { withoutRetryQuota } from './client.js';

const transient: RetryErrorInfo = { errorType: 'TRANSIENT' };

/** How many retry decisions a strategy grants in a row, each for a new request's first failure. */
async function retriesGranted(s: RetryStrategyV2, tries: number): Promise<number> {
  let granted = 0;
  for (let i = 0; i < tries; i++) {
    const token = await s.acquireInitialRetryToken('inspector2');
    try {
      await s.refreshRetryTokenForRetry(token, transient);
      granted++;
    } catch {
      /* refused */
    }
  }
  return granted;
}

describe('withoutRetryQuota', () => {
  it('keeps granting retries where the SDK strategy runs out of quota', async () => {
    // The SDK's own: 500 tokens, several per retry, no success in between -> it refuses.
    const sdk = await retriesGranted(new StandardRetryStrategy(8), 120);
    expect(sdk).toBeLessThan(120);
    expect(await retriesGranted(withoutRetryQuota(8), 120)).toBe(120);
  }, 30_000);

  it('still stops at maxAttempts for one request', async () => {
    const s = withoutRetryQuota(3);
    let token = await s.acquireInitialRetryToken('inspector2');
    token = await s.refreshRetryTokenForRetry(token, transient);
    token = await s.refreshRetryTokenForRetry(token, transient);
    await expect(s.refreshRetryTokenForRetry(token, transient)).rejects.toThrow(/No retry token/);
  });

  it('does not retry what is not retryable', async () => {
    const s = withoutRetryQuota(8);
    const token = await s.acquireInitialRetryToken('inspector2');
    await expect(s.refreshRetryTokenForRetry(token, { errorType: 'CLIENT_ERROR' })).rejects.toThrow();
  });
});
