/**
 * Findings AWS deletes (README "Deleted findings"), over HTTP: CLOSED + 30 days, a terminated
 * resource's + 3 days, a disabled account's + 24 h, outright deletion; all driven by the clock
 * control, and a token issued before a deletion still pages on without the deleted findings.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from './index.js';
import { READER, control, signedRequest } from './testing.js';

const DAY = 86_400_000;
let emu: Emulator;

beforeEach(async () => {
  emu = await startEmulator({ findings: 300, seed: 4 });
});
afterEach(async () => {
  await emu.close();
});

type Finding = Record<string, unknown> & { findingArn: string };

/** One page, signed at the emulator's (moved) clock. */
async function page(req: Record<string, unknown>): Promise<{ findings: Finding[]; nextToken?: string }> {
  const r = await signedRequest({
    url: emu.url,
    path: '/findings/list',
    body: JSON.stringify(req),
    creds: READER,
    signingDate: emu.state.now(),
  });
  if (r.status !== 200) throw new Error(`ListFindings ${r.status}: ${r.body}`);
  return JSON.parse(r.body) as { findings: Finding[]; nextToken?: string };
}
async function listAll(filterCriteria: Record<string, unknown>, token?: string): Promise<Finding[]> {
  const out: Finding[] = [];
  do {
    const p = await page({ maxResults: 100, filterCriteria, ...(token ? { nextToken: token } : {}) });
    out.push(...p.findings);
    token = p.nextToken;
  } while (token);
  return out;
}
async function arns(filterCriteria: Record<string, unknown> = {}): Promise<Set<string>> {
  return new Set((await listAll(filterCriteria)).map((f) => f.findingArn));
}
const advance = (ms: number) => control(emu.url, 'clock', 'POST', { advanceMs: ms });
const byArn = (arn: string) => arns({ findingArn: [{ comparison: 'EQUALS', value: arn }] });

describe('deleted findings', () => {
  it('a finding closed now is listed for 30 days, then gone', async () => {
    const m = await control(emu.url, 'mutate', 'POST', { count: 3, status: 'CLOSED', fromStatus: 'ACTIVE' });
    const closed: string[] = m.json.arns;
    await advance(30 * DAY - 60_000);
    for (const a of closed) expect(await byArn(a)).toEqual(new Set([a]));
    await advance(120_000);
    for (const a of closed) expect((await byArn(a)).size).toBe(0);
    const s = (await control(emu.url, 'summary')).json;
    // Generated CLOSED findings are kept 30 days from the start: they went with them.
    expect(s.deleted).toBeGreaterThanOrEqual(3);
    expect(s.findings + s.deleted).toBe(300);
    expect(s.byStatus.CLOSED ?? 0).toBe(0);
  });

  it('a terminated resource closes its findings now and loses them 3 days later', async () => {
    const all = await listAll({ findingStatus: [{ comparison: 'EQUALS', value: 'ACTIVE' }] });
    const f = all[0]!;
    const resourceId = (f.resources as { id: string }[])[0]!.id;
    const t = await control(emu.url, 'resources/terminate', 'POST', { resourceIds: [resourceId] });
    expect(t.status).toBe(200);
    expect(t.json.arns).toContain(f.findingArn);
    const after = await listAll({ findingArn: [{ comparison: 'EQUALS', value: f.findingArn }] });
    expect(after[0]!.status).toBe('CLOSED');
    expect(after[0]!.updatedAt).toBe(t.json.updatedAt / 1000);
    await advance(3 * DAY - 1000);
    expect((await byArn(f.findingArn as string)).size).toBe(1);
    await advance(2000);
    expect((await byArn(f.findingArn as string)).size).toBe(0);
    const bad = await control(emu.url, 'resources/terminate', 'POST', { resourceIds: ['i-none'] });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/resourceIds/);
    expect((await control(emu.url, 'resources/terminate', 'POST', { resourceId: 'x' })).status).toBe(400);
  });

  it("a disabled account's findings are gone 24 h later, the other accounts' stay", async () => {
    const acct = '210987654321';
    const mine = await arns({ awsAccountId: [{ comparison: 'EQUALS', value: acct }] });
    const everyone = await arns();
    expect(mine.size).toBeGreaterThan(0);
    const d = await control(emu.url, `accounts/${acct}/disable`, 'POST', {});
    expect(d.status).toBe(200);
    expect(d.json.findings).toBeGreaterThanOrEqual(mine.size);
    await advance(DAY - 1000);
    expect((await arns({ awsAccountId: [{ comparison: 'EQUALS', value: acct }] })).size).toBe(mine.size);
    await advance(2000);
    expect((await arns({ awsAccountId: [{ comparison: 'EQUALS', value: acct }] })).size).toBe(0);
    const rest = await arns();
    // Only the account's findings left (the other accounts' open ones are all still there).
    expect([...rest].every((a) => everyone.has(a) && !mine.has(a))).toBe(true);
    expect((await control(emu.url, 'accounts/12/disable', 'POST', {})).json.error).toMatch(/accountId/);
  });

  it('deletes outright; a token issued before pages on without the deleted finding', async () => {
    const req = {
      maxResults: 10,
      filterCriteria: { findingStatus: [{ comparison: 'EQUALS', value: 'ACTIVE' }] },
    };
    const first = await page(req);
    const all = await arns(req.filterCriteria);
    const seen = new Set(first.findings.map((f) => f.findingArn));
    const victim = [...all].find((a) => !seen.has(a))!;
    const del = await control(emu.url, 'findings/delete', 'POST', { arns: [victim] });
    expect(del.json.arns).toEqual([victim]);
    const rest = new Set(seen);
    let token = first.nextToken;
    while (token) {
      const p = await page({ ...req, nextToken: token });
      for (const f of p.findings) rest.add(f.findingArn);
      token = p.nextToken;
    }
    expect(rest.has(victim)).toBe(false);
    expect(rest.size).toBe(all.size - 1);
    const again = await control(emu.url, 'findings/delete', 'POST', { arns: [victim] });
    expect(again.status).toBe(400);
    expect(again.json.error).toBe(`arns: no finding ${victim}`);
    expect((await control(emu.url, 'mutate', 'POST', { arns: [victim] })).status).toBe(400);
  });
});
