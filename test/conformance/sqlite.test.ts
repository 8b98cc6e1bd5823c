/**
 * The SQLite backend against the storage contract (store-conformance.ts): real files in a
 * temporary directory, once with the default full-text shard size and once with a tiny one so
 * that every search crosses several shards.
 *
 * The upgrade case builds the data directory release 0.1.0 (git b80a99c, schema version 9)
 * left (test/support/legacy-store.ts: the migrations up to 9, then rows written as that
 * release's commit.ts wrote them).
 * Migration 10 itself is tested in detail in src/store/migration-10.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixedClock } from '../../src/core/clock.js';
import { openStore, type OpenStoreOptions } from '../../src/store/index.js';
import { writeV9DataDir } from '../support/legacy-store.js';
import {
  describeStoreConformance,
  describeUpgradeConformance,
  type OpenedStore,
  type PreviousReleaseData,
} from './store-conformance.js';
import { productionStoreTypes } from '../../src/connectors/registry.js';

const KEY = Buffer.alloc(32, 11);

function sqlite(opts: Partial<OpenStoreOptions> = {}, dir?: string): OpenedStore {
  const dataDir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ic-conf-'));
  const store = openStore({
    connectorTypes: productionStoreTypes(),
    dataDir,
    key: KEY,
    env: {},
    clock: fixedClock(1_800_000_000_000),
    ...opts,
  });
  return {
    store,
    close() {
      store.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describeStoreConformance('sqlite', async () => sqlite());
describeStoreConformance('sqlite, 2-record full-text shards', async () => sqlite({ ftsShardRows: 2 }));
describeStoreConformance('sqlite, writer thread', async () => sqlite({ writerThread: true }));

/** A data directory as release 0.1.0 (schema version 9) left it, holding `data`. */
function release010(data: PreviousReleaseData): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-conf-010-'));
  writeV9DataDir(dir, { ...data, connectorId: data.connectors[0]!.id, shardRows: Infinity });
  return dir;
}

describeUpgradeConformance('sqlite', async (data) => sqlite({}, release010(data)));
