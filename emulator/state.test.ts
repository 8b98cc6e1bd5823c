/**
 * The emulator's state without HTTP: a million findings in bounded memory, determinism, paging
 * while findings change, mutations after the clock moved back, IAM model errors, seeded faults.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FaultInjector } from './faults.js';
import { DEFAULT_IAM, loadIam, parseIam } from './iam.js';
import { EmulatorState } from './state.js';
import { toWire } from './store.js';

const DAY = 86_400_000;

function reader(st: EmulatorState) {
  return st.lookupKey('AKIAIOSFODNN7EXAMPLE')!.principal;
}

/** Page through a query the way a collector does; returns the ARNs in order. */
function pageAll(
  st: EmulatorState,
  req: Record<string, unknown>,
  between?: (page: number) => void,
): string[] {
  const arns: string[] = [];
  let token: string | undefined;
  let page = 0;
  do {
    const r = st.listFindings({ ...req, ...(token ? { nextToken: token } : {}) }, reader(st), 'us-east-1');
    arns.push(...r.findings.map((f) => f.findingArn as string));
    token = r.nextToken;
    between?.(++page);
  } while (token);
  return arns;
}

describe('a million findings', () => {
  it('fit in bounded memory and are all reachable', () => {
    const before = process.memoryUsage().arrayBuffers;
    const st = new EmulatorState({ findings: 1_000_000, seed: 9 });
    st.store.byUpdatedAt();
    const grown = process.memoryUsage().arrayBuffers - before;
    // Columns (~32 B/finding) + the updatedAt order (4 B/finding): well under 64 MB.
    expect(grown).toBeLessThan(64 * 1024 * 1024);
    const s = st.summary() as { findings: number; byStatus: Record<string, number>; versions: number };
    expect(s.findings).toBe(1_000_000);
    expect(Object.values(s.byStatus).reduce((a, b) => a + b, 0)).toBe(1_000_000);
    expect(s.versions).toBe(1_000_000);
    const last = st.store.build(999_999);
    const size = JSON.stringify(last).length;
    expect(size).toBeGreaterThan(1000);
    expect(size).toBeLessThan(8000);
    // The newest page of the default order is the newest findings.
    const end = st.now() / 1000;
    const r = st.listFindings(
      { maxResults: 100, filterCriteria: { updatedAt: [{ startInclusive: end - 3600, endInclusive: end }] } },
      reader(st),
      'us-east-1',
    );
    for (const f of r.findings) expect(f.updatedAt as number).toBeGreaterThanOrEqual(end - 3600);
  });
});

describe('generator', () => {
  it('finding i is a function of (seed, i, start): same inputs, same bytes; ARNs unique', () => {
    const clock = () => Date.UTC(2026, 5, 1);
    const a = new EmulatorState({ findings: 20_000, seed: 4, clock });
    const b = new EmulatorState({ findings: 20_000, seed: 4, clock });
    for (const i of [0, 1, 777, 19_999])
      expect(JSON.stringify(a.store.build(i))).toBe(JSON.stringify(b.store.build(i)));
    const arns = new Set<string>();
    for (let i = 0; i < 20_000; i++) arns.add(a.store.arnOf(i));
    expect(arns.size).toBe(20_000);
    for (const arn of [...arns].slice(0, 50))
      expect(arn).toMatch(/^arn:aws:inspector2:us-east-1:\d{12}:finding\/[a-f0-9]{32}$/);
    // arnOf (used by filters) agrees with the built document.
    expect(a.store.build(123).findingArn).toBe(a.store.arnOf(123));
    expect(a.store.vulnerabilityIdOf(5)).toBe(
      (a.store.build(5) as { packageVulnerabilityDetails?: { vulnerabilityId: string } })
        .packageVulnerabilityDetails?.vulnerabilityId ?? a.store.vulnerabilityIdOf(5),
    );
  });

  it('spreads updatedAt over the 90 days before start', () => {
    const st = new EmulatorState({ findings: 5000, seed: 2 });
    const start = st.startedAt;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < 5000; i++) {
      min = Math.min(min, st.store.upd[i]!);
      max = Math.max(max, st.store.upd[i]!);
    }
    expect(max).toBeLessThan(start);
    expect(min).toBeGreaterThanOrEqual(start - 90 * DAY);
    expect(max - min).toBeGreaterThan(85 * DAY);
  });

  it('converts ISO timestamps (as the AWS CLI prints them) to epoch seconds, only at timestamp keys', () => {
    expect(
      toWire({
        updatedAt: '2024-02-02T16:30:33.045000+01:00',
        title: '2024-02-02T16:30:33Z',
        resources: [{ details: { x: { pushedAt: '2026-02-18 13:40:45.341000+01:00' } } }],
      }),
    ).toEqual({
      updatedAt: 1706887833.045,
      title: '2024-02-02T16:30:33Z',
      resources: [{ details: { x: { pushedAt: 1771418445.341 } } }],
    });
  });
});

describe('paging while findings change', () => {
  it('a fixed window loses nothing; findings changed mid-run come again as new versions', () => {
    const st = new EmulatorState({ findings: 3000, seed: 5 });
    const end = st.now() / 1000 + 3600;
    const req = {
      maxResults: 100,
      filterCriteria: { updatedAt: [{ startInclusive: 0, endInclusive: end }] },
    };
    const everything = new Set(pageAll(st, req));
    expect(everything.size).toBe(3000);
    const mutated = new Set<string>();
    const seen = pageAll(st, req, (page) => {
      if (page % 5 === 0) for (const a of st.mutate({ count: 40, observed: true }).arns) mutated.add(a);
    });
    expect(new Set(seen)).toEqual(everything);
    const counts = new Map<string, number>();
    for (const a of seen) counts.set(a, (counts.get(a) ?? 0) + 1);
    for (const [arn, c] of counts) if (c > 1) expect(mutated.has(arn)).toBe(true);
  });

  it('mutations after the clock moved back keep the default order right', () => {
    const st = new EmulatorState({ findings: 2000, seed: 6 });
    st.moveClock({ advanceMs: -60 * DAY });
    const m = st.mutate({ count: 100, status: 'SUPPRESSED' });
    expect(m.arns).toHaveLength(100);
    const end = (st.now() + 120 * DAY) / 1000;
    const r: number[] = [];
    let token: string | undefined;
    do {
      const p = st.listFindings(
        {
          maxResults: 77,
          filterCriteria: { updatedAt: [{ startInclusive: 0, endInclusive: end }] },
          ...(token ? { nextToken: token } : {}),
        },
        reader(st),
        'us-east-1',
      );
      r.push(...p.findings.map((f) => f.updatedAt as number));
      token = p.nextToken;
    } while (token);
    expect(r).toHaveLength(2000);
    expect([...r].sort((a, b) => a - b)).toEqual(r);
  });

  it('mutate by ARN changes exactly those findings; an unknown ARN is an error naming it', () => {
    const st = new EmulatorState({ findings: 500, seed: 8 });
    const arns = [st.store.arnOf(3), st.store.arnOf(400)];
    const r = st.mutate({ arns, status: 'CLOSED' });
    expect(r.arns.sort()).toEqual([...arns].sort());
    expect(st.store.build(3).status).toBe('CLOSED');
    expect(st.store.build(400).updatedAt).toBe(r.updatedAt / 1000);
    expect(() =>
      st.mutate({ arns: ['arn:aws:inspector2:us-east-1:123456789012:finding/' + '0'.repeat(32)] }),
    ).toThrow(/arns: no finding arn:aws/);
    expect(() => st.mutate({ count: 1, arns })).toThrow(/either count or arns/);
  });

  it('withoutUpdatedAt: that share is sent without updatedAt, never matches an updatedAt filter, gets one when it changes', () => {
    expect(() => new EmulatorState({ findings: 1, withoutUpdatedAt: 101 })).toThrow(/withoutUpdatedAt/);
    const st = new EmulatorState({ findings: 3000, seed: 5, withoutUpdatedAt: 5 });
    const none = Array.from({ length: 3000 }, (_, i) => i).filter((i) => !('updatedAt' in st.store.build(i)));
    expect(none.length).toBeGreaterThan(100);
    expect(none.length).toBeLessThan(200);
    const everything = pageAll(st, { maxResults: 100 });
    expect(everything).toHaveLength(3000);
    const byUpdated = new Set(
      pageAll(st, {
        maxResults: 100,
        filterCriteria: { updatedAt: [{ startInclusive: 0, endInclusive: 1.9e9 }] },
      }),
    );
    expect(byUpdated.size).toBe(3000 - none.length);
    const byObserved = new Set(
      pageAll(st, {
        maxResults: 100,
        filterCriteria: { lastObservedAt: [{ startInclusive: 0, endInclusive: 1.9e9 }] },
      }),
    );
    expect(byObserved.size).toBe(3000);
    for (const i of none) {
      expect(byUpdated.has(st.store.arnOf(i))).toBe(false);
      expect(byObserved.has(st.store.arnOf(i))).toBe(true);
    }
    // Without the option, the same seed sends updatedAt on every finding.
    const all = new EmulatorState({ findings: 3000, seed: 5 });
    expect(Array.from({ length: 3000 }, (_, i) => all.store.build(i)).every((f) => 'updatedAt' in f)).toBe(
      true,
    );
    const r = st.mutate({ arns: [st.store.arnOf(none[0]!)], status: 'SUPPRESSED' });
    expect(st.store.build(none[0]!).updatedAt).toBe(r.updatedAt / 1000);
  });

  it('sorts on deep fields (EPSS_SCORE DESC) across pages', () => {
    const st = new EmulatorState({ findings: 800, seed: 12 });
    const scores: number[] = [];
    let token: string | undefined;
    do {
      const p = st.listFindings(
        {
          maxResults: 60,
          sortCriteria: { field: 'EPSS_SCORE', sortOrder: 'DESC' },
          ...(token ? { nextToken: token } : {}),
        },
        reader(st),
        'us-east-1',
      );
      scores.push(...p.findings.map((f) => (f.epss as { score: number } | undefined)?.score ?? -1));
      token = p.nextToken;
    } while (token);
    expect(scores).toHaveLength(800);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });
});

describe('account scope', () => {
  it('a delegated administrator sees every account; otherwise a caller sees only its own', () => {
    const admin = new EmulatorState({ findings: 1000, seed: 3 });
    const accounts = new Set(pageAll(admin, { maxResults: 100 }).map((a) => a.split(':')[4]));
    expect(accounts.size).toBe(4);
    const alone = new EmulatorState({
      findings: 1000,
      seed: 3,
      iam: { ...DEFAULT_IAM, delegatedAdmin: false },
    });
    const own = pageAll(alone, { maxResults: 100 });
    expect(new Set(own.map((a) => a.split(':')[4]))).toEqual(new Set(['123456789012']));
    expect(own.length).toBe((alone.summary().byAccount as Record<string, number>)['123456789012']);
    // Asking for another account's findings by filter does not widen the scope.
    const other = pageAll(alone, {
      filterCriteria: { awsAccountId: [{ comparison: 'EQUALS', value: '210987654321' }] },
    });
    expect(other).toEqual([]);
  });
});

describe('IAM model', () => {
  it('errors name the field and what is allowed', () => {
    expect(() =>
      parseIam({
        account: '1',
        users: [{ name: 'a b', accessKeyId: 'AKIA', secretAccessKey: 'x' }],
        extra: 1,
      }),
    ).toThrow(
      /account: 12 digits.*users\.0\.name: an IAM user name.*users\.0\.accessKeyId: AKIA followed by 16/s,
    );
    expect(() =>
      parseIam({ account: '123456789012', roles: [{ name: 'R', maxSessionDuration: 60 }] }),
    ).toThrow(/roles\.0\.maxSessionDuration/);
  });

  it('loads JSON and YAML files; unreadable or unparsable files say so', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emu-iam-'));
    try {
      const y = path.join(dir, 'iam.yml');
      fs.writeFileSync(y, "account: '222222222222'\nroles:\n  - name: R\n    trust: [someone]\n");
      expect(loadIam(y).roles[0]!.maxSessionDuration).toBe(3600);
      const j = path.join(dir, 'iam.json');
      fs.writeFileSync(j, '{"account": ');
      expect(() => loadIam(j)).toThrow(/is not valid JSON/);
      expect(() => loadIam(path.join(dir, 'missing.yaml'))).toThrow(/cannot read IAM model/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('faults', () => {
  it('fractions draw from a seeded stream: the same seed injects the same requests', () => {
    const run = (seed: number) => {
      const f = new FaultInjector(seed);
      f.set({ error500: { fraction: 0.3 } });
      return Array.from({ length: 200 }, () => f.hit('error500', 'ListFindings', 0));
    };
    const a = run(1);
    expect(run(1)).toEqual(a);
    expect(run(2)).not.toEqual(a);
    const rate = a.filter(Boolean).length / a.length;
    expect(rate).toBeGreaterThan(0.15);
    expect(rate).toBeLessThan(0.45);
  });

  it('count hits exactly the next N matching requests; other operations are untouched', () => {
    const f = new FaultInjector(1);
    f.set({ throttle: { count: 2 } });
    expect(f.hit('throttle', 'AssumeRole', 0)).toBe(false);
    expect([1, 2, 3].map(() => f.hit('throttle', 'ListFindings', 0))).toEqual([true, true, false]);
    expect(() => f.set({ throttle: { count: -1 } })).toThrow(/throttle\.count/);
    expect(() => f.set({ nope: true })).toThrow();
  });

  it('a rate limit refills with the clock', () => {
    const f = new FaultInjector(1);
    f.set({ throttle: { ratePerSecond: 2 } });
    expect([0, 0, 0].map((t) => f.hit('throttle', 'ListFindings', t))).toEqual([false, false, true]);
    expect([1000, 1000, 1000].map((t) => f.hit('throttle', 'ListFindings', t))).toEqual([false, false, true]);
    const slow = new FaultInjector(1);
    slow.set({ throttle: { ratePerSecond: 0.5 } });
    expect([0, 1000, 2000, 2000].map((t) => slow.hit('throttle', 'ListFindings', t))).toEqual([
      false,
      true,
      false,
      true,
    ]);
  });
});

describe('rescans (nothing material changes)', () => {
  const START = Date.UTC(2026, 0, 10);
  const material = (f: Record<string, unknown>) => {
    const p = f.packageVulnerabilityDetails as { vulnerablePackages?: unknown; cvss?: unknown } | undefined;
    const res = (f.resources as { type: string; id: string }[]).map((r) => [r.type, r.id]);
    return JSON.stringify([
      f.status,
      f.severity,
      f.inspectorScore,
      f.fixAvailable,
      f.exploitAvailable,
      p?.vulnerablePackages,
      p?.cvss,
      res,
    ]);
  };
  const epss = (f: Record<string, unknown>) => (f.epss as { score: number } | undefined)?.score;

  function emulator(rate: number) {
    let t = START;
    const st = new EmulatorState({ findings: 3000, seed: 5, clock: () => t, rescanRate: rate });
    return { st, advance: (ms: number) => (t += ms) };
  }

  it('a day rescans about `rate` of the ACTIVE findings, spread over the day; only updatedAt, lastObservedAt and EPSS move', () => {
    const { st, advance } = emulator(0.8);
    const n = st.store.n;
    const before = Array.from({ length: n }, (_, i) => st.store.build(i));
    advance(DAY);
    const s = st.summary() as { rescans: { rate: number; applied: number }; versions: number };
    const after = Array.from({ length: n }, (_, i) => st.store.build(i));
    const active = before.filter((f) => f.status === 'ACTIVE').length;
    const rescanned = after.filter((f, i) => f.updatedAt !== before[i]!.updatedAt);
    expect(s.rescans.rate).toBe(0.8);
    expect(s.rescans.applied).toBe(rescanned.length);
    expect(s.versions).toBe(n + rescanned.length);
    expect(rescanned.length / active).toBeGreaterThan(0.75);
    expect(rescanned.length / active).toBeLessThan(0.85);
    const hours = new Set<number>();
    after.forEach((f, i) => {
      const b = before[i]!;
      expect(material(f)).toBe(material(b));
      if (f.updatedAt === b.updatedAt) {
        expect(epss(f)).toBe(epss(b));
        return;
      }
      expect(b.status).toBe('ACTIVE');
      const ms = (f.updatedAt as number) * 1000;
      expect(ms).toBeGreaterThanOrEqual(START);
      expect(ms).toBeLessThan(START + DAY);
      expect(f.lastObservedAt).toBe(f.updatedAt);
      hours.add(Math.floor((ms - START) / 3_600_000));
      if (epss(b) !== undefined) expect(Math.abs(epss(f)! - epss(b)!)).toBeLessThanOrEqual(0.005 + 1e-9);
    });
    expect(hours.size).toBe(24);
    // Some EPSS scores did drift.
    expect(after.filter((f, i) => epss(f) !== epss(before[i]!)).length).toBeGreaterThan(100);
  });

  it('is deterministic from the seed, whatever steps the clock takes; rate 0 rescans nothing', () => {
    const a = emulator(0.5);
    const b = emulator(0.5);
    a.advance(2 * DAY + 5000);
    a.st.summary();
    for (let k = 0; k < 48; k++) {
      b.advance(3_600_000);
      b.st.summary();
    }
    b.advance(5000);
    b.st.summary();
    expect(Array.from(b.st.store.upd.subarray(0, 3000))).toEqual(
      Array.from(a.st.store.upd.subarray(0, 3000)),
    );
    const upd0 = Array.from(a.st.store.upd.subarray(0, 3000));
    const c = emulator(0.5);
    c.advance(DAY);
    expect(Array.from(c.st.store.upd.subarray(0, 3000))).not.toEqual(upd0);
    const none = emulator(0);
    const initial = Array.from(none.st.store.upd.subarray(0, 3000));
    none.advance(3 * DAY);
    expect((none.st.summary() as { rescans: { applied: number } }).rescans.applied).toBe(0);
    expect(Array.from(none.st.store.upd.subarray(0, 3000))).toEqual(initial);
  });

  it('rescanned findings page into the next window; the rate changes at runtime and is checked', () => {
    const { st, advance } = emulator(0);
    advance(DAY);
    expect(st.rescan(1)).toEqual({ rate: 1, applied: 0 });
    const from = st.now() / 1000;
    advance(DAY);
    const active = (st.summary() as { byStatus: Record<string, number> }).byStatus.ACTIVE!;
    const arns = pageAll(st, {
      maxResults: 100,
      filterCriteria: { updatedAt: [{ startInclusive: from, endInclusive: st.now() / 1000 }] },
    });
    expect(arns.length).toBe(active);
    expect(st.rescan().applied).toBe(active);
    expect(() => st.rescan(1.5)).toThrow(/rescanRate: a fraction from 0 to 1/);
  });
});
