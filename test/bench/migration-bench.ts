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
import { recordTerms } from '../../src/search/terms.js';
import { configureConnection } from '../../src/store/connection.js';
import { FTS_SHARD_ROWS, createShardTable } from '../../src/store/fts-shards.js';
import { DB_FILE } from '../../src/store/index.js';
import { migrate, migrations } from '../../src/store/migrations.js';
import { createHash } from 'node:crypto';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}
const N = Number(arg('records', '100000'));
const DIR = path.resolve(arg('dir', '.bench/migration'));
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0) + ' MB';
const size = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
const sha32 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

fs.rmSync(DIR, { recursive: true, force: true });
fs.mkdirSync(DIR, { recursive: true });
const file = path.join(DIR, DB_FILE);

// ------------------------------------------------------------------ the store at version 9
let t0 = performance.now();
{
  const db = new Database(file);
  configureConnection(db);
  migrate(
    db,
    migrations.filter((m) => m.version <= 9),
  );
  db.exec(`INSERT INTO tenants (id, name, created_at) VALUES ('acme', 'Acme', 0);
    INSERT INTO connectors (id, name, tenant, config, secrets, created_at, updated_at)
      VALUES ('root-a', 'root-a', 'Root Tenant', '{}', '{}', 0, 0), ('acme-a', 'acme-a', 'Acme', '{}', '{}', 0, 0);
    INSERT INTO checkpoints (connector_id, data, updated_at) VALUES ('root-a', '{}', 0), ('acme-a', '{}', 0);`);
  db.prepare(
    `INSERT INTO runs (connector_id, started_at, status, received, stored, duplicates)
    VALUES ('root-a', 0, 'ok', ?, ?, 0), ('acme-a', 0, 'ok', ?, 0, ?)`,
  ).run(N, N, N, N);
  const emu = new EmulatorState({ findings: N, seed: 5 });
  const ins = db.prepare(
    `INSERT INTO syslog (rowid, id, timestamp, write_time, severity, tenantid, connector_id, msg_class, event_status, event_name, doc)
     VALUES (?, ?, ?, ?, ?, 'root', 'root-a', ?, ?, ?, ?)`,
  );
  const finding = db.prepare(
    `INSERT INTO findings (finding_arn, connector_id, tenantid, status, severity, updated_at, record_id, first_seen_at, last_seen_at)
     VALUES (?, 'root-a', 'root', ?, ?, ?, ?, 0, 0) ON CONFLICT(finding_arn) DO NOTHING`,
  );
  const ctx = {
    connectorId: 'root-a',
    connectorName: 'root-a',
    tenantId: 'root',
    tenantName: 'Root Tenant',
    writeTime: Date.now(),
  };
  let shard = { id: 0, name: 'syslog_fts', first: 1 };
  let fts = db.prepare(`INSERT INTO syslog_fts (rowid, terms) VALUES (?, ?)`);
  const page = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const rowid = i + 1;
      if (rowid - shard.first >= FTS_SHARD_ROWS) {
        db.exec(`INSERT INTO ${shard.name}(${shard.name}) VALUES ('optimize')`);
        db.prepare('UPDATE fts_shards SET next_rowid = ? WHERE id = ?').run(rowid, shard.id);
        shard = { id: shard.id + 1, name: `syslog_fts_${shard.id + 1}`, first: rowid };
        createShardTable(db, shard.name);
        db.prepare('INSERT INTO fts_shards (id, name, first_rowid, next_rowid) VALUES (?, ?, ?, ?)').run(
          shard.id,
          shard.name,
          rowid,
          rowid,
        );
        fts = db.prepare(`INSERT INTO ${shard.name} (rowid, terms) VALUES (?, ?)`);
      }
      const raw = emu.store.build(i) as Record<string, unknown>;
      const r = mapFinding(raw, ctx);
      r._id = sha32(`${String(raw.findingArn)}|${r.timestamp}`);
      ins.run(
        rowid,
        r._id,
        r.timestamp,
        r.write_time,
        r.severity,
        r.msg_class,
        r.event_status,
        r.event_name,
        JSON.stringify(r),
      );
      fts.run(rowid, recordTerms(r));
      finding.run(raw.findingArn, raw.status, raw.severity, r.timestamp, r._id);
    }
    db.prepare('UPDATE fts_shards SET next_rowid = ? WHERE id = ?').run(to + 1, shard.id);
  });
  for (let i = 0; i < N; i += 1000) page(i, Math.min(N, i + 1000));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}
console.log(
  `built ${N} records at version 9 in ${((performance.now() - t0) / 1000).toFixed(1)} s; file ${mb(size(file))}`,
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
      `(${((wall * 1e6) / N).toFixed(0)} us per record); WAL written ${mb(wal)}; file after ${mb(size(file))}; ` +
      `${checked}/${N} records with the new _id in column and document; checkpoints kept: ${checkpoints.join(', ')}`,
  );
}
