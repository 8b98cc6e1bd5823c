/**
 * Cost of migration 10 (record identity per tenant): builds a store at schema version 9 holding
 * N records of the emulator's generated findings (Root's, `_id` = the old tenant-free key),
 * their FTS rows in shards of 50,000 as the store writes them, the findings' current state and
 * a starved second tenant's connector; then applies migration 10 alone and reports its wall
 * and CPU time, the WAL it wrote and the file sizes.
 *
 *   npx tsx test/bench/migration-bench.ts [--records 100000] [--dir .bench/migration]
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { EmulatorState } from '../../emulator/index.js';
import { mapFinding } from '../../src/connectors/aws-inspector/map.js';
import type { InterflowRecord } from '../../src/core/record.js';
import { configureConnection } from '../../src/store/sqlite/connection.js';
import { FTS_SHARD_ROWS } from '../../src/store/sqlite/fts-shards.js';
import { DB_FILE } from '../../src/store/index.js';
import { migrate } from '../../src/store/sqlite/migrations.js';
import { writeV9DataDir } from '../support/legacy-store.js';
import { arg, mb } from './lib.js';
import { createHash } from 'node:crypto';

const N = Number(arg('records', '100000'));
const DIR = path.resolve(arg('dir', '.bench/migration'));
const megabytes = (bytes: number) => `${mb(bytes / 1024)} MB`;
const size = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
const sha32 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

fs.rmSync(DIR, { recursive: true, force: true });
fs.mkdirSync(DIR, { recursive: true });
const file = path.join(DIR, DB_FILE);

// ------------------------------------------------------------------ the store at version 9
let t0 = performance.now();
{
  const emu = new EmulatorState({ findings: N, seed: 5 });
  const ctx = {
    connectorId: 'root-a',
    connectorName: 'root-a',
    tenantId: 'root',
    tenantName: 'Root Tenant',
    writeTime: Date.now(),
  };
  function* records(): Generator<InterflowRecord> {
    for (let i = 0; i < N; i++) {
      const raw = emu.store.build(i) as Record<string, unknown>;
      const r = mapFinding(raw, ctx);
      yield { ...r, _id: sha32(`${String(raw.findingArn)}|${r.timestamp}`) };
    }
  }
  writeV9DataDir(DIR, {
    tenants: [{ id: 'acme', name: 'Acme' }],
    connectors: [
      { id: 'root-a', name: 'root-a', tenant: 'Root Tenant' },
      { id: 'acme-a', name: 'acme-a', tenant: 'Acme' },
    ],
    checkpoints: { 'root-a': {}, 'acme-a': {} },
    runs: [
      { connectorId: 'root-a', received: N, stored: N, duplicates: 0 },
      { connectorId: 'acme-a', received: N, stored: 0, duplicates: N },
    ],
    records: records(),
    connectorId: 'root-a',
    shardRows: FTS_SHARD_ROWS,
  });
}
console.log(
  `built ${N} records at version 9 in ${((performance.now() - t0) / 1000).toFixed(1)} s; file ${megabytes(size(file))}`,
);

// ------------------------------------------------------------------ migration 10 alone
{
  const db = new Database(file);
  configureConnection(db);
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  const done = migrate(db);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const wal = size(file + '-wal');
  db.pragma('wal_checkpoint(TRUNCATE)');
  const checked = db
    .prepare(`SELECT count(*) FROM syslog WHERE json_extract(doc, '$._id') = id AND length(id) = 32`)
    .pluck()
    .get() as number;
  const checkpoints = db.prepare('SELECT connector_id FROM checkpoints ORDER BY 1').pluck().all();
  db.close();
  console.log(
    `migration ${done.join(',')}: ${wall.toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU ` +
      `(${((wall * 1e6) / N).toFixed(0)} us per record); WAL written ${megabytes(wal)}; file after ${megabytes(size(file))}; ` +
      `${checked}/${N} records with the new _id in column and document; checkpoints kept: ${checkpoints.join(', ')}`,
  );
}
