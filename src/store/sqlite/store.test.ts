import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { CodedError, FieldsError } from '../../core/errors.js';
import { tenantRecordId, type InterflowRecord } from '../../core/record.js';
import { MASK } from '../index.js';
import { openSqliteStore, type SqliteStore } from './store.js';
import { migrate, migrations } from './migrations.js';
import { testRecord, withStates } from '../../../test/support/records.js';
import { productionStoreTypes } from '../../connectors/registry.js';

const dirs: string[] = [];
const stores: SqliteStore[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-store-'));
  dirs.push(d);
  return d;
}
function open(dataDir = tmp(), extra: Partial<Parameters<typeof openSqliteStore>[0]> = {}): SqliteStore {
  const s = openSqliteStore({
    connectorTypes: productionStoreTypes(),
    dataDir,
    clock: fixedClock(1_700_000_000_000),
    env: {},
    ...extra,
  });
  stores.push(s);
  return s;
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const ACCESS = 'AKIAIOSFODNN7EXAMPLE';
const config = (over: Record<string, unknown> = {}) => ({
  name: 'root-inspector',
  region: 'us-east-1',
  auth: { method: 'access_key', accessKeyId: ACCESS, secretAccessKey: SECRET },
  ...over,
});

function record(i: number, connectorId: string, over: Partial<InterflowRecord> = {}): InterflowRecord {
  return testRecord(
    { id: connectorId, name: 'root-inspector' },
    {
      _id: `rec-${i}`,
      timestamp: 1_000 + i,
      write_time: 5_000 + i,
      event_name: `finding ${i}`,
      aws_inspector: {
        findingArn: `arn:aws:inspector2:us-east-1:123456789012:finding/f${i}`,
        status: 'ACTIVE',
      },
      ...over,
    },
  );
}

describe('openStore', () => {
  it('creates the data dir and the database with WAL, NORMAL sync, foreign keys, all migrations', () => {
    const dir = path.join(tmp(), 'nested', 'data');
    const s = open(dir);
    expect(fs.existsSync(path.join(dir, 'inspector-connector.db'))).toBe(true);
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(s.db.pragma('synchronous', { simple: true })).toBe(1);
    expect(s.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(s.db.pragma('busy_timeout', { simple: true })).toBe(10000);
    const versions = s.db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    expect(versions).toEqual(migrations.map((m) => m.version).sort((a, b) => a - b));
  });

  it('is idempotent: reopening applies nothing twice and keeps the data', () => {
    const dir = tmp();
    const s1 = open(dir);
    const c = s1.connectors.create(config());
    s1.close();
    const s2 = open(dir, { key: undefined });
    expect(s2.connectors.get(c.id)?.name).toBe('root-inspector');
    expect(migrate(s2.db)).toEqual([]);
  });

  it('migrations are appended in order: a new one runs once, after the others', () => {
    const db = new Database(':memory:');
    const extra = [...migrations, { version: 999, name: 'test', up: 'CREATE TABLE t999 (x)' }];
    expect(migrate(db, extra)).toContain(999);
    expect(migrate(db, extra)).toEqual([]);
    db.close();
  });

  it('migration 7 re-indexes the records stored before it (search still finds them)', () => {
    const dir = tmp();
    const db = new Database(path.join(dir, 'inspector-connector.db'));
    migrate(
      db,
      migrations.filter((m) => m.version < 7),
    );
    db.prepare(
      `INSERT INTO syslog (id, timestamp, write_time, severity, tenantid, doc) VALUES ('old-1', 1, 1, 50, 'root', ?)`,
    ).run(
      JSON.stringify({
        _id: 'old-1',
        timestamp: 1,
        aws_inspector: { status: 'CLOSED', title: 'legacy openssl' },
      }),
    );
    db.close();
    const s = open(dir);
    expect(
      s.index.search({ q: 'aws_inspector.status:CLOSED AND openssl' }).records.map((r) => r._id),
    ).toEqual([tenantRecordId('root', 'old-1')]); // migration 10: the identity per tenant
  });

  it('has the Root Tenant and the Default profile', () => {
    const s = open();
    expect(s.tenants.get('root')).toEqual({ id: 'root', name: 'Root Tenant' });
    expect(s.tenants.getByName('Root Tenant')?.id).toBe('root');
    expect(s.profiles.get('default')).toEqual({ id: 'default', name: 'Default', connectorIds: [] });
  });
});

describe('secrets at rest', () => {
  it('never writes a secret in plaintext to the database files', () => {
    const dir = tmp();
    const s = open(dir);
    const c = s.connectors.create(config());
    s.connectors.update(c.id, { auth: { secretAccessKey: SECRET + 'ROTATED' } });
    s.db.pragma('wal_checkpoint(TRUNCATE)');
    s.close();
    for (const f of fs.readdirSync(dir)) {
      if (f === 'secret.key') continue;
      const bytes = fs.readFileSync(path.join(dir, f));
      expect(bytes.includes(Buffer.from(SECRET)), f).toBe(false);
      expect(bytes.includes(Buffer.from(ACCESS)), f).toBe(false);
    }
  });

  it('masks secrets in get/list, reveals them only through getDecrypted', () => {
    const s = open();
    const c = s.connectors.create(config());
    expect((c.config.auth as Record<string, unknown>).secretAccessKey).toBe(MASK);
    expect((c.config.auth as Record<string, unknown>).accessKeyId).toBe(MASK);
    expect((s.connectors.list()[0]!.config.auth as Record<string, unknown>).secretAccessKey).toBe(MASK);
    expect(JSON.stringify(s.connectors.get(c.id))).not.toContain(SECRET);
    expect(s.connectors.getDecrypted(c.id)!.config.auth).toMatchObject({
      accessKeyId: ACCESS,
      secretAccessKey: SECRET,
    });
  });

  it('creates DATA_DIR/secret.key with mode 0600 and reuses it', () => {
    const dir = tmp();
    const s = open(dir);
    const c = s.connectors.create(config());
    const st = fs.statSync(path.join(dir, 'secret.key'));
    expect(st.mode & 0o777).toBe(0o600);
    expect(Buffer.from(fs.readFileSync(path.join(dir, 'secret.key'), 'utf8').trim(), 'base64')).toHaveLength(
      32,
    );
    s.close();
    expect(
      (open(dir).connectors.getDecrypted(c.id)!.config.auth as Record<string, unknown>).secretAccessKey,
    ).toBe(SECRET);
  });

  it('refuses a key file readable by others, or of the wrong length, with a clear error', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'secret.key'), Buffer.alloc(32, 1).toString('base64'), { mode: 0o644 });
    fs.chmodSync(path.join(dir, 'secret.key'), 0o644);
    const s = open(dir);
    expect(() => s.connectors.create(config())).toThrow(/readable by group or others.*chmod 600/);
    fs.chmodSync(path.join(dir, 'secret.key'), 0o600);
    fs.writeFileSync(path.join(dir, 'secret.key'), Buffer.alloc(16, 1).toString('base64'));
    const s2 = open(dir);
    expect(() => s2.connectors.create(config({ name: 'other' }))).toThrow(
      /exactly 32 bytes \(got 16 bytes\)/,
    );
  });

  it('uses INSPECTOR_CONNECTOR_KEY when set (and no key file), and a wrong key fails clearly', () => {
    const dir = tmp();
    const key = Buffer.alloc(32, 9).toString('base64');
    const s = open(dir, { env: { INSPECTOR_CONNECTOR_KEY: key } });
    const c = s.connectors.create(config());
    expect(fs.existsSync(path.join(dir, 'secret.key'))).toBe(false);
    s.close();
    const wrong = open(dir, { env: { INSPECTOR_CONNECTOR_KEY: Buffer.alloc(32, 8).toString('base64') } });
    expect(() => wrong.connectors.getDecrypted(c.id)).toThrow(
      /INSPECTOR_CONNECTOR_KEY is not the key this store's connector secrets were encrypted with/,
    );
    wrong.close();
    const bad = open(dir, { env: { INSPECTOR_CONNECTOR_KEY: 'short' } });
    expect(() => bad.connectors.getDecrypted(c.id)).toThrow(
      /INSPECTOR_CONNECTOR_KEY must be the base64 encoding of exactly 32 bytes/,
    );
  });

  it('a sealed secret cannot be moved to another connector (bound by AAD)', () => {
    const s = open(tmp(), { key: Buffer.alloc(32, 3) });
    const a = s.connectors.create(config({ name: 'a' }));
    const b = s.connectors.create(config({ name: 'b' }));
    s.db
      .prepare('UPDATE connectors SET secrets = (SELECT secrets FROM connectors WHERE id = ?) WHERE id = ?')
      .run(a.id, b.id);
    expect(() => s.connectors.getDecrypted(b.id)).toThrow(CodedError);
  });
});

describe('connectors', () => {
  it('validates the config, naming every invalid field', () => {
    const s = open();
    let err: unknown;
    try {
      s.connectors.create({
        name: 'ünïcode',
        region: 'mars-1',
        auth: { method: 'access_key' },
        intervalMinutes: -1,
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FieldsError);
    const fields = (err as FieldsError).fields.map((f) => f.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'name',
        'region',
        'auth.accessKeyId',
        'auth.secretAccessKey',
        'intervalMinutes',
      ]),
    );
    expect((err as FieldsError).code).toBe('ERR_CONFIG_INVALID');
    expect(s.connectors.list()).toEqual([]);
  });

  it('rejects an unknown tenant and a duplicate name', () => {
    const s = open();
    expect(() => s.connectors.create(config({ tenant: 'Nope' }))).toThrow(
      /tenant: tenant "Nope" does not exist/,
    );
    s.connectors.create(config());
    expect(() => s.connectors.create(config())).toThrow(
      /name: a connector named "root-inspector" already exists in tenant Root Tenant/,
    );
  });

  it('update: keeps secrets that are absent, empty or masked; name and tenant are immutable', () => {
    const s = open();
    const c = s.connectors.create(config());
    s.connectors.update(c.id, { intervalMinutes: 10, auth: { method: 'access_key', secretAccessKey: '' } });
    s.connectors.update(c.id, { auth: { accessKeyId: MASK } });
    const d = s.connectors.getDecrypted(c.id)!;
    expect(d.config.intervalMinutes).toBe(10);
    expect(d.config.auth).toMatchObject({ accessKeyId: ACCESS, secretAccessKey: SECRET });
    expect(() => s.connectors.update(c.id, { name: 'renamed' })).toThrow(
      /name: name cannot be changed after the connector is created/,
    );
    s.tenants.create('Acme');
    expect(() => s.connectors.update(c.id, { tenant: 'Acme' })).toThrow(/tenant: tenant cannot be changed/);
    expect(() => s.connectors.update(c.id, { intervalMinutes: 0 })).toThrow(FieldsError);
    expect(() => s.connectors.update('missing', {})).toThrow(/connector missing not found/);
  });

  it('update: switching to iam_role keeps the source keys and takes the role ARN', () => {
    const s = open();
    const c = s.connectors.create(config());
    s.connectors.update(c.id, {
      auth: { method: 'iam_role', roleArn: 'arn:aws:iam::123456789012:role/Reader' },
    });
    expect(s.connectors.getDecrypted(c.id)!.config.auth).toEqual({
      method: 'iam_role',
      accessKeyId: ACCESS,
      secretAccessKey: SECRET,
      roleArn: 'arn:aws:iam::123456789012:role/Reader',
    });
    s.connectors.update(c.id, { auth: { method: 'access_key' } });
    expect(s.connectors.getDecrypted(c.id)!.config.auth).toEqual({
      method: 'access_key',
      accessKeyId: ACCESS,
      secretAccessKey: SECRET,
    });
  });

  it('status: never_run, then ok / failed with the last error, cleared on demand', () => {
    const s = open();
    const c = s.connectors.create(config(), { active: false });
    expect(c.active).toBe(false);
    expect(c.status).toEqual({ state: 'never_run' });
    s.connectors.setStatus(c.id, {
      state: 'failed',
      lastError: { code: 'ERR_PERMISSION', message: 'denied', at: 5 },
      lastRunAt: 5,
    });
    expect(s.connectors.get(c.id)!.status).toEqual({
      state: 'failed',
      lastError: { code: 'ERR_PERMISSION', message: 'denied', at: 5 },
      lastRunAt: 5,
    });
    s.connectors.setStatus(c.id, { state: 'ok', lastError: null, lastSuccessAt: 9, lastRunAt: 9 });
    expect(s.connectors.get(c.id)!.status).toEqual({ state: 'ok', lastSuccessAt: 9, lastRunAt: 9 });
    expect(s.connectors.setActive(c.id, true).active).toBe(true);
  });

  it('delete removes checkpoints, memberships and filter attachments, keeps the records', () => {
    const s = open();
    const c = s.connectors.create(config());
    const f = s.logFilters.create({
      name: 'drop-low',
      conditions: [{ field: 'severity', operator: 'lt', values: [30] }],
    });
    s.logFilters.setForConnector(c.id, [f.id]);
    s.profiles.addConnector('default', c.id);
    s.commitPage(withStates({ connectorId: c.id, records: [record(1, c.id)], checkpoint: { token: 'x' } }));
    expect(s.connectors.delete(c.id)).toBe(true);
    expect(s.checkpoints.get(c.id)).toBeUndefined();
    expect(s.profiles.profilesOf(c.id)).toEqual([]);
    expect(s.db.prepare('SELECT count(*) FROM connector_log_filters').pluck().get()).toBe(0);
    expect(s.logFilters.get(f.id)?.name).toBe('drop-low');
    expect(s.index.get('rec-1')?._id).toBe('rec-1');
    expect(s.connectors.delete(c.id)).toBe(false);
  });
});

describe('tenants, profiles, log filters', () => {
  it('tenants: create, unique names, validation', () => {
    const s = open();
    const t = s.tenants.create('Acme');
    expect(s.tenants.getByName('Acme')).toEqual(t);
    expect(s.tenants.list().map((x) => x.name)).toEqual(['Root Tenant', 'Acme']);
    expect(() => s.tenants.create('acme')).toThrow(/already exists/);
    expect(() => s.tenants.create('')).toThrow(/name must be 1-64 printable ASCII/);
  });

  it('profiles: membership and eligibility (active AND in a profile)', () => {
    const s = open();
    const c = s.connectors.create(config());
    expect(s.profiles.isEligible(c.id)).toBe(false);
    expect(s.profiles.addConnector('default', c.id)).toBe(true);
    expect(s.profiles.addConnector('default', c.id)).toBe(false);
    expect(s.profiles.isEligible(c.id)).toBe(true);
    expect(s.profiles.profilesOf(c.id)).toEqual(['default']);
    expect(s.profiles.list()[0]!.connectorIds).toEqual([c.id]);
    s.connectors.setActive(c.id, false);
    expect(s.profiles.isEligible(c.id)).toBe(false);
    s.connectors.setActive(c.id, true);
    expect(s.profiles.removeConnector('default', c.id)).toBe(true);
    expect(s.profiles.isEligible(c.id)).toBe(false);
    expect(() => s.profiles.addConnector('nope', c.id)).toThrow(/profile nope not found/);
  });

  it('log filters: CRUD, validation, attachment plus the inline filters of the config', () => {
    const s = open();
    const inline = {
      name: 'inline',
      conditions: [{ field: 'event_status', operator: 'equals', values: ['CLOSED'] }],
    };
    const c = s.connectors.create(config({ logFilters: [inline] }));
    const f = s.logFilters.create({
      name: 'low',
      conditions: [{ field: 'severity', operator: 'lt', values: [30] }],
    });
    expect(() =>
      s.logFilters.create({ name: 'low', conditions: [{ field: 'a', operator: 'exists' }] }),
    ).toThrow(/already exists/);
    expect(() =>
      s.logFilters.create({ name: 'bad', conditions: [{ field: 'a', operator: 'like' }] }),
    ).toThrow(/conditions\.0\.operator: operator must be one of/);
    expect(() => s.logFilters.setForConnector(c.id, ['nope'])).toThrow(
      /logFilterIds: unknown log filter id\(s\): nope/,
    );
    s.logFilters.setForConnector(c.id, [f.id]);
    expect(s.logFilters.idsForConnector(c.id)).toEqual([f.id]);
    expect(s.logFilters.forConnector(c.id).map((x) => x.name)).toEqual(['low', 'inline']);
    const u = s.logFilters.update(f.id, { logSource: 'aws_inspector' });
    expect(u).toMatchObject({ id: f.id, name: 'low', logSource: 'aws_inspector' });
    expect(s.logFilters.delete(f.id)).toBe(true);
    expect(s.logFilters.forConnector(c.id).map((x) => x.name)).toEqual(['inline']);
  });

  it('a missing connector, profile, log filter or run is ERR_NOT_FOUND_RESOURCE (not the AWS region error)', () => {
    const s = open();
    const c = s.connectors.create(config());
    const profile = 'default';
    for (const f of [
      () => s.connectors.update('missing', {}),
      () => s.profiles.addConnector('nope', c.id),
      () => s.profiles.addConnector(profile, 'nope'),
      () => s.logFilters.update('nope', {}),
      () => s.logFilters.setForConnector('nope', []),
      () => s.runs.finish(987654, { status: 'ok' }),
    ])
      expect(f, f.toString()).toThrow(expect.objectContaining({ code: 'ERR_NOT_FOUND_RESOURCE' }));
  });
});

describe('commitPage, runs, checkpoints, findings', () => {
  it('stores records once (dedupe on _id), saves the checkpoint and counts the run, in one transaction', () => {
    const s = open();
    const c = s.connectors.create(config());
    const run = s.runs.start(c.id);
    const r1 = s.commitPage(
      withStates({
        connectorId: c.id,
        records: [record(1, c.id), record(2, c.id), record(2, c.id)],
        checkpoint: { window: 1, token: 'a' },
        runId: run,
        counts: { received: 4, discarded: 1, discardedByFilter: { low: 1 } },
      }),
    );
    expect(r1).toEqual({ stored: 2, duplicates: 1, unchanged: 0, storedIds: ['rec-1', 'rec-2'] });
    const r2 = s.commitPage(
      withStates({
        connectorId: c.id,
        records: [record(2, c.id), record(3, c.id)],
        checkpoint: { window: 1 },
        runId: run,
      }),
    );
    expect(r2).toEqual({ stored: 1, duplicates: 1, unchanged: 0, storedIds: ['rec-3'] });
    expect(s.index.size()).toBe(3);
    // Prepared as UTF-8 bytes, stored as TEXT (not BLOB).
    expect(s.db.prepare('SELECT DISTINCT typeof(doc) FROM syslog').pluck().all()).toEqual(['text']);
    expect(s.checkpoints.get(c.id)).toEqual({ window: 1 });
    s.runs.finish(run, { status: 'ok' });
    expect(s.runs.get(run)).toMatchObject({
      status: 'ok',
      received: 4,
      stored: 3,
      duplicates: 2,
      discarded: 1,
      discardedByFilter: { low: 1 },
      pages: 2,
      finishedAt: 1_700_000_000_000,
    });
    expect(s.runs.totals(c.id)).toEqual({
      runs: 1,
      received: 4,
      stored: 3,
      duplicates: 2,
      unchanged: 0,
      discarded: 1,
      pages: 2,
      vanished: 0,
    });
    s.checkpoints.clear(c.id);
    expect(s.checkpoints.get(c.id)).toBeUndefined();
  });

  it('rolls back the whole page when anything fails: no records, no checkpoint', () => {
    const s = open();
    const c = s.connectors.create(config());
    s.commitPage(withStates({ connectorId: c.id, records: [], checkpoint: { step: 1 } }));
    const bad = { ...record(2, c.id), timestamp: null } as unknown as InterflowRecord;
    expect(() =>
      s.commitPage(
        withStates({ connectorId: c.id, records: [record(1, c.id), bad], checkpoint: { step: 2 } }),
      ),
    ).toThrow(CodedError);
    expect(s.index.size()).toBe(0);
    expect(s.checkpoints.get(c.id)).toEqual({ step: 1 });
    expect(() =>
      s.commitPage(withStates({ connectorId: 'gone', records: [record(1, 'gone')], checkpoint: 1 })),
    ).toThrow(/connector gone not found/);
  });

  it('keeps each finding at its newest version (never moves backwards)', () => {
    const s = open();
    const c = s.connectors.create(config());
    const arn = 'arn:aws:inspector2:us-east-1:123456789012:finding/f1';
    const v = (id: string, ts: number, status: string) =>
      record(0, c.id, {
        _id: id,
        timestamp: ts,
        aws_inspector: { findingArn: arn, status, severity: 'HIGH' },
      });
    s.commitPage(withStates({ connectorId: c.id, records: [v('v1', 100, 'ACTIVE')], checkpoint: 1 }));
    s.commitPage(withStates({ connectorId: c.id, records: [v('v3', 300, 'CLOSED')], checkpoint: 2 }));
    s.commitPage(withStates({ connectorId: c.id, records: [v('v2', 200, 'SUPPRESSED')], checkpoint: 3 }));
    expect(s.findings.get('root', arn)).toMatchObject({
      status: 'CLOSED',
      updatedAt: 300,
      recordId: 'v3',
      severity: 'HIGH',
    });
    expect(s.findings.countByStatus(c.id)).toEqual({ CLOSED: 1 });
    expect(s.findings.page({ tenantId: 'root' }).map((f) => f.key)).toEqual([arn]);
    expect(s.index.size()).toBe(3);
    const run = s.runs.start(c.id);
    s.runs.finish(run, { status: 'failed', error: { code: 'ERR_THROTTLED', message: 'slow down' } });
    expect(s.runs.list(c.id)[0]).toMatchObject({
      id: run,
      status: 'failed',
      error: { code: 'ERR_THROTTLED' },
    });
  });

  describe('on the writer thread (writerThread: true)', () => {
    it('commits the same transaction: records once, checkpoint, run counts, findings stamped by our clock', async () => {
      const s = open(undefined, { writerThread: true });
      const c = s.connectors.create(config());
      const run = s.runs.start(c.id);
      const arn = 'arn:aws:inspector2:us-east-1:123456789012:finding/w1';
      const withArn = record(3, c.id, {
        aws_inspector: { findingArn: arn, status: 'ACTIVE', severity: 'LOW' },
      });
      const pages = [
        s.preparePage(
          withStates({
            connectorId: c.id,
            // Above half of Node's buffer pool (8 KiB on Node 20/22, 64 KiB on 24): owns its memory.
            records: [record(1, c.id, { note: 'x'.repeat(Buffer.poolSize) }), record(2, c.id)],
            checkpoint: { step: 1 },
            runId: run,
            counts: { received: 2 },
          }),
        ),
        s.preparePage(
          withStates({
            connectorId: c.id,
            records: [record(2, c.id), withArn],
            checkpoint: { step: 2 },
            runId: run,
            counts: { received: 2 },
          }),
        ),
      ];
      const r1 = await s.commitPreparedAsync(pages, { transfer: true });
      expect(r1).toEqual({ stored: 3, duplicates: 1, unchanged: 0, storedIds: ['rec-1', 'rec-2', 'rec-3'] });
      // A page's buffer that owns its memory moved to the thread; a small one from Node's
      // shared pool was copied (moving it would take the pool away from other buffers).
      expect(pages[0]!.docs.byteLength).toBe(0);
      expect(pages[1]!.docs.byteLength).toBeGreaterThan(0);
      // Posted in order, applied and answered in order.
      const [a, b] = await Promise.all([
        s.commitPreparedAsync([
          s.preparePage(
            withStates({ connectorId: c.id, records: [record(4, c.id)], checkpoint: { step: 3 } }),
          ),
        ]),
        s.commitPreparedAsync([
          s.preparePage(
            withStates({ connectorId: c.id, records: [record(4, c.id)], checkpoint: { step: 4 } }),
          ),
        ]),
      ]);
      expect([a.stored, b.stored, b.duplicates]).toEqual([1, 0, 1]);
      expect(s.index.size()).toBe(4);
      expect(s.checkpoints.get(c.id)).toEqual({ step: 4 });
      expect(s.runs.get(run)).toMatchObject({ received: 4, stored: 3, duplicates: 1, pages: 2 });
      expect(s.findings.get('root', arn)).toMatchObject({ status: 'ACTIVE', firstSeenAt: 1_700_000_000_000 });
      expect(s.db.prepare('SELECT updated_at FROM checkpoints').pluck().get()).toBe(1_700_000_000_000);
      expect(s.db.prepare('SELECT DISTINCT typeof(doc) FROM syslog').pluck().all()).toEqual(['text']);
    });

    it('rolls back a failed group and reports it coded; the thread keeps serving', async () => {
      const s = open(undefined, { writerThread: true });
      const c = s.connectors.create(config());
      await s.commitPreparedAsync([
        s.preparePage(withStates({ connectorId: c.id, records: [], checkpoint: { step: 1 } })),
      ]);
      const bad = { ...record(2, c.id), timestamp: null } as unknown as InterflowRecord;
      await expect(
        s.commitPreparedAsync([
          s.preparePage(
            withStates({ connectorId: c.id, records: [record(1, c.id)], checkpoint: { step: 2 } }),
          ),
          s.preparePage(withStates({ connectorId: c.id, records: [bad], checkpoint: { step: 3 } })),
        ]),
      ).rejects.toMatchObject({ code: 'ERR_STORE', message: expect.stringMatching(/NOT NULL/) });
      expect(s.index.size()).toBe(0);
      expect(s.checkpoints.get(c.id)).toEqual({ step: 1 });
      await expect(
        s.commitPreparedAsync([
          s.preparePage(withStates({ connectorId: 'gone', records: [record(1, 'gone')], checkpoint: 1 })),
        ]),
      ).rejects.toMatchObject({ code: 'ERR_NOT_FOUND_RESOURCE' });
      await s.commitPreparedAsync([
        s.preparePage(withStates({ connectorId: c.id, records: [record(1, c.id)], checkpoint: { step: 4 } })),
      ]);
      expect(s.index.size()).toBe(1);
    });

    it('close() lets posted commits finish before the thread goes', async () => {
      const dir = tmp();
      const s = openSqliteStore({
        connectorTypes: productionStoreTypes(),
        dataDir: dir,
        clock: fixedClock(1),
        env: {},
        writerThread: true,
      });
      const c = s.connectors.create(config());
      const done = Array.from({ length: 5 }, (_, i) =>
        s.commitPreparedAsync([
          s.preparePage(withStates({ connectorId: c.id, records: [record(i, c.id)], checkpoint: { i } })),
        ]),
      );
      s.close();
      expect((await Promise.all(done)).map((r) => r.stored)).toEqual([1, 1, 1, 1, 1]);
      const again = open(dir);
      expect(again.index.size()).toBe(5);
      expect(again.checkpoints.get(c.id)).toEqual({ i: 4 });
    });
  });
});
