/**
 * A store slower than AWS: every commit is delayed (a store wrapper that blocks like a slow disk
 * would). The collector must slow down, not buffer without bound: at most one group of pages
 * (commitRecords) plus one prefetched page are ahead of the store, heap stays flat, and nothing
 * is dropped.
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
import { productionStoreTypes } from '../../src/connectors/registry.js';
import { awsRegistry } from '../support/connectors/index.js';

const DELAY_MS = 40;
/** Group commits of 300 records; pages of (at most) 100. */
const COMMIT_RECORDS = 300;
/**
 * Findings in memory ahead of the store. Inline commits: a group not yet full (< 300), the
 * page that fills it, one prefetched page. With the writer thread, one more group may be
 * committing while the next one fills.
 */
const BOUNDS = { inline: COMMIT_RECORDS - 1 + 2 * 100, writer: 2 * (COMMIT_RECORDS - 1 + 100) + 100 };

describe(`a slow store (${P.slowStoreFindings} findings, +${DELAY_MS} ms per commit)`, () => {
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

  it.each(['inline', 'writer'] as const)(
    `%s commits: the collector slows down, within its bound of findings ahead of the store, nothing dropped`,
    async (mode) => {
      const BOUND = BOUNDS[mode];
      const data = path.join(dir, mode);
      const real = openStore({
        connectorTypes: productionStoreTypes(),
        dataDir: data,
        key: Buffer.alloc(32, 5),
        writerThread: mode === 'writer',
      });
      const block = new Int32Array(new SharedArrayBuffer(4));
      let committed = 0;
      // Each commit is answered DELAY_MS late (the sink waits for onCommitted before it posts
      // the next one): the store's commits take that much longer, as seen by the collector.
      const slow: Store = {
        ...real,
        pageSink: (o) =>
          real.pageSink({
            ...o,
            async onCommitted(c) {
              if (mode === 'inline') {
                // A blocking delay, like a slow disk under better-sqlite3 (synchronous by design).
                Atomics.wait(block, 0, 0, DELAY_MS);
              } else {
                // A slow disk under the writer thread: this thread goes on meanwhile.
                await new Promise((r) => setTimeout(r, DELAY_MS));
              }
              committed += c.stored + c.duplicates;
              await o.onCommitted?.(c);
            },
          }),
      };
      const id = real.connectors.create(
        {
          name: `slow-store-${mode}`,
          region: 'us-east-1',
          initialLookbackDays: 3650,
          auth: { method: 'access_key', ...EMULATOR_KEYS },
          endpoints: { inspector2: emu.url, sts: emu.url },
        },
        { active: true },
      ).id;

      // Findings received but not yet stored. The bound is the design's: one group being
      // buffered, the page that completes it, and one page prefetched.
      let requested = 0;
      let received = 0;
      let maxAhead = 0;
      const heap: number[] = [];
      const factory: ClientFactory = (cfg, opts) => {
        const c = createInspectorClient(cfg, opts);
        return {
          ...c,
          listFindingsPage: (req, o) => {
            requested++;
            if (requested % 5 === 0) heap.push(process.memoryUsage().heapUsed);
            return c.listFindingsPage(req, o).then((page) => {
              received += page.findings.length;
              maxAhead = Math.max(maxAhead, received - committed);
              return page;
            });
          },
        };
      };
      try {
        const outcome = await runConnector(
          { store: slow, clock: systemClock, logger: silentLogger(), registry: awsRegistry(factory) },
          id,
          { commitRecords: COMMIT_RECORDS },
        );
        expect(outcome.error).toBeUndefined();
        expect(outcome.status).toBe('ok');
        expect(maxAhead).toBeLessThanOrEqual(BOUND);
        expect(outcome.received).toBe(P.slowStoreFindings);
        expect(outcome.stored).toBe(P.slowStoreFindings);
        const mbs = heap.map((h) => Math.round(h / 2 ** 20));
        console.log(
          `pages ${outcome.pages}, max findings fetched ahead of the store ${maxAhead}, heap MB samples ${mbs.join(',')}`,
        );
      } finally {
        real.close();
      }
      const c = compare(await awsVersions(emu.url), data);
      expect(c.lost).toEqual([]);
      expect(c.duplicated).toEqual([]);
      expect(c.index).toBe(P.slowStoreFindings);
    },
  );
});
