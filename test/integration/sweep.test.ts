/**
 * Findings AWS deletes (issue 12.1), end to end: the real client against the emulator (which
 * deletes on AWS's schedule, on its own clock), a real SQLite store. A connector stopped for 31
 * emulator-days finds, after restart, the deleted findings CLOSED as vanished (search and
 * current state) and nothing else; a second sweep adds nothing; an interrupted sweep marks
 * nothing vanished and resumes; a finding closed during the sweep is stored as its real version.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import type { InterflowRecord } from '../../src/core/record.js';
import type { Checkpoint } from '../../src/connectors/aws-inspector/collect.js';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { createInspectorClient } from '../../src/connectors/aws-inspector/client.js';
import { reconcile } from '../../src/connectors/aws-inspector/reconcile.js';
import { storeReconcileIndex } from '../../src/cli/commands/reconcile.js';
import { DB_FILE, openStore } from '../../src/store/index.js';
import { withStoreFile } from '../support/store-file.js';
import { CLI_KEY } from './collect-helpers.js';
import {
  READER,
  addConnector,
  configFor,
  control,
  run,
  runCli,
  spawnCli,
  tempStore,
  writeConfigFile,
  type TempStore,
} from './collect-helpers.js';
import { checkpointOf } from '../support/checkpoints.js';

const DAY = 86_400_000;
const OTHER_ACCOUNT = '210987654321';
let emu: Emulator;
let ts: TempStore;
/** The collector's clock is the emulator's: its windows follow the moved clock. */
let clock: Clock;

beforeEach(async () => {
  emu = await startEmulator({ port: 0, findings: 300, seed: 12 });
  ts = tempStore();
  clock = { now: () => emu.state.now() };
});
afterEach(async () => {
  ts.close();
  await emu.close();
});

type Finding = { findingArn: string; status: string; awsAccountId: string; resources: { id: string }[] };
/** Every finding the emulator still has (built in process: no paging involved). */
function present(): Map<string, Finding> {
  const s = emu.state.store;
  s.expire(emu.state.now());
  const out = new Map<string, Finding>();
  for (let i = 0; i < s.n; i++) if (!s.gone[i]) out.set(s.arnOf(i), s.build(i) as unknown as Finding);
  return out;
}
const vanishedRecords = (): InterflowRecord[] =>
  ts.store.index.search({ q: 'aws_inspector_state:vanished', limit: 0 }).records;
const state = (arn: string) => ts.store.findings.get('root', arn);
const checkpoint = (id: string) => checkpointOf(ts.store, id) as Checkpoint;

describe('sweep: findings AWS deleted while the connector was stopped', () => {
  it('after 31 days away, the deleted ones are CLOSED (vanished) in search and state, nothing else; a second sweep adds nothing', async () => {
    const id = addConnector(ts.store, configFor(emu));
    const first = await run(ts.store, id, { clock, maxResults: 50 });
    expect(first.status).toBe('ok');
    expect(checkpoint(id).lastSweepAt).toBe(checkpoint(id).lastCompletedEnd);

    // While stopped: some findings close (deleted 30 days later), a resource is terminated
    // (+3 days), an account is disabled (+24 h); two more close on day 2 (still listed on day 31).
    const before = present();
    const open = (f: Finding) => f.status !== 'CLOSED';
    const mine = [...before.values()].filter((f) => f.awsAccountId !== OTHER_ACCOUNT && open(f));
    const closed = (await control(emu, 'mutate', 'POST', {
      arns: mine.slice(0, 3).map((f) => f.findingArn),
      status: 'CLOSED',
    })) as { arns: string[] };
    const resourceId = mine[3]!.resources[0]!.id;
    const terminated = (await control(emu, 'resources/terminate', 'POST', { resourceIds: [resourceId] })) as {
      arns: string[];
    };
    await control(emu, `accounts/${OTHER_ACCOUNT}/disable`, 'POST', {});
    await control(emu, 'clock', 'POST', { advanceMs: 2 * DAY });
    const late = (await control(emu, 'mutate', 'POST', {
      arns: mine.slice(4, 6).map((f) => f.findingArn),
      status: 'CLOSED',
    })) as { arns: string[] };
    await control(emu, 'clock', 'POST', { advanceMs: 29 * DAY });

    const after = present();
    const deleted = [...before.keys()].filter((a) => !after.has(a));
    // Those the connector's state held open: every deleted finding that was open at run 1.
    const expectVanished = deleted.filter((a) => open(before.get(a)!)).sort();
    expect(expectVanished).toEqual(
      expect.arrayContaining([...closed.arns, ...terminated.arns.filter((a) => open(before.get(a)!))]),
    );
    expect(expectVanished.some((a) => before.get(a)!.awsAccountId === OTHER_ACCOUNT)).toBe(true);
    for (const a of late.arns) expect(after.has(a)).toBe(true);

    const second = await run(ts.store, id, { clock, maxResults: 50 });
    expect(second.status).toBe('ok');
    expect(second.vanished).toBe(expectVanished.length);
    expect(ts.store.runs.get(second.runId)!.vanished).toBe(expectVanished.length);
    const sweepAt = checkpoint(id).lastSweepAt!;
    expect(sweepAt).toBe(checkpoint(id).lastCompletedEnd);

    // Search: one vanished record per disappearance, CLOSED, saying why, at the sweep's time.
    const recs = vanishedRecords();
    expect(recs.map((r) => (r.aws_inspector as Finding).findingArn).sort()).toEqual(expectVanished);
    for (const r of recs) {
      expect(r).toMatchObject({
        event_status: 'CLOSED',
        aws_inspector_state: 'vanished',
        message: 'no longer reported by Amazon Inspector',
        timestamp: sweepAt,
        aws_inspector: { status: 'CLOSED' },
      });
    }
    expect(ts.store.index.count({ q: 'aws_inspector_state:vanished AND event_status:CLOSED' })).toBe(
      expectVanished.length,
    );
    // Current state: the vanished are CLOSED at the sweep; every other finding is as AWS has it.
    for (const a of expectVanished) expect(state(a)).toMatchObject({ status: 'CLOSED', updatedAt: sweepAt });
    for (const [a, f] of after) expect(state(a)?.status).toBe(f.status);
    for (const a of late.arns) expect(state(a)!.updatedAt).toBeLessThan(sweepAt);
    const deletedClosedBefore = deleted.filter((a) => !open(before.get(a)!));
    for (const a of deletedClosedBefore) expect(state(a)!.updatedAt).toBeLessThan(sweepAt);

    // A second sweep, forced: nothing new. A second later, so that its start (AWS's time, whole
    // seconds) is a new one whatever the host's speed.
    await control(emu, 'clock', 'POST', { advanceMs: 1000 });
    const size = ts.store.index.size();
    const third = await run(ts.store, id, { clock, maxResults: 50, sweep: true });
    expect(third.status).toBe('ok');
    expect(third.vanished).toBe(0);
    expect(third.stored).toBe(0);
    expect(ts.store.index.size()).toBe(size);
    expect(checkpoint(id).lastSweepAt).toBeGreaterThan(sweepAt);
    expect(vanishedRecords()).toHaveLength(expectVanished.length);
  });

  it('an interrupted sweep (stopped, then failing mid-pages) marks nothing vanished and resumes from its token', async () => {
    const id = addConnector(ts.store, configFor(emu));
    expect((await run(ts.store, id, { clock, maxResults: 20 })).status).toBe('ok');
    const victims = [...present().values()].filter((f) => f.status === 'ACTIVE').slice(0, 4);
    await control(emu, 'findings/delete', 'POST', { arns: victims.map((f) => f.findingArn) });
    await control(emu, 'clock', 'POST', { advanceMs: 60_000 });

    // Stopped after the sweep's second page.
    const ac = new AbortController();
    let sweepPages = 0;
    const stopped = await run(ts.store, id, {
      clock,
      maxResults: 20,
      sweep: true,
      commitRecords: 1,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.query === 'sweep' && ++sweepPages === 2) ac.abort();
      },
    });
    expect(stopped.status).toBe('stopped');
    expect(stopped.vanished).toBe(0);
    expect(vanishedRecords()).toHaveLength(0);
    const cp = checkpoint(id);
    expect(cp.queue[0]?.key).toBe('sweep');
    expect(cp.queue[0]?.nextToken).toBeDefined();
    for (const v of victims) expect(state(v.findingArn)!.status).toBe('ACTIVE');

    // Resumed, then failing mid-pages (every ListFindings a 500 once the next page is asked for).
    emu.state.clearRequests();
    let failed = false;
    const failing = await run(ts.store, id, {
      clock,
      maxResults: 20,
      pageRetries: 0,
      clientOptions: { maxAttempts: 1 },
      onProgress: (p) => {
        if (p.query === 'sweep' && !failed) {
          failed = true;
          emu.state.faults.set({ error500: { fraction: 1 } });
        }
      },
    });
    emu.state.faults.reset();
    expect(failing.status).toBe('failed');
    // It resumed from the stored token: its first request carried one.
    expect(emu.state.requests().find((r) => r.operation === 'ListFindings')?.hasNextToken).toBe(true);
    expect(vanishedRecords()).toHaveLength(0);
    expect(checkpoint(id).queue[0]?.key).toBe('sweep');
    for (const v of victims) expect(state(v.findingArn)!.status).toBe('ACTIVE');

    const done = await run(ts.store, id, { clock, maxResults: 20 });
    expect(done.status).toBe('ok');
    expect(done.vanished).toBe(victims.length);
    expect(
      vanishedRecords()
        .map((r) => (r.aws_inspector as Finding).findingArn)
        .sort(),
    ).toEqual(victims.map((v) => v.findingArn).sort());
    expect(checkpoint(id).confirm).toBeUndefined();
  });

  it('stopped while confirming: resumed, each vanished finding gets exactly one record', async () => {
    const id = addConnector(ts.store, configFor(emu));
    expect((await run(ts.store, id, { clock, maxResults: 100 })).status).toBe('ok');
    // More candidates than one batch of 100: the confirmation takes several steps.
    const victims = [...present().values()].filter((f) => f.status !== 'CLOSED').slice(0, 130);
    await control(emu, 'findings/delete', 'POST', { arns: victims.map((f) => f.findingArn) });
    await control(emu, 'clock', 'POST', { advanceMs: 60_000 });
    const ac = new AbortController();
    const stopped = await run(ts.store, id, {
      clock,
      maxResults: 100,
      sweep: true,
      commitRecords: 1,
      signal: ac.signal,
      onProgress: () => {
        if (checkpoint(id).confirm?.after) ac.abort();
      },
    });
    expect(stopped.status).toBe('stopped');
    expect(stopped.vanished).toBeGreaterThan(0);
    expect(stopped.vanished).toBeLessThan(victims.length);
    expect(checkpoint(id).confirm).toBeDefined();
    const resumed = await run(ts.store, id, { clock, maxResults: 100 });
    expect(resumed.status).toBe('ok');
    expect(stopped.vanished + resumed.vanished).toBe(victims.length);
    const arns = vanishedRecords().map((r) => (r.aws_inspector as Finding).findingArn);
    expect(arns.length).toBe(new Set(arns).size);
    expect(arns.sort()).toEqual(victims.map((v) => v.findingArn).sort());
    // The vanished are no candidates any more: another sweep closes nothing.
    expect((await run(ts.store, id, { clock, maxResults: 100, sweep: true })).vanished).toBe(0);
  });

  it('a finding closed during the sweep is stored as its real CLOSED version; one deleted then is vanished', async () => {
    const id = addConnector(ts.store, configFor(emu));
    expect((await run(ts.store, id, { clock, maxResults: 20 })).status).toBe('ok');
    await control(emu, 'clock', 'POST', { advanceMs: 60_000 });
    // The newest open findings: the sweep (oldest updatedAt first) lists them last.
    const open = [...present().values()].filter((f) => f.status !== 'CLOSED');
    const byUpdated = open.sort((a, b) => state(b.findingArn)!.updatedAt - state(a.findingArn)!.updatedAt);
    const [closing, deleting] = [byUpdated[0]!.findingArn, byUpdated[1]!.findingArn];
    let changed: { updatedAt: number } | undefined;
    const out = await run(ts.store, id, {
      clock,
      maxResults: 20,
      sweep: true,
      onProgress: (p) => {
        if (p.query !== 'sweep' || changed) return;
        changed = emu.state.mutate({ arns: [closing], status: 'CLOSED' });
        emu.state.deleteFindings({ arns: [deleting] });
      },
    });
    expect(out.status).toBe('ok');
    expect(changed).toBeDefined();
    expect(out.vanished).toBe(1);
    expect(state(closing)).toMatchObject({ status: 'CLOSED', updatedAt: changed!.updatedAt });
    const real = ts.store.index.search({ q: `finding_arn:"${closing}" AND event_status:CLOSED`, limit: 0 });
    expect(real.records).toHaveLength(1);
    expect(real.records[0]!.aws_inspector_state).toBeUndefined();
    expect(vanishedRecords().map((r) => (r.aws_inspector as Finding).findingArn)).toEqual([deleting]);
    expect(state(deleting)!.status).toBe('CLOSED');
  });
});

describe('reconcile and vanished findings', () => {
  it('reports findings held open that AWS deleted (not swept yet), then how many sweeps closed', async () => {
    const cfg = configFor(emu);
    const id = addConnector(ts.store, cfg);
    expect((await run(ts.store, id, { clock })).status).toBe('ok');
    const all = [...present().values()];
    const openOnes = all.filter((f) => f.status !== 'CLOSED').slice(0, 3);
    const closedOne = all.find((f) => f.status === 'CLOSED')!;
    await control(emu, 'findings/delete', 'POST', {
      arns: [...openOnes, closedOne].map((f) => f.findingArn),
    });
    const check = async () => {
      const client = createInspectorClient(cfg, { logger: silentLogger(), connectorId: id });
      try {
        return await reconcile({
          client,
          index: storeReconcileIndex(ts.store, id, 'root'),
          tenantId: 'root',
          to: emu.state.now(),
          initialLookbackDays: cfg.initialLookbackDays,
        });
      } finally {
        client.destroy();
      }
    };
    const before = await check();
    expect(before.match).toBe(false);
    expect(before.unexpected.sample.map((d) => d.findingArn).sort()).toEqual(
      openOnes.map((f) => f.findingArn).sort(),
    );
    // A CLOSED finding AWS deleted is what AWS does: not a discrepancy.
    expect(before.deleted).toBe(1);
    expect(before.swept).toBe(0);
    // A second later: findings seen in the sweep's own (whole) second cannot be told from listed.
    await control(emu, 'clock', 'POST', { advanceMs: 1000 });
    expect((await run(ts.store, id, { clock, sweep: true })).vanished).toBe(3);
    const after = await check();
    expect(after.match).toBe(true);
    expect(after.unexpected.count).toBe(0);
    expect(after.deleted).toBe(4);
    expect(after.swept).toBe(3);
  });
});

describe('CLI', () => {
  it('collect --once --sweep closes the deleted findings and says how many; reconcile reports them swept', async () => {
    const dir = path.join(ts.dir, 'cli');
    fs.mkdirSync(dir);
    const data = path.join(dir, 'data');
    const cfg = writeConfigFile(dir, {
      name: 'cli-sweep',
      region: 'us-east-1',
      initialLookbackDays: 3650,
      auth: { method: 'access_key', ...READER },
      endpoints: { inspector2: emu.url, sts: emu.url },
    });
    expect((await runCli(['collect', '--config', cfg, '--data', data, '--once'])).code).toBe(0);
    const gone = [...present().values()].filter((f) => f.status === 'ACTIVE').slice(0, 2);
    await control(emu, 'findings/delete', 'POST', { arns: gone.map((f) => f.findingArn) });
    const bad = await runCli(['collect', '--config', cfg, '--data', data, '--sweep']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--sweep: only with --once');
    const swept = await runCli(['collect', '--config', cfg, '--data', data, '--once', '--sweep']);
    expect(swept.code).toBe(0);
    expect(swept.stderr).toMatch(/run \d+ ok: .*, vanished 2, pages/);
    const rec = await runCli(['reconcile', '--config', cfg, '--data', data]);
    expect(rec.stdout).toContain('swept as vanished: 2');
    expect(rec.code).toBe(0);
  });
});

describe('kill -9 mid-sweep', () => {
  it('killed while paging the sweep, then while confirming: resumed, each vanished finding has one record', async () => {
    const dir = path.join(ts.dir, 'kill');
    fs.mkdirSync(dir);
    const data = path.join(dir, 'data');
    const cfg = writeConfigFile(dir, {
      name: 'kill-sweep',
      region: 'us-east-1',
      initialLookbackDays: 3650,
      auth: { method: 'access_key', ...READER },
      endpoints: { inspector2: emu.url, sts: emu.url },
    });
    const args = ['collect', '--config', cfg, '--data', data, '--once', '--page-size', '20'];
    expect((await runCli(args)).code).toBe(0);
    const victims = [...present().values()].filter((f) => f.status !== 'CLOSED').slice(0, 130);
    await control(emu, 'findings/delete', 'POST', { arns: victims.map((f) => f.findingArn) });
    // Slow requests, so that each kill lands where it is meant to. The CLI commits pages in groups
    // (page-sink: at the latest 1 s after a page is buffered), so a checkpoint is only seen at a
    // commit: the sweep's pages with a nextToken (4 of 5 at page size 20) and the second confirm
    // batch (3 lookups) must each outlast that delay, whatever queries (window, observed) precede.
    await control(emu, 'faults', 'POST', { latencyMs: 500 });
    const committed = () => {
      if (!fs.existsSync(path.join(data, DB_FILE))) return undefined;
      return withStoreFile(data, (db) => ({
        cp: JSON.parse(db.prepare('SELECT data FROM checkpoints').pluck().get() as string) as Checkpoint,
        vanished: db
          .prepare(`SELECT count(*) FROM syslog WHERE doc LIKE '%"aws_inspector_state":"vanished"%'`)
          .pluck()
          .get() as number,
      }));
    };
    /** Runs the CLI until `when` holds for what it committed, then kills it with SIGKILL. */
    const killWhen = async (
      extra: string[],
      when: (c: NonNullable<ReturnType<typeof committed>>) => boolean,
    ) => {
      const child = spawnCli([...args, ...extra]);
      let exited = false;
      const closed = new Promise<void>((r) =>
        child.on('close', () => {
          exited = true;
          r();
        }),
      );
      for (let k = 0; k < 6000 && !exited; k++) {
        const c = committed();
        if (c && when(c)) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(exited).toBe(false);
      child.kill('SIGKILL');
      await closed;
      return committed()!;
    };
    const paging = await killWhen(
      ['--sweep'],
      (c) => c.cp.queue[0]?.key === 'sweep' && !!c.cp.queue[0].nextToken,
    );
    expect(paging.vanished).toBe(0);
    const confirming = await killWhen([], (c) => c.vanished > 0);
    expect(confirming.cp.confirm).toBeDefined();
    expect(confirming.vanished).toBeLessThan(victims.length);
    await control(emu, 'faults', 'DELETE');
    const last = await runCli(args);
    expect(last.code).toBe(0);
    expect(last.stderr).toContain(`vanished ${victims.length - confirming.vanished}`);
    const store = openStore({ dataDir: data, key: Buffer.from(CLI_KEY, 'base64') });
    try {
      const arns = store.index
        .search({ q: 'aws_inspector_state:vanished', limit: 0 })
        .records.map((r) => (r.aws_inspector as Finding).findingArn);
      expect(arns.length).toBe(new Set(arns).size);
      expect(arns.sort()).toEqual(victims.map((v) => v.findingArn).sort());
    } finally {
      store.close();
    }
  });
});

describe('seen marks', () => {
  it('findings a log filter discards (or already stored) are marked seen: the sweep looks none of them up', async () => {
    const id = addConnector(ts.store, configFor(emu));
    expect((await run(ts.store, id, { clock })).status).toBe('ok');
    // A filter added later drops every open HIGH finding: their states stay open in the index.
    ts.store.connectors.update(id, {
      logFilters: [
        {
          name: 'no-high',
          conditions: [{ field: 'aws_inspector.severity', operator: 'equals', values: ['HIGH'] }],
        },
      ],
    });
    const high = [...present().values()].filter(
      (f) => f.status !== 'CLOSED' && (f as { severity?: string }).severity === 'HIGH',
    );
    expect(high.length).toBeGreaterThan(0);
    await control(emu, 'clock', 'POST', { advanceMs: 60_000 });
    emu.state.clearRequests();
    const out = await run(ts.store, id, { clock, sweep: true });
    expect(out.status).toBe('ok');
    expect(out.discarded).toBeGreaterThanOrEqual(high.length);
    expect(out.vanished).toBe(0);
    const lookups = emu.state
      .requests()
      .filter(
        (r) =>
          r.operation === 'ListFindings' && JSON.stringify(r.filterCriteria ?? {}).includes('findingArn'),
      );
    expect(lookups).toHaveLength(0);
  });
});

describe('sweep schedule', () => {
  it('due daily and after a gap over 24 h; sweepHours 0 = only on demand', async () => {
    const id = addConnector(ts.store, configFor(emu, undefined, { sweepHours: 0 }));
    expect((await run(ts.store, id, { clock })).status).toBe('ok');
    const victim = [...present().values()].find((f) => f.status === 'ACTIVE')!.findingArn;
    await control(emu, 'findings/delete', 'POST', { arns: [victim] });
    await control(emu, 'clock', 'POST', { advanceMs: 2 * DAY });
    expect((await run(ts.store, id, { clock })).vanished).toBe(0);
    expect(state(victim)!.status).toBe('ACTIVE');
    expect((await run(ts.store, id, { clock, sweep: true })).vanished).toBe(1);

    const daily = addConnector(ts.store, { ...configFor(emu), name: 'daily' });
    expect((await run(ts.store, daily, { clock })).status).toBe('ok');
    const first = checkpoint(daily).lastSweepAt!;
    await control(emu, 'clock', 'POST', { advanceMs: 3_600_000 });
    await run(ts.store, daily, { clock });
    expect(checkpoint(daily).lastSweepAt).toBe(first);
    await control(emu, 'clock', 'POST', { advanceMs: DAY });
    await run(ts.store, daily, { clock });
    expect(checkpoint(daily).lastSweepAt).toBeGreaterThan(first);
  });
});
