/**
 * The SQLite `ConnectorsRepo` (the contract is ../types.ts): the type, the non-secret
 * configuration as JSON, the secret fields (the type's, marked in its schema) sealed one by one
 * with AES-256-GCM, and the connector's status. The store knows no connector type: validation
 * and the secret fields come in as `ConnectorTypes` (src/connectors/registry.ts builds it from
 * the registry); the masking and PATCH rules are ../connector-config.ts's.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { CodedError, FieldsError, type FieldError } from '../../core/errors.js';
import type { Clock } from '../../core/clock.js';
import { isUniqueViolation } from './connection.js';
import { SecretUnreadableError, secretAad, type SecretBox } from '../secrets.js';
import { MASK, mergePatch } from '../connector-config.js';
import type {
  ConnectorStatus,
  ConnectorTypes,
  ConnectorsRepo,
  ConnectorState,
  PartState,
  PartStatus,
  StatusPatch,
  StoredConfig,
  StoredConnector,
} from '../types.js';

interface Row {
  id: string;
  type: string;
  name: string;
  tenant: string;
  active: number;
  config: string;
  secrets: string;
  state: ConnectorState;
  last_error_code: string | null;
  last_error_message: string | null;
  last_error_at: number | null;
  last_success_at: number | null;
  last_run_at: number | null;
  created_at: number;
  updated_at: number;
}

interface PartRow {
  connector_id: string;
  part: string;
  state: PartState;
  last_error: string | null;
  last_success_at: number | null;
  last_run_at: number | null;
}

function toPart(r: PartRow): PartStatus {
  const p: PartStatus = { part: r.part, state: r.state };
  if (r.last_error !== null) p.lastError = JSON.parse(r.last_error) as NonNullable<PartStatus['lastError']>;
  if (r.last_success_at !== null) p.lastSuccessAt = r.last_success_at;
  if (r.last_run_at !== null) p.lastRunAt = r.last_run_at;
  return p;
}

/** General-tab fields: fixed after create (the spec). */
const IMMUTABLE = ['name', 'tenant'] as const;

type Obj = Record<string, unknown>;

function getPath(o: Obj, path: string): unknown {
  let cur: unknown = o;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Obj)[k];
  }
  return cur;
}

function setPath(o: Obj, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur = o;
  for (const k of keys.slice(0, -1)) {
    if (cur[k] === null || typeof cur[k] !== 'object') return;
    cur = cur[k] as Obj;
  }
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}

const clone = <T>(v: T): T => structuredClone(v);

export function connectorsRepo(
  db: Database,
  box: SecretBox,
  clock: Clock,
  tenantExists: (name: string) => boolean,
  types: ConnectorTypes | undefined,
): ConnectorsRepo {
  /** Reading needs no type (the sealed fields are listed per row); writing validates with one. */
  const typesFor = (): ConnectorTypes => {
    if (!types) {
      throw new CodedError(
        'ERR_INTERNAL',
        'the store was opened without connector types (openStore({ connectorTypes })): it cannot validate a connector',
      );
    }
    return types;
  };
  const s = {
    insert: db.prepare(
      `INSERT INTO connectors (id, type, name, tenant, active, config, secrets, created_at, updated_at)
       VALUES (@id, @type, @name, @tenant, @active, @config, @secrets, @now, @now)`,
    ),
    get: db.prepare('SELECT * FROM connectors WHERE id = ?'),
    getByName: db.prepare(
      'SELECT * FROM connectors WHERE tenant = ? COLLATE NOCASE AND name = ? COLLATE NOCASE',
    ),
    list: db.prepare('SELECT * FROM connectors ORDER BY name'),
    update: db.prepare(
      'UPDATE connectors SET config = @config, secrets = @secrets, updated_at = @now WHERE id = @id',
    ),
    setActive: db.prepare('UPDATE connectors SET active = ?, updated_at = ? WHERE id = ?'),
    delete: db.prepare('DELETE FROM connectors WHERE id = ?'),
    setStatus: db.prepare(
      `UPDATE connectors SET
         state = coalesce(@state, state),
         last_error_code = CASE WHEN @setError THEN @code ELSE last_error_code END,
         last_error_message = CASE WHEN @setError THEN @message ELSE last_error_message END,
         last_error_at = CASE WHEN @setError THEN @at ELSE last_error_at END,
         last_success_at = coalesce(@lastSuccessAt, last_success_at),
         last_run_at = coalesce(@lastRunAt, last_run_at)
       WHERE id = @id`,
    ),
    parts: db.prepare('SELECT * FROM connector_parts WHERE connector_id = ? ORDER BY part'),
    allParts: db.prepare('SELECT * FROM connector_parts ORDER BY connector_id, part'),
    setPart: db.prepare(
      `INSERT INTO connector_parts (connector_id, part, state, last_error, last_success_at, last_run_at)
       VALUES (@id, @part, coalesce(@state, 'never_run'), CASE WHEN @setError THEN @error END, @lastSuccessAt, @lastRunAt)
       ON CONFLICT (connector_id, part) DO UPDATE SET
         state = coalesce(@state, state),
         last_error = CASE WHEN @setError THEN @error ELSE last_error END,
         last_success_at = coalesce(@lastSuccessAt, last_success_at),
         last_run_at = coalesce(@lastRunAt, last_run_at)`,
    ),
    partsOf: db.prepare('SELECT part FROM connector_parts WHERE connector_id = ?').pluck(),
    deletePart: db.prepare('DELETE FROM connector_parts WHERE connector_id = ? AND part = ?'),
  };
  const partsOf = (id: string): PartStatus[] => (s.parts.all(id) as PartRow[]).map(toPart);
  /** The part rows of a status patch (same transaction as the connector's own status). */
  const patchParts = (id: string, p: NonNullable<StatusPatch['parts']>) => {
    for (const x of p.set ?? []) {
      s.setPart.run({
        id,
        part: x.part,
        state: x.state ?? null,
        setError: x.lastError !== undefined ? 1 : 0,
        error: x.lastError ? JSON.stringify(x.lastError) : null,
        lastSuccessAt: x.lastSuccessAt ?? null,
        lastRunAt: x.lastRunAt ?? null,
      });
    }
    if (p.keep) {
      const keep = new Set(p.keep);
      for (const part of s.partsOf.all(id) as string[]) if (!keep.has(part)) s.deletePart.run(id, part);
    }
  };

  function seal(id: string, type: string, cfg: StoredConfig): { config: string; secrets: string } {
    const plain = clone(cfg) as Obj;
    const secrets: Record<string, string> = {};
    for (const f of typesFor().secretFields(type)) {
      const v = getPath(plain, f);
      if (typeof v === 'string') secrets[f] = box.encrypt(v, secretAad(id, f));
      setPath(plain, f, undefined);
    }
    return { config: JSON.stringify(plain), secrets: JSON.stringify(secrets) };
  }

  /**
   * With `decrypt`, a secret that does not decrypt throws SecretUnreadableError naming every
   * such field, unless `unreadable` collects their paths (and leaves the fields out).
   */
  function toConnector(
    r: Row,
    decrypt: boolean,
    unreadable?: string[],
    parts: PartStatus[] = partsOf(r.id),
  ): StoredConnector {
    const config = JSON.parse(r.config) as Obj;
    const secrets = JSON.parse(r.secrets) as Record<string, string>;
    const failed: string[] = [];
    for (const [f, sealed] of Object.entries(secrets)) {
      if (!decrypt) {
        setPath(config, f, MASK);
        continue;
      }
      try {
        setPath(config, f, box.decrypt(sealed, secretAad(r.id, f)));
      } catch (e) {
        if (!(e instanceof SecretUnreadableError)) throw e;
        failed.push(f);
      }
    }
    if (failed.length && !unreadable) throw new SecretUnreadableError(failed);
    unreadable?.push(...failed);
    const status: ConnectorStatus = { state: r.state };
    if (r.last_error_code !== null) {
      status.lastError = {
        code: r.last_error_code,
        message: r.last_error_message ?? '',
        at: r.last_error_at ?? 0,
      };
    }
    if (r.last_success_at !== null) status.lastSuccessAt = r.last_success_at;
    if (r.last_run_at !== null) status.lastRunAt = r.last_run_at;
    if (parts.length > 0) status.parts = parts;
    return {
      id: r.id,
      type: r.type,
      name: r.name,
      tenant: r.tenant,
      active: r.active === 1,
      config: config as StoredConfig,
      status,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  function validate(type: string, input: unknown): StoredConfig {
    const cfg = typesFor().validate(type, input);
    if (!tenantExists(cfg.tenant)) {
      throw new FieldsError('ERR_CONFIG_INVALID', [
        { field: 'tenant', message: `tenant "${cfg.tenant}" does not exist; create it first` },
      ]);
    }
    return cfg;
  }

  function row(id: string): Row {
    const r = s.get.get(id) as Row | undefined;
    if (!r) throw new CodedError('ERR_NOT_FOUND_RESOURCE', `connector ${id} not found`);
    return r;
  }

  const repo: ConnectorsRepo = {
    create(input, opts = {}) {
      const type = opts.type ?? typesFor().defaultType;
      const cfg = validate(type, input);
      // Per tenant, case-insensitive (migration 11's unique index): another tenant's names never show.
      const taken = () =>
        new FieldsError('ERR_CONFIG_INVALID', [
          {
            field: 'name',
            message: `a connector named "${cfg.name}" already exists in tenant ${cfg.tenant} (names are compared ignoring case)`,
          },
        ]);
      if (s.getByName.get(cfg.tenant, cfg.name)) throw taken();
      const id = opts.id ?? randomUUID();
      try {
        s.insert.run({
          id,
          type,
          name: cfg.name,
          tenant: cfg.tenant,
          active: opts.active === false ? 0 : 1,
          now: clock.now(),
          ...seal(id, type, cfg),
        });
      } catch (e) {
        if (isUniqueViolation(e)) throw taken();
        throw e;
      }
      return toConnector(row(id), false);
    },
    get: (id) => {
      const r = s.get.get(id) as Row | undefined;
      return r && toConnector(r, false);
    },
    getByName: (name, tenant = 'Root Tenant') => {
      const r = s.getByName.get(tenant, name) as Row | undefined;
      return r && toConnector(r, false);
    },
    getDecrypted: (id) => {
      const r = s.get.get(id) as Row | undefined;
      return r && toConnector(r, true);
    },
    list: () => {
      // Every connector's parts in one query.
      const parts = new Map<string, PartStatus[]>();
      for (const r of s.allParts.all() as PartRow[]) {
        const l = parts.get(r.connector_id);
        if (l) l.push(toPart(r));
        else parts.set(r.connector_id, [toPart(r)]);
      }
      return (s.list.all() as Row[]).map((r) => toConnector(r, false, undefined, parts.get(r.id) ?? []));
    },
    update(id, patch) {
      return db
        .transaction(() => {
          // Secrets that no longer decrypt (the key was reset) must come in the patch.
          const unreadable: string[] = [];
          const r = row(id);
          const t = typesFor();
          const current = toConnector(r, true, unreadable).config as Obj;
          const { active, ...cfgPatch } = patch;
          const issues: FieldError[] = [];
          for (const f of IMMUTABLE) {
            if (f in cfgPatch && cfgPatch[f] !== current[f]) {
              issues.push({ field: f, message: `${f} cannot be changed after the connector is created` });
            }
          }
          if (active !== undefined && typeof active !== 'boolean') {
            issues.push({ field: 'active', message: 'active must be true or false' });
          }
          if (issues.length) throw new FieldsError('ERR_CONFIG_INVALID', issues);
          const merged = mergePatch(current, cfgPatch, t.secretFields(r.type), t.switchFields(r.type));
          const missing = unreadable.filter((f) => typeof getPath(merged, f) !== 'string');
          if (missing.length) throw new SecretUnreadableError(missing);
          const cfg = validate(r.type, merged);
          s.update.run({ id, now: clock.now(), ...seal(id, r.type, cfg) });
          if (typeof active === 'boolean') s.setActive.run(active ? 1 : 0, clock.now(), id);
          return toConnector(row(id), false);
        })
        .immediate();
    },
    delete: (id) => s.delete.run(id).changes > 0,
    setActive(id, active) {
      row(id);
      s.setActive.run(active ? 1 : 0, clock.now(), id);
      return toConnector(row(id), false);
    },
    setStatus(id, p) {
      return db
        .transaction(() => {
          row(id);
          s.setStatus.run({
            id,
            state: p.state ?? null,
            setError: p.lastError !== undefined ? 1 : 0,
            code: p.lastError?.code ?? null,
            message: p.lastError?.message ?? null,
            at: p.lastError?.at ?? null,
            lastSuccessAt: p.lastSuccessAt ?? null,
            lastRunAt: p.lastRunAt ?? null,
          });
          if (p.parts) patchParts(id, p.parts);
          return toConnector(row(id), false);
        })
        .immediate();
    },
  };
  return repo;
}
