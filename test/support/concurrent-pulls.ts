/**
 * N collectors of one connector config pulling every finding at once, each with its own SDK
 * client, optionally sharing a rate limit: the rate-limit test and `bench:throttle`.
 */
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { createInspectorClient } from '../../src/connectors/aws-inspector/client.js';
import { collect } from '../../src/connectors/aws-inspector/collect.js';
import type { ConnectorConfig } from '../../src/connectors/aws-inspector/config.js';
import type { RateLimits } from '../../src/connectors/aws-inspector/rate-limit.js';

export interface ConcurrentPulls {
  /** Findings each collector received (in collector order). */
  findings: number[];
  /** Collectors whose run failed (their error is in `errors`). */
  errors: unknown[];
  wallMs: number;
}

export async function concurrentPulls(o: {
  cfg: ConnectorConfig;
  collectors: number;
  /** Shared by all the collectors; false = each on its own, without a limit. */
  rateLimits: RateLimits | false;
  maxResults: number;
  /** The collector's pause between its own page retries (default: its real one). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}): Promise<ConcurrentPulls> {
  const clients = Array.from({ length: o.collectors }, (_, i) =>
    createInspectorClient(o.cfg, {
      logger: silentLogger(),
      connectorId: `pull-${i}`,
      rateLimits: o.rateLimits,
    }),
  );
  const errors: unknown[] = [];
  const start = performance.now();
  try {
    const findings = await Promise.all(
      clients.map(async (client) => {
        let n = 0;
        try {
          await collect({
            client,
            config: o.cfg,
            clock: systemClock,
            logger: silentLogger(),
            checkpoint: undefined,
            maxResults: o.maxResults,
            ...(o.sleep ? { sleep: o.sleep } : {}),
            onPage: ({ findings: page }) => {
              n += page.length;
            },
          });
        } catch (e) {
          errors.push(e);
        }
        return n;
      }),
    );
    return { findings, errors, wallMs: performance.now() - start };
  } finally {
    for (const c of clients) c.destroy();
  }
}
