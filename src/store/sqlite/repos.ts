/** The small repositories: tenants, profiles, log filters, runs, checkpoints, findings. */
import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { CodedError, FieldsError } from '../../core/errors.js';
import type { Clock } from '../../core/clock.js';
import { logFilter, type LogFilter } from '../../core/log-filter.js';
import { configIssues } from '../../core/schema.js';
import { unlessTaken } from './connection.js';
import {
  ROOT_TENANT,
  type CheckpointsRepo,
  type ConnectorsRepo,
  type FindingState,
  type FindingsRepo,
  type LogFiltersRepo,
  type ProfilesRepo,
  type Run,
  type RunPart,
  type RunsRepo,
  type RunTotals,
  type StoredLogFilter,
  type Tenant,
  type TenantsRepo,
} from '../types.js';

// ---------------------------------------------------------------- tenants

export function tenantsRepo(db: Database, clock: Clock): TenantsRepo {
  const s = {
    list: db.prepare('SELECT id, name FROM tenants ORDER BY id = ? DESC, name'),
    get: db.prepare('SELECT id, name FROM tenants WHERE id = ?'),
    getByName: db.prepare('SELECT id, name FROM tenants WHERE name = ?'),
    insert: db.prepare('INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)'),
    rename: db.prepare('UPDATE tenants SET name = ? WHERE id = ?'),
    // Connectors and log filters name their tenant (column and JSON alike): they follow a rename.
    renameConnectors: db.prepare(
      `UPDATE connectors SET tenant = @to, config = json_replace(config, '$.tenant', @to) WHERE tenant = @from`,
    ),
    renameFilters: db.prepare(
      `UPDATE log_filters SET tenant = @to, definition = json_replace(definition, '$.tenant', @to) WHERE tenant = @from`,
    ),
    connectors: db.prepare('SELECT name FROM connectors WHERE tenant = ? ORDER BY name').pluck(),
    users: db.prepare('SELECT username FROM users WHERE tenant_id = ? ORDER BY username').pluck(),
    deleteFilters: db.prepare('DELETE FROM log_filters WHERE tenant = ?'),
    delete: db.prepare('DELETE FROM tenants WHERE id = ?'),
  };
  const mustGet = (id: string) => {
    const t = s.get.get(id) as Tenant | undefined;
    if (!t) throw new CodedError('ERR_NOT_FOUND_RESOURCE', `tenant ${id} not found`);
    if (t.id === ROOT_TENANT.id)
      throw new CodedError('ERR_FORBIDDEN', 'the Root Tenant cannot be renamed or deleted');
    return t;
  };
  const validName = (name: unknown) => {
    const n = typeof name === 'string' ? name.trim() : '';
    if (!n || n.length > 64 || !/^[\x20-\x7E]+$/.test(n)) {
      throw new FieldsError('ERR_CONFIG_INVALID', [
        { field: 'name', message: 'name must be 1-64 printable ASCII characters' },
      ]);
    }
    return n;
  };
  const rename = db.transaction((id: string, name: string) => {
    const t = mustGet(id);
    const n = validName(name);
    const other = s.getByName.get(n) as Tenant | undefined;
    if (other && other.id !== id) {
      throw new FieldsError('ERR_CONFIG_INVALID', [
        { field: 'name', message: `a tenant named "${n}" already exists` },
      ]);
    }
    s.rename.run(n, id);
    s.renameConnectors.run({ from: t.name, to: n });
    s.renameFilters.run({ from: t.name, to: n });
    return { id, name: n };
  });
  const remove = db.transaction((id: string) => {
    const t = mustGet(id);
    const connectors = s.connectors.all(t.name) as string[];
    const users = s.users.all(id) as string[];
    const list = (l: string[]) =>
      l.slice(0, 10).join(', ') + (l.length > 10 ? `, … (${l.length} in all)` : '');
    const held = [
      connectors.length ? `connectors ${list(connectors)}` : '',
      users.length ? `users ${list(users)}` : '',
    ].filter(Boolean);
    if (held.length) {
      throw new CodedError(
        'ERR_CONFLICT',
        `tenant ${t.name} still has ${held.join(' and ')}: delete or move them first`,
      );
    }
    s.deleteFilters.run(t.name);
    s.delete.run(id);
  });
  return {
    list: () => s.list.all(ROOT_TENANT.id) as Tenant[],
    get: (id) => s.get.get(id) as Tenant | undefined,
    getByName: (name) => s.getByName.get(name) as Tenant | undefined,
    create(name) {
      const n = validName(name);
      if (s.getByName.get(n)) {
        throw new FieldsError('ERR_CONFIG_INVALID', [
          { field: 'name', message: `a tenant named "${n}" already exists` },
        ]);
      }
      const t = { id: randomUUID(), name: n };
      s.insert.run(t.id, t.name, clock.now());
      return t;
    },
    rename: (id, name) => rename.immediate(id, name),
    delete: (id) => remove.immediate(id),
  };
}

// ---------------------------------------------------------------- profiles

export function profilesRepo(db: Database, clock: Clock): ProfilesRepo {
  const s = {
    list: db.prepare('SELECT id, name FROM profiles ORDER BY id = ? DESC, name'),
    get: db.prepare('SELECT id, name FROM profiles WHERE id = ?'),
    members: db.prepare(
      'SELECT connector_id FROM profile_connectors WHERE profile_id = ? ORDER BY added_at, connector_id',
    ),
    add: db.prepare(
      'INSERT OR IGNORE INTO profile_connectors (profile_id, connector_id, added_at) VALUES (?, ?, ?)',
    ),
    remove: db.prepare('DELETE FROM profile_connectors WHERE profile_id = ? AND connector_id = ?'),
    of: db.prepare('SELECT profile_id FROM profile_connectors WHERE connector_id = ? ORDER BY profile_id'),
    connector: db.prepare('SELECT active FROM connectors WHERE id = ?'),
    eligible: db.prepare(
      `SELECT 1 FROM connectors c WHERE c.id = ? AND c.active = 1
         AND EXISTS (SELECT 1 FROM profile_connectors p WHERE p.connector_id = c.id)`,
    ),
  };
  const members = (id: string) =>
    (s.members.all(id) as { connector_id: string }[]).map((r) => r.connector_id);
  const mustExist = (profileId: string, connectorId: string) => {
    if (!s.get.get(profileId))
      throw new CodedError('ERR_NOT_FOUND_RESOURCE', `profile ${profileId} not found`);
    if (!s.connector.get(connectorId))
      throw new CodedError('ERR_NOT_FOUND_RESOURCE', `connector ${connectorId} not found`);
  };
  return {
    list: () =>
      (s.list.all('default') as { id: string; name: string }[]).map((p) => ({
        ...p,
        connectorIds: members(p.id),
      })),
    get(id) {
      const p = s.get.get(id) as { id: string; name: string } | undefined;
      return p && { ...p, connectorIds: members(p.id) };
    },
    addConnector(profileId, connectorId) {
      mustExist(profileId, connectorId);
      return s.add.run(profileId, connectorId, clock.now()).changes > 0;
    },
    removeConnector(profileId, connectorId) {
      mustExist(profileId, connectorId);
      return s.remove.run(profileId, connectorId).changes > 0;
    },
    profilesOf: (connectorId) => (s.of.all(connectorId) as { profile_id: string }[]).map((r) => r.profile_id),
    isEligible: (connectorId) => s.eligible.get(connectorId) !== undefined,
  };
}

// ---------------------------------------------------------------- log filters

export function logFiltersRepo(db: Database, clock: Clock, connectors: ConnectorsRepo): LogFiltersRepo {
  const s = {
    list: db.prepare('SELECT id, definition FROM log_filters ORDER BY name'),
    get: db.prepare('SELECT id, definition FROM log_filters WHERE id = ?'),
    insert: db.prepare(
      'INSERT INTO log_filters (id, name, tenant, definition, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    update: db.prepare(
      'UPDATE log_filters SET name = ?, tenant = ?, definition = ?, updated_at = ? WHERE id = ?',
    ),
    delete: db.prepare('DELETE FROM log_filters WHERE id = ?'),
    detach: db.prepare('DELETE FROM connector_log_filters WHERE connector_id = ?'),
    attach: db.prepare(
      'INSERT OR IGNORE INTO connector_log_filters (connector_id, filter_id, position) VALUES (?, ?, ?)',
    ),
    attached: db.prepare(
      `SELECT f.id, f.definition FROM connector_log_filters a JOIN log_filters f ON f.id = a.filter_id
        WHERE a.connector_id = ? ORDER BY a.position`,
    ),
  };
  const toFilter = (r: { id: string; definition: string }): StoredLogFilter => ({
    id: r.id,
    ...(JSON.parse(r.definition) as LogFilter),
  });
  const validate = (input: unknown): LogFilter => {
    const p = logFilter.safeParse(input);
    if (!p.success) throw new FieldsError('ERR_CONFIG_INVALID', configIssues(p.error));
    return p.data;
  };
  const taken = (def: LogFilter) =>
    new FieldsError('ERR_CONFIG_INVALID', [
      {
        field: 'name',
        message: `a log filter named "${def.name}" already exists for ${def.tenant === undefined ? 'all tenants' : `tenant ${def.tenant}`} (names are compared ignoring case)`,
      },
    ]);
  /**
   * Names are unique per tenant ('' = all tenants), case-insensitively: migration 11's unique
   * index decides (also between two writers); its violation is a 400 naming the field.
   */
  const write = (def: LogFilter, fn: () => void) => unlessTaken(fn, () => taken(def));
  return {
    list: () => (s.list.all() as { id: string; definition: string }[]).map(toFilter),
    get(id) {
      const r = s.get.get(id) as { id: string; definition: string } | undefined;
      return r && toFilter(r);
    },
    create(input) {
      const def = validate(input);
      const id = randomUUID();
      write(def, () =>
        s.insert.run(id, def.name, def.tenant ?? null, JSON.stringify(def), clock.now(), clock.now()),
      );
      return { id, ...def };
    },
    update(id, patch) {
      const cur = this.get(id);
      if (!cur) throw new CodedError('ERR_NOT_FOUND_RESOURCE', `log filter ${id} not found`);
      const { id: _ignored, ...rest } = cur;
      const def = validate({ ...rest, ...patch });
      write(def, () => s.update.run(def.name, def.tenant ?? null, JSON.stringify(def), clock.now(), id));
      return { id, ...def };
    },
    delete: (id) => s.delete.run(id).changes > 0,
    setForConnector(connectorId, filterIds) {
      if (!connectors.get(connectorId))
        throw new CodedError('ERR_NOT_FOUND_RESOURCE', `connector ${connectorId} not found`);
      const unknown = filterIds.filter((f) => !s.get.get(f));
      if (unknown.length) {
        throw new FieldsError('ERR_CONFIG_INVALID', [
          { field: 'logFilterIds', message: `unknown log filter id(s): ${unknown.join(', ')}` },
        ]);
      }
      db.transaction(() => {
        s.detach.run(connectorId);
        filterIds.forEach((f, i) => s.attach.run(connectorId, f, i));
      }).immediate();
    },
    idsForConnector: (connectorId) => (s.attached.all(connectorId) as { id: string }[]).map((r) => r.id),
    forConnector(connectorId) {
      const attached = (s.attached.all(connectorId) as { id: string; definition: string }[]).map(
        (r) => JSON.parse(r.definition) as LogFilter,
      );
      // A type's config may carry inline filters (`logFilters`, validated by its schema).
      const inline = (connectors.get(connectorId)?.config.logFilters as LogFilter[] | undefined) ?? [];
      return [...attached, ...inline];
    },
  };
}

// ---------------------------------------------------------------- runs

interface RunRow {
  id: number;
  connector_id: string;
  started_at: number;
  finished_at: number | null;
  status: Run['status'];
  received: number;
  stored: number;
  duplicates: number;
  unchanged: number;
  discarded: number;
  discarded_by_filter: string;
  pages: number;
  vanished: number;
  error_code: string | null;
  error_message: string | null;
  parts: string | null;
}

export function runsRepo(db: Database, clock: Clock): RunsRepo {
  const s = {
    start: db.prepare('INSERT INTO runs (connector_id, started_at) VALUES (?, ?)'),
    get: db.prepare('SELECT * FROM runs WHERE id = ?'),
    list: db.prepare('SELECT * FROM runs WHERE connector_id = ? ORDER BY id DESC LIMIT ?'),
    finish: db.prepare(
      `UPDATE runs SET finished_at = @at, status = @status, received = @received, stored = @stored,
         duplicates = @duplicates, unchanged = @unchanged, discarded = @discarded, discarded_by_filter = @byFilter, pages = @pages, vanished = @vanished,
         error_code = @code, error_message = @message, parts = @parts WHERE id = @id`,
    ),
    totals: db.prepare(
      `SELECT count(*) AS runs, coalesce(sum(received), 0) AS received, coalesce(sum(stored), 0) AS stored,
         coalesce(sum(duplicates), 0) AS duplicates, coalesce(sum(unchanged), 0) AS unchanged,
         coalesce(sum(discarded), 0) AS discarded,
         coalesce(sum(pages), 0) AS pages, coalesce(sum(vanished), 0) AS vanished FROM runs WHERE connector_id = ?`,
    ),
  };
  const toRun = (r: RunRow): Run => {
    const run: Run = {
      id: r.id,
      connectorId: r.connector_id,
      startedAt: r.started_at,
      status: r.status,
      received: r.received,
      stored: r.stored,
      duplicates: r.duplicates,
      unchanged: r.unchanged,
      discarded: r.discarded,
      discardedByFilter: JSON.parse(r.discarded_by_filter) as Record<string, number>,
      pages: r.pages,
      vanished: r.vanished,
    };
    if (r.finished_at !== null) run.finishedAt = r.finished_at;
    if (r.error_code !== null) run.error = { code: r.error_code, message: r.error_message ?? '' };
    if (r.parts !== null) run.parts = JSON.parse(r.parts) as RunPart[];
    return run;
  };
  const getRow = (id: number) => {
    const r = s.get.get(id) as RunRow | undefined;
    if (!r) throw new CodedError('ERR_NOT_FOUND_RESOURCE', `run ${id} not found`);
    return toRun(r);
  };
  const write = (run: Run, at: number | null) =>
    s.finish.run({
      id: run.id,
      at,
      status: run.status,
      received: run.received,
      stored: run.stored,
      duplicates: run.duplicates,
      unchanged: run.unchanged,
      discarded: run.discarded,
      byFilter: JSON.stringify(run.discardedByFilter),
      pages: run.pages,
      vanished: run.vanished,
      code: run.error?.code ?? null,
      message: run.error?.message ?? null,
      parts: run.parts ? JSON.stringify(run.parts) : null,
    });
  return {
    start: (connectorId) => Number(s.start.run(connectorId, clock.now()).lastInsertRowid),
    finish(runId, result) {
      const run = getRow(runId);
      const next: Run = { ...run, ...result.counts, status: result.status };
      if (result.error) next.error = result.error;
      if (result.parts) next.parts = [...result.parts];
      write(next, clock.now());
    },
    get: (id) => {
      const r = s.get.get(id) as RunRow | undefined;
      return r && toRun(r);
    },
    list: (connectorId, opts = {}) => (s.list.all(connectorId, opts.limit ?? 100) as RunRow[]).map(toRun),
    totals: (connectorId) => s.totals.get(connectorId) as RunTotals,
    addCounts(runId, c) {
      const run = getRow(runId);
      const byFilter = { ...run.discardedByFilter };
      for (const [k, v] of Object.entries(c.discardedByFilter ?? {})) byFilter[k] = (byFilter[k] ?? 0) + v;
      write(
        {
          ...run,
          received: run.received + (c.received ?? 0),
          stored: run.stored + (c.stored ?? 0),
          duplicates: run.duplicates + (c.duplicates ?? 0),
          unchanged: run.unchanged + (c.unchanged ?? 0),
          discarded: run.discarded + (c.discarded ?? 0),
          discardedByFilter: byFilter,
          pages: run.pages + (c.pages ?? 0),
          vanished: run.vanished + (c.vanished ?? 0),
        },
        run.finishedAt ?? null,
      );
    },
  };
}

// ---------------------------------------------------------------- checkpoints

export function checkpointsRepo(db: Database, clock: Clock): CheckpointsRepo {
  const s = {
    get: db.prepare('SELECT data FROM checkpoints WHERE connector_id = ? AND part = ?'),
    set: db.prepare(
      `INSERT INTO checkpoints (connector_id, part, data, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(connector_id, part) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
    ),
    clearAll: db.prepare('DELETE FROM checkpoints WHERE connector_id = ?'),
    clear: db.prepare('DELETE FROM checkpoints WHERE connector_id = ? AND part = ?'),
    parts: db.prepare('SELECT part FROM checkpoints WHERE connector_id = ? ORDER BY part').pluck(),
  };
  return {
    get(connectorId, part = '') {
      const r = s.get.get(connectorId, part) as { data: string } | undefined;
      return r === undefined ? undefined : (JSON.parse(r.data) as unknown);
    },
    set(connectorId, data, part = '') {
      s.set.run(connectorId, part, JSON.stringify(data ?? null), clock.now());
    },
    clear(connectorId, part) {
      if (part === undefined) s.clearAll.run(connectorId);
      else s.clear.run(connectorId, part);
    },
    parts: (connectorId) => s.parts.all(connectorId) as string[],
  };
}

// ---------------------------------------------------------------- findings (current state)

export function findingsRepo(db: Database): FindingsRepo {
  const cols = `state_key AS key, connector_id AS connectorId, tenantid AS tenantId, status, severity,
    updated_at AS updatedAt, record_id AS recordId, first_seen_at AS firstSeenAt, last_seen_at AS lastSeenAt,
    fingerprint`;
  const s = {
    get: db.prepare(`SELECT ${cols} FROM findings WHERE tenantid = ? AND state_key = ?`),
    count: db.prepare(
      `SELECT coalesce(status, '') AS status, count(*) AS n FROM findings
        WHERE (@c IS NULL OR connector_id = @c) GROUP BY status`,
    ),
    page: db.prepare(
      `SELECT ${cols} FROM findings
        WHERE tenantid = @t AND (@c IS NULL OR connector_id = @c) AND state_key > @after
        ORDER BY state_key LIMIT @limit`,
    ),
    unseen: db.prepare(
      `SELECT ${cols} FROM findings
        WHERE connector_id = @c AND status = @status AND state_key > @after AND tenantid = @t
          AND swept_at < @before AND updated_at < @before
        ORDER BY state_key LIMIT @limit`,
    ),
    oldest: db
      .prepare(
        `SELECT min(updated_at) FROM findings
          WHERE tenantid = @t AND (@c IS NULL OR connector_id = @c) AND status = @status`,
      )
      .pluck(),
    // The key range [prefix, prefix + U+10FFFF): a range of the primary key (tenantid, state_key).
    newest: db
      .prepare(
        `SELECT max(updated_at) FROM findings
          WHERE tenantid = @t AND state_key >= @p AND state_key < @p || char(1114111)`,
      )
      .pluck(),
  };
  return {
    get: (tenantId, key) => s.get.get(tenantId, key) as FindingState | undefined,
    countByStatus(connectorId) {
      const out: Record<string, number> = {};
      for (const r of s.count.all({ c: connectorId ?? null }) as { status: string; n: number }[])
        out[r.status] = r.n;
      return out;
    },
    page: (q) =>
      s.page.all({
        t: q.tenantId,
        c: q.connectorId ?? null,
        after: q.after ?? '',
        limit: q.limit ?? 1000,
      }) as FindingState[],
    unseen(q) {
      const limit = q.limit ?? 100;
      // One keyset walk per status (index findings_sweep), merged in key order.
      const rows = [...new Set(q.statuses)].flatMap(
        (status) =>
          s.unseen.all({
            c: q.connectorId,
            t: q.tenantId,
            status,
            after: q.after ?? '',
            before: q.before,
            limit,
          }) as FindingState[],
      );
      return rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).slice(0, limit);
    },
    oldestUpdatedAt: (q) =>
      (s.oldest.get({ t: q.tenantId, c: q.connectorId ?? null, status: q.status }) as number | null) ??
      undefined,
    newestUpdatedAt: (q) => (s.newest.get({ t: q.tenantId, p: q.keyPrefix }) as number | null) ?? undefined,
  };
}
