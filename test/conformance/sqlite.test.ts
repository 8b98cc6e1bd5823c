/**
 * The SQLite backend against the storage contract (store-conformance.ts): real files in a
 * temporary directory, once with the default full-text shard size and once with a tiny one so
 * that every search crosses several shards.
 *
 * The upgrade case builds the data directory release 0.1.0 (git b80a99c, schema version 9)
 * left: the migrations up to 9, then rows written as that release's commit.ts wrote them.
 * Migration 10 itself is tested in detail in src/store/migration-10.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { fixedClock } from '../../src/core/clock.js';
import { recordTerms } from '../../src/search/terms.js';
import { DB_FILE, migrate, migrations, openStore, type OpenStoreOptions } from '../../src/store/index.js';
import {
  describeStoreConformance,
  describeUpgradeConformance,
  type OpenedStore,
  type PreviousReleaseData,
} from './store-conformance.js';

const KEY = Buffer.alloc(32, 11);

function sqlite(opts: Partial<OpenStoreOptions> = {}, dir?: string): OpenedStore {
  const dataDir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ic-conf-'));
  const store = openStore({ dataDir, key: KEY, env: {}, clock: fixedClock(1_800_000_000_000), ...opts });
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
  const db = new Database(path.join(dir, DB_FILE));
  db.pragma('journal_mode = WAL');
  migrate(
    db,
    migrations.filter((m) => m.version <= 9),
  );
  for (const t of data.tenants) {
    db.prepare('INSERT INTO tenants (id, name, created_at) VALUES (?, ?, 0)').run(t.id, t.name);
  }
  for (const c of data.connectors) {
    const cfg = {
      name: c.name,
      tenant: c.tenant,
      region: 'us-east-1',
      auth: { method: 'access_key', accessKeyId: 'AKIA' },
    };
    db.prepare(
      `INSERT INTO connectors (id, name, tenant, config, secrets, created_at, updated_at) VALUES (?, ?, ?, ?, '{}', 0, 0)`,
    ).run(c.id, c.name, c.tenant, JSON.stringify(cfg));
  }
  for (const [id, cp] of Object.entries(data.checkpoints)) {
    db.prepare('INSERT INTO checkpoints (connector_id, data, updated_at) VALUES (?, ?, 0)').run(
      id,
      JSON.stringify(cp),
    );
  }
  // As b80a99c:src/store/commit.ts did: syslog row, full-text row, findings (keyed by ARN), text paths.
  const doc = db.prepare(
    `INSERT OR IGNORE INTO syslog (rowid, id, timestamp, write_time, severity, tenantid, connector_id, msg_class, event_status, event_name, doc)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const fts = db.prepare('INSERT INTO syslog_fts (rowid, terms) VALUES (?, ?)');
  const finding = db.prepare(
    `INSERT INTO findings (finding_arn, connector_id, tenantid, status, severity, updated_at, record_id, first_seen_at, last_seen_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0)
     ON CONFLICT(finding_arn) DO UPDATE SET connector_id = excluded.connector_id, tenantid = excluded.tenantid,
       status = excluded.status, severity = excluded.severity, updated_at = excluded.updated_at,
       record_id = excluded.record_id WHERE excluded.updated_at > findings.updated_at`,
  );
  const textPath = db.prepare('INSERT OR IGNORE INTO text_paths (path) VALUES (?)');
  const connector = data.connectors[0]!.id;
  data.records.forEach((r, i) => {
    doc.run(
      i + 1,
      r._id,
      r.timestamp,
      r.write_time,
      r.severity,
      r.tenantid,
      connector,
      r.msg_class,
      r.event_status,
      r.event_name,
      JSON.stringify(r),
    );
    fts.run(
      i + 1,
      recordTerms(r, (p) => textPath.run(p)),
    );
    const f = r.aws_inspector as { findingArn: string; status?: string; severity?: string };
    finding.run(
      f.findingArn,
      connector,
      r.tenantid,
      f.status ?? null,
      f.severity ?? null,
      r.timestamp,
      r._id,
    );
  });
  db.prepare('UPDATE fts_shards SET next_rowid = ? WHERE id = 0').run(data.records.length + 1);
  db.close();
  return dir;
}

describeUpgradeConformance('sqlite', async (data) => sqlite({}, release010(data)));
