/**
 * Migration 10 (record identity per tenant) on a store built with the pre-migration schema:
 * real findings stored by tenant Root's connector the way the store did at version 9 (`_id`
 * = the tenant-free version key), a second Root connector and an Acme connector whose runs
 * counted every finding as a duplicate; then the store opens (migrates) and collects again.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { tenantRecordId, type InterflowRecord } from '../../core/record.js';
import { mapFinding } from '../../connectors/aws-inspector/map.js';
import { writeV9DataDir } from '../../../test/support/legacy-store.js';
import { DB_FILE, openSqliteStore, type SqliteStore } from './store.js';
import { withStates } from '../../../test/support/records.js';

const FIXTURES = path.join(import.meta.dirname, '../../../test/fixtures/aws-inspector2');
const findings: Record<string, unknown>[] = fs
  .readdirSync(FIXTURES)
  .filter((f) => /^aws_inspector2_.*\.json$/.test(f))
  .flatMap((f) => (JSON.parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8')) as { findings: [] }).findings);

const ROOT = { id: 'root', name: 'Root Tenant' };
const ACME = { id: 'acme-tenant-id', name: 'Acme' };
const C = { rootA: 'c-root-a', rootB: 'c-root-b', acme: 'c-acme' };
const sha32 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

const dirs: string[] = [];
const stores: SqliteStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function mapped(raw: Record<string, unknown>, tenant: typeof ROOT, connectorId: string): InterflowRecord {
  return mapFinding(raw, {
    connectorId,
    connectorName: connectorId,
    tenantId: tenant.id,
    tenantName: tenant.name,
    writeTime: 1_767_225_600_000,
  });
}

/** The record as version 9 stored it: `_id` was SHA-256(findingArn|version), no tenant. */
function legacy(raw: Record<string, unknown>): InterflowRecord {
  const r = mapped(raw, ROOT, C.rootA);
  return { ...r, _id: sha32(`${String(raw.findingArn)}|${r.timestamp}`) };
}

/** A data dir at schema version 9 holding Root's records, three connectors and their runs. */
function legacyStore(extra: InterflowRecord[] = []): { dir: string; records: InterflowRecord[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-mig10-'));
  dirs.push(dir);
  const records = [...findings.map(legacy), ...extra];
  const n = records.length;
  writeV9DataDir(dir, {
    tenants: [ACME],
    connectors: [
      { id: C.rootA, name: 'root-a', tenant: ROOT.name },
      { id: C.rootB, name: 'root-b', tenant: ROOT.name },
      { id: C.acme, name: 'acme', tenant: ACME.name },
    ],
    checkpoints: Object.fromEntries(Object.values(C).map((id) => [id, { done: true }])),
    runs: [
      { connectorId: C.rootA, received: n, stored: n, duplicates: 0 },
      { connectorId: C.rootB, received: n, stored: 0, duplicates: n }, // same tenant, same account: duplicates by design
      { connectorId: C.acme, received: n, stored: 0, duplicates: n }, // another tenant: starved by the old identity
    ],
    records,
    connectorId: C.rootA,
    // Two shards (fts-shards.ts): the migration rewrites each row in the shard that holds it.
    shardRows: Math.ceil(n / 2),
  });
  return { dir, records };
}

const open = (dir: string): SqliteStore => {
  const s = openSqliteStore({ dataDir: dir, key: Buffer.alloc(32, 4), clock: fixedClock(1_800_000_000_000) });
  stores.push(s);
  return s;
};
const ids = (s: SqliteStore, q: string, tenant?: string) =>
  s.index
    .search({ q, limit: 0, sort: 'timestamp:asc', ...(tenant ? { tenantIds: [tenant] } : {}) })
    .records.map((r) => r._id)
    .sort();

describe('migration 10: record identity per tenant', () => {
  it('rewrites _id (column, document, full-text words) and re-keys findings; everything stays searchable', () => {
    // A record whose _id is not hex and whose document does not start with it (json_set path).
    // Its word "vulnerability" is also in other values of the record: it must stay indexed.
    const odd: InterflowRecord = { ...legacy(findings[0]!), _id: 'legacy "odd" vulnerability id' };
    const { tenantid: _t, ...rest } = odd;
    const oddDoc = { tenantid: 'root', ...rest };
    const { dir, records } = legacyStore([{ ...(oddDoc as InterflowRecord), timestamp: 5 }]);
    const s = open(dir);
    const n = records.length;
    expect(s.index.size()).toBe(n);
    // The WAL the rewrite produced (about the documents' size) was checkpointed and truncated.
    const docBytes = records.reduce((a, r) => a + JSON.stringify(r).length, 0);
    expect(fs.statSync(path.join(dir, DB_FILE + '-wal')).size).toBeLessThan(docBytes / 4);

    for (const r of records) {
      const id = tenantRecordId('root', r._id);
      const got = s.index.search({ q: `_id:"${id}"` }).records;
      expect(got).toHaveLength(1);
      // The document is the same record with its new _id.
      expect(got[0]).toEqual({ ...r, _id: id });
    }
    expect(
      s.db.prepare(`SELECT count(*) FROM syslog WHERE json_extract(doc, '$._id') = id`).pluck().get(),
    ).toBe(n);
    // The document of a hex _id still starts with it (the prefix was replaced in place).
    expect(
      s.db.prepare(`SELECT count(*) FROM syslog WHERE doc LIKE '{"_id":"' || id || '",%'`).pluck().get(),
    ).toBe(n - 1);

    // Free text: the new _id's word is found, the old one no longer is; other words unchanged.
    const hex = records.find((r) => /^[0-9a-f]{32}$/.test(r._id))!;
    expect(ids(s, tenantRecordId('root', hex._id))).toEqual([tenantRecordId('root', hex._id)]);
    expect(ids(s, hex._id)).toEqual([]);
    expect(s.index.count({ q: hex._id })).toBe(0);
    expect(ids(s, 'odd')).toEqual([]);
    const oddId = tenantRecordId('root', odd._id);
    expect(ids(s, `vulnerability AND ${oddId}`)).toEqual([oddId]);
    expect(s.index.count({ q: 'aws_inspector' })).toBe(n);
    expect(s.index.count({ q: 'msg_class:aws_inspector_finding' })).toBe(n);
    // FTS5's own consistency check of the index structure (throws SQLITE_CORRUPT_VTAB on damage).
    for (const t of ['syslog_fts', 'syslog_fts_1']) {
      expect(() => s.db.exec(`INSERT INTO ${t}(${t}) VALUES ('integrity-check')`)).not.toThrow();
    }
    // Rows of both shards were rewritten (the last record is in the second).
    const lastId = tenantRecordId('root', records[n - 2]!._id);
    expect(ids(s, lastId)).toEqual([lastId]);
    expect(ids(s, records[n - 2]!._id)).toEqual([]);

    // findings: keyed by (tenantid, finding ARN) — the column is state_key since migration 15; the record id follows.
    const pk = s.db
      .prepare(`SELECT name FROM pragma_table_info('findings') WHERE pk > 0 ORDER BY pk`)
      .pluck()
      .all();
    expect(pk).toEqual(['tenantid', 'state_key']);
    const arn = String(findings[0]!.findingArn);
    expect(s.findings.get('root', arn)).toMatchObject({
      connectorId: C.rootA,
      recordId: tenantRecordId('root', legacy(findings[0]!)._id),
    });
    expect(s.findings.get(ACME.id, arn)).toBeUndefined();
  });

  it('resets only the starved connector (another tenant holds the records); re-collection: Root stores nothing, Acme everything', () => {
    const { dir } = legacyStore();
    const s = open(dir);
    const n = findings.length;
    expect(s.checkpoints.get(C.rootA)).toEqual({ done: true });
    expect(s.checkpoints.get(C.rootB)).toEqual({ done: true });
    expect(s.checkpoints.get(C.acme)).toBeUndefined();

    const again = (tenant: typeof ROOT, connectorId: string) =>
      s.commitPage(withStates({ connectorId, records: findings.map((f) => mapped(f, tenant, connectorId)) }));
    expect(again(ROOT, C.rootA)).toMatchObject({ stored: 0, duplicates: n });
    expect(again(ROOT, C.rootB)).toMatchObject({ stored: 0, duplicates: n });
    expect(again(ACME, C.acme)).toMatchObject({ stored: n, duplicates: 0 });
    expect(again(ACME, C.acme)).toMatchObject({ stored: 0, duplicates: n });
    expect(s.index.count({ q: '*', tenantIds: [ROOT.id] })).toBe(n);
    expect(s.index.count({ q: '*', tenantIds: [ACME.id] })).toBe(n);

    // A status change reaches Acme's current state only when Acme collects it.
    const f0 = findings.find((f) => f.status === 'ACTIVE')!;
    const arn = String(f0.findingArn);
    const closed = { ...f0, status: 'CLOSED', updatedAt: Date.parse(String(f0.updatedAt)) / 1000 + 3600 };
    s.commitPage(withStates({ connectorId: C.acme, records: [mapped(closed, ACME, C.acme)] }));
    expect(s.findings.get(ACME.id, arn)).toMatchObject({ status: 'CLOSED', connectorId: C.acme });
    expect(s.findings.get(ROOT.id, arn)).toMatchObject({ status: f0.status, connectorId: C.rootA });
    s.commitPage(withStates({ connectorId: C.rootB, records: [mapped(closed, ROOT, C.rootB)] }));
    expect(s.findings.get(ROOT.id, arn)).toMatchObject({ status: 'CLOSED', connectorId: C.rootB });
    expect(ids(s, `finding_arn:"${arn}"`, ROOT.id)).toHaveLength(2);
    expect(ids(s, `finding_arn:"${arn}"`, ACME.id)).toHaveLength(2);
  });
});
