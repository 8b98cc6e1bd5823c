/**
 * The prefetched page is requested while the previous page is being stored, not after: with a
 * store commit that blocks for 1 s, the next ListFindings request reaches the emulator before
 * that commit ends (an ordering of events on one clock, not a speed threshold).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../src/connectors/aws-inspector/collect.js';
import { createInspectorClient } from '../../src/connectors/aws-inspector/client.js';
import { connectorConfigSchema } from '../../src/connectors/aws-inspector/config.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { EMULATOR_KEYS, startEmulatorProcess, type EmulatorProcess } from './helpers.js';

describe('prefetch overlaps the store commit', () => {
  let emu: EmulatorProcess;
  beforeAll(async () => {
    emu = await startEmulatorProcess({ findings: 300, seed: 5 });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('the next page is requested before a blocking commit of the current one ends', async () => {
    const cfg = connectorConfigSchema.parse({
      name: 'prefetch',
      region: 'us-east-1',
      initialLookbackDays: 0,
      auth: { method: 'access_key', ...EMULATOR_KEYS },
      endpoints: { inspector2: emu.url, sts: emu.url },
    });
    const client = createInspectorClient(cfg, { logger: silentLogger(), connectorId: 'prefetch' });
    const block = new Int32Array(new SharedArrayBuffer(4));
    const commitEnds: number[] = [];
    try {
      await fetch(`${emu.url}/__emulator/requests`, { method: 'DELETE' });
      await collect({
        client,
        config: cfg,
        clock: systemClock,
        logger: silentLogger(),
        checkpoint: undefined,
        maxResults: 100,
        onPage: () => {
          Atomics.wait(block, 0, 0, 1000);
          commitEnds.push(Date.now());
        },
      });
    } finally {
      client.destroy();
    }
    const { requests } = await emu.control<{ requests: { at: number; operation: string }[] }>('requests');
    const lists = requests.filter((r) => r.operation === 'ListFindings');
    expect(lists.length).toBeGreaterThanOrEqual(3);
    // Request k+1 arrived before commit k ended, both on the host's clock (the log has AWS's).
    const { offsetMs } = await emu.control<{ offsetMs: number }>('clock');
    for (let k = 0; k + 1 < lists.length; k++)
      expect(lists[k + 1]!.at - offsetMs).toBeLessThan(commitEnds[k]!);
  });
});
