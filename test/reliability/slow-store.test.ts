/**
 * A store slower than AWS: every page commit is delayed (a store wrapper that blocks like a
 * slow disk would). The collector must slow down, not buffer: at most two pages exist at any
 * time (the one being stored and one prefetched), heap stays flat, and nothing is dropped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { createInspectorClient, type ClientFactory } from '../../src/connectors/aws-inspector/client.js';
import { runConnector } from '../../src/pipeline/runner.js';
import { openStore, type Store } from '../../src/store/index.js';
import { EMULATOR_KEYS, P, startEmulatorProcess, tempDir, type EmulatorProcess } from './helpers.js';
import { awsVersions, compare } from './verify.js';

const DELAY_MS = 40;

describe(`a slow store (${P.slowStoreFindings} findings, +${DELAY_MS} ms per page commit)`, () => {
  let emu: EmulatorProcess;
  let dir: string;
  beforeAll(async () => {
    emu = await startEmulatorProcess({ findings: P.slowStoreFindings, seed: 11 });
    dir = tempDir('slow');
  });
  afterAll(async () => {
    await emu?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('slows the collector down: at most 2 pages fetched ahead of the store, nothing dropped', async () => {
    const data = path.join(dir, 'data');
    const real = openStore({ dataDir: data, key: Buffer.alloc(32, 5) });
    const block = new Int32Array(new SharedArrayBuffer(4));
    let commits = 0;
    // A blocking delay, like a slow disk under better-sqlite3 (synchronous by design).
    const slow: Store = {
      ...real,
      commitPage(input) {
        Atomics.wait(block, 0, 0, DELAY_MS);
        commits++;
        return real.commitPage(input);
      },
    };
    const id = real.connectors.create(
      {
        name: 'slow-store',
        region: 'us-east-1',
        initialLookbackDays: 3650,
        auth: { method: 'access_key', ...EMULATOR_KEYS },
        endpoints: { inspector2: emu.url, sts: emu.url },
      },
      { active: true },
    ).id;

    // Pages fetched but not yet stored: requested - committed. The bound is the design's 2.
    let requested = 0;
    let maxAhead = 0;
    const heap: number[] = [];
    const factory: ClientFactory = (cfg, opts) => {
      const c = createInspectorClient(cfg, opts);
      return {
        ...c,
        listFindingsPage: (req, o) => {
          requested++;
          maxAhead = Math.max(maxAhead, requested - commits);
          if (requested % 5 === 0) heap.push(process.memoryUsage().heapUsed);
          return c.listFindingsPage(req, o);
        },
      };
    };
    try {
      const outcome = await runConnector(
        { store: slow, clock: systemClock, logger: silentLogger(), clientFactory: factory },
        id,
      );
      expect(outcome.error).toBeUndefined();
      expect(outcome.status).toBe('ok');
      expect(maxAhead).toBeLessThanOrEqual(2);
      expect(outcome.received).toBe(P.slowStoreFindings);
      expect(outcome.stored).toBe(P.slowStoreFindings);
      const mbs = heap.map((h) => Math.round(h / 2 ** 20));
      console.log(
        `pages ${outcome.pages}, max pages fetched ahead of the store ${maxAhead}, heap MB samples ${mbs.join(',')}`,
      );
    } finally {
      real.close();
    }
    const c = compare(await awsVersions(emu.url), data);
    expect(c.lost).toEqual([]);
    expect(c.duplicated).toEqual([]);
    expect(c.index).toBe(P.slowStoreFindings);
  });
});
