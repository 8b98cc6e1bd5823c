/**
 * The paging and checkpoint logic against a fake of the narrow client interface that behaves
 * like ListFindings (filters, tokens bound to the exact filter). The same behaviour is tested
 * against the emulator over HTTP(S) in test/integration/collect*.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { CodedError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import type { InspectorClient, ListFindingsRequest, WireFilterCriteria } from './client.js';
import {
  collect,
  planQueries,
  parseCheckpoint,
  sweepDue,
  MAX_DATE,
  DAY_MS,
  type Checkpoint,
} from './collect.js';

interface F {
  findingArn: string;
  status: string;
  /** Epoch ms here (the wire has seconds; the collector reads both); optional in the model. */
  updatedAt?: number;
  /** Defaults to updatedAt. */
  lastObservedAt?: number;
}

const NOW = Date.UTC(2026, 10, 1, 12, 0, 0);
const cfg = { initialLookbackDays: 7, overlapMinutes: 15 };

function matches(f: F, fc: WireFilterCriteria): boolean {
  const st = fc.findingStatus as { value: string }[] | undefined;
  if (st && !st.some((s) => s.value === f.status)) return false;
  const within = (t: number | undefined, key: string) => {
    const ds = fc[key] as { startInclusive: number; endInclusive: number }[] | undefined;
    // As AWS: a finding without the member matches no filter on it.
    return !ds || (t !== undefined && ds.some((d) => t >= d.startInclusive && t <= d.endInclusive));
  };
  return within(f.updatedAt, 'updatedAt') && within(f.lastObservedAt ?? f.updatedAt, 'lastObservedAt');
}

/** A fake ListFindings: tokens encode the filter and offset; pages may be short/empty by script. */
function fakeClient(
  findings: F[],
  opts: {
    pageSizes?: (call: number) => number | undefined;
    reject?: (req: ListFindingsRequest, call: number) => CodedError | undefined;
    dropTokenOnFullLastPage?: boolean;
  } = {},
) {
  const requests: ListFindingsRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const client: InspectorClient = {
    async listFindingsPage(req) {
      requests.push(structuredClone(req));
      const call = requests.length;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await new Promise((r) => setImmediate(r));
        const err = opts.reject?.(req, call);
        if (err) throw err;
        const key = JSON.stringify(req.filterCriteria);
        let offset = 0;
        if (req.nextToken) {
          const [k, o] = JSON.parse(Buffer.from(req.nextToken, 'base64').toString()) as [string, number];
          if (k !== key) throw new CodedError('ERR_TOKEN_REJECTED', 'Input Query has changed');
          offset = o;
        }
        const all = findings.filter((f) => matches(f, req.filterCriteria));
        const size = opts.pageSizes?.(call) ?? req.maxResults;
        const page = all.slice(offset, offset + size);
        const end = offset + page.length;
        const more = end < all.length;
        const nextToken = more ? Buffer.from(JSON.stringify([key, end])).toString('base64') : undefined;
        return { findings: page.map((f) => ({ ...f })), ...(nextToken ? { nextToken } : {}) };
      } finally {
        inFlight--;
      }
    },
    getCallerIdentity: () => Promise.reject(new Error('unused')),
    batchGetAccountStatus: () => Promise.reject(new Error('unused')),
    destroy: () => undefined,
  };
  return { client, requests, maxInFlight: () => maxInFlight };
}

function gen(n: number, status: string, updatedAt: (i: number) => number, prefix = status): F[] {
  return Array.from({ length: n }, (_, i) => ({
    findingArn: `arn:aws:inspector2:us-east-1:123456789012:finding/${prefix}${i}`,
    status,
    updatedAt: updatedAt(i),
  }));
}

async function run(
  client: InspectorClient,
  checkpoint: unknown,
  now = NOW,
  extra: Partial<Parameters<typeof collect>[0]> = {},
) {
  const pages: { findings: unknown[]; checkpoint: Checkpoint; query: string; lateBefore?: number }[] = [];
  const res = await collect({
    client,
    config: cfg,
    clock: fixedClock(now),
    logger: silentLogger(),
    checkpoint,
    maxResults: 10,
    sleep: async () => undefined,
    onPage: (p) => {
      pages.push(structuredClone(p));
    },
    ...extra,
  });
  return { res, pages, last: pages.at(-1)?.checkpoint };
}

describe('planQueries', () => {
  it('first run: every ACTIVE+SUPPRESSED, CLOSED within the lookback; later runs: the window with overlap, on updatedAt then lastObservedAt', () => {
    const first = planQueries(undefined, NOW, cfg);
    expect(first.map((q) => q.key)).toEqual(['active', 'closed']);
    expect(first[0]!.filterCriteria).toEqual({
      findingStatus: [
        { comparison: 'EQUALS', value: 'ACTIVE' },
        { comparison: 'EQUALS', value: 'SUPPRESSED' },
      ],
    });
    expect(first[1]!.filterCriteria).toEqual({
      findingStatus: [{ comparison: 'EQUALS', value: 'CLOSED' }],
      updatedAt: [{ startInclusive: NOW - 7 * DAY_MS, endInclusive: NOW }],
    });
    const later = planQueries(NOW - 3_600_000, NOW, cfg);
    // The overlap (15 min) and the detection band below it (15 min more).
    const window = [{ startInclusive: NOW - 3_600_000 - 30 * 60_000, endInclusive: NOW }];
    expect(later).toEqual([
      { key: 'window', filterCriteria: { updatedAt: window }, lateBefore: NOW - 3_600_000 - 15 * 60_000 },
      { key: 'observed', filterCriteria: { lastObservedAt: window } },
    ]);
    // A first run that read no CLOSED versions in the band (lookback 0): no detection.
    expect(
      planQueries(NOW - 3_600_000, NOW, { ...cfg, initialLookbackDays: 0 })[0]!.lateBefore,
    ).toBeUndefined();
    // No overlap: no band, nothing to detect.
    const bare = [{ startInclusive: NOW - 3_600_000, endInclusive: NOW }];
    expect(planQueries(NOW - 3_600_000, NOW, { ...cfg, overlapMinutes: 0 })).toEqual([
      { key: 'window', filterCriteria: { updatedAt: bare } },
      { key: 'observed', filterCriteria: { lastObservedAt: bare } },
    ]);
  });

  it('a due sweep lists every open finding (no date filter: findings without updatedAt too), after the window; due daily, after a 24 h gap, or forced', () => {
    const q = planQueries(NOW - 3_600_000, NOW, cfg, true);
    expect(q.map((x) => x.key)).toEqual(['window', 'observed', 'sweep']);
    expect(q[2]!.filterCriteria).toEqual({
      findingStatus: [
        { comparison: 'EQUALS', value: 'ACTIVE' },
        { comparison: 'EQUALS', value: 'SUPPRESSED' },
      ],
    });
    // Its mark is the run start, or just after the last sweep's when AWS's clock has not moved.
    expect(q[2]!.sweepStart).toBe(NOW);
    expect(planQueries(NOW - 3_600_000, NOW, cfg, true, NOW)[2]!.sweepStart).toBe(NOW + 1);
    const cp = (o: Partial<Checkpoint>): Checkpoint => ({ v: 1, queue: [], ...o });
    const H = 3_600_000;
    expect(sweepDue(cp({ lastCompletedEnd: NOW - H }), NOW, 24, false)).toBe(true);
    expect(sweepDue(cp({ lastCompletedEnd: NOW - H, lastSweepAt: NOW - 23 * H }), NOW, 24, false)).toBe(
      false,
    );
    expect(sweepDue(cp({ lastCompletedEnd: NOW - H, lastSweepAt: NOW - 24 * H }), NOW, 24, false)).toBe(true);
    expect(sweepDue(cp({ lastCompletedEnd: NOW - 25 * H, lastSweepAt: NOW - 2 * H }), NOW, 24, false)).toBe(
      true,
    );
    expect(sweepDue(cp({ lastCompletedEnd: NOW - 25 * H, lastSweepAt: NOW - 2 * H }), NOW, 0, false)).toBe(
      false,
    );
    expect(sweepDue(cp({ lastCompletedEnd: NOW - H, lastSweepAt: NOW - H }), NOW, 0, true)).toBe(true);
  });

  it('clamps dates to [1970-01-01, 2033-01-01) and skips CLOSED with a zero lookback', () => {
    const far = Date.UTC(2040, 0, 1);
    const q = planQueries(undefined, far, { initialLookbackDays: 0, overlapMinutes: 0 });
    expect(q).toHaveLength(1);
    const late = planQueries(far - DAY_MS, far, { initialLookbackDays: 0, overlapMinutes: 0 });
    expect(late[0]!.filterCriteria.updatedAt).toEqual([{ startInclusive: MAX_DATE, endInclusive: MAX_DATE }]);
    expect(MAX_DATE).toBeLessThan(Date.UTC(2033, 0, 1));
    const early = planQueries(1000, 2000, { initialLookbackDays: 7, overlapMinutes: 15 });
    expect(early[0]!.filterCriteria.updatedAt).toEqual([{ startInclusive: 0, endInclusive: 2000 }]);
  });

  it('parseCheckpoint ignores foreign or broken data', () => {
    expect(parseCheckpoint(undefined)).toEqual({ v: 1, queue: [] });
    expect(
      parseCheckpoint({ v: 1, queue: [], lastSweepAt: 3, confirm: { sweepStart: 4, after: 'a' } }),
    ).toEqual({ v: 1, queue: [], lastSweepAt: 3, confirm: { sweepStart: 4, after: 'a' } });
    expect(parseCheckpoint({ v: 1, queue: [], confirm: { sweepStart: 'x' } })).toEqual({ v: 1, queue: [] });
    expect(parseCheckpoint({ v: 2, lastCompletedEnd: 5 })).toEqual({ v: 1, queue: [] });
    expect(parseCheckpoint({ v: 1, lastCompletedEnd: 5, queue: [{ nope: 1 }] })).toEqual({
      v: 1,
      lastCompletedEnd: 5,
      queue: [],
    });
  });
});

describe('collect', () => {
  const old = (i: number) => NOW - 400 * DAY_MS + i * 1000;
  const recent = (i: number) => NOW - DAY_MS + i * 1000;

  it('first run collects every ACTIVE/SUPPRESSED finding and recent CLOSED ones, page by page', async () => {
    const data = [
      ...gen(23, 'ACTIVE', old),
      ...gen(4, 'SUPPRESSED', old),
      ...gen(5, 'CLOSED', recent),
      ...gen(6, 'CLOSED', old, 'oldclosed'), // outside the lookback: not collected
    ];
    const { client, requests } = fakeClient(data);
    const { res, pages, last } = await run(client, undefined);
    const got = pages.flatMap((p) => p.findings as F[]).map((f) => f.findingArn);
    expect(got).toHaveLength(32);
    expect(new Set(got).size).toBe(32);
    expect(got.some((a) => a.includes('oldclosed'))).toBe(false);
    expect(res).toMatchObject({ pages: 4, findings: 32, stopped: false, lastCompletedEnd: NOW });
    // The first run's `active` query listed every open finding: it counts as a sweep.
    expect(last).toEqual({ v: 1, lastCompletedEnd: NOW, lastSweepAt: NOW, queue: [] });
    // The filter of a query never changes between its pages.
    const activeFilters = new Set(
      requests
        .filter((r) => r.filterCriteria.findingStatus!.length === 2)
        .map((r) => JSON.stringify(r.filterCriteria)),
    );
    expect(activeFilters.size).toBe(1);
    // Every intermediate checkpoint names the query and the token of the next page.
    expect(pages[0]!.checkpoint.queue[0]!.key).toBe('active');
    expect(pages[0]!.checkpoint.queue[0]!.nextToken).toEqual(expect.any(String));
    expect(pages[0]!.checkpoint.lastCompletedEnd).toBeUndefined();
    expect(pages[2]!.checkpoint.queue.map((q) => q.key)).toEqual(['closed']);
  });

  it('follows nextToken through empty and short pages; stops on a full page without one', async () => {
    const data = gen(25, 'ACTIVE', old);
    const sizes = [10, 0, 0, 3, 10, 2];
    const { client } = fakeClient(data, { pageSizes: (call) => sizes[call - 1] });
    const { res, pages } = await run(client, undefined, NOW, {
      config: { initialLookbackDays: 0, overlapMinutes: 0 },
    });
    expect(pages.map((p) => p.findings.length)).toEqual([10, 0, 0, 3, 10, 2]);
    expect(res.findings).toBe(25);

    // Exactly maxResults findings and no token: done, no further request.
    const exact = fakeClient(gen(10, 'ACTIVE', old));
    const r2 = await run(exact.client, undefined, NOW, {
      config: { initialLookbackDays: 0, overlapMinutes: 0 },
    });
    expect(r2.res.pages).toBe(1);
    expect(exact.requests).toHaveLength(1);
  });

  it('second run fetches only the new window, from twice overlapMinutes before the last end (overlap + band)', async () => {
    const data = gen(12, 'ACTIVE', old);
    const { client, requests } = fakeClient(data);
    const first = await run(client, undefined);
    const later = NOW + 3_600_000;
    data.push(...gen(3, 'CLOSED', (i) => NOW + 60_000 + i, 'closedlater'));
    data[0]!.status = 'CLOSED';
    data[0]!.updatedAt = NOW + 120_000;
    requests.length = 0;
    const second = await run(client, first.last, later);
    expect(requests.every((r) => r.filterCriteria.findingStatus === undefined)).toBe(true);
    expect(requests[0]!.filterCriteria.updatedAt).toEqual([
      { startInclusive: NOW - 30 * 60_000, endInclusive: later },
    ]);
    // The band's detection is on updatedAt: the window's pages only.
    expect(
      second.pages.every((p) => p.lateBefore === (p.query === 'window' ? NOW - 15 * 60_000 : undefined)),
    ).toBe(true);
    const got = second.pages.flatMap((p) => p.findings as F[]);
    expect(got.map((f) => f.findingArn).sort()).toEqual(
      [
        data[0]!.findingArn,
        ...data.filter((f) => f.findingArn.includes('closedlater')).map((f) => f.findingArn),
      ].sort(),
    );
    expect(second.last).toEqual({ v: 1, lastCompletedEnd: later, lastSweepAt: NOW, queue: [] });
  });

  it("windows end at AWS's time (serverTime) whichever way the clocks differ; the host's if AWS cannot tell", async () => {
    for (const offset of [-180_000, 180_000]) {
      const { client, requests } = fakeClient(gen(3, 'ACTIVE', old));
      const aws = { ...client, serverTime: async () => NOW + offset };
      const first = await run(aws, undefined);
      expect(first.res.runStart).toBe(NOW + offset);
      // The first run's active query has no date bound: the CLOSED lookback's ends at runStart.
      expect(
        (
          requests.find((q) => q.filterCriteria.updatedAt)!.filterCriteria.updatedAt![0] as {
            endInclusive: number;
          }
        ).endInclusive,
      ).toBe(NOW + offset);
      // The first run's active query listed every open finding: a sweep's worth (lastSweepAt).
      expect(first.last).toEqual({
        v: 1,
        lastCompletedEnd: NOW + offset,
        lastSweepAt: NOW + offset,
        queue: [],
      });
    }
    const { client, requests } = fakeClient(gen(3, 'ACTIVE', old));
    const failing = {
      ...client,
      serverTime: () => Promise.reject(new CodedError('ERR_NETWORK', 'connect ECONNREFUSED')),
    };
    const r = await run(failing, undefined);
    expect(r.res.runStart).toBe(NOW);
    expect(
      (
        requests.find((q) => q.filterCriteria.updatedAt)!.filterCriteria.updatedAt![0] as {
          endInclusive: number;
        }
      ).endInclusive,
    ).toBe(NOW);
  });

  it('findings without updatedAt: the first run takes them in; later runs find them by lastObservedAt, each finding handed on once', async () => {
    const data: F[] = [
      ...gen(12, 'ACTIVE', old),
      { findingArn: 'arn:noupd-old', status: 'ACTIVE', lastObservedAt: old(1) },
    ];
    const { client, requests } = fakeClient(data);
    const first = await run(client, undefined);
    expect(first.pages.flatMap((p) => p.findings as F[]).map((f) => f.findingArn)).toContain('arn:noupd-old');
    data.push(
      { findingArn: 'arn:noupd-new', status: 'ACTIVE', lastObservedAt: NOW + 60_000 },
      ...gen(3, 'ACTIVE', (i) => NOW + 60_000 + i, 'updated'),
    );
    requests.length = 0;
    const later = NOW + 3_600_000;
    const second = await run(client, first.last, later);
    const got = second.pages.flatMap((p) => p.findings as F[]).map((f) => f.findingArn);
    // The observed query re-reads the 3 updated ones too (lastObservedAt = updatedAt): not handed on twice.
    expect(got.sort()).toEqual(
      ['arn:noupd-new', ...gen(3, 'ACTIVE', () => 0, 'updated').map((f) => f.findingArn)].sort(),
    );
    expect(second.pages.map((p) => p.query)).toEqual(['window', 'observed']);
    expect(requests.map((r) => Object.keys(r.filterCriteria))).toEqual([['updatedAt'], ['lastObservedAt']]);
    expect(second.res.findings).toBe(4);
    expect(second.last).toEqual({ v: 1, lastCompletedEnd: later, lastSweepAt: NOW, queue: [] });
  });

  it('resumes a crashed run from the stored token, then collects up to the new run start', async () => {
    const data = gen(35, 'ACTIVE', old);
    const { client } = fakeClient(data);
    // Crash after the second page: the checkpoint of page 2 is what the store holds.
    const crashing = await run(client, undefined, NOW, {
      onPage: (() => {
        let n = 0;
        return () => {
          if (++n === 3) throw new CodedError('ERR_STORE', 'disk full');
        };
      })(),
    }).catch((e: unknown) => e);
    expect((crashing as CodedError).code).toBe('ERR_STORE');
    const firstTwo: Checkpoint[] = [];
    await run(client, undefined, NOW, {
      onPage: (p) => {
        if (firstTwo.length < 2) firstTwo.push(structuredClone(p.checkpoint));
      },
    });
    const stored = firstTwo[1]!;
    expect(stored.queue[0]!.nextToken).toBeDefined();
    const later = NOW + 600_000;
    const resumed = await run(client, stored, later);
    const got = resumed.pages.flatMap((p) => p.findings as F[]).map((f) => f.findingArn);
    // Pages 3-4 of the active query; no CLOSED in data; then an (empty) window up to `later`.
    expect(got).toEqual(data.slice(20).map((f) => f.findingArn));
    expect(resumed.last).toEqual({ v: 1, lastCompletedEnd: later, lastSweepAt: NOW, queue: [] });
  });

  it('restarts a query whose stored token AWS rejects, and counts it', async () => {
    const data = gen(25, 'ACTIVE', old);
    const stored: Checkpoint = {
      v: 1,
      runStart: NOW,
      queue: [
        {
          key: 'active',
          filterCriteria: planQueries(undefined, NOW, cfg)[0]!.filterCriteria,
          nextToken: 'garbage',
        },
      ],
    };
    const fakeReject = (req: ListFindingsRequest) =>
      req.nextToken === 'garbage' ? new CodedError('ERR_TOKEN_REJECTED', 'Invalid token') : undefined;
    const c2 = fakeClient(data, { reject: fakeReject });
    const res = await run(c2.client, stored);
    expect(res.res.tokenRestarts).toBe(1);
    expect(res.res.findings).toBe(25);
    expect(c2.requests[0]!.nextToken).toBe('garbage');
    expect(c2.requests[1]!.nextToken).toBeUndefined();
  });

  it('a ValidationException on the first page of a query is a config error, not a token restart', async () => {
    const { client } = fakeClient(gen(3, 'ACTIVE', old), {
      reject: () => new CodedError('ERR_CONFIG_INVALID', 'bad filter'),
    });
    await expect(run(client, undefined)).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
  });

  it('retries a page a bounded number of times after the SDK gave up on a retryable error', async () => {
    let fails = 2;
    const { client } = fakeClient(gen(15, 'ACTIVE', old), {
      reject: (_r, call) =>
        call === 2 && fails-- > 0 ? new CodedError('ERR_THROTTLED', 'slow down') : undefined,
    });
    const res = await run(client, undefined);
    expect(res.res.findings).toBe(15);
    expect(res.res.pageRetries).toBe(1);

    const always = fakeClient(gen(15, 'ACTIVE', old), {
      reject: () => new CodedError('ERR_AWS_SERVER', 'boom'),
    });
    await expect(run(always.client, undefined, NOW, { pageRetries: 2 })).rejects.toMatchObject({
      code: 'ERR_AWS_SERVER',
    });
    expect(always.requests).toHaveLength(3);
  });

  it('is more patient with throttling (throttleRetries, default 10; waits capped at 30 s) than with other errors', async () => {
    let fails = 7;
    const waits: number[] = [];
    const { client } = fakeClient(gen(15, 'ACTIVE', old), {
      reject: (_r, call) =>
        call >= 2 && fails-- > 0 ? new CodedError('ERR_THROTTLED', 'Rate exceeded') : undefined,
    });
    const res = await run(client, undefined, NOW, {
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    expect(res.res.findings).toBe(15);
    expect(res.res.pageRetries).toBe(7);
    expect(waits).toEqual([2000, 4000, 8000, 16000, 30000, 30000, 30000]);

    const always = fakeClient(gen(15, 'ACTIVE', old), {
      reject: () => new CodedError('ERR_THROTTLED', 'Rate exceeded'),
    });
    await expect(run(always.client, undefined, NOW, { throttleRetries: 4 })).rejects.toMatchObject({
      code: 'ERR_THROTTLED',
    });
    expect(always.requests).toHaveLength(5);
  });

  it('keeps at most two requests/pages in flight when the store is slow (backpressure)', async () => {
    const { client, requests, maxInFlight } = fakeClient(gen(200, 'ACTIVE', old));
    let storing = 0;
    let maxAhead = 0;
    const res = await run(client, undefined, NOW, {
      onPage: async () => {
        storing++;
        // Requests issued beyond the pages already handed to the store: at most the prefetch.
        maxAhead = Math.max(maxAhead, requests.length - storing);
        await new Promise((r) => setTimeout(r, 2));
      },
    });
    expect(res.res.findings).toBe(200);
    expect(maxAhead).toBeLessThanOrEqual(1);
    expect(maxInFlight()).toBe(1);
  });

  it('stops after the current page when aborted; the checkpoint says where to resume', async () => {
    const data = gen(50, 'ACTIVE', old);
    const { client } = fakeClient(data);
    const ac = new AbortController();
    const pages: Checkpoint[] = [];
    const res = await collect({
      client,
      config: cfg,
      clock: fixedClock(NOW),
      logger: silentLogger(),
      checkpoint: undefined,
      maxResults: 10,
      signal: ac.signal,
      onPage: (p) => {
        pages.push(p.checkpoint);
        if (pages.length === 2) ac.abort();
      },
    });
    expect(res.stopped).toBe(true);
    expect(res.findings).toBe(20);
    const resumed = await run(client, pages[1]);
    expect(resumed.res.findings).toBe(30);
  });

  it('a forced sweep runs in the same (whole) second as the last completed window', async () => {
    const { client, requests } = fakeClient(gen(12, 'ACTIVE', old));
    const first = await run(client, undefined);
    requests.length = 0;
    const vanished: string[] = [];
    const sweep = {
      // One stored open finding AWS no longer lists: the sweep's only candidate.
      unseen: ({ after }: { after: string }) => (after === '' ? ['arn:deleted'] : []),
      vanished: ({ keys }: { keys: string[] }) => {
        vanished.push(...keys);
      },
    };
    const again = await run(client, first.last, NOW, { sweep, forceSweep: true });
    expect(again.res.swept).toBe(true);
    expect(vanished).toEqual(['arn:deleted']);
    expect(requests.some((r) => r.filterCriteria.findingStatus !== undefined)).toBe(true);
    // Marked just after the first run's listing (same second): its candidates stay visible.
    expect(again.last).toMatchObject({ lastCompletedEnd: NOW, lastSweepAt: NOW + 1, queue: [] });
  });
});
