import { describe, expect, it } from 'vitest';
import type { InspectorClient, ListFindingsRequest } from './client.js';
import { CodedError } from '../../core/errors.js';
import type { IndexFindingState, ReconcileIndex } from '../types.js';
import { reconcile, reconcileQueries, versionOf } from './reconcile.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);

interface Raw {
  findingArn: string;
  status: string;
  updatedAt: number; // epoch seconds, as on the wire
  lastObservedAt: number;
  firstObservedAt: number;
  type: string;
  severity: string;
}

const arn = (i: number) =>
  `arn:aws:inspector2:us-east-1:123456789012:finding/${i.toString(16).padStart(32, '0')}`;
function finding(i: number, status: string, updatedMs: number): Raw {
  const s = updatedMs / 1000;
  return {
    findingArn: arn(i),
    status,
    updatedAt: s,
    lastObservedAt: s,
    firstObservedAt: s - 86_400,
    type: 'PACKAGE_VULNERABILITY',
    severity: 'HIGH',
  };
}

/** A fake AWS: filters on findingStatus / updatedAt / findingArn, pages by offset tokens. */
function fakeAws(findings: Raw[], opts: { rejectTokenOnce?: boolean } = {}) {
  const calls: ListFindingsRequest[] = [];
  let rejected = false;
  const client: InspectorClient = {
    async listFindingsPage(req) {
      calls.push(req);
      if (req.nextToken && opts.rejectTokenOnce && !rejected) {
        rejected = true;
        throw new CodedError('ERR_TOKEN_REJECTED', 'Input Query has changed');
      }
      const f = req.filterCriteria as Record<
        string,
        { value?: string; startInclusive?: number; endInclusive?: number }[]
      >;
      const match = findings.filter((x) => {
        if (f.findingStatus && !f.findingStatus.some((c) => c.value === x.status)) return false;
        if (f.findingArn && !f.findingArn.some((c) => c.value === x.findingArn)) return false;
        if (f.updatedAt) {
          const t = x.updatedAt * 1000;
          if (!f.updatedAt.some((r) => t >= r.startInclusive! && t <= r.endInclusive!)) return false;
        }
        return true;
      });
      const start = req.nextToken ? Number(req.nextToken) : 0;
      const end = start + req.maxResults;
      return {
        findings: match.slice(start, end).map((x) => ({ ...x })),
        ...(end < match.length ? { nextToken: String(end) } : {}),
      };
    },
    async getCallerIdentity() {
      return { account: '123456789012', arn: 'arn', userId: 'u' };
    },
    async batchGetAccountStatus() {
      return { accounts: [], failed: [] };
    },
    destroy() {},
  };
  return { client, calls };
}

/** The connector's tenant (record ids are per tenant). */
const TENANT = 'root';

/** An in-memory index built from "collected" raw findings. */
function memIndex(collected: Raw[]) {
  const records = new Set<string>();
  const state = new Map<string, IndexFindingState>();
  for (const r of collected) {
    const v = versionOf(r, TENANT)!;
    records.add(v.recordId);
    const prev = state.get(v.findingArn);
    if (!prev || prev.updatedAt < v.updatedAt)
      state.set(v.findingArn, { key: v.findingArn, status: v.status, updatedAt: v.updatedAt });
  }
  const index: ReconcileIndex = {
    hasRecord: (id) => records.has(id),
    finding: (a) => state.get(a),
    findings: () => [...state.values()].sort((a, b) => (a.key < b.key ? -1 : 1)),
    oldestWithStatus: (status) => {
      const c = [...state.values()].filter((s) => s.status === status).map((s) => s.updatedAt);
      return c.length ? Math.min(...c) : undefined;
    },
  };
  return { index, records, state };
}

function world() {
  const aws: Raw[] = [];
  for (let i = 0; i < 250; i++)
    aws.push(finding(i, i % 10 === 0 ? 'SUPPRESSED' : 'ACTIVE', NOW - (i % 50) * DAY));
  for (let i = 250; i < 300; i++) aws.push(finding(i, 'CLOSED', NOW - (i % 5) * DAY));
  // CLOSED long ago: out of the collector's scope, never collected.
  for (let i = 300; i < 320; i++) aws.push(finding(i, 'CLOSED', NOW - 100 * DAY));
  return aws;
}
const inScope = (aws: Raw[]) =>
  aws.filter((f) => f.status !== 'CLOSED' || f.updatedAt * 1000 >= NOW - 7 * DAY);

describe('reconcile', () => {
  it('plans fixed filters: collector scope or an explicit window', () => {
    expect(reconcileQueries(undefined, NOW, NOW - 7 * DAY).map((q) => q.key)).toEqual(['active', 'closed']);
    const [w] = reconcileQueries(NOW - DAY, NOW, 0);
    expect(w!.filterCriteria).toEqual({ updatedAt: [{ startInclusive: NOW - DAY, endInclusive: NOW }] });
  });

  it('reports a match after a complete collection (old CLOSED findings are out of scope)', async () => {
    const aws = world();
    const { client } = fakeAws(aws);
    const { index } = memIndex(inScope(aws));
    const r = await reconcile({ client, index, tenantId: TENANT, to: NOW, initialLookbackDays: 7 });
    expect(r.match).toBe(true);
    expect(r.aws.findings).toBe(300);
    expect(r.matched).toBe(300);
    expect(r.aws.byStatus).toEqual({ ACTIVE: 225, SUPPRESSED: 25, CLOSED: 50 });
    expect(r.index.findings).toBe(300);
  });

  it('reports exactly the missing, stale and unexpected findings, by status', async () => {
    const aws = world();
    const collected = inScope(aws).filter((f) => f.findingArn !== arn(3) && f.findingArn !== arn(260));
    // An index-only finding AWS never had.
    collected.push(finding(9999, 'ACTIVE', NOW - DAY));
    const { client } = fakeAws(aws);
    const { index } = memIndex(collected);
    // Two findings changed in AWS after collection: one closed, one observed again.
    const f7 = aws.find((f) => f.findingArn === arn(7))!;
    f7.status = 'CLOSED';
    f7.updatedAt += 60;
    const f8 = aws.find((f) => f.findingArn === arn(8))!;
    f8.updatedAt += 60;
    const r = await reconcile({ client, index, tenantId: TENANT, to: NOW + DAY, initialLookbackDays: 7 });
    expect(r.match).toBe(false);
    expect(r.missing.count).toBe(2);
    expect(r.missing.sample.map((d) => d.findingArn).sort()).toEqual([arn(3), arn(260)].sort());
    expect(r.missing.byStatus).toEqual({ ACTIVE: 1, CLOSED: 1 });
    expect(r.stale.count).toBe(2);
    expect(r.stale.byStatus).toEqual({ ACTIVE: 1, CLOSED: 1 });
    expect(r.unexpected.count).toBe(1);
    expect(r.unexpected.sample[0]!.findingArn).toBe(arn(9999));
  });

  it('an index finding whose AWS version lies outside the listing is looked up by ARN, not called unexpected', async () => {
    const aws = world();
    // Collected while ACTIVE; AWS closed it 100 days ago (outside the CLOSED lookback).
    const old = finding(400, 'ACTIVE', NOW - 120 * DAY);
    const { index } = memIndex([...inScope(aws), old]);
    aws.push({ ...finding(400, 'CLOSED', NOW - 100 * DAY) });
    const { client, calls } = fakeAws(aws);
    const r = await reconcile({ client, index, tenantId: TENANT, to: NOW, initialLookbackDays: 7 });
    expect(calls.some((c) => 'findingArn' in c.filterCriteria)).toBe(true);
    expect(r.unexpected.count).toBe(0);
    expect(r.stale.count).toBe(1);
    expect(r.stale.sample[0]!.findingArn).toBe(arn(400));
  });

  it('with an explicit window compares only that window', async () => {
    const aws = world();
    const collected = inScope(aws).filter((f) => f.findingArn !== arn(1));
    const { client } = fakeAws(aws);
    const { index } = memIndex(collected);
    // arn(1) was updated 1 day ago; a window of the last 12 hours does not include it.
    const r = await reconcile({
      client,
      index,
      tenantId: TENANT,
      from: NOW - DAY / 2,
      to: NOW,
      initialLookbackDays: 7,
    });
    expect(r.match).toBe(true);
    const r2 = await reconcile({
      client,
      index,
      tenantId: TENANT,
      from: NOW - 2 * DAY,
      to: NOW,
      initialLookbackDays: 7,
    });
    expect(r2.missing.sample.map((d) => d.findingArn)).toEqual([arn(1)]);
  });

  it('a rejected nextToken restarts the listing without counting anything twice', async () => {
    const aws = world();
    const { client } = fakeAws(aws, { rejectTokenOnce: true });
    const { index } = memIndex(inScope(aws));
    const r = await reconcile({
      client,
      index,
      tenantId: TENANT,
      to: NOW,
      initialLookbackDays: 7,
      maxResults: 40,
    });
    expect(r.tokenRestarts).toBe(1);
    expect(r.aws.findings).toBe(300);
    expect(r.match).toBe(true);
  });
});

describe('reconcile across regions', () => {
  const inRegion = (f: Raw, region: string): Raw => ({
    ...f,
    findingArn: f.findingArn.replace(':us-east-1:', `:${region}:`),
  });

  it("lists each region with its client, looks index findings up with their region's, ignores regions not selected", async () => {
    const east = world().slice(0, 40);
    const west = world()
      .slice(40, 70)
      .map((f) => inRegion(f, 'eu-west-1'));
    const e = fakeAws(east);
    const w = fakeAws(west);
    // The index also holds: an open eu-west-1 finding AWS deleted (unexpected), and a finding of
    // a region no longer selected (ap-south-1: out of scope, never looked up).
    const gone = inRegion(finding(9001, 'ACTIVE', NOW - DAY), 'eu-west-1');
    const other = inRegion(finding(9002, 'ACTIVE', NOW - DAY), 'ap-south-1');
    const { index } = memIndex([...inScope(east), ...inScope(west), gone, other]);
    const r = await reconcile({
      clients: new Map([
        ['us-east-1', e.client],
        ['eu-west-1', w.client],
      ]),
      index,
      tenantId: TENANT,
      to: NOW,
      initialLookbackDays: 7,
    });
    expect(r.aws.findings).toBe(inScope(east).length + inScope(west).length);
    expect(r.missing.count).toBe(0);
    expect(r.unexpected.sample.map((d) => d.findingArn)).toEqual([gone.findingArn]);
    expect(r.index.findings).toBe(inScope(east).length + inScope(west).length + 1);
    // Each client was asked only about its own region's ARNs.
    const arnsAsked = (calls: ListFindingsRequest[]) =>
      calls.flatMap((c) => ((c.filterCriteria.findingArn ?? []) as { value: string }[]).map((x) => x.value));
    expect(arnsAsked(w.calls)).toEqual([gone.findingArn]);
    expect(arnsAsked(e.calls)).toEqual([]);
    expect(e.calls.length).toBeGreaterThan(0);
  });
});
