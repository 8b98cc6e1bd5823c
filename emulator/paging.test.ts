/**
 * Uneven pages, the emulator's default (README "Paging"): short pages and empty pages that carry
 * a nextToken, and a nextToken on the last page, drawn from the seed; every finding still comes
 * back exactly once, tokens stay valid while findings change under them, and `cleanPages` (the
 * control API's `paging`) gives the old full pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Inspector2Client, paginateListFindings } from '@aws-sdk/client-inspector2';
import { startEmulator, type Emulator } from './index.js';
import { READER, control, signedRequest } from './testing.js';

interface RawPage {
  findings: { findingArn: string; updatedAt: number; severity: string }[];
  nextToken?: string;
}

/** Every page of one listing, as sent; `between(k)` runs after page k (to change data mid-listing). */
async function pagesOf(
  url: string,
  request: Record<string, unknown>,
  opts: { between?: (k: number) => Promise<void>; signingDate?: number } = {},
): Promise<RawPage[]> {
  const pages: RawPage[] = [];
  let token: string | undefined;
  do {
    const res = await signedRequest({
      url,
      path: '/findings/list',
      body: JSON.stringify({ ...request, ...(token ? { nextToken: token } : {}) }),
      creds: READER,
      ...(opts.signingDate ? { signingDate: opts.signingDate } : {}),
    });
    if (res.status !== 200) throw new Error(`ListFindings ${res.status}: ${res.body}`);
    const page = JSON.parse(res.body) as RawPage;
    pages.push(page);
    token = page.nextToken;
    if (pages.length > 5000) throw new Error('the listing does not end');
    await opts.between?.(pages.length);
  } while (token);
  return pages;
}

/** One listing under clean pages (the reference to compare uneven listings with), then uneven again. */
async function cleanPagesOf(emu: Emulator, request: Record<string, unknown>): Promise<RawPage[]> {
  emu.state.cleanPages = true;
  try {
    return await pagesOf(emu.url, request);
  } finally {
    emu.state.cleanPages = false;
  }
}

const arns = (pages: RawPage[]) => pages.flatMap((p) => p.findings.map((f) => f.findingArn));

/** A fixed window (a token is bound to the exact filter). */
const windowTo = (endMs: number) => ({
  filterCriteria: { updatedAt: [{ startInclusive: 0, endInclusive: endMs / 1000 }] },
});

describe('uneven pages (the default)', () => {
  let emu: Emulator;
  let END: number;
  beforeAll(async () => {
    emu = await startEmulator({ findings: 700, fixtures: true, seed: 7 });
    END = Date.now() + 600_000;
  });
  afterAll(async () => {
    await emu.close();
  });

  it('every finding exactly once, through short pages, empty pages with a token and a token on the last page', async () => {
    expect(emu.state.summary().paging).toBe('uneven');
    const clean = await cleanPagesOf(emu, { maxResults: 100, ...windowTo(END) });
    const want = arns(clean);
    expect(want.length).toBe((emu.state.summary().byRegion as Record<string, number>)['us-east-1']);
    // Clean pages: all full but the last, which has no token.
    expect(clean.slice(0, -1).every((p) => p.findings.length === 100 && p.nextToken)).toBe(true);
    expect(clean.at(-1)!.nextToken).toBeUndefined();

    let midEmpty = 0;
    let short = 0;
    let trailing = 0;
    for (const maxResults of [1, 7, 10, 25, 50, 100]) {
      const pages = await pagesOf(emu.url, { maxResults, ...windowTo(END) });
      // The same findings in the same order: nothing lost, nothing repeated.
      expect(arns(pages)).toEqual(want);
      expect(pages.every((p) => p.findings.length <= maxResults)).toBe(true);
      // Every token is fresh: botocore's paginator fails on a token it has seen before.
      const tokens = pages.flatMap((p) => (p.nextToken ? [p.nextToken] : []));
      expect(new Set(tokens).size).toBe(tokens.length);
      const body = pages.slice(0, -1);
      midEmpty += body.filter((p) => p.findings.length === 0 && p.nextToken).length;
      short += body.filter((p) => p.findings.length > 0 && p.findings.length < maxResults).length;
      // A token on the last findings, then an empty page without one.
      const last = pages.at(-1)!;
      if (last.findings.length === 0 && pages.length > 1 && pages.at(-2)!.findings.length > 0) trailing++;
    }
    expect(midEmpty).toBeGreaterThan(0);
    expect(short).toBeGreaterThan(0);
    expect(trailing).toBeGreaterThan(0);
    const shapes = (emu.state.summary().stats as { shapes: Record<string, number> }).shapes;
    expect(shapes.empty).toBeGreaterThan(0);
    expect(shapes.short).toBeGreaterThan(0);
    expect(shapes.trailing).toBeGreaterThan(0);
  });

  it('the SDK v3 paginator returns exactly the full set', async () => {
    const client = new Inspector2Client({ region: 'us-east-1', endpoint: emu.url, credentials: READER });
    const got: string[] = [];
    let pages = 0;
    const input = {
      maxResults: 13,
      filterCriteria: { updatedAt: [{ startInclusive: new Date(0), endInclusive: new Date(END) }] },
    };
    for await (const page of paginateListFindings({ client }, input)) {
      pages++;
      got.push(...(page.findings ?? []).map((f) => f.findingArn!));
    }
    const want = arns(await cleanPagesOf(emu, { maxResults: 100, ...windowTo(END) }));
    expect(got).toEqual(want);
    expect(pages).toBeGreaterThan(Math.ceil(want.length / 13));
  });

  it('the control API switches the paging mode and names the field on bad input', async () => {
    try {
      expect((await control(emu.url, 'paging')).json).toEqual({ paging: 'uneven' });
      expect((await control(emu.url, 'paging', 'POST', { paging: 'clean' })).json).toEqual({
        paging: 'clean',
      });
      expect((await control(emu.url, 'summary')).json.paging).toBe('clean');
      const bad = await control(emu.url, 'paging', 'POST', { paging: 'ragged' });
      expect(bad.status).toBe(400);
      expect(bad.json.error).toMatch(/^paging: /);
      const extra = await control(emu.url, 'paging', 'POST', { paging: 'clean', pageSize: 3 });
      expect([extra.status, extra.json.error]).toEqual([400, expect.stringMatching(/^pageSize: unknown/)]);
      expect((await control(emu.url, 'paging')).json).toEqual({ paging: 'clean' });
    } finally {
      await control(emu.url, 'paging', 'POST', { paging: 'uneven' });
    }
  });
});

describe('uneven pages are deterministic from the seed', () => {
  it('the same seed and clock give the same page sizes; another seed does not', async () => {
    const clock = () => Date.UTC(2026, 10, 1);
    const sizes: string[] = [];
    for (const seed of [42, 42, 43]) {
      const e = await startEmulator({ findings: 300, seed, clock });
      try {
        const pages = await pagesOf(
          e.url,
          { maxResults: 20, ...windowTo(clock()) },
          { signingDate: clock() },
        );
        expect(arns(pages)).toHaveLength(300);
        sizes.push(pages.map((p) => `${p.findings.length}${p.nextToken ? '+' : ''}`).join(' '));
      } finally {
        await e.close();
      }
    }
    expect(sizes[0]).toBe(sizes[1]);
    expect(sizes[0]).not.toBe(sizes[2]);
  });

  it('cleanPages: true gives full pages, the last one without a token', async () => {
    const e = await startEmulator({ findings: 95, seed: 42, cleanPages: true });
    try {
      const pages = await pagesOf(e.url, { maxResults: 20, ...windowTo(Date.now() + 60_000) });
      expect(pages.map((p) => [p.findings.length, p.nextToken !== undefined])).toEqual([
        [20, true],
        [20, true],
        [20, true],
        [20, true],
        [15, false],
      ]);
    } finally {
      await e.close();
    }
  });
});

describe('a nextToken stays valid while findings change under it', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ findings: 600, seed: 3 });
  });
  afterAll(async () => {
    await emu.close();
  });

  it('default order: unchanged findings exactly once, changed ones once per version, new ones once', async () => {
    const END = Date.now() + 600_000;
    const before = arns(await cleanPagesOf(emu, { maxResults: 100, ...windowTo(END) }));
    const changed = new Set<string>();
    const added = new Set<string>();
    const pages = await pagesOf(
      emu.url,
      { maxResults: 15, ...windowTo(END) },
      {
        between: async (k) => {
          if (k % 3 !== 0 || k > 30) return;
          // Spread-out findings: some already served, some not yet; and new ones.
          const m = await control(emu.url, 'mutate', 'POST', { count: 6, status: 'CLOSED' });
          expect(m.status).toBe(200);
          for (const a of m.json.arns as string[]) changed.add(a);
          const n = await control(emu.url, 'findings', 'POST', { count: 2 });
          for (const a of n.json.arns as string[]) added.add(a);
        },
      },
    );
    expect(pages.length).toBeGreaterThan(30);
    const served = pages.flatMap((p) => p.findings);
    const count = new Map<string, number>();
    for (const f of served) count.set(f.findingArn, (count.get(f.findingArn) ?? 0) + 1);
    const visibleChanged = before.filter((a) => changed.has(a));
    expect(visibleChanged.length).toBeGreaterThan(5);
    // Present throughout and never changed: exactly once, none skipped.
    for (const a of before.filter((x) => !changed.has(x))) expect([a, count.get(a)]).toEqual([a, 1]);
    // Changed: never the same version twice.
    const versions = served.map((f) => `${f.findingArn}@${f.updatedAt}`);
    expect(new Set(versions).size).toBe(versions.length);
    const current = new Map(
      (await pagesOf(emu.url, { maxResults: 100, ...windowTo(END) })).flatMap((p) =>
        p.findings.map((f) => [f.findingArn, f.updatedAt] as const),
      ),
    );
    for (const a of visibleChanged) {
      // The latest version (updated inside the window, after the cursor) always comes, last.
      const got = served.filter((f) => f.findingArn === a).map((f) => f.updatedAt);
      expect([a, got.at(-1)]).toEqual([a, current.get(a)]);
    }
    expect((await control(emu.url, 'summary')).json.findings).toBe(600 + added.size);
    // Added mid-listing (updated now, so after the cursor): exactly once each.
    expect(added.size).toBeGreaterThan(0);
    for (const a of added) expect([a, count.get(a)]).toEqual([a, 1]);
  });

  it('sorted: every finding whose sort key does not change comes exactly once', async () => {
    const END = Date.now() + 600_000;
    const req = { maxResults: 12, sortCriteria: { field: 'SEVERITY', sortOrder: 'DESC' }, ...windowTo(END) };
    const before = arns(await cleanPagesOf(emu, { ...req, maxResults: 100 }));
    const pages = await pagesOf(emu.url, req, {
      between: async (k) => {
        // Status changes move updatedAt but not the severity the listing is sorted on.
        if (k % 4 === 0) await control(emu.url, 'mutate', 'POST', { count: 5, status: 'SUPPRESSED' });
      },
    });
    const served = arns(pages);
    expect(new Set(served).size).toBe(served.length);
    expect(new Set(served)).toEqual(new Set(before));
    expect(pages.length).toBeGreaterThan(before.length / 12);
  });
});
