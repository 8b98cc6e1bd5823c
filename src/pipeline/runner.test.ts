/**
 * The runner against a real SQLite store in a temp dir and a fake of the narrow AWS client
 * (the real client over HTTP(S) is exercised in test/integration/collect*.test.ts); the
 * generic part runs against every connector type (test/support/connectors/cases.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { fixedClock } from '../core/clock.js';
import { CodedError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { createMetrics } from '../core/metrics.js';
import type {
  ClientFactory,
  InspectorClient,
  ListFindingsRequest,
} from '../connectors/aws-inspector/client.js';
import { openStore, type Store } from '../store/index.js';
import { runConnector } from './runner.js';
import { productionStoreTypes, storeTypes } from '../connectors/registry.js';
import { awsRegistry } from '../../test/support/connectors/index.js';
import { checkpointOf } from '../../test/support/checkpoints.js';
import { TYPE_CASES, type TypeSource } from '../../test/support/connectors/cases.js';

const NOW = Date.UTC(2026, 10, 1, 12);
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

function finding(i: number, status = 'ACTIVE', updatedAtSec = NOW / 1000 - 86_400 + i, severity = 'HIGH') {
  return {
    findingArn: `arn:aws:inspector2:us-east-1:123456789012:finding/${i.toString(16).padStart(32, '0')}`,
    awsAccountId: '123456789012',
    type: 'PACKAGE_VULNERABILITY',
    title: `CVE-2026-${1000 + i} - openssl`,
    description: 'd',
    severity,
    status,
    firstObservedAt: updatedAtSec - 100,
    lastObservedAt: updatedAtSec,
    updatedAt: updatedAtSec,
    remediation: { recommendation: { text: 'upgrade' } },
    resources: [{ type: 'AWS_EC2_INSTANCE', id: `i-${i}`, region: 'us-east-1' }],
  };
}

/** Pages of a fixed list; every request is answered from it regardless of the filter. */
function listClient(
  all: unknown[],
  opts: { fail?: (req: ListFindingsRequest) => Error | undefined } = {},
): { factory: ClientFactory; destroyed: () => number } {
  let destroyed = 0;
  const client: InspectorClient = {
    async listFindingsPage(req) {
      const err = opts.fail?.(req);
      if (err) throw err;
      const offset = req.nextToken ? Number(req.nextToken) : 0;
      const page = all.slice(offset, offset + req.maxResults);
      const end = offset + page.length;
      return { findings: page, ...(end < all.length ? { nextToken: String(end) } : {}) };
    },
    getCallerIdentity: () => Promise.reject(new Error('unused')),
    batchGetAccountStatus: () => Promise.reject(new Error('unused')),
    destroy: () => {
      destroyed++;
    },
  };
  return { factory: () => client, destroyed: () => destroyed };
}

let dir: string;
let store: Store;
let id: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-'));
  store = openStore({
    connectorTypes: productionStoreTypes(),
    dataDir: dir,
    key: Buffer.alloc(32, 7),
    clock: fixedClock(NOW),
  });
  id = store.connectors.create({
    name: 'root-aws-inspector',
    region: 'us-east-1',
    // One query per run: this fake ignores filters, so a CLOSED query would return the same list.
    initialLookbackDays: 0,
    auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET },
    logFilters: [
      {
        name: 'drop-low',
        conditions: [{ field: 'aws_inspector.severity', operator: 'equals', values: ['LOW'] }],
      },
    ],
  }).id;
});

afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('runConnector', () => {
  it('stores every finding, counts pages, filter discards and duplicates, and marks the connector ok', async () => {
    const all = [
      ...Array.from({ length: 230 }, (_, i) => finding(i)),
      ...Array.from({ length: 20 }, (_, i) => finding(1000 + i, 'ACTIVE', NOW / 1000 - 50, 'LOW')),
    ];
    const { factory, destroyed } = listClient(all);
    const metrics = createMetrics(new Registry());
    const deps = {
      store,
      clock: fixedClock(NOW),
      logger: silentLogger(),
      registry: awsRegistry(factory),
      metrics,
    };
    const out = await runConnector(deps, id);
    expect(out).toMatchObject({
      status: 'ok',
      received: 250,
      stored: 230,
      discarded: 20,
      pages: 3,
      duplicates: 0,
    });
    expect(out.discardedByFilter).toEqual({ 'drop-low': 20 });
    expect(store.index.size()).toBe(230);
    const run = store.runs.get(out.runId)!;
    expect(run).toMatchObject({ status: 'ok', received: 250, stored: 230, discarded: 20, pages: 3 });
    const c = store.connectors.get(id)!;
    expect(c.status.state).toBe('ok');
    expect(c.status.lastSuccessAt).toBe(NOW);
    expect(destroyed()).toBe(1);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(new RegExp(`inspector_connector_records_stored_total\\{connector="${id}"\\} 230`));
    expect(text).toMatch(
      /inspector_connector_records_discarded_total\{connector="[^"]+",filter="drop-low"\} 20/,
    );

    // The same versions again (the fake ignores the window): all duplicates, nothing stored twice.
    // The lastObservedAt query (for findings without updatedAt) hands on the 230 whose updatedAt
    // lies outside the window once more; the 20 inside it were the updatedAt query's.
    const again = await runConnector({ ...deps, clock: fixedClock(NOW + 3_600_000) }, id);
    expect(again).toMatchObject({ status: 'ok', stored: 0, duplicates: 460, discarded: 20 });
    expect(store.index.size()).toBe(230);
  });

  it("counts versions new to the index below a page's lateBefore as late, warns on the connector for a day", async () => {
    const all: unknown[] = Array.from({ length: 10 }, (_, i) => finding(i));
    const { factory } = listClient(all);
    const metrics = createMetrics(new Registry());
    const deps = (at: number) => ({
      store,
      clock: fixedClock(at),
      logger: silentLogger(),
      registry: awsRegistry(factory),
      metrics,
    });
    // Detection needs a first run that read CLOSED versions as far back as the band.
    store.connectors.update(id, { initialLookbackDays: 1 });
    // First run (two queries, the same list from this fake): its queries detect nothing.
    expect(await runConnector(deps(NOW), id)).toMatchObject({ status: 'ok', stored: 10, lateVersions: 0 });
    // The next window (lateBefore = NOW - 15 min) gets the 10 again (stored: not late), 3 new
    // versions from an hour before NOW (late), 2 from after it (not late), 1 filtered out.
    all.push(
      ...[20, 21, 22].map((i) => finding(i, 'ACTIVE', NOW / 1000 - 3600)),
      ...[30, 31].map((i) => finding(i, 'ACTIVE', NOW / 1000 - 60)),
      finding(40, 'ACTIVE', NOW / 1000 - 3600, 'LOW'),
    );
    // The lastObservedAt query (this fake ignores its window too) hands on once more those whose
    // updatedAt lies outside the window: the 10, the 3 late ones (duplicates now), the filtered one.
    const second = await runConnector(deps(NOW + 3_600_000), id);
    expect(second).toMatchObject({ status: 'ok', stored: 5, duplicates: 23, discarded: 2, lateVersions: 3 });
    expect(second.lateHint).toMatch(/^indexing lag exceeded the overlap of 15 min/);
    expect(await metrics.registry.metrics()).toMatch(
      new RegExp(`inspector_connector_late_versions_total\\{connector="${id}"\\} 3`),
    );
    const warned = store.connectors.get(id)!.status;
    expect(warned.state).toBe('ok');
    expect(warned.lastError).toEqual({
      code: 'ERR_INDEXING_LAG',
      message:
        '3 finding versions arrived late (stored): indexing lag exceeded the overlap of 15 min (collected by the band below it); raise overlapMinutes',
      at: NOW + 3_600_000,
    });
    // A run without late versions keeps the warning for a day, then clears it.
    expect(await runConnector(deps(NOW + 7_200_000), id)).toMatchObject({ lateVersions: 0 });
    expect(store.connectors.get(id)!.status.lastError).toEqual(warned.lastError);
    await runConnector(deps(NOW + 3_600_000 + 86_400_000), id);
    expect(store.connectors.get(id)!.status.lastError).toBeUndefined();
  });

  it('records a coded failure in the run, the status and the metrics, without secrets', async () => {
    const { factory } = listClient([finding(1)], {
      fail: () => new CodedError('ERR_PERMISSION', `AccessDeniedException for key ${SECRET}`),
    });
    const metrics = createMetrics(new Registry());
    const out = await runConnector(
      { store, clock: fixedClock(NOW), logger: silentLogger(), registry: awsRegistry(factory), metrics },
      id,
    );
    expect(out.status).toBe('failed');
    expect(out.error?.code).toBe('ERR_PERMISSION');
    expect(out.error?.message).not.toContain(SECRET);
    const c = store.connectors.get(id)!;
    expect(c.status.state).toBe('failed');
    expect(c.status.lastError?.code).toBe('ERR_PERMISSION');
    expect(c.status.lastError?.message).not.toContain(SECRET);
    expect(store.runs.get(out.runId)).toMatchObject({ status: 'failed', error: { code: 'ERR_PERMISSION' } });
    expect(await metrics.registry.metrics()).toMatch(
      /inspector_connector_errors_total\{connector="[^"]+",code="ERR_PERMISSION"\} 1/,
    );
  });

  it('a secret that no longer decrypts (key reset) is a failed run with ERR_SECRET_UNREADABLE, not a crash', async () => {
    // The store opened again with another key, accepted by serve --reset-secrets: the secrets
    // sealed under the first one no longer decrypt.
    store.close();
    store = openStore({
      dataDir: dir,
      key: Buffer.alloc(32, 8),
      clock: fixedClock(NOW),
      verifyKey: true,
      resetSecrets: true,
    });
    const { factory } = listClient([finding(1)]);
    const out = await runConnector(
      { store, clock: fixedClock(NOW), logger: silentLogger(), registry: awsRegistry(factory) },
      id,
    );
    expect(out.status).toBe('failed');
    expect(out.error?.code).toBe('ERR_SECRET_UNREADABLE');
    expect(out.error?.message).toMatch(/re-enter the secret/);
    const c = store.connectors.get(id)!;
    expect(c.status).toMatchObject({ state: 'failed', lastError: { code: 'ERR_SECRET_UNREADABLE' } });
    expect(store.runs.get(out.runId)).toMatchObject({
      status: 'failed',
      error: { code: 'ERR_SECRET_UNREADABLE' },
    });
    expect(store.index.size()).toBe(0);
  });

  it('fails a page with a non-object finding cleanly: nothing of it stored, checkpoint unchanged', async () => {
    const all = [...Array.from({ length: 100 }, (_, i) => finding(i)), finding(100), 'not a finding'];
    const { factory } = listClient(all);
    const out = await runConnector(
      { store, clock: fixedClock(NOW), logger: silentLogger(), registry: awsRegistry(factory) },
      id,
    );
    expect(out.status).toBe('failed');
    expect(out.error?.code).toBe('ERR_BAD_RESPONSE');
    expect(out.stored).toBe(100);
    expect(store.index.size()).toBe(100);
    const cp = checkpointOf(store, id) as { queue: { nextToken?: string }[] };
    expect(cp.queue[0]!.nextToken).toBe('100');
  });

  it('hands the stored records (not duplicates, not discarded) to onRecords', async () => {
    const all = [finding(1), finding(2), finding(3, 'ACTIVE', NOW / 1000 - 10, 'LOW')];
    const { factory } = listClient(all);
    const seen: string[] = [];
    await runConnector(
      { store, clock: fixedClock(NOW), logger: silentLogger(), registry: awsRegistry(factory) },
      id,
      {
        onRecords: (rs) => {
          seen.push(
            ...rs.map(
              (r) => (JSON.parse(r) as { aws_inspector: { findingArn: string } }).aws_inspector.findingArn,
            ),
          );
        },
      },
    );
    expect(seen).toEqual([finding(1).findingArn, finding(2).findingArn]);
  });

  describe('group commit', () => {
    const deps = (factory: ClientFactory) => ({
      store,
      clock: fixedClock(NOW),
      logger: silentLogger(),
      registry: awsRegistry(factory),
    });

    it("stores several pages in one transaction with the last page's checkpoint", async () => {
      const all = Array.from({ length: 1050 }, (_, i) => finding(i));
      const commits: { records: number; pages: number; token: string | undefined }[] = [];
      // Each commit as the store reports it, with the checkpoint it saved.
      const real = store.pageSink.bind(store);
      store.pageSink = (o) =>
        real({
          ...o,
          onCommitted: async (c) => {
            const cp = checkpointOf(store, id) as { queue: { nextToken?: string }[] };
            commits.push({ records: c.stored + c.duplicates, pages: c.pages, token: cp.queue[0]?.nextToken });
            await o.onCommitted?.(c);
          },
        });
      const out = await runConnector(deps(listClient(all).factory), id, { commitRecords: 300 });
      expect(out).toMatchObject({ status: 'ok', stored: 1050, pages: 11 });
      expect(commits).toEqual([
        { records: 300, pages: 3, token: '300' },
        { records: 300, pages: 3, token: '600' },
        { records: 300, pages: 3, token: '900' },
        { records: 150, pages: 2, token: undefined },
      ]);
      expect(store.runs.get(out.runId)).toMatchObject({ pages: 11, stored: 1050, received: 1050 });
      expect(store.index.size()).toBe(1050);
    });

    it('stores a buffered page after commitDelayMs even while the next page is slow', async () => {
      const all = Array.from({ length: 150 }, (_, i) => finding(i));
      const { factory } = listClient(all);
      const inner = factory(undefined as never, undefined as never);
      let storedWhenSecondAnswered = -1;
      const slow: ClientFactory = () => ({
        ...inner,
        async listFindingsPage(req) {
          if (req.nextToken) {
            const t0 = Date.now();
            while (store.index.size() === 0 && Date.now() - t0 < 5000)
              await new Promise((r) => setTimeout(r, 10));
            storedWhenSecondAnswered = store.index.size();
          }
          return inner.listFindingsPage(req);
        },
      });
      const out = await runConnector(deps(slow), id, { commitDelayMs: 20 });
      expect(out).toMatchObject({ status: 'ok', stored: 150 });
      expect(storedWhenSecondAnswered).toBe(100);
    });

    it("fails the run with the store's error when a commit fails; the pages committed before it stay", async () => {
      const all = Array.from({ length: 250 }, (_, i) => finding(i));
      const { factory } = listClient(all);
      // The second commit fails (as a full disk would): the store's commits after the first.
      const real = store.pageSink.bind(store);
      let commits = 0;
      store.pageSink = (o) => {
        const sink = real(o);
        return {
          ...sink,
          async write(page) {
            if (commits === 1) throw new CodedError('ERR_STORE', 'disk full');
            await sink.write(page);
            commits++;
          },
        };
      };
      const out = await runConnector(deps(factory), id, { commitRecords: 100 });
      expect(out.status).toBe('failed');
      expect(out.error).toMatchObject({ code: 'ERR_STORE', message: 'disk full' });
      expect(out.stored).toBe(100);
      expect(store.index.size()).toBe(100);
      const cp = checkpointOf(store, id) as { queue: { nextToken?: string }[] };
      expect(cp.queue[0]!.nextToken).toBe('100');
      expect(store.connectors.get(id)!.status).toMatchObject({
        state: 'failed',
        lastError: { code: 'ERR_STORE' },
      });
    });
  });
});

describe.each(TYPE_CASES)('runConnector with any connector type: $type', (tc) => {
  let s: Store;
  let d: string;
  let src: TypeSource;
  let cid: string;
  const run = (clock = fixedClock(NOW), metrics?: ReturnType<typeof createMetrics>) =>
    runConnector(
      { store: s, clock, logger: silentLogger(), registry: src.registry, ...(metrics ? { metrics } : {}) },
      cid,
      { maxResults: 50 },
    );

  beforeEach(() => {
    src = tc.source(100, NOW);
    d = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-any-'));
    s = openStore({ connectorTypes: storeTypes(src.registry), dataDir: d, key: Buffer.alloc(32, 7) });
    cid = s.connectors.create(src.config, { type: tc.type }).id;
  });
  afterEach(() => {
    s.close();
    fs.rmSync(d, { recursive: true, force: true });
    src.cleanup();
  });

  it("stores every item as a record, keeps each finding's current state under the type's key, marks the connector ok", async () => {
    const metrics = createMetrics(new Registry());
    const out = await run(fixedClock(NOW), metrics);
    expect(out).toMatchObject({ status: 'ok', received: 100, stored: 100, duplicates: 0, pages: 2 });
    expect(s.index.size()).toBe(100);
    expect(s.connectors.get(cid)!.status.state).toBe('ok');
    expect(s.findings.countByStatus(cid)).toEqual({ ACTIVE: 100 });
    for (const k of [src.keys[0]!, src.keys[99]!]) {
      expect(s.findings.get('root', k)).toMatchObject({ connectorId: cid, status: 'ACTIVE' });
    }
    expect(await metrics.registry.metrics()).toMatch(
      new RegExp(`inspector_connector_records_stored_total\\{connector="${cid}"\\} 100`),
    );

    // The next run resumes from the type's checkpoint: only the new findings are stored.
    const added = src.add(7);
    const again = await run(fixedClock(NOW + 60_000));
    expect(again).toMatchObject({ status: 'ok', stored: 7 });
    expect(s.index.size()).toBe(107);
    expect(s.findings.get('root', added[6]!)).toMatchObject({ status: 'ACTIVE' });
  });

  it('a failing source is a failed run with its coded error in the run, the status and the metrics', async () => {
    const code = src.break();
    const metrics = createMetrics(new Registry());
    const out = await run(fixedClock(NOW), metrics);
    expect(out).toMatchObject({ status: 'failed', error: { code } });
    expect(s.connectors.get(cid)!.status).toMatchObject({ state: 'failed', lastError: { code } });
    expect(s.runs.get(out.runId)).toMatchObject({ status: 'failed', error: { code } });
    expect(await metrics.registry.metrics()).toMatch(
      new RegExp(`inspector_connector_errors_total\\{connector="${cid}",code="${code}"\\} 1`),
    );
  });

  it('an item the type cannot map fails its page (after two full pages); the pages before it are stored', async () => {
    src.poison();
    const out = await run();
    expect(out).toMatchObject({ status: 'failed', error: { code: 'ERR_BAD_RESPONSE' }, stored: 100 });
    expect(s.index.size()).toBe(100);
  });
});
