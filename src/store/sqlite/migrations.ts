/**
 * Versioned schema migrations, applied in order by `openStore`, each in its own transaction.
 * APPEND new migrations at the end with the next version number; never edit or reorder one
 * that has shipped (databases in the field have already applied it).
 */
import type { Database } from 'better-sqlite3';
import { tenantRecordId } from '../../core/record.js';
import { recordTerms, words } from './terms.js';
import { FTS_SHARDS_TABLE } from './fts-shards.js';
import { FTS_TERMS_TABLE, listSealedShardTerms } from './fts-terms.js';

export interface Migration {
  version: number;
  name: string;
  up: string | ((db: Database) => void);
  /**
   * Runs with foreign-key enforcement off (then `foreign_key_check` before commit): needed to
   * rebuild a table other tables reference, whose DROP would otherwise cascade to them.
   */
  foreignKeysOff?: boolean;
}

const TEXT_PATHS_TABLE = 'CREATE TABLE IF NOT EXISTS text_paths (path TEXT PRIMARY KEY) WITHOUT ROWID';

/**
 * Threat Hunting's saved searches and search history (sqlite/saved-searches.ts). Both belong to a
 * user and go with them (ON DELETE CASCADE); a saved search's tenant is its owner's. Names are
 * unique per owner, ignoring case. History rows: the newest has the largest rowid (an entry run
 * again is deleted and inserted anew).
 */
export const SAVED_SEARCHES_MIGRATION: Migration = {
  version: 19,
  name: "saved searches (per owner; private or shared with the owner's tenant) and per-user search history",
  up: `
    CREATE TABLE saved_searches (
      id TEXT PRIMARY KEY,
      owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      visibility TEXT NOT NULL CHECK (visibility IN ('private', 'tenant')),
      definition TEXT NOT NULL,      -- JSON: query, timeRange, timeField, columns, sort, timeZone
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX saved_searches_name ON saved_searches(owner_id, name COLLATE NOCASE);
    CREATE INDEX saved_searches_shared ON saved_searches(visibility, owner_id);

    CREATE TABLE search_history (
      user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      query TEXT NOT NULL,
      entry TEXT NOT NULL,           -- JSON: timeRange, timeField
      ran_at INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX search_history_query ON search_history(user_id, query);
  `,
};

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'core tables: tenants, connectors, profiles, log filters, runs, checkpoints',
    up: `
      CREATE TABLE tenants (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        created_at INTEGER NOT NULL
      );
      INSERT INTO tenants (id, name, created_at) VALUES ('root', 'Root Tenant', 0);

      CREATE TABLE connectors (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        tenant TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        config TEXT NOT NULL,          -- JSON, secret fields removed
        secrets TEXT NOT NULL,         -- JSON {path: "iv.tag.ciphertext" (base64)}, AES-256-GCM
        state TEXT NOT NULL DEFAULT 'never_run' CHECK (state IN ('never_run', 'ok', 'failed')),
        last_error_code TEXT,
        last_error_message TEXT,
        last_error_at INTEGER,
        last_success_at INTEGER,
        last_run_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE profiles (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
      );
      INSERT INTO profiles (id, name) VALUES ('default', 'Default');

      CREATE TABLE profile_connectors (
        profile_id TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
        connector_id TEXT NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
        added_at INTEGER NOT NULL,
        PRIMARY KEY (profile_id, connector_id)
      ) WITHOUT ROWID;
      CREATE INDEX profile_connectors_connector ON profile_connectors(connector_id);

      CREATE TABLE log_filters (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        definition TEXT NOT NULL,      -- JSON of the logFilter schema (without id)
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE connector_log_filters (
        connector_id TEXT NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
        filter_id TEXT NOT NULL REFERENCES log_filters(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        PRIMARY KEY (connector_id, filter_id)
      ) WITHOUT ROWID;
      CREATE INDEX connector_log_filters_filter ON connector_log_filters(filter_id);

      CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        connector_id TEXT NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ok', 'failed')),
        received INTEGER NOT NULL DEFAULT 0,
        stored INTEGER NOT NULL DEFAULT 0,
        duplicates INTEGER NOT NULL DEFAULT 0,
        discarded INTEGER NOT NULL DEFAULT 0,
        discarded_by_filter TEXT NOT NULL DEFAULT '{}',
        pages INTEGER NOT NULL DEFAULT 0,
        error_code TEXT,
        error_message TEXT
      );
      CREATE INDEX runs_connector ON runs(connector_id, id);

      CREATE TABLE checkpoints (
        connector_id TEXT PRIMARY KEY REFERENCES connectors(id) ON DELETE CASCADE,
        data TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'Syslog index, its full-text/field index, and the findings current state',
    up: `
      -- Hot fields are real columns (indexed, range-able, sortable); the whole record is doc.
      -- doc is the LAST column so that reading the small columns never touches overflow pages.
      CREATE TABLE syslog (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        timestamp INTEGER NOT NULL,
        write_time INTEGER NOT NULL,
        severity INTEGER,
        tenantid TEXT NOT NULL,
        connector_id TEXT,
        msg_class TEXT,
        event_status TEXT,
        event_name TEXT,
        doc TEXT NOT NULL
      );
      CREATE INDEX syslog_timestamp ON syslog(timestamp);
      CREATE INDEX syslog_write_time ON syslog(write_time);
      CREATE INDEX syslog_severity ON syslog(severity, timestamp);
      CREATE INDEX syslog_tenant ON syslog(tenantid, timestamp);

      -- Contentless, detail=none FTS5: one row per syslog row (same rowid). Holds the record's
      -- words (free text), field-qualified words, whole-value and existence tokens; see
      -- terms.ts. '_' is a token character so our synthetic tokens stay whole,
      -- while the words themselves never contain '_' (we split on it before indexing).
      CREATE VIRTUAL TABLE syslog_fts USING fts5(
        terms,
        content = '',
        contentless_delete = 1,
        detail = none,
        tokenize = "unicode61 remove_diacritics 0 tokenchars '_'"
      );

      CREATE TABLE findings (
        finding_arn TEXT PRIMARY KEY,
        connector_id TEXT NOT NULL,
        tenantid TEXT NOT NULL,
        status TEXT,
        severity TEXT,
        updated_at INTEGER NOT NULL,
        record_id TEXT NOT NULL,
        first_seen_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL
      );
      CREATE INDEX findings_connector ON findings(connector_id, status);
    `,
  },
  {
    version: 3,
    name: 'API users and sessions (src/auth)',
    up: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,   -- scrypt$N$r$p$salt$hash (src/auth/password.ts)
        role TEXT NOT NULL CHECK (role IN ('root_admin', 'tenant_admin', 'analyst')),
        tenant_id TEXT NOT NULL REFERENCES tenants(id),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );

      -- Only the sha256 of a session token is stored: a leaked database cannot be replayed.
      CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX sessions_user ON sessions(user_id);
      CREATE INDEX sessions_expires ON sessions(expires_at);
    `,
  },
  {
    version: 4,
    name: 'FTS automerge 16: fewer segment merges per page commit',
    // Each page commit writes one small FTS segment; merging every 4 (the default) made the
    // FTS insert ~45% slower than merging every 16 (measured), queries are unaffected.
    up: `INSERT INTO syslog_fts(syslog_fts, rank) VALUES ('automerge', 16);`,
  },
  {
    version: 5,
    name: 'time indexes cover severity: "time range + severity" counts never read records',
    up: `
      DROP INDEX syslog_timestamp;
      CREATE INDEX syslog_timestamp ON syslog(timestamp, severity);
      DROP INDEX syslog_write_time;
      CREATE INDEX syslog_write_time ON syslog(write_time, severity);
    `,
  },
  {
    version: 6,
    name: 'time and tenant indexes cover time, severity and tenant: scoped counts and pages never read records',
    up: `
      DROP INDEX syslog_timestamp;
      CREATE INDEX syslog_timestamp ON syslog(timestamp, severity, tenantid);
      DROP INDEX syslog_write_time;
      CREATE INDEX syslog_write_time ON syslog(write_time, severity, tenantid);
      DROP INDEX syslog_tenant;
      CREATE INDEX syslog_tenant ON syslog(tenantid, timestamp, severity);
    `,
  },
  {
    version: 7,
    name: 'FTS without contentless_delete (records are never deleted; it made merges grow costly)',
    // Measured: with contentless_delete=1 the CPU per stored record rose from ~0.3 ms to
    // ~1.5 ms past ~130,000 records; without it, it stays flat. Existing rows are re-indexed
    // from their documents.
    up: (db) => {
      db.exec(`
        DROP TABLE syslog_fts;
        CREATE VIRTUAL TABLE syslog_fts USING fts5(
          terms,
          content = '',
          detail = none,
          tokenize = "unicode61 remove_diacritics 0 tokenchars '_'"
        );
        INSERT INTO syslog_fts(syslog_fts, rank) VALUES ('automerge', 16);
      `);
      reindex(db);
    },
  },
  {
    version: 8,
    name: 'text paths: fields whose long values are indexed as free words plus a marker (terms.ts)',
    // Rows indexed before this version have field tokens for every value, which the compiler's
    // field-token branch still matches; the table lists paths that have held text since.
    up: TEXT_PATHS_TABLE,
  },
  {
    version: 9,
    name: 'full-text index in shards of consecutive rowids (fts_shards; the existing syslog_fts is the first)',
    up: FTS_SHARDS_TABLE,
  },
  {
    version: 10,
    name: 'record identity per tenant: _id over tenantid and the former _id; findings keyed by (tenantid, finding_arn); starved connectors backfill',
    up: (db) => tenantIdentity(db),
  },
  {
    version: 11,
    name: 'connector and log-filter names unique per tenant, case-insensitively (case duplicates and blank names renamed)',
    foreignKeysOff: true,
    up: namesPerTenant,
  },
  {
    version: 12,
    name: 'store_meta: the key check value of the secrets encryption key (never the key)',
    up: 'CREATE TABLE store_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID',
  },
  {
    version: 13,
    name: 'fts_terms: the term dictionary of the sealed full-text shards (leading wildcards), listed for the shards sealed before it',
    up: (db) => {
      db.exec(FTS_TERMS_TABLE);
      listSealedShardTerms(db);
    },
  },
  {
    version: 14,
    name: 'connectors.type: the connector type id (every connector so far is an Amazon Inspector one)',
    up: `ALTER TABLE connectors ADD COLUMN type TEXT NOT NULL DEFAULT 'aws-inspector'`,
  },
  {
    version: 15,
    // The store keeps a current state per (tenant, key) for any source: the key is what the
    // connector says identifies "a finding" (Amazon Inspector: its ARN). A rename in place:
    // SQLite rewrites the primary key and every index that names the column.
    name: 'findings: finding_arn becomes state_key (the connector-given state key)',
    up: 'ALTER TABLE findings RENAME COLUMN finding_arn TO state_key',
  },
  {
    version: 16,
    // A sweep lists every open finding; what it did not list (swept_at older than its start)
    // is a candidate for "vanished". The index walks one connector's states of one status in
    // key order (FindingsRepo.unseen), reading only that status's rows.
    name: 'findings.swept_at: when a source last listed the finding (sweeps); index by connector, status, key; runs.vanished',
    up: `
      ALTER TABLE findings ADD COLUMN swept_at INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE runs ADD COLUMN vanished INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX findings_sweep ON findings(connector_id, status, state_key);
    `,
  },
  {
    version: 17,
    // The store compares fingerprints the connector type gives (RecordState.fingerprint) and
    // never reads a source's fields. NULL = unknown: the next version is stored whatever it holds.
    name: "findings.fingerprint: a hash of the state's material fields (recordVersions: material); runs.unchanged: versions not stored because nothing material changed",
    up: `
      ALTER TABLE findings ADD COLUMN fingerprint TEXT;
      ALTER TABLE runs ADD COLUMN unchanged INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 18,
    // A connector's type may split a run into parts (AWS Inspector: regions), each with its own
    // checkpoint and status (docs/connectors.md "Parts"). Part '' is a type without parts: every
    // checkpoint so far becomes that. The connector's state gains `partial` (some parts failed):
    // its CHECK is in the table's CREATE statement, so the table is rebuilt (foreign keys off:
    // the tables that reference connectors would otherwise lose their rows).
    name: "parts: checkpoints keyed by (connector_id, part), connector_parts (each part's status), runs.parts (JSON), connectors.state 'partial'",
    foreignKeysOff: true,
    up: (db) => {
      db.exec(`
        CREATE TABLE checkpoints_by_part (
          connector_id TEXT NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
          part TEXT NOT NULL DEFAULT '',
          data TEXT NOT NULL,
          updated_at INTEGER NOT NULL,
          PRIMARY KEY (connector_id, part)
        );
        INSERT INTO checkpoints_by_part (connector_id, part, data, updated_at)
          SELECT connector_id, '', data, updated_at FROM checkpoints;
        DROP TABLE checkpoints;
        ALTER TABLE checkpoints_by_part RENAME TO checkpoints;

        CREATE TABLE connector_parts (
          connector_id TEXT NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
          part TEXT NOT NULL,
          state TEXT NOT NULL DEFAULT 'never_run' CHECK (state IN ('never_run', 'ok', 'failed')),
          last_error TEXT,              -- JSON {code, message, at}
          last_success_at INTEGER,
          last_run_at INTEGER,
          PRIMARY KEY (connector_id, part)
        );

        ALTER TABLE runs ADD COLUMN parts TEXT; -- JSON [{part, status, received, stored, ...}]
      `);
      rebuildTable(db, 'connectors', (sql) =>
        sql.replace(
          /CHECK\s*\(\s*state\s+IN\s*\(\s*'never_run'\s*,\s*'ok'\s*,\s*'failed'\s*\)\s*\)/i,
          "CHECK (state IN ('never_run', 'ok', 'partial', 'failed'))",
        ),
      );
    },
  },
  // Version 19 was written beside 18 (another change): `migrate` applies every version the
  // database has not applied, in version order, so either order of arrival works.
  SAVED_SEARCHES_MIGRATION,
];

/**
 * Rebuilds `table` from its own CREATE statement as `edit` changes it (columns in the same
 * order; indexes and triggers kept). Needs foreign keys off when other tables reference it.
 */
function rebuildTable(db: Database, table: string, edit: (sql: string) => string): void {
  const sql = db
    .prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`)
    .pluck()
    .get(table) as string;
  const edited = edit(sql);
  if (edited === sql) throw new Error(`rebuild of ${table}: its CREATE statement is not as expected`);
  const extras = db
    .prepare(
      `SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = ? AND sql IS NOT NULL`,
    )
    .pluck()
    .all(table) as string[];
  db.exec(edited.replace(new RegExp(`^CREATE TABLE\\s+"?${table}"?`, 'i'), `CREATE TABLE ${table}_rebuilt`));
  db.exec(`INSERT INTO ${table}_rebuilt SELECT * FROM ${table}`);
  db.exec(`DROP TABLE ${table}`);
  db.exec(`ALTER TABLE ${table}_rebuilt RENAME TO ${table}`);
  for (const x of extras) db.exec(x);
}

/** Names are at most 64 characters (config.ts). */
const NAME_MAX = 64;

/**
 * Rebuilds `table` from its own CREATE statement minus the global UNIQUE of `name` (columns,
 * other constraints, indexes and triggers are kept as they are, whatever earlier migrations added).
 */
function dropNameUnique(db: Database, table: string): void {
  const sql = db
    .prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`)
    .pluck()
    .get(table) as string;
  const nameUnique = /(\bname\s+TEXT\s+NOT\s+NULL)\s+UNIQUE\b/i;
  if (!nameUnique.test(sql)) return; // already without it
  rebuildTable(db, table, (created) => created.replace(nameUnique, '$1'));
}

/**
 * Gives every row of one (tenant, name) group, compared case-insensitively, its own name: the
 * oldest keeps its name, the others get "-2", "-3", ... (the name shortened to stay within 64
 * characters); a blank name (only spaces) becomes "unnamed" (or "unnamed-2", ...).
 */
function renameDuplicates(
  rows: { id: string; scope: string; name: string }[],
  rename: (id: string, name: string) => void,
): void {
  const key = (scope: string, name: string) => `${scope.toLowerCase()}\u0000${name.toLowerCase()}`;
  const taken = new Set(rows.map((r) => key(r.scope, r.name)));
  const kept = new Set<string>();
  for (const r of rows) {
    const blank = r.name.trim() === '';
    const own = key(r.scope, r.name);
    if (!blank && !kept.has(own)) {
      kept.add(own);
      continue;
    }
    const base = blank ? 'unnamed' : r.name;
    let name = base;
    for (let n = blank ? 1 : 2; ; n++) {
      const suffix = n === 1 ? '' : `-${n}`;
      name = base.slice(0, NAME_MAX - suffix.length) + suffix;
      const k = key(r.scope, name);
      if (!taken.has(k)) {
        taken.add(k);
        break;
      }
    }
    rename(r.id, name);
  }
}

/**
 * renameDuplicates over one table: `scope` is the SQL expression of a row's tenant scope, `doc`
 * the JSON column that repeats the name (the UPDATE is prepared once).
 */
function renameDuplicatesIn(
  db: Database,
  table: 'connectors' | 'log_filters',
  scope: string,
  doc: 'config' | 'definition',
): void {
  const update = db.prepare(
    `UPDATE ${table} SET name = @name, ${doc} = json_set(${doc}, '$.name', @name) WHERE id = @id`,
  );
  renameDuplicates(
    db.prepare(`SELECT id, ${scope} AS scope, name FROM ${table} ORDER BY created_at, id`).all() as {
      id: string;
      scope: string;
      name: string;
    }[],
    (id, name) => update.run({ name, id }),
  );
}

function namesPerTenant(db: Database): void {
  // Connectors: the tenant is a column (its name).
  dropNameUnique(db, 'connectors');
  renameDuplicatesIn(db, 'connectors', 'tenant', 'config');
  db.exec(
    'CREATE UNIQUE INDEX connectors_tenant_name ON connectors (tenant COLLATE NOCASE, name COLLATE NOCASE)',
  );

  // Log filters: the tenant (absent = all tenants) moves out of the JSON into a column.
  dropNameUnique(db, 'log_filters');
  db.exec(`ALTER TABLE log_filters ADD COLUMN tenant TEXT`);
  db.exec(`UPDATE log_filters SET tenant = json_extract(definition, '$.tenant')`);
  renameDuplicatesIn(db, 'log_filters', "ifnull(tenant, '')", 'definition');
  // '' stands for "all tenants" (a tenant name is never empty).
  db.exec(
    `CREATE UNIQUE INDEX log_filters_tenant_name ON log_filters (ifnull(tenant, '') COLLATE NOCASE, name COLLATE NOCASE)`,
  );
}

/**
 * Migration 10. Before it, `_id` was the finding version's tenant-free key, so a second tenant
 * reading the same findings stored nothing ("duplicates"). Now `_id` = tenantRecordId(tenantid,
 * key) (src/core/record.ts): every record's new `_id` follows from its old one and its tenant.
 *
 * - syslog: `id` and the `_id` inside `doc` (the JSON text starts with it: the prefix is
 *   replaced in place, json_set otherwise). The FTS rows hold `_id`'s words as free text (a
 *   column field gets no field or existence tokens, but its words are indexed, terms.ts): for
 *   each row, the old words are deleted (FTS5 'delete' with exactly those tokens) and the new
 *   ones inserted under the same rowid, in rowid order (a delete then an insert of the same
 *   rowid is what an FTS5 UPDATE does: no extra segment). Every other token stays.
 * - findings: re-keyed by (tenantid, finding_arn), record_id rewritten likewise.
 * - checkpoints: a connector whose runs counted duplicates while the index holds records of
 *   another tenant may have been starved by the old identity (its tenant never got the
 *   records): its checkpoint is removed, so its next run collects its whole scope again
 *   (versions its tenant already has are deduplicated). A same-tenant duplicate is
 *   indistinguishable in the counts; re-reading costs only API calls.
 */
function tenantIdentity(db: Database): void {
  db.function('ic_tenant_record_id', { deterministic: true }, (tenant: unknown, id: unknown) =>
    tenantRecordId(String(tenant), String(id)),
  );
  const HEX_ID = /^[0-9a-f]{32}$/;
  const doc = db.prepare('SELECT doc FROM syslog WHERE rowid = ?').pluck();
  /**
   * The FTS words to delete from a row and to add to it. An id made by the mapper is one hex
   * word found nowhere else in the record. Any other id (records written by hand) may share
   * words with other values of its record: FTS5 keeps one entry per row and word, so those are
   * neither deleted nor added twice.
   */
  const idWords = (rowid: number, oldId: string, newId: string): [string, string] => {
    if (HEX_ID.test(oldId)) return [oldId, newId];
    const record = JSON.parse(doc.get(rowid) as string) as Record<string, unknown>;
    delete record._id;
    const others = new Set(recordTerms(record).split(' '));
    const only = (id: string) => [...new Set(words(id))].filter((w) => !others.has(w)).join(' ');
    return [only(oldId), only(newId)];
  };

  // FTS first (it needs the old ids), shard by shard, in rowid order.
  const shards = db
    .prepare('SELECT name, first_rowid AS firstRowid FROM fts_shards ORDER BY first_rowid')
    .all() as { name: string; firstRowid: number }[];
  const rows = db.prepare(
    'SELECT rowid, id, tenantid FROM syslog WHERE rowid > ? AND rowid < ? ORDER BY rowid LIMIT 5000',
  );
  for (let i = 0; i < shards.length; i++) {
    const { name } = shards[i]!;
    const end = shards[i + 1]?.firstRowid ?? Number.MAX_SAFE_INTEGER;
    const del = db.prepare(`INSERT INTO ${name} (${name}, rowid, terms) VALUES ('delete', ?, ?)`);
    const ins = db.prepare(`INSERT INTO ${name} (rowid, terms) VALUES (?, ?)`);
    for (let last = shards[i]!.firstRowid - 1; ;) {
      const page = rows.all(last, end) as { rowid: number; id: string; tenantid: string }[];
      if (page.length === 0) break;
      for (const r of page) {
        const [before, after] = idWords(r.rowid, r.id, tenantRecordId(r.tenantid, r.id));
        if (before) del.run(r.rowid, before);
        if (after) ins.run(r.rowid, after);
      }
      last = page[page.length - 1]!.rowid;
    }
  }

  db.exec(`
    UPDATE syslog SET
      id = ic_tenant_record_id(tenantid, id),
      doc = CASE WHEN substr(doc, 1, length(id) + 9) = '{"_id":"' || id || '"'
        THEN '{"_id":"' || ic_tenant_record_id(tenantid, id) || substr(doc, length(id) + 9)
        ELSE json_set(doc, '$._id', ic_tenant_record_id(tenantid, id)) END;

    CREATE TABLE findings_by_tenant (
      finding_arn TEXT NOT NULL,
      connector_id TEXT NOT NULL,
      tenantid TEXT NOT NULL,
      status TEXT,
      severity TEXT,
      updated_at INTEGER NOT NULL,
      record_id TEXT NOT NULL,
      first_seen_at INTEGER NOT NULL,
      last_seen_at INTEGER NOT NULL,
      PRIMARY KEY (tenantid, finding_arn)
    );
    INSERT INTO findings_by_tenant
      SELECT finding_arn, connector_id, tenantid, status, severity, updated_at,
             ic_tenant_record_id(tenantid, record_id), first_seen_at, last_seen_at
        FROM findings;
    DROP TABLE findings;
    ALTER TABLE findings_by_tenant RENAME TO findings;
    CREATE INDEX findings_connector ON findings(connector_id, status);

    DELETE FROM checkpoints WHERE connector_id IN (
      SELECT c.id FROM connectors c JOIN tenants t ON t.name = c.tenant
       WHERE (SELECT coalesce(sum(duplicates), 0) FROM runs r WHERE r.connector_id = c.id) > 0
         AND (EXISTS (SELECT 1 FROM syslog WHERE tenantid < t.id)
              OR EXISTS (SELECT 1 FROM syslog WHERE tenantid > t.id))
    );
  `);
}

/**
 * Rebuilds syslog_fts from the records (in chunks: better-sqlite3 cannot write while
 * iterating), recording the text paths met, as the store's commit does.
 */
function reindex(db: Database): void {
  db.exec(TEXT_PATHS_TABLE);
  const page = db.prepare('SELECT rowid, doc FROM syslog WHERE rowid > ? ORDER BY rowid LIMIT 1000');
  const ins = db.prepare('INSERT INTO syslog_fts (rowid, terms) VALUES (?, ?)');
  const text = new Set<string>();
  const onText = (p: string) => text.add(p);
  for (let last = 0; ;) {
    const rows = page.all(last) as { rowid: number; doc: string }[];
    if (rows.length === 0) break;
    for (const r of rows) ins.run(r.rowid, recordTerms(JSON.parse(r.doc), onText));
    last = rows[rows.length - 1]!.rowid;
  }
  const addText = db.prepare('INSERT OR IGNORE INTO text_paths (path) VALUES (?)');
  for (const p of text) addText.run(p);
}

/** Apply every migration newer than the database's version. */
export function migrate(db: Database, list: readonly Migration[] = migrations, now = Date.now()): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
      (r) => r.version,
    ),
  );
  const sorted = [...list].sort((a, b) => a.version - b.version);
  const done: number[] = [];
  for (const m of sorted) {
    if (applied.has(m.version)) continue;
    // The pragma is a no-op inside a transaction: switched around it.
    const fkWasOn = m.foreignKeysOff ? db.pragma('foreign_keys', { simple: true }) === 1 : false;
    if (fkWasOn) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        if (typeof m.up === 'string') db.exec(m.up);
        else m.up(db);
        if (m.foreignKeysOff) {
          const broken = db.pragma('foreign_key_check') as unknown[];
          if (broken.length) {
            throw new Error(`migration ${m.version} left ${broken.length} foreign key violation(s)`);
          }
        }
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
          m.version,
          m.name,
          now,
        );
      })();
    } finally {
      if (fkWasOn) db.pragma('foreign_keys = ON');
    }
    done.push(m.version);
  }
  return done;
}
