/**
 * The storage contract, as a vitest suite any backend must pass (see README.md here).
 *
 * It uses only the store's public API (src/store/index.ts): the repositories, the commit path
 * the runner uses (`commit` below, the one place that knows it), `index.search/count/histogram/
 * recent` and the log-filter matcher the API's preview applies. No SQL, no `store.db`, nothing a
 * backend does its own way (row ids, full-text tables): a PostgreSQL backend runs it unchanged.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CodedError } from '../../src/core/errors.js';
import { tenantRecordId, type InterflowRecord } from '../../src/core/record.js';
import { compileFilters } from '../../src/pipeline/filter.js';
import {
  SORT_FIELDS,
  type CommitPageInput,
  type CommitPageResult,
  type SearchFilter,
  type Store,
} from '../../src/store/index.js';
import { testRecord, withStates } from '../support/records.js';

/** A fresh, empty store of the backend under test, and how to dispose of it. */
export interface OpenedStore {
  store: Store;
  close(): void | Promise<void>;
}
export type StoreFactory = () => Promise<OpenedStore>;

/** A page as the tests write it: the state updates default to the records' (withStates). */
export type TestPage = Omit<CommitPageInput, 'states'> & Partial<Pick<CommitPageInput, 'states'>>;

/**
 * The commit path of the runner (src/pipeline/runner.ts): the pages written one by one to a
 * page sink of their connector (and part), committed as one group by `finish`. A change of that contract
 * is made here only.
 */
export async function commit(store: Store, pages: readonly TestPage[]): Promise<CommitPageResult> {
  const { connectorId, runId, part } = pages[0]!;
  if (pages.some((p) => p.connectorId !== connectorId || p.runId !== runId || p.part !== part)) {
    throw new Error('commit(): one connector, part and run per group');
  }
  const total: CommitPageResult = { stored: 0, duplicates: 0, unchanged: 0, storedIds: [] };
  const sink = store.pageSink({
    connectorId,
    ...(part !== undefined ? { part } : {}),
    ...(runId !== undefined ? { runId } : {}),
    commitRecords: Infinity,
    commitDelayMs: 0,
    onCommitted: (c) => {
      total.stored += c.stored;
      total.duplicates += c.duplicates;
      total.unchanged += c.unchanged;
      total.storedIds.push(...c.storedIds);
    },
  });
  try {
    for (const { connectorId: _c, runId: _r, part: _p, ...page } of pages) {
      await sink.write(page.states ? { ...page, states: page.states } : withStates(page));
    }
    await sink.finish();
  } finally {
    sink.cancel();
  }
  return total;
}

/** 2026-01-01T00:00:00Z */
export const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

const ACME = 'Acme';
interface World {
  store: Store;
  acmeId: string;
  /** Connectors: two of the Root Tenant, one of Acme. */
  rootA: string;
  rootB: string;
  acme: string;
}

/** Tenant Acme and three connectors, through the repositories. */
function world(store: Store): World {
  const acmeId = store.tenants.create(ACME).id;
  const connector = (name: string, tenant?: string) =>
    store.connectors.create({
      name,
      ...(tenant ? { tenant } : {}),
      region: 'us-east-1',
      auth: {
        method: 'access_key',
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'conformance-secret',
      },
    }).id;
  return {
    store,
    acmeId,
    rootA: connector('conf-root-a'),
    rootB: connector('conf-root-b'),
    acme: connector('conf-acme', ACME),
  };
}

const arn = (k: string) => `arn:aws:inspector2:us-east-1:123456789012:finding/${k}`;

/** A record of a finding version (its `_id` = tenantRecordId(tenant, version key), as the mapper makes it). */
function version(
  w: World,
  o: {
    key: string;
    finding: string;
    tenant?: 'root' | 'acme';
    timestamp: number;
    status?: string;
  },
): InterflowRecord {
  const tenantid = o.tenant === 'acme' ? w.acmeId : 'root';
  return testRecord(
    { id: o.tenant === 'acme' ? w.acme : w.rootA, name: 'conf' },
    {
      _id: tenantRecordId(tenantid, o.key),
      timestamp: o.timestamp,
      tenantid,
      tenant_name: o.tenant === 'acme' ? ACME : 'Root Tenant',
      aws_inspector: { findingArn: arn(o.finding), status: o.status ?? 'ACTIVE', severity: 'HIGH' },
    },
  );
}

const sortedIds = (rs: readonly InterflowRecord[]) => rs.map((r) => r._id).sort();

/**
 * The contract every backend must pass. `factory` gives a fresh empty store per call; each
 * describe block below opens its own and closes it.
 */
export function describeStoreConformance(name: string, factory: StoreFactory): void {
  describe(`store conformance: ${name}`, () => {
    const opened: OpenedStore[] = [];
    const fresh = async (): Promise<World> => {
      const o = await factory();
      opened.push(o);
      return world(o.store);
    };
    afterEach(async () => {
      for (const o of opened.splice(0)) await o.close();
    });

    describe('exactly-once commit with checkpoint', () => {
      it('stores the records, the checkpoint and the run counts of a page together', async () => {
        const w = await fresh();
        const s = w.store;
        const run = s.runs.start(w.rootA);
        const recs = [1, 2, 3].map((i) => version(w, { key: `k${i}`, finding: `f${i}`, timestamp: T0 + i }));
        const r = await commit(s, [
          {
            connectorId: w.rootA,
            records: recs,
            checkpoint: { token: 'p1' },
            runId: run,
            counts: { received: 4, discarded: 1 },
          },
        ]);
        expect(r.stored).toBe(3);
        expect(r.duplicates).toBe(0);
        expect([...r.storedIds].sort()).toEqual(sortedIds(recs));
        expect(s.checkpoints.get(w.rootA)).toEqual({ token: 'p1' });
        expect(s.index.size()).toBe(3);
        expect(s.index.get(recs[0]!._id)).toEqual(recs[0]);
        expect(s.runs.get(run)).toMatchObject({
          received: 4,
          stored: 3,
          duplicates: 0,
          discarded: 1,
          pages: 1,
        });
      });

      it('the same page committed again stores nothing new and counts duplicates', async () => {
        const w = await fresh();
        const s = w.store;
        const run = s.runs.start(w.rootA);
        const recs = [1, 2, 3].map((i) => version(w, { key: `k${i}`, finding: `f${i}`, timestamp: T0 + i }));
        const page = { connectorId: w.rootA, records: recs, checkpoint: { token: 'p1' }, runId: run };
        await commit(s, [page]);
        const again = await commit(s, [{ ...page, checkpoint: { token: 'p2' } }]);
        expect(again).toEqual({ stored: 0, duplicates: 3, unchanged: 0, storedIds: [] });
        expect(s.index.size()).toBe(3);
        expect(s.index.count({ q: '*' })).toBe(3);
        // The checkpoint still moves: a replayed page is a page done.
        expect(s.checkpoints.get(w.rootA)).toEqual({ token: 'p2' });
        expect(s.runs.get(run)).toMatchObject({ stored: 3, duplicates: 3, pages: 2 });
        // A record twice in one page, and a group of pages: counted once, the rest duplicates.
        const dup = version(w, { key: 'k9', finding: 'f9', timestamp: T0 + 9 });
        const g = await commit(s, [
          { connectorId: w.rootA, records: [dup, dup], runId: run },
          { connectorId: w.rootA, records: [recs[0]!, dup], checkpoint: { token: 'p3' }, runId: run },
        ]);
        expect(g).toMatchObject({ stored: 1, duplicates: 3, storedIds: [dup._id] });
        expect(s.checkpoints.get(w.rootA)).toEqual({ token: 'p3' });
        expect(s.runs.get(run)).toMatchObject({ stored: 4, duplicates: 6, pages: 4 });
      });

      it('a failing commit leaves neither records nor checkpoint nor run counts (the whole group)', async () => {
        const w = await fresh();
        const s = w.store;
        const run = s.runs.start(w.rootA);
        const first = version(w, { key: 'k0', finding: 'f0', timestamp: T0 });
        await commit(s, [
          { connectorId: w.rootA, records: [first], checkpoint: { token: 'p0' }, runId: run },
        ]);
        const before = s.runs.get(run);

        // The pages of a connector that does not exist (deleted meanwhile) are refused.
        const good = [1, 2].map((i) => version(w, { key: `k${i}`, finding: `f${i}`, timestamp: T0 + i }));
        await expect(
          commit(s, [
            { connectorId: 'no-such-connector', records: good, checkpoint: { token: 'p1' } },
            {
              connectorId: 'no-such-connector',
              records: [version(w, { key: 'kx', finding: 'fx', timestamp: T0 })],
            },
          ]),
        ).rejects.toBeInstanceOf(CodedError);
        // A record the index cannot hold (no event time) fails its page, after good records.
        const bad = {
          ...version(w, { key: 'k3', finding: 'f3', timestamp: T0 }),
          timestamp: undefined,
        } as unknown as InterflowRecord;
        await expect(
          commit(s, [
            { connectorId: w.rootA, records: [...good, bad], checkpoint: { token: 'p1' }, runId: run },
          ]),
        ).rejects.toBeInstanceOf(CodedError);

        expect(s.index.size()).toBe(1);
        expect(s.index.search({ q: '*', limit: 0 }).records).toEqual([first]);
        for (const r of good) expect(s.index.get(r._id)).toBeUndefined();
        expect(s.findings.get('root', arn('f1'))).toBeUndefined();
        expect(s.checkpoints.get(w.rootA)).toEqual({ token: 'p0' });
        expect(s.runs.get(run)).toEqual(before);

        // The store is usable after the failures: the same good page commits once.
        const ok = await commit(s, [
          { connectorId: w.rootA, records: good, checkpoint: { token: 'p1' }, runId: run },
        ]);
        expect(ok.stored).toBe(2);
        expect(s.checkpoints.get(w.rootA)).toEqual({ token: 'p1' });
      });
    });

    describe('dedupe per tenant, current state per (tenant, finding)', () => {
      it('a version is stored once per tenant: a second connector of the tenant finds duplicates, another tenant its own record', async () => {
        const w = await fresh();
        const s = w.store;
        const root = version(w, { key: 'v1', finding: 'f1', timestamp: T0 });
        const acme = version(w, { key: 'v1', finding: 'f1', timestamp: T0, tenant: 'acme' });
        expect(acme._id).not.toBe(root._id);
        expect(await commit(s, [{ connectorId: w.rootA, records: [root] }])).toMatchObject({ stored: 1 });
        expect(await commit(s, [{ connectorId: w.rootB, records: [root] }])).toMatchObject({
          stored: 0,
          duplicates: 1,
        });
        expect(await commit(s, [{ connectorId: w.acme, records: [acme] }])).toMatchObject({
          stored: 1,
          duplicates: 0,
        });
        expect(s.index.size()).toBe(2);
        expect(sortedIds(s.index.search({ q: '*', tenantIds: ['root'], limit: 0 }).records)).toEqual([
          root._id,
        ]);
        expect(sortedIds(s.index.search({ q: '*', tenantIds: [w.acmeId], limit: 0 }).records)).toEqual([
          acme._id,
        ]);
        // Each tenant has the finding's state of its own.
        expect(s.findings.get('root', arn('f1'))).toMatchObject({ tenantId: 'root', recordId: root._id });
        expect(s.findings.get(w.acmeId, arn('f1'))).toMatchObject({ tenantId: w.acmeId, recordId: acme._id });
      });

      it("a finding's current state only moves forward: an older version does not overwrite a newer one", async () => {
        const w = await fresh();
        const s = w.store;
        const v2 = version(w, { key: 'v2', finding: 'f1', timestamp: T0 + 2 * HOUR, status: 'CLOSED' });
        const v1 = version(w, { key: 'v1', finding: 'f1', timestamp: T0 + HOUR, status: 'ACTIVE' });
        const v3 = version(w, { key: 'v3', finding: 'f1', timestamp: T0 + 3 * HOUR, status: 'SUPPRESSED' });
        await commit(s, [{ connectorId: w.rootA, records: [v2] }]);
        await commit(s, [{ connectorId: w.rootA, records: [v1] }]);
        expect(s.findings.get('root', arn('f1'))).toMatchObject({
          status: 'CLOSED',
          updatedAt: T0 + 2 * HOUR,
          recordId: v2._id,
        });
        // Both versions are records of the index; the state is the newest.
        expect(s.index.size()).toBe(2);
        await commit(s, [{ connectorId: w.rootB, records: [v3] }]);
        expect(s.findings.get('root', arn('f1'))).toMatchObject({
          status: 'SUPPRESSED',
          updatedAt: T0 + 3 * HOUR,
          recordId: v3._id,
          connectorId: w.rootB,
        });
        // Another tenant's older version of the same finding does not touch Root's state.
        await commit(s, [
          {
            connectorId: w.acme,
            records: [version(w, { key: 'v1', finding: 'f1', timestamp: T0, tenant: 'acme' })],
          },
        ]);
        expect(s.findings.get('root', arn('f1'))?.status).toBe('SUPPRESSED');
        expect(s.findings.get(w.acmeId, arn('f1'))?.status).toBe('ACTIVE');
        expect(s.findings.countByStatus(w.rootA)).toEqual({});
        expect(s.findings.countByStatus(w.rootB)).toEqual({ SUPPRESSED: 1 });
        for (const [tenantId, status] of [
          ['root', 'SUPPRESSED'],
          [w.acmeId, 'ACTIVE'],
        ] as const) {
          expect(s.findings.page({ tenantId }).map((f) => [f.key, f.status])).toEqual([[arn('f1'), status]]);
        }
      });
    });

    describe('recording only material versions (skipUnchanged, opaque fingerprints)', () => {
      it('a version with the stored fingerprint is no record but moves the state; two versions in one group compare in order', async () => {
        const w = await fresh();
        const s = w.store;
        const v = (k: number, status = 'ACTIVE') =>
          version(w, { key: `m${k}`, finding: 'f1', timestamp: T0 + k * HOUR, status });
        const page = (
          records: InterflowRecord[],
          fps: (string | undefined)[],
          skipUnchanged = true,
        ): TestPage => ({
          connectorId: w.rootA,
          runId: run,
          skipUnchanged,
          records,
          states: records.map((r, i) => ({
            key: arn('f1'),
            status: (r.aws_inspector as { status: string }).status,
            severity: 'HIGH',
            updatedAt: r.timestamp,
            recordId: r._id,
            ...(fps[i] !== undefined ? { fingerprint: fps[i] } : {}),
          })),
        });
        const run = s.runs.start(w.rootA);
        const [v1, v2, v3, v4, v5, v6] = [
          v(1),
          v(2),
          v(3, 'CLOSED'),
          v(4, 'CLOSED'),
          v(5, 'CLOSED'),
          v(6, 'CLOSED'),
        ];
        expect(await commit(s, [page([v1!], ['a'])])).toMatchObject({ stored: 1, unchanged: 0 });
        // One group, two pages: v2 is unchanged from v1, v3 changed, v4 unchanged from v3 (same group).
        expect(await commit(s, [page([v2!, v3!], ['a', 'b']), page([v4!], ['b'])])).toMatchObject({
          stored: 1,
          duplicates: 0,
          unchanged: 2,
          storedIds: [v3!._id],
        });
        expect([v1, v2, v3, v4].map((r) => s.index.has(r!._id, 'root'))).toEqual([true, false, true, false]);
        expect(s.findings.get('root', arn('f1'))).toMatchObject({
          status: 'CLOSED',
          updatedAt: T0 + 4 * HOUR,
          recordId: v3!._id,
          fingerprint: 'b',
        });
        // The same unchanged version again (a window overlap): a duplicate, still no record.
        expect(await commit(s, [page([v4!], ['b'])])).toMatchObject({
          stored: 0,
          duplicates: 1,
          unchanged: 0,
        });
        expect(s.index.has(v4!._id, 'root')).toBe(false);
        // No fingerprint = unknown: stored.
        expect(await commit(s, [page([v5!], [undefined])])).toMatchObject({ stored: 1, unchanged: 0 });
        // Without skipUnchanged every version is a record, and the state names it.
        expect(await commit(s, [page([v6!], ['b'], false)])).toMatchObject({ stored: 1, unchanged: 0 });
        expect(s.findings.get('root', arn('f1'))).toMatchObject({
          updatedAt: T0 + 6 * HOUR,
          recordId: v6!._id,
        });
        expect(s.index.size()).toBe(4);
        expect(s.runs.get(run)).toMatchObject({ stored: 4, duplicates: 1, unchanged: 2 });
        s.runs.finish(run, { status: 'ok' });
        expect(s.runs.totals(w.rootA)).toMatchObject({ stored: 4, duplicates: 1, unchanged: 2 });
        // Search over the records: the finding's newest record tells its current status.
        expect(s.index.search({ q: 'aws_inspector.status:CLOSED' }).total).toBe(3);
      });
    });

    describe('page sink: group commit with checkpoint', () => {
      it("commits groups of commitRecords with the last page's checkpoint; finish stores the rest once", async () => {
        const w = await fresh();
        const s = w.store;
        const run = s.runs.start(w.rootA);
        const groups: { pages: number; stored: number; checkpoint: unknown }[] = [];
        const sink = s.pageSink({
          connectorId: w.rootA,
          runId: run,
          commitRecords: 4,
          commitDelayMs: 0,
          onCommitted: (c) =>
            void groups.push({ pages: c.pages, stored: c.stored, checkpoint: s.checkpoints.get(w.rootA) }),
        });
        const recs = Array.from({ length: 10 }, (_, i) =>
          version(w, { key: `s${i}`, finding: `sf${i}`, timestamp: T0 + i }),
        );
        for (let p = 0; p < 5; p++) {
          const records = recs.slice(p * 2, p * 2 + 2);
          await sink.write(withStates({ records, checkpoint: { page: p }, counts: { received: 2 } }));
        }
        await sink.finish();
        expect(groups).toEqual([
          { pages: 2, stored: 4, checkpoint: { page: 1 } },
          { pages: 2, stored: 4, checkpoint: { page: 3 } },
          { pages: 1, stored: 2, checkpoint: { page: 4 } },
        ]);
        expect(s.index.size()).toBe(10);
        expect(s.runs.get(run)).toMatchObject({ pages: 5, received: 10, stored: 10, duplicates: 0 });
        expect(s.findings.get('root', arn('sf9'))?.recordId).toBe(recs[9]!._id);
        // Exactly once: the same pages through a new sink are duplicates, the checkpoint moves on.
        const again = s.pageSink({ connectorId: w.rootA, commitRecords: 1000, commitDelayMs: 0 });
        await again.write(withStates({ records: recs, checkpoint: { page: 5 } }));
        await again.finish();
        expect(s.index.size()).toBe(10);
        expect(s.checkpoints.get(w.rootA)).toEqual({ page: 5 });
      });

      it('a failed commit keeps the groups committed before it, and fails the next write and finish', async () => {
        const w = await fresh();
        const s = w.store;
        const sink = s.pageSink({ connectorId: w.rootA, commitRecords: 2, commitDelayMs: 0 });
        const good = [0, 1].map((i) => version(w, { key: `g${i}`, finding: `gf${i}`, timestamp: T0 + i }));
        await sink.write(withStates({ records: good, checkpoint: { page: 0 } }));
        // A record the index cannot hold (no event time): its group fails as a whole.
        const bad = {
          ...version(w, { key: 'b0', finding: 'bf0', timestamp: T0 }),
          timestamp: undefined,
        } as unknown as InterflowRecord;
        const next = version(w, { key: 'g2', finding: 'gf2', timestamp: T0 + 2 });
        const failed = sink
          .write(withStates({ records: [next, bad], checkpoint: { page: 1 } }))
          .then(() => sink.finish());
        await expect(failed).rejects.toBeInstanceOf(CodedError);
        await expect(sink.write(withStates({ records: [], checkpoint: { page: 2 } }))).rejects.toBeInstanceOf(
          CodedError,
        );
        await expect(sink.finish()).rejects.toBeInstanceOf(CodedError);
        sink.cancel();
        expect(sortedIds(s.index.search({ limit: 0 }).records)).toEqual(sortedIds(good));
        expect(s.checkpoints.get(w.rootA)).toEqual({ page: 0 });
        expect(s.findings.get('root', arn('gf2'))).toBeUndefined();
      });

      it("with docs: the stored records' JSON texts (not the duplicates), as stored", async () => {
        const w = await fresh();
        const s = w.store;
        const [a, b] = [0, 1].map((i) => version(w, { key: `d${i}`, finding: `df${i}`, timestamp: T0 + i }));
        await commit(s, [{ connectorId: w.rootA, records: [a!] }]);
        const docs: string[] = [];
        const sink = s.pageSink({
          connectorId: w.rootA,
          docs: true,
          commitDelayMs: 0,
          onCommitted: (c) => void docs.push(...(c.docs ?? [])),
        });
        await sink.write(withStates({ records: [a!, b!] }));
        await sink.finish();
        expect(docs.map((d) => JSON.parse(d) as unknown)).toEqual([b]);
      });
    });

    describe('parts: checkpoints, statuses and run outcomes per part', () => {
      it("each part has its own checkpoint ('' = no parts); clear with a part clears that one, without clears all", async () => {
        const w = await fresh();
        const s = w.store;
        s.checkpoints.set(w.rootA, { token: 'none' });
        s.checkpoints.set(w.rootA, { token: 'east' }, 'us-east-1');
        s.checkpoints.set(w.rootA, { token: 'west' }, 'us-west-2');
        s.checkpoints.set(w.rootB, { token: 'b-east' }, 'us-east-1');
        expect(s.checkpoints.get(w.rootA)).toEqual({ token: 'none' });
        expect(s.checkpoints.get(w.rootA, '')).toEqual({ token: 'none' });
        expect(s.checkpoints.get(w.rootA, 'us-east-1')).toEqual({ token: 'east' });
        expect(s.checkpoints.get(w.rootA, 'eu-west-1')).toBeUndefined();
        expect(s.checkpoints.parts(w.rootA)).toEqual(['', 'us-east-1', 'us-west-2']);
        s.checkpoints.clear(w.rootA, 'us-east-1');
        expect(s.checkpoints.parts(w.rootA)).toEqual(['', 'us-west-2']);
        expect(s.checkpoints.get(w.rootB, 'us-east-1')).toEqual({ token: 'b-east' });
        s.checkpoints.clear(w.rootA);
        expect(s.checkpoints.parts(w.rootA)).toEqual([]);
        expect(s.checkpoints.parts(w.rootB)).toEqual(['us-east-1']);
      });

      it("a page sink of a part saves that part's checkpoint with its pages; other parts' stay", async () => {
        const w = await fresh();
        const s = w.store;
        s.checkpoints.set(w.rootA, { token: 'west-0' }, 'us-west-2');
        const r = await commit(s, [
          {
            connectorId: w.rootA,
            part: 'us-east-1',
            records: [version(w, { key: 'pe0', finding: 'pe0', timestamp: T0 })],
            checkpoint: { token: 'east-1' },
          },
        ]);
        expect(r.stored).toBe(1);
        expect(s.checkpoints.get(w.rootA, 'us-east-1')).toEqual({ token: 'east-1' });
        expect(s.checkpoints.get(w.rootA, 'us-west-2')).toEqual({ token: 'west-0' });
        expect(s.checkpoints.get(w.rootA)).toBeUndefined();
      });

      it("two parts' sinks committing at once: every record once, each part's checkpoint its own last page's", async () => {
        const w = await fresh();
        const s = w.store;
        const run = s.runs.start(w.rootA);
        const parts = ['us-east-1', 'eu-west-1'];
        const checkpoints: Record<string, unknown[]> = {};
        const sinks = parts.map((part) =>
          s.pageSink({
            connectorId: w.rootA,
            part,
            runId: run,
            commitRecords: 3,
            commitDelayMs: 0,
            // What is stored of the part when each of its commits is answered.
            onCommitted: () => void (checkpoints[part] ??= []).push(s.checkpoints.get(w.rootA, part)),
          }),
        );
        // Page p of each part: 2 records of its own, and (p = 3) one the other part stores too.
        const shared = version(w, { key: 'shared', finding: 'shared', timestamp: T0 });
        const writeAll = async (i: number) => {
          const part = parts[i]!;
          for (let p = 0; p < 8; p++) {
            const records = [0, 1].map((k) =>
              version(w, { key: `${part}-${p}-${k}`, finding: `${part}-${p}-${k}`, timestamp: T0 + p }),
            );
            if (p === 3) records.push(shared);
            await sinks[i]!.write(
              withStates({ records, checkpoint: { part, page: p }, counts: { received: records.length } }),
            );
          }
          await sinks[i]!.finish();
        };
        await Promise.all([writeAll(0), writeAll(1)]);
        for (const sink of sinks) sink.cancel();
        expect(s.index.size()).toBe(2 * 8 * 2 + 1);
        expect(s.runs.get(run)).toMatchObject({ pages: 16, received: 34, stored: 33, duplicates: 1 });
        for (const part of parts) {
          expect(s.checkpoints.get(w.rootA, part)).toEqual({ part, page: 7 });
          // Each commit saved a checkpoint of its own part, moving forward only.
          const pages = checkpoints[part]!.map((c) => (c as { part: string; page: number }).page);
          expect(checkpoints[part]!.every((c) => (c as { part: string }).part === part)).toBe(true);
          expect(pages).toEqual([...pages].sort((a, b) => a - b));
          expect(pages[pages.length - 1]).toBe(7);
        }
        expect(s.checkpoints.get(w.rootA)).toBeUndefined();
      });

      it('part statuses are listed with the connector; keep removes the parts no longer planned; delete removes them all', async () => {
        const w = await fresh();
        const s = w.store;
        expect(s.connectors.get(w.rootA)!.status.parts).toBeUndefined();
        const c = s.connectors.setStatus(w.rootA, {
          state: 'partial',
          lastError: {
            code: 'ERR_PERMISSION',
            message: '1 of 2 parts failed; eu-west-1: denied',
            at: T0 + 2,
          },
          lastRunAt: T0,
          parts: {
            keep: ['us-east-1', 'eu-west-1'],
            set: [
              { part: 'us-east-1', state: 'ok', lastError: null, lastSuccessAt: T0 + 1, lastRunAt: T0 },
              {
                part: 'eu-west-1',
                state: 'failed',
                lastError: { code: 'ERR_PERMISSION', message: 'denied', at: T0 + 2 },
                lastRunAt: T0,
              },
            ],
          },
        });
        expect(c.status).toEqual({
          state: 'partial',
          lastError: {
            code: 'ERR_PERMISSION',
            message: '1 of 2 parts failed; eu-west-1: denied',
            at: T0 + 2,
          },
          lastRunAt: T0,
          parts: [
            {
              part: 'eu-west-1',
              state: 'failed',
              lastError: { code: 'ERR_PERMISSION', message: 'denied', at: T0 + 2 },
              lastRunAt: T0,
            },
            { part: 'us-east-1', state: 'ok', lastSuccessAt: T0 + 1, lastRunAt: T0 },
          ],
        });
        expect(s.connectors.list().find((x) => x.id === w.rootA)!.status.parts).toEqual(c.status.parts);
        expect(s.connectors.get(w.rootB)!.status.parts).toBeUndefined();
        // The next run: eu-west-1 recovers (its error cleared, its success kept), us-east-1 is
        // no longer planned, ap-south-1 is new and only noted as run.
        const next = s.connectors.setStatus(w.rootA, {
          state: 'ok',
          lastError: null,
          parts: {
            keep: ['eu-west-1', 'ap-south-1'],
            set: [
              { part: 'eu-west-1', state: 'ok', lastError: null, lastSuccessAt: T0 + 5, lastRunAt: T0 + 4 },
              { part: 'ap-south-1', lastRunAt: T0 + 4 },
            ],
          },
        });
        expect(next.status.parts).toEqual([
          { part: 'ap-south-1', state: 'never_run', lastRunAt: T0 + 4 },
          { part: 'eu-west-1', state: 'ok', lastSuccessAt: T0 + 5, lastRunAt: T0 + 4 },
        ]);
        // keep: [] = a type without parts: none listed.
        s.connectors.setStatus(w.rootB, { parts: { set: [{ part: 'x', state: 'ok' }] } });
        expect(s.connectors.setStatus(w.rootB, { parts: { keep: [] } }).status.parts).toBeUndefined();
        s.checkpoints.set(w.rootA, { token: 'e' }, 'eu-west-1');
        expect(s.connectors.delete(w.rootA)).toBe(true);
        expect(s.checkpoints.parts(w.rootA)).toEqual([]);
        // A connector created again with the same id starts without the old parts.
        const again = s.connectors.create(
          {
            name: 'conf-root-a',
            region: 'us-east-1',
            auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' },
          },
          { id: w.rootA },
        );
        expect(again.status.parts).toBeUndefined();
      });

      it('a run keeps how each of its parts ended, in order', async () => {
        const w = await fresh();
        const s = w.store;
        const run = s.runs.start(w.rootA);
        const parts = [
          { part: 'us-east-1', status: 'ok' as const, received: 3, stored: 2, vanished: 1, durationMs: 40 },
          {
            part: 'eu-west-1',
            status: 'failed' as const,
            received: 0,
            stored: 0,
            vanished: 0,
            durationMs: 5,
            error: { code: 'ERR_NOT_ACTIVATED', message: 'not activated' },
          },
        ];
        s.runs.finish(run, { status: 'failed', error: { code: 'ERR_NOT_ACTIVATED', message: 'm' }, parts });
        expect(s.runs.get(run)!.parts).toEqual(parts);
        expect(s.runs.list(w.rootA)[0]!.parts).toEqual(parts);
        const plain = s.runs.start(w.rootA);
        s.runs.finish(plain, { status: 'ok' });
        expect(s.runs.get(plain)!.parts).toBeUndefined();
      });
    });

    describe('current state by key, health, users and sessions', () => {
      it("findings.page walks a tenant's states in key order (keyset); oldestUpdatedAt; index.has per tenant", async () => {
        const w = await fresh();
        const s = w.store;
        const recs = ['c', 'a', 'b'].map((k, i) =>
          version(w, {
            key: `p${k}`,
            finding: k,
            timestamp: T0 + i * HOUR,
            status: i === 1 ? 'ACTIVE' : 'CLOSED',
          }),
        );
        await commit(s, [{ connectorId: w.rootA, records: recs }]);
        const first = s.findings.page({ tenantId: 'root', limit: 2 });
        expect(first.map((f) => f.key)).toEqual([arn('a'), arn('b')]);
        const rest = s.findings.page({ tenantId: 'root', after: first[1]!.key });
        expect(rest.map((f) => f.key)).toEqual([arn('c')]);
        expect(s.findings.page({ tenantId: 'root', connectorId: w.rootB })).toEqual([]);
        expect(s.findings.page({ tenantId: w.acmeId })).toEqual([]);
        expect(s.findings.oldestUpdatedAt({ tenantId: 'root', status: 'CLOSED' })).toBe(T0);
        expect(s.findings.oldestUpdatedAt({ tenantId: 'root', connectorId: w.rootA, status: 'ACTIVE' })).toBe(
          T0 + HOUR,
        );
        expect(s.findings.oldestUpdatedAt({ tenantId: w.acmeId, status: 'CLOSED' })).toBeUndefined();
        expect(s.index.has(recs[0]!._id, 'root')).toBe(true);
        expect(s.index.has(recs[0]!._id, w.acmeId)).toBe(false);
        expect(s.index.has('no-such-id', 'root')).toBe(false);
      });

      it('newestUpdatedAt: the newest version time among the keys of a prefix, per tenant', async () => {
        const w = await fresh();
        const s = w.store;
        const other = (k: string) => `arn:aws:inspector2:eu-west-1:123456789012:finding/${k}`;
        const eu = version(w, { key: 'n4', finding: 'z', timestamp: T0 + 9 * HOUR });
        const recs = [
          version(w, { key: 'n1', finding: 'a', timestamp: T0 }),
          version(w, { key: 'n2', finding: 'b', timestamp: T0 + 3 * HOUR }),
          version(w, { key: 'n3', finding: 'c', timestamp: T0 + HOUR }),
          { ...eu, aws_inspector: { findingArn: other('z'), status: 'ACTIVE', severity: 'HIGH' } },
        ];
        await commit(s, [{ connectorId: w.rootA, records: recs }]);
        const usPrefix = 'arn:aws:inspector2:us-east-1:123456789012:';
        expect(s.findings.newestUpdatedAt({ tenantId: 'root', keyPrefix: usPrefix })).toBe(T0 + 3 * HOUR);
        expect(
          s.findings.newestUpdatedAt({
            tenantId: 'root',
            keyPrefix: 'arn:aws:inspector2:eu-west-1:123456789012:',
          }),
        ).toBe(T0 + 9 * HOUR);
        expect(s.findings.newestUpdatedAt({ tenantId: 'root', keyPrefix: 'arn:aws:inspector2:' })).toBe(
          T0 + 9 * HOUR,
        );
        expect(
          s.findings.newestUpdatedAt({
            tenantId: 'root',
            keyPrefix: 'arn:aws:inspector2:us-east-1:999999999999:',
          }),
        ).toBeUndefined();
        expect(s.findings.newestUpdatedAt({ tenantId: w.acmeId, keyPrefix: usPrefix })).toBeUndefined();
      });

      it("seen marks every listed key in the page's transaction; unseen walks the rest (sweep candidates)", async () => {
        const w = await fresh();
        const s = w.store;
        const open = ['a', 'b', 'c', 'd', 'e'].map((k, i) =>
          version(w, {
            key: `s${k}`,
            finding: k,
            timestamp: T0 + i * HOUR,
            status: i === 3 ? 'SUPPRESSED' : 'ACTIVE',
          }),
        );
        const closed = version(w, { key: 'sf', finding: 'f', timestamp: T0, status: 'CLOSED' });
        await commit(s, [{ connectorId: w.rootA, records: [...open, closed] }]);
        const SWEEP = T0 + DAY;
        const unseen = (after?: string, limit?: number) =>
          s.findings
            .unseen({
              tenantId: 'root',
              connectorId: w.rootA,
              statuses: ['ACTIVE', 'SUPPRESSED'],
              before: SWEEP,
              ...(after !== undefined ? { after } : {}),
              ...(limit !== undefined ? { limit } : {}),
            })
            .map((f) => f.key);
        // Never seen: every open state is a candidate, in key order, across both statuses.
        expect(unseen()).toEqual(['a', 'b', 'c', 'd', 'e'].map(arn));
        // A page that lists a and d (no records: discarded or already stored) marks them seen.
        await commit(s, [
          {
            connectorId: w.rootA,
            records: [],
            checkpoint: { sweep: 1 },
            seen: { tenantId: 'root', keys: [arn('a'), arn('d'), arn('zz')], at: SWEEP },
          },
        ]);
        expect(s.checkpoints.get(w.rootA)).toEqual({ sweep: 1 });
        expect(unseen()).toEqual(['b', 'c', 'e'].map(arn));
        // Keyset: after b, two at most.
        expect(unseen(arn('b'), 1)).toEqual([arn('c')]);
        expect(unseen(arn('c'))).toEqual([arn('e')]);
        // Another tenant's or connector's marks and states are not this one's.
        await commit(s, [
          { connectorId: w.acme, records: [], seen: { tenantId: w.acmeId, keys: [arn('b')], at: SWEEP } },
        ]);
        expect(unseen()).toEqual(['b', 'c', 'e'].map(arn));
        expect(
          s.findings.unseen({ tenantId: 'root', connectorId: w.rootB, statuses: ['ACTIVE'], before: SWEEP }),
        ).toEqual([]);
        // A mark older than the sweep does not count; a newer version (updatedAt >= before) is no candidate.
        await commit(s, [
          { connectorId: w.rootA, records: [], seen: { tenantId: 'root', keys: [arn('b')], at: SWEEP - 1 } },
        ]);
        const newer = version(w, { key: 'se2', finding: 'e', timestamp: SWEEP, status: 'ACTIVE' });
        await commit(s, [{ connectorId: w.rootA, records: [newer] }]);
        expect(unseen()).toEqual(['b', 'c'].map(arn));
        // Marked with the page's new state: a record and its seen mark in one page.
        const c2 = version(w, { key: 'sc2', finding: 'c', timestamp: T0 + 2 * HOUR + 1, status: 'ACTIVE' });
        await commit(s, [
          { connectorId: w.rootA, records: [c2], seen: { tenantId: 'root', keys: [arn('c')], at: SWEEP } },
        ]);
        expect(unseen()).toEqual([arn('b')]);
      });

      it('ping answers while the store is open, and throws ERR_STORE once it cannot', async () => {
        const w = await fresh();
        expect(() => w.store.ping()).not.toThrow();
        w.store.close();
        expect(() => w.store.ping()).toThrow(expect.objectContaining({ code: 'ERR_STORE' }));
      });

      it('users: stored without their password hash except through credentials; names are unique', async () => {
        const w = await fresh();
        const s = w.store;
        const u = s.users.insert(
          { id: 'u1', username: 'alice', passwordHash: 'hash-1', role: 'analyst', tenantId: w.acmeId },
          T0,
        );
        expect(u).toEqual({
          id: 'u1',
          username: 'alice',
          role: 'analyst',
          tenantId: w.acmeId,
          disabled: false,
          createdAt: T0,
          updatedAt: T0,
        });
        expect(
          s.users.insert(
            { id: 'u2', username: 'alice', passwordHash: 'h', role: 'analyst', tenantId: 'root' },
            T0,
          ),
        ).toBeUndefined();
        s.users.insert(
          { id: 'u3', username: 'bob', passwordHash: 'hash-3', role: 'root_admin', tenantId: 'root' },
          T0,
        );
        expect(s.users.count()).toBe(2);
        expect(s.users.list().map((x) => x.username)).toEqual(['alice', 'bob']);
        expect(s.users.list(w.acmeId).map((x) => x.username)).toEqual(['alice']);
        expect(JSON.stringify(s.users.list())).not.toContain('hash-');
        expect(s.users.getByUsername('bob')?.id).toBe('u3');
        expect(s.users.credentials('alice')).toEqual({ user: u, passwordHash: 'hash-1' });
        expect(s.users.credentials('nobody')).toBeUndefined();
        expect(s.users.delete('u3')).toBe(true);
        expect(s.users.delete('u3')).toBe(false);
        expect(s.users.get('u3')).toBeUndefined();
      });

      it('users: disabled keeps the password (credentials still give it); update changes role/tenant; both end sessions', async () => {
        const w = await fresh();
        const s = w.store;
        s.users.insert(
          { id: 'u1', username: 'alice', passwordHash: 'h1', role: 'analyst', tenantId: 'root' },
          T0,
        );
        const session = {
          tokenHash: 't1',
          userId: 'u1',
          csrfToken: 'x',
          createdAt: T0,
          expiresAt: T0 + HOUR,
        };
        s.sessions.insert(session);
        expect(s.users.setDisabled('u1', true, T0 + 1)).toMatchObject({ disabled: true, updatedAt: T0 + 1 });
        expect(s.sessions.get('t1')).toBeUndefined();
        expect(s.users.credentials('alice')).toMatchObject({ user: { disabled: true }, passwordHash: 'h1' });
        // A new password keeps the user disabled.
        s.users.setPasswordHash('u1', 'h2', T0 + 2);
        expect(s.users.credentials('alice')).toMatchObject({ user: { disabled: true }, passwordHash: 'h2' });
        expect(s.users.setDisabled('u1', false, T0 + 3)?.disabled).toBe(false);
        expect(s.users.credentials('alice')?.passwordHash).toBe('h2');
        s.sessions.insert({ ...session, tokenHash: 't2' });
        expect(s.users.update('u1', { role: 'tenant_admin', tenantId: w.acmeId }, T0 + 4)).toMatchObject({
          role: 'tenant_admin',
          tenantId: w.acmeId,
          updatedAt: T0 + 4,
        });
        expect(s.sessions.get('t2')).toBeUndefined();
        expect(s.users.update('nobody', { role: 'analyst' }, T0)).toBeUndefined();
      });

      it("sessions: found by token hash until they expire; a new password ends the user's sessions", async () => {
        const w = await fresh();
        const s = w.store;
        s.users.insert(
          { id: 'u1', username: 'alice', passwordHash: 'h1', role: 'analyst', tenantId: 'root' },
          T0,
        );
        const session = {
          tokenHash: 't1',
          userId: 'u1',
          csrfToken: 'x',
          createdAt: T0,
          expiresAt: T0 + HOUR,
        };
        s.sessions.insert(session);
        s.sessions.insert({ ...session, tokenHash: 't2', expiresAt: T0 + 2 * HOUR });
        expect(s.sessions.get('t1')).toEqual(session);
        expect(s.sessions.purgeExpired(T0 + HOUR)).toBe(1);
        expect(s.sessions.get('t1')).toBeUndefined();
        s.sessions.delete('t2');
        expect(s.sessions.get('t2')).toBeUndefined();
        s.sessions.insert({ ...session, tokenHash: 't3' });
        s.users.setPasswordHash('u1', 'h2', T0 + 5);
        expect(s.sessions.get('t3')).toBeUndefined();
        expect(s.users.credentials('alice')).toMatchObject({
          passwordHash: 'h2',
          user: { updatedAt: T0 + 5 },
        });
      });
    });

    describeSavedSearches(fresh);

    describeSearch(factory);
    describePaging(factory);
  });
}

/**
 * Threat Hunting's saved searches and history: owned by a user, visible to the owner and (when
 * shared) to the owner's tenant, bounded, deleted with the user; history newest first, distinct.
 */
function describeSavedSearches(fresh: () => Promise<World>): void {
  describe('saved searches and search history', () => {
    const users = (w: World) => {
      const add = (id: string, username: string, tenantId: string) =>
        w.store.users.insert({ id, username, passwordHash: 'h', role: 'analyst', tenantId }, T0);
      add('ann', 'ann', w.acmeId);
      add('bob', 'bob', w.acmeId);
      add('rita', 'rita', 'root');
    };
    const def = (name: string, over: object = {}) => ({
      name,
      query: 'aws_inspector.severity:HIGH',
      timeRange: { kind: 'relative', last: '24h' },
      timeField: 'write_time',
      columns: ['timestamp', 'severity'],
      sort: 'timestamp:desc',
      timeZone: 'utc',
      ...over,
    });
    const fieldsOf = (fn: () => unknown): string[] => {
      try {
        fn();
      } catch (e) {
        const err = e as CodedError & { fields?: { field: string }[] };
        return [err.code, ...(err.fields ?? []).map((f) => f.field)];
      }
      throw new Error('expected an error');
    };

    it('stores every field; the owner sees their own, the tenant sees shared ones only, another tenant nothing', async () => {
      const w = await fresh();
      users(w);
      const ss = w.store.savedSearches;
      const mine = ss.create('ann', def('High ones'));
      expect(mine).toMatchObject({
        ...def('High ones'),
        visibility: 'private',
        ownerId: 'ann',
        owner: 'ann',
        tenantId: w.acmeId,
      });
      expect(ss.get(mine.id)).toEqual(mine);
      const shared = ss.create(
        'ann',
        def('Shared', { visibility: 'tenant', timeRange: { kind: 'absolute', from: T0, to: T0 + DAY } }),
      );
      expect(shared.timeRange).toEqual({ kind: 'absolute', from: T0, to: T0 + DAY });
      ss.create('rita', def('Root shared', { visibility: 'tenant' }));
      expect(ss.listVisible('ann').map((x) => x.name)).toEqual(['High ones', 'Shared']);
      expect(ss.listVisible('bob').map((x) => x.name)).toEqual(['Shared']);
      // Another tenant: nothing of Acme's, shared or not.
      expect(ss.listVisible('rita').map((x) => x.name)).toEqual(['Root shared']);
      expect(ss.listVisible('nobody')).toEqual([]);
    });

    it('names are unique per owner ignoring case; bounds and bad fields are named; the owner must exist', async () => {
      const w = await fresh();
      users(w);
      const ss = w.store.savedSearches;
      const a = ss.create('ann', def('Daily'));
      expect(fieldsOf(() => ss.create('ann', def('DAILY')))).toEqual(['ERR_VALIDATION', 'name']);
      // Another owner may use the name.
      expect(ss.create('bob', def('daily')).name).toBe('daily');
      const b = ss.create('ann', def('Weekly'));
      expect(fieldsOf(() => ss.update(b.id, { name: 'daily' }))).toEqual(['ERR_VALIDATION', 'name']);
      expect(fieldsOf(() => ss.create('ann', def('x'.repeat(101))))).toEqual(['ERR_VALIDATION', 'name']);
      expect(fieldsOf(() => ss.create('ann', def('   ')))).toEqual(['ERR_VALIDATION', 'name']);
      expect(fieldsOf(() => ss.create('ann', def('q', { query: 'a'.repeat(10_001) })))).toEqual([
        'ERR_VALIDATION',
        'query',
      ]);
      expect(
        fieldsOf(() =>
          ss.create('ann', def('c', { columns: Array.from({ length: 51 }, (_, i) => `f${i}`) })),
        ),
      ).toEqual(['ERR_VALIDATION', 'columns']);
      expect(fieldsOf(() => ss.create('ann', def('v', { visibility: 'public' })))).toEqual([
        'ERR_VALIDATION',
        'visibility',
      ]);
      expect(
        fieldsOf(() => ss.create('ann', def('r', { timeRange: { kind: 'absolute', from: T0 + 1, to: T0 } }))),
      ).toEqual(['ERR_VALIDATION', 'timeRange.to']);
      expect(
        fieldsOf(() => ss.create('ann', def('r', { timeRange: { kind: 'relative', last: 'soon' } }))),
      ).toEqual(['ERR_VALIDATION', 'timeRange.last']);
      expect(fieldsOf(() => ss.create('nobody', def('n')))).toEqual(['ERR_NOT_FOUND_RESOURCE']);
      expect(ss.get(a.id)?.name).toBe('Daily');
    });

    it('at most 200 per user (ERR_CONFLICT); update replaces the given fields; delete', async () => {
      const w = await fresh();
      users(w);
      const ss = w.store.savedSearches;
      w.store.transaction(() => {
        for (let i = 0; i < 200; i++) ss.create('bob', def(`s${i}`));
      });
      expect(fieldsOf(() => ss.create('bob', def('one more')))).toEqual(['ERR_CONFLICT']);
      expect(ss.create('ann', def('others are not counted')).owner).toBe('ann');
      const s0 = ss.listVisible('bob').find((x) => x.name === 's0')!;
      const up = ss.update(s0.id, { query: 'zlib', visibility: 'tenant', columns: ['event_name'] });
      expect(up).toMatchObject({
        ...def('s0'),
        query: 'zlib',
        visibility: 'tenant',
        columns: ['event_name'],
      });
      expect(up.ownerId).toBe('bob');
      expect(ss.listVisible('ann').map((x) => x.name)).toContain('s0');
      expect(ss.delete(s0.id)).toBe(true);
      expect(ss.delete(s0.id)).toBe(false);
      expect(ss.get(s0.id)).toBeUndefined();
      expect(fieldsOf(() => ss.update(s0.id, { query: 'x' }))).toEqual(['ERR_NOT_FOUND_RESOURCE']);
      expect(ss.create('bob', def('one more')).name).toBe('one more');
    });

    it("a deleted user's searches and history go with them; a moved user's shared ones become private; a tenant rename changes nothing", async () => {
      const w = await fresh();
      users(w);
      const ss = w.store.savedSearches;
      ss.create('ann', def('Private'));
      ss.create('ann', def('Shared', { visibility: 'tenant' }));
      ss.create('bob', def('Bob shared', { visibility: 'tenant' }));
      w.store.searchHistory.add('ann', { query: 'zlib', timeRange: { kind: 'relative', last: '7d' } }, T0);
      w.store.tenants.rename(w.acmeId, 'Acme Renamed');
      expect(ss.listVisible('bob').map((x) => x.name)).toEqual(['Bob shared', 'Shared']);
      expect(w.store.users.delete('ann')).toBe(true);
      expect(ss.listVisible('bob').map((x) => x.name)).toEqual(['Bob shared']);
      expect(w.store.searchHistory.list('ann')).toEqual([]);
      // Bob moves to the Root Tenant: his shared search is private now, published nowhere.
      w.store.users.update('bob', { tenantId: 'root' }, T0 + 1);
      const bobs = ss.listVisible('bob');
      expect(bobs.map((x) => [x.name, x.visibility, x.tenantId])).toEqual([
        ['Bob shared', 'private', 'root'],
      ]);
      expect(ss.listVisible('rita').map((x) => x.name)).toEqual([]);
      // A role change alone keeps it as it is.
      ss.update(bobs[0]!.id, { visibility: 'tenant' });
      w.store.users.update('bob', { role: 'tenant_admin' }, T0 + 2);
      expect(ss.listVisible('rita').map((x) => x.name)).toEqual(['Bob shared']);
    });

    it('history: distinct queries per user, newest first, the latest range kept, at most 50, cleared', async () => {
      const w = await fresh();
      users(w);
      const h = w.store.searchHistory;
      const rel = (last: string) => ({ kind: 'relative', last });
      h.add('ann', { query: 'openssl', timeRange: rel('24h'), timeField: 'timestamp' }, T0);
      h.add('ann', { query: 'zlib', timeRange: rel('7d') }, T0 + 1);
      h.add('bob', { query: 'bob only', timeRange: rel('1h') }, T0 + 1);
      // Run again (same ms as another entry): moves to the top with its new range.
      expect(h.add('ann', { query: 'openssl', timeRange: rel('30d') }, T0 + 1)).toEqual({
        query: 'openssl',
        timeRange: rel('30d'),
        ranAt: T0 + 1,
      });
      expect(h.list('ann')).toEqual([
        { query: 'openssl', timeRange: rel('30d'), ranAt: T0 + 1 },
        { query: 'zlib', timeRange: rel('7d'), ranAt: T0 + 1 },
      ]);
      expect(fieldsOf(() => h.add('ann', { query: 'x', timeRange: rel('forever') }, T0))).toEqual([
        'ERR_VALIDATION',
        'timeRange.last',
      ]);
      expect(fieldsOf(() => h.add('ann', { query: 'y'.repeat(10_001), timeRange: rel('1h') }, T0))).toEqual([
        'ERR_VALIDATION',
        'query',
      ]);
      for (let i = 0; i < 60; i++) h.add('ann', { query: `q${i}`, timeRange: rel('1h') }, T0 + 10 + i);
      const list = h.list('ann');
      expect(list).toHaveLength(50);
      expect(list[0]!.query).toBe('q59');
      expect(list[49]!.query).toBe('q10');
      expect(h.list('bob').map((e) => e.query)).toEqual(['bob only']);
      expect(h.clear('ann')).toBe(50);
      expect(h.list('ann')).toEqual([]);
      expect(h.list('bob')).toHaveLength(1);
    });
  });
}

/** Six hand-built records whose hit sets are obvious; the names are their `_id`s. */
function searchRecords(w: World): InterflowRecord[] {
  const rec = (
    id: string,
    tenant: 'root' | 'acme',
    h: number,
    severity: number,
    over: Partial<InterflowRecord>,
  ) => ({
    ...version(w, { key: id, finding: id, timestamp: T0 + h * HOUR, tenant }),
    _id: id,
    write_time: T0 + DAY + h * HOUR,
    severity,
    ...over,
    aws_inspector: { findingArn: arn(id), ...(over.aws_inspector as object) },
  });
  const insp = (status: string, inspectorScore: number) => ({
    aws_inspector: { status, inspectorScore },
  });
  return [
    rec('alpha1', 'root', 1, 90, {
      event_name: 'Remote code execution in OpenSSL',
      package_name: 'openssl-libs',
      tags: ['prod', 'web'],
      resources: [{ id: 'i-1', type: 'AWS_EC2_INSTANCE' }],
      ip: '10.0.0.1',
      vulnerabilityId: 'CVE-2024-1234',
      ...insp('ACTIVE', 9.8),
    }),
    rec('bravo2', 'root', 2, 70, {
      event_name: 'Denial of service in zlib',
      package_name: 'zlib',
      tags: ['dev'],
      resources: [{ id: 'i-2', type: 'AWS_LAMBDA_FUNCTION' }],
      ...insp('CLOSED', 7),
    }),
    rec('charlie3', 'root', 3, 50, {
      event_name: 'Information disclosure',
      description: 'code execution remote',
      package_name: 'openssh',
      vulnerabilityId: 'CVE-2024-9999',
      ...insp('ACTIVE', 5),
    }),
    rec('delta4', 'root', 4, 30, {
      event_name: 'Weak cipher',
      package_name: 'libssl3',
      marker: '--',
      ...insp('SUPPRESSED', 3.1),
    }),
    rec('echo5', 'root', 5, 10, {
      event_name: 'Draft (draft) notice',
      package_name: 'curl',
      note: 'ratio a:b',
      ...insp('CLOSED', 1),
    }),
    rec('foxtrot6', 'acme', 6, 90, {
      event_name: 'Remote code execution in OpenSSL',
      package_name: 'openssl-libs',
      tags: ['prod'],
      ...insp('ACTIVE', 8),
    }),
  ];
}

/**
 * Every query form of src/search/README.md. Wildcards are asserted by their hits only (how they
 * are answered is the backend's business).
 */
const QUERIES: [q: string, ids: string][] = [
  // free text, case-insensitive
  ['openssl', 'alpha1 foxtrot6'],
  ['OpenSSL', 'alpha1 foxtrot6'],
  ['', 'alpha1 bravo2 charlie3 delta4 echo5 foxtrot6'],
  ['*', 'alpha1 bravo2 charlie3 delta4 echo5 foxtrot6'],
  ['zlib', 'bravo2'],
  ['alpha1', 'alpha1'],
  // field:value, words not substrings, several words = all of them
  ['package_name:openssl-libs', 'alpha1 foxtrot6'],
  ['package_name:OPENSSL-LIBS', 'alpha1 foxtrot6'],
  ['package_name:open', ''],
  ['severity:9', ''],
  ['aws_inspector.status:closed', 'bravo2 echo5'],
  ['msg_origin.source:aws', 'alpha1 bravo2 charlie3 delta4 echo5 foxtrot6'],
  // arrays are looked through, dotted paths into arrays of objects
  ['tags:prod', 'alpha1 foxtrot6'],
  ['tags:web', 'alpha1'],
  ['resources.type:AWS_LAMBDA_FUNCTION', 'bravo2'],
  ['resources.id:i-2', 'bravo2'],
  ['ip:"10.0.0.1"', 'alpha1'],
  ['_id:bravo2', 'bravo2'],
  // phrases: the words in this order
  ['"remote code execution"', 'alpha1 foxtrot6'],
  ['remote code execution', 'alpha1 charlie3 foxtrot6'],
  ['event_name:"code execution"', 'alpha1 foxtrot6'],
  ['description:"code execution"', 'charlie3'],
  ['description:"execution code"', ''],
  // wildcards, leading ones included
  ['package_name:open*', 'alpha1 charlie3 foxtrot6'],
  ['package_name:o?en*', 'alpha1 charlie3 foxtrot6'],
  ['package_name:OPEN*', 'alpha1 charlie3 foxtrot6'],
  ['package_name:*ssl', 'alpha1 foxtrot6'],
  ['package_name:*ssl*', 'alpha1 delta4 foxtrot6'],
  ['package_name:z?ib', 'bravo2'],
  ['package_name:*', 'alpha1 bravo2 charlie3 delta4 echo5 foxtrot6'],
  ['*ssl', 'alpha1 foxtrot6'],
  ['*ssl*', 'alpha1 delta4 foxtrot6'],
  ['open*', 'alpha1 charlie3 foxtrot6'],
  ['*nial', 'bravo2'],
  ['d*t*e', 'echo5'],
  ['d*s*e', 'charlie3'],
  // existence
  ['tags:*', 'alpha1 bravo2 foxtrot6'],
  ['_exists_:tags', 'alpha1 bravo2 foxtrot6'],
  ['_exists_:resources', 'alpha1 bravo2'],
  ['aws_inspector:*', 'alpha1 bravo2 charlie3 delta4 echo5 foxtrot6'],
  ['_exists_:nosuchfield', ''],
  ['NOT _exists_:tags', 'charlie3 delta4 echo5'],
  // boolean operators, juxtaposition, grouping, precedence
  ['openssl AND aws_inspector.status:ACTIVE', 'alpha1 foxtrot6'],
  ['openssl && tags:web', 'alpha1'],
  ['openssl tags:web', 'alpha1'],
  ['package_name:zlib OR package_name:curl', 'bravo2 echo5'],
  ['package_name:zlib || package_name:curl', 'bravo2 echo5'],
  ['NOT aws_inspector.status:CLOSED', 'alpha1 charlie3 delta4 foxtrot6'],
  ['!aws_inspector.status:CLOSED', 'alpha1 charlie3 delta4 foxtrot6'],
  ['-aws_inspector.status:CLOSED', 'alpha1 charlie3 delta4 foxtrot6'],
  ['+openssl -tags:web', 'foxtrot6'],
  ['package_name:curl OR package_name:zlib AND tags:dev', 'bravo2 echo5'],
  ['(package_name:curl OR package_name:zlib) AND tags:dev', 'bravo2'],
  ['aws_inspector.status:(ACTIVE OR SUPPRESSED)', 'alpha1 charlie3 delta4 foxtrot6'],
  ['NOT (openssl OR zlib)', 'charlie3 delta4 echo5'],
  ['openssl^2', 'alpha1 foxtrot6'],
  // ranges: inclusive, exclusive, mixed, open
  ['severity:[50 TO 90]', 'alpha1 bravo2 charlie3 foxtrot6'],
  ['severity:{50 TO 90}', 'bravo2'],
  ['severity:[50 TO 90}', 'bravo2 charlie3'],
  ['severity:{50 TO 90]', 'alpha1 bravo2 foxtrot6'],
  ['severity:[* TO 30]', 'delta4 echo5'],
  ['severity:[70 TO *]', 'alpha1 bravo2 foxtrot6'],
  ['severity:>=70', 'alpha1 bravo2 foxtrot6'],
  ['severity:>70', 'alpha1 foxtrot6'],
  ['severity:<=30', 'delta4 echo5'],
  ['severity:<30', 'echo5'],
  ['aws_inspector.inspectorScore:[7 TO 9]', 'bravo2 foxtrot6'],
  ['aws_inspector.inspectorScore:>9', 'alpha1'],
  ['package_name:[m TO p]', 'alpha1 charlie3 foxtrot6'],
  // times: ISO-8601 and epoch ms, on timestamp and write_time
  [`timestamp:>=${iso(T0 + 3 * HOUR)}`, 'charlie3 delta4 echo5 foxtrot6'],
  [`timestamp:>=${T0 + 3 * HOUR}`, 'charlie3 delta4 echo5 foxtrot6'],
  [`timestamp:[${iso(T0 + 2 * HOUR)} TO ${iso(T0 + 4 * HOUR)}]`, 'bravo2 charlie3 delta4'],
  [`timestamp:{${T0 + 2 * HOUR} TO ${T0 + 4 * HOUR}}`, 'charlie3'],
  [`write_time:<${iso(T0 + DAY + 2 * HOUR)}`, 'alpha1'],
  [`write_time:>${T0 + DAY + 5 * HOUR}`, 'foxtrot6'],
  // several words: all of them (anywhere, or in that field); values holding ':'
  ['CVE-2024-1234', 'alpha1'],
  ['vulnerabilityId:CVE-2024-1234', 'alpha1'],
  ['vulnerabilityId:cve-2024*', 'alpha1 charlie3'],
  [`aws_inspector.findingArn:${arn('bravo2')}`, 'bravo2'],
  ['_exists_:aws_inspector.inspectorScore', 'alpha1 bravo2 charlie3 delta4 echo5 foxtrot6'],
  // lower-case and/or are words; a free-text term without letters or digits is ignored
  ['zlib or curl', ''],
  ['service of', 'bravo2'],
  ['openssl /', 'alpha1 foxtrot6'],
  ['marker:--', 'delta4'],
  // escapes
  ['event_name:\\(draft\\)', 'echo5'],
  ['note:a\\:b', 'echo5'],
];

function describeSearch(factory: StoreFactory): void {
  describe('search semantics', () => {
    let o: OpenedStore;
    let w: World;
    beforeAll(async () => {
      o = await factory();
      w = world(o.store);
      const [a, b, c, d, e, f] = searchRecords(w);
      // Several commits (and, with small shards, several index shards).
      await commit(o.store, [{ connectorId: w.rootA, records: [a!, b!] }]);
      await commit(o.store, [{ connectorId: w.rootB, records: [c!, d!, e!] }]);
      await commit(o.store, [{ connectorId: w.acme, records: [f!] }]);
    });
    afterAll(async () => {
      await o.close();
    });

    const hits = (q: string, f: SearchFilter = {}) =>
      o.store.index
        .search({ ...f, q, limit: 0 })
        .records.map((r) => r._id)
        .sort();

    it.each(QUERIES)('%s', (q, expected) => {
      const want = expected.split(' ').filter(Boolean).sort();
      expect(hits(q)).toEqual(want);
      expect(o.store.index.count({ q })).toBe(want.length);
      expect(o.store.index.search({ q, limit: 2 }).total).toBe(want.length);
    });

    it('the stored record comes back as it was committed', () => {
      const all = searchRecords(w);
      for (const r of all) expect(o.store.index.search({ q: `_id:${r._id}` }).records).toEqual([r]);
    });

    it('a query that does not parse is refused with ERR_QUERY_INVALID naming the position', () => {
      for (const q of ['severity:[50 TO', '(openssl', 'openssl OR', 'severity:>']) {
        let err: unknown;
        try {
          o.store.index.search({ q });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(CodedError);
        expect((err as CodedError).code).toBe('ERR_QUERY_INVALID');
        expect((err as Error).message).toMatch(/position \d+/);
      }
    });

    it('tenant scoping: tenantIds restricts search, count and histogram; [] = nothing', () => {
      expect(hits('openssl', { tenantIds: ['root'] })).toEqual(['alpha1']);
      expect(hits('openssl', { tenantIds: [w.acmeId] })).toEqual(['foxtrot6']);
      expect(hits('openssl', { tenantIds: ['root', w.acmeId] })).toEqual(['alpha1', 'foxtrot6']);
      expect(hits('*', { tenantIds: [] })).toEqual([]);
      expect(hits('*', { tenantIds: ['no-such-tenant'] })).toEqual([]);
      expect(o.store.index.count({ q: '*', tenantIds: ['root'] })).toBe(5);
      expect(o.store.index.count({ tenantIds: [] })).toBe(0);
      const h = o.store.index.histogram({ tenantIds: [w.acmeId], buckets: 10 });
      expect(h.buckets.reduce((n, b) => n + b.count, 0)).toBe(1);
    });

    it('time ranges: inclusive from/to on timestamp (default) and on write_time', () => {
      const range = { from: T0 + 2 * HOUR, to: T0 + 4 * HOUR };
      expect(hits('*', range)).toEqual(['bravo2', 'charlie3', 'delta4']);
      expect(hits('*', { from: T0 + 5 * HOUR })).toEqual(['echo5', 'foxtrot6']);
      expect(hits('*', { to: T0 + HOUR })).toEqual(['alpha1']);
      expect(hits('*', { ...range, timeField: 'write_time' })).toEqual([]);
      const wt = { from: T0 + DAY + 2 * HOUR, to: T0 + DAY + 4 * HOUR, timeField: 'write_time' as const };
      expect(hits('*', wt)).toEqual(['bravo2', 'charlie3', 'delta4']);
      expect(hits('package_name:open*', wt)).toEqual(['charlie3']);
      expect(o.store.index.count({ q: 'severity:>=50', ...range })).toBe(2);
      expect(() => o.store.index.search({ timeField: 'nope' as never })).toThrow(/timeField/);
    });

    it('histogram: contiguous buckets whose counts are the counts of their ranges', () => {
      const cases: (SearchFilter & { buckets?: number })[] = [
        { buckets: 10 },
        { buckets: 3 },
        { q: 'openssl', buckets: 10 },
        { q: 'severity:>=50', timeField: 'write_time', buckets: 20 },
        { from: T0, to: T0 + 6 * HOUR - 1, buckets: 6 },
        { q: '*ssl*', from: T0, to: T0 + DAY, buckets: 24 },
      ];
      for (const c of cases) {
        const h = o.store.index.histogram(c);
        const { buckets: _b, ...filter } = c;
        const total = o.store.index.count(filter);
        expect(h.interval).toBeGreaterThan(0);
        expect(h.buckets.length).toBeGreaterThan(0);
        expect(h.buckets.length).toBeLessThanOrEqual((c.buckets ?? 60) + 1);
        expect(h.buckets.reduce((n, b) => n + b.count, 0)).toBe(total);
        h.buckets.forEach((b, i) => {
          if (i > 0) expect(b.start).toBe(h.buckets[i - 1]!.start + h.interval);
          const inBucket = o.store.index.count({
            ...filter,
            from: Math.max(b.start, filter.from ?? -Infinity),
            to: Math.min(b.start + h.interval - 1, filter.to ?? Infinity),
          });
          expect(b.count).toBe(inBucket);
        });
        if (c.from !== undefined) {
          expect(h.buckets[0]!.start).toBeLessThanOrEqual(c.from);
          expect(h.buckets.at(-1)!.start + h.interval).toBeGreaterThan(c.to!);
        }
      }
      // Nothing matches: no counts.
      const none = o.store.index.histogram({ q: 'nosuchword' }).buckets;
      expect(none.reduce((n, b) => n + b.count, 0)).toBe(0);
    });

    it('log-filter preview: the last records stored, newest first, and what a filter would discard', () => {
      // As POST /log-filters/preview does: recent(limit) for all tenants, else a tenant-scoped
      // search by write_time, then the filter matcher over them.
      const recent = o.store.index.recent(4);
      expect(recent.map((r) => r._id)).toEqual(['foxtrot6', 'echo5', 'delta4', 'charlie3']);
      expect(o.store.index.recent(100)).toHaveLength(6);
      expect(() => o.store.index.recent(0)).toThrow(CodedError);
      const match = compileFilters([
        { name: 'high', conditions: [{ field: 'severity', operator: 'gte', values: [70] }] },
      ]);
      expect(recent.filter((r) => match(r) !== undefined).map((r) => r._id)).toEqual(['foxtrot6']);
      const scoped = o.store.index.search({ tenantIds: ['root'], limit: 3, sort: 'write_time:desc' }).records;
      expect(scoped.map((r) => r._id)).toEqual(['echo5', 'delta4', 'charlie3']);
      expect(
        o.store.index
          .search({ tenantIds: ['root'], limit: 1000, sort: 'write_time:desc' })
          .records.filter((r) => match(r) !== undefined)
          .map((r) => r._id),
      ).toEqual(['bravo2', 'alpha1']);
    });
  });
}

function describePaging(factory: StoreFactory): void {
  describe('sorting and paging', () => {
    let o: OpenedStore;
    const N = 23;
    beforeAll(async () => {
      o = await factory();
      const w = world(o.store);
      // Ties on every sort field, so the order must be total for pages to neither repeat nor skip.
      const recs = Array.from({ length: N }, (_, i) => ({
        ...version(w, { key: `p${i}`, finding: `p${i}`, timestamp: T0 + (i % 5) * HOUR }),
        write_time: T0 + DAY + (i % 3) * HOUR,
        severity: ((i * 7) % 4) * 30,
      }));
      for (let i = 0; i < N; i += 6)
        await commit(o.store, [{ connectorId: w.rootA, records: recs.slice(i, i + 6) }]);
    });
    afterAll(async () => {
      await o.close();
    });

    const cases = SORT_FIELDS.flatMap((f) => (['asc', 'desc'] as const).map((d) => [f, d] as const));
    it.each(cases)('sort %s:%s with offset/limit pages: ordered, no duplicates, no gaps', (field, dir) => {
      const sort = `${field}:${dir}`;
      const all = o.store.index.search({ sort, limit: 0 });
      expect(all.total).toBe(N);
      const values = all.records.map((r) => r[field] as number);
      const sorted = [...values].sort((a, b) => (dir === 'asc' ? a - b : b - a));
      expect(values).toEqual(sorted);
      const paged: string[] = [];
      for (let offset = 0; offset < N + 5; offset += 5) {
        const p = o.store.index.search({ sort, limit: 5, offset });
        expect(p.total).toBe(N);
        expect(p.records.length).toBe(Math.max(0, Math.min(5, N - offset)));
        paged.push(...p.records.map((r) => r._id));
      }
      expect(paged).toEqual(all.records.map((r) => r._id));
      expect(new Set(paged).size).toBe(N);
      // The CLI's stream: the same records, the same order, as JSON texts.
      const streamed = [...o.store.index.stream({ sort, limit: 0 })].map(
        (t) => JSON.parse(t) as InterflowRecord,
      );
      expect(streamed).toEqual(all.records);
      // The export's keyset pages (each after the previous page's last row): the same order.
      const exported: string[] = [];
      for (let page = o.store.index.exportPage({ sort, limit: 4 }); ;) {
        expect(page.total).toBe(N);
        exported.push(...page.docs.map((t) => (JSON.parse(t) as InterflowRecord)._id));
        if (page.next === null) break;
        page = o.store.index.exportPage({ sort, limit: 4, after: page.next, total: page.total });
      }
      expect(exported).toEqual(all.records.map((r) => r._id));
      expect(o.store.index.count({})).toBe(o.store.index.size());
      // The same with a query and a time range.
      const f = { q: 'severity:>=30', from: T0 + HOUR, sort };
      const want = o.store.index.search({ ...f, limit: 0 }).records.map((r) => r._id);
      const got = [0, 4, 8, 12, 16].flatMap((offset) =>
        o.store.index.search({ ...f, limit: 4, offset }).records.map((r) => r._id),
      );
      expect(got).toEqual(want);
      expect(want.length).toBe(o.store.index.count(f));
    });

    it('default sort is timestamp:desc, default page 100; a bad sort is refused', () => {
      const r = o.store.index.search({});
      expect(r.records.map((x) => x.timestamp)).toEqual(
        o.store.index.search({ sort: 'timestamp:desc', limit: 0 }).records.map((x) => x.timestamp),
      );
      expect(() => o.store.index.search({ sort: 'event_name:asc' })).toThrow(/sort must be/);
    });
  });
}

/** What the previous release's data directory holds, for a backend's `fromPreviousRelease`. */
export interface PreviousReleaseData {
  tenants: { id: string; name: string }[];
  connectors: { id: string; name: string; tenant: string }[];
  /** The records as that release stored them (`_id` = the version key, no tenant). */
  records: InterflowRecord[];
  checkpoints: Record<string, unknown>;
}

/**
 * Upgrade: `fromPreviousRelease(data)` builds the data the previous release (0.1.0, schema
 * version 9 for SQLite) would have left holding `data`, then opens it with today's code.
 */
export function describeUpgradeConformance(
  name: string,
  fromPreviousRelease: (data: PreviousReleaseData) => Promise<OpenedStore>,
): void {
  describe(`store conformance: ${name}: upgrade from the previous release`, () => {
    const C = { id: 'c-root', name: 'legacy-root', tenant: 'Root Tenant' };
    const records: InterflowRecord[] = [1, 2, 3, 4].map((i) =>
      testRecord(
        { id: C.id, name: C.name },
        {
          _id: `0000000000000000000000000000000${i}`,
          timestamp: T0 + i * HOUR,
          severity: 20 * i,
          package_name: `legacypkg${i}`,
          aws_inspector: {
            findingArn: arn(`legacy${i}`),
            status: i === 4 ? 'CLOSED' : 'ACTIVE',
            severity: 'HIGH',
          },
        },
      ),
    );
    const data: PreviousReleaseData = {
      tenants: [{ id: 'acme-id', name: ACME }],
      connectors: [C],
      records,
      checkpoints: { [C.id]: { token: 'legacy-token' } },
    };

    it('records are searchable under their per-tenant _id, deduplicated on re-commit, state and checkpoint intact', async () => {
      const o = await fromPreviousRelease(data);
      try {
        const s = o.store;
        expect(s.index.size()).toBe(records.length);
        const upgraded: InterflowRecord[] = records.map((r) => ({
          ...r,
          _id: tenantRecordId(r.tenantid, r._id),
        }));
        for (const r of upgraded) {
          expect(s.index.search({ q: `_id:${r._id}` }).records).toEqual([r]);
          expect(s.index.search({ q: `package_name:${String(r.package_name)}` }).records).toEqual([r]);
        }
        expect(s.index.count({ q: 'legacypkg* AND severity:>=40' })).toBe(3);
        expect(s.index.count({ q: 'aws_inspector.status:closed', tenantIds: ['root'] })).toBe(1);
        expect(s.tenants.getByName(ACME)?.id).toBe('acme-id');
        expect(s.connectors.get(C.id)?.name).toBe(C.name);
        expect(s.checkpoints.get(C.id)).toEqual({ token: 'legacy-token' });
        expect(s.findings.get('root', arn('legacy4'))).toMatchObject({
          status: 'CLOSED',
          recordId: upgraded[3]!._id,
        });

        // Collecting the same versions again (today's ids) stores nothing.
        const run = s.runs.start(C.id);
        const again = await commit(s, [
          { connectorId: C.id, records: upgraded, checkpoint: { token: 'next' }, runId: run },
        ]);
        expect(again).toMatchObject({ stored: 0, duplicates: records.length });
        expect(s.index.size()).toBe(records.length);
        // A new version moves the state forward; the old ones stay searchable.
        const v5 = {
          ...upgraded[3]!,
          _id: tenantRecordId('root', 'v5'),
          timestamp: T0 + DAY,
          aws_inspector: { findingArn: arn('legacy4'), status: 'ACTIVE' },
        };
        expect(await commit(s, [{ connectorId: C.id, records: [v5] }])).toMatchObject({ stored: 1 });
        expect(s.findings.get('root', arn('legacy4'))).toMatchObject({ status: 'ACTIVE', recordId: v5._id });
        expect(s.index.count({ q: 'package_name:legacypkg4' })).toBe(2);
      } finally {
        await o.close();
      }
    });
  });
}
