/**
 * A data directory as release 0.1.0 (git b80a99c, schema version 9) left it: the migrations up
 * to 9, then tenants, connectors, checkpoints, runs and records written the way that release's
 * commit.ts wrote them (syslog row, full-text row in the current shard, findings keyed by ARN,
 * text paths). One builder for the migration-10 test, the upgrade conformance case and the
 * migration benchmark.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import type { InterflowRecord } from '../../src/core/record.js';
import { recordTerms } from '../../src/store/sqlite/terms.js';
import { configureConnection } from '../../src/store/sqlite/connection.js';
import { createShardTable } from '../../src/store/sqlite/fts-shards.js';
import { DB_FILE } from '../../src/store/index.js';
import { migrate, migrations } from '../../src/store/sqlite/migrations.js';

export interface V9DataDir {
  /** Tenants besides Root (which migration 1 creates). */
  tenants?: { id: string; name: string }[];
  connectors?: { id: string; name: string; tenant: string }[];
  /** Connector id -> checkpoint data (stored as JSON). */
  checkpoints?: Record<string, unknown>;
  runs?: { connectorId: string; received: number; stored: number; duplicates: number }[];
  /** The records as version 9 stored them (`_id` = the tenant-free version key), in rowid order from 1. */
  records: Iterable<InterflowRecord>;
  /** The connector every record row and finding is attributed to. */
  connectorId: string;
  /** Full-text rows per shard before the next shard starts (fts-shards.ts); Infinity: one shard. */
  shardRows: number;
}

/** Writes `DB_FILE` in `dir` (which must exist) holding `data` at schema version 9. */
export function writeV9DataDir(dir: string, data: V9DataDir): void {
  const db = new Database(path.join(dir, DB_FILE));
  configureConnection(db);
  migrate(
    db,
    migrations.filter((m) => m.version <= 9),
  );
  for (const t of data.tenants ?? []) {
    db.prepare('INSERT INTO tenants (id, name, created_at) VALUES (?, ?, 0)').run(t.id, t.name);
  }
  const connector = db.prepare(
    `INSERT INTO connectors (id, name, tenant, config, secrets, created_at, updated_at) VALUES (?, ?, ?, ?, '{}', 0, 0)`,
  );
  for (const c of data.connectors ?? []) {
    const cfg = {
      name: c.name,
      tenant: c.tenant,
      region: 'us-east-1',
      auth: { method: 'access_key', accessKeyId: 'AKIA' },
    };
    connector.run(c.id, c.name, c.tenant, JSON.stringify(cfg));
  }
  for (const [id, cp] of Object.entries(data.checkpoints ?? {})) {
    db.prepare('INSERT INTO checkpoints (connector_id, data, updated_at) VALUES (?, ?, 0)').run(
      id,
      JSON.stringify(cp),
    );
  }
  const run = db.prepare(
    `INSERT INTO runs (connector_id, started_at, status, received, stored, duplicates) VALUES (?, 0, 'ok', ?, ?, ?)`,
  );
  for (const r of data.runs ?? []) run.run(r.connectorId, r.received, r.stored, r.duplicates);

  // As b80a99c:src/store/commit.ts did: syslog row, full-text row, findings (keyed by ARN), text paths.
  const doc = db.prepare(
    `INSERT OR IGNORE INTO syslog (rowid, id, timestamp, write_time, severity, tenantid, connector_id, msg_class, event_status, event_name, doc)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const finding = db.prepare(
    `INSERT INTO findings (finding_arn, connector_id, tenantid, status, severity, updated_at, record_id, first_seen_at, last_seen_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0)
     ON CONFLICT(finding_arn) DO UPDATE SET connector_id = excluded.connector_id, tenantid = excluded.tenantid,
       status = excluded.status, severity = excluded.severity, updated_at = excluded.updated_at,
       record_id = excluded.record_id WHERE excluded.updated_at > findings.updated_at`,
  );
  const textPath = db.prepare('INSERT OR IGNORE INTO text_paths (path) VALUES (?)');
  const addPath = (p: string) => textPath.run(p);
  let shard = { id: 0, name: 'syslog_fts', first: 1 };
  let fts = db.prepare('INSERT INTO syslog_fts (rowid, terms) VALUES (?, ?)');
  const write = (rowid: number, r: InterflowRecord) => {
    if (rowid - shard.first >= data.shardRows) {
      // The shard is full: seal it as the store does and start the next one.
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
    doc.run(
      rowid,
      r._id,
      r.timestamp,
      r.write_time,
      r.severity,
      r.tenantid,
      data.connectorId,
      r.msg_class,
      r.event_status,
      r.event_name,
      JSON.stringify(r),
    );
    fts.run(rowid, recordTerms(r, addPath));
    const f = r.aws_inspector as { findingArn?: string; status?: string; severity?: string } | undefined;
    if (f?.findingArn) {
      finding.run(
        f.findingArn,
        data.connectorId,
        r.tenantid,
        f.status ?? null,
        f.severity ?? null,
        r.timestamp,
        r._id,
      );
    }
  };
  // Pages of 1,000 records per transaction, so that a benchmark-sized store streams.
  const page = db.transaction((batch: InterflowRecord[], first: number) => {
    batch.forEach((r, i) => write(first + i, r));
    db.prepare('UPDATE fts_shards SET next_rowid = ? WHERE id = ?').run(first + batch.length, shard.id);
  });
  let batch: InterflowRecord[] = [];
  let next = 1;
  for (const r of data.records) {
    batch.push(r);
    if (batch.length === 1000) {
      page(batch, next);
      next += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) page(batch, next);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}
