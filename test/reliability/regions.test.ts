/**
 * One connector, several regions (issue 13), with the real CLI (`collect --once`) against the
 * emulator in a process of its own; every check is per region against the emulator's findings
 * of that region listed over HTTP (0 lost, 0 duplicated):
 * - one region failing permanently and one throttled at 50 % while the others finish: the
 *   healthy and the throttled regions complete, the failing region's part is failed with its
 *   code and the connector is `partial`;
 * - kill -9 of `collect` mid-run, several times: each region resumes from its own checkpoint,
 *   and after a final complete run every region is exact.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { productionStoreTypes } from '../../src/connectors/registry.js';
import { openStore, type Store } from '../../src/store/index.js';
import {
  P,
  PROFILE,
  rng,
  TEST_KEY,
  indexVersions,
  runCli,
  sleep,
  spawnCli,
  startEmulatorProcess,
  tableCount,
  tempDir,
  writeConfig,
  type EmulatorProcess,
} from './helpers.js';
import { arnRegion, compareByRegion } from './verify.js';

let emu: EmulatorProcess | undefined;
let dir: string | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The store the CLI wrote (opened once the CLI has exited), for statuses, runs and checkpoints. */
function withStore<T>(data: string, fn: (store: Store, connectorId: string) => T): T {
  const store = openStore({
    connectorTypes: productionStoreTypes(),
    dataDir: data,
    key: Buffer.from(TEST_KEY, 'base64'),
  });
  try {
    const [c] = store.connectors.list();
    if (!c) throw new Error('no connector in the store');
    return fn(store, c.id);
  } finally {
    store.close();
  }
}

/** Records per region in the index. */
function countsByRegion(data: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of indexVersions(data)) {
    const r = arnRegion(v.findingArn);
    out[r] = (out[r] ?? 0) + 1;
  }
  return out;
}

/** Every listed region's findings are in the index exactly once; returns the emulator's counts. */
async function expectExact(url: string, data: string, regions: string[]): Promise<Record<string, number>> {
  const { byRegion } = await compareByRegion(url, data, regions);
  const counts: Record<string, number> = {};
  for (const r of regions) {
    const c = byRegion[r]!;
    expect(c.aws, `${r}: the emulator holds findings`).toBeGreaterThan(0);
    expect({ region: r, lost: c.lost, duplicated: c.duplicated, unknown: c.unknown }).toEqual({
      region: r,
      lost: [],
      duplicated: [],
      unknown: [],
    });
    expect(c.index).toBe(c.aws);
    counts[r] = c.aws;
  }
  return counts;
}

describe(`several regions in one connector (${PROFILE})`, () => {
  it(`one region failing, one throttled at 50 %: the others complete, the connector is partial (${P.faultFindings} findings)`, async () => {
    const healthy = ['us-east-1', 'eu-west-1'];
    const throttled = 'ap-southeast-2';
    // An opt-in region the account has not enabled refuses every request, as AWS does: a
    // permanent failure of that region only. (The emulator's faults share one `regions` list,
    // so the failure cannot be a second fault next to the throttling of another region.)
    const failing = 'af-south-1';
    const regions = [...healthy, throttled, failing];
    emu = await startEmulatorProcess({
      findings: P.faultFindings,
      seed: 31,
      extra: { regions, optInRegions: [] },
    });
    dir = tempDir('regions-faults');
    const data = path.join(dir, 'data');
    await emu.control('faults', { throttle: { fraction: 0.5, retryAfterSeconds: 0 }, regions: [throttled] });
    const cfg = writeConfig(dir, emu.url, { region: undefined, regions, initialLookbackDays: 3650 });

    const r = await runCli(['collect', '--config', cfg, '--data', data, '--once'], { LOG_LEVEL: 'warn' });
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(new RegExp(`part ${failing} failed`));

    // The throttling happened, in that region only.
    const { injected } = await emu.control<{ injected: Record<string, number> }>('faults');
    expect(injected.throttle).toBeGreaterThan(0);
    const requests = await emu.control<{ requests: { region?: string; errorCode?: string }[] }>('requests');
    const throttledIn = new Set(
      requests.requests.filter((q) => q.errorCode === 'ThrottlingException').map((q) => q.region),
    );
    expect([...throttledIn]).toEqual([throttled]);
    // The emulator's listing below is not throttled.
    await fetch(`${emu.url}/__emulator/faults`, { method: 'DELETE' });

    await expectExact(emu.url, data, [...healthy, throttled]);
    expect(countsByRegion(data)[failing]).toBeUndefined();

    withStore(data, (store, id) => {
      const status = store.connectors.get(id)!.status;
      expect(status.state).toBe('partial');
      expect(status.lastError?.code).toBe('ERR_REGION_NOT_ENABLED');
      const parts = Object.fromEntries((status.parts ?? []).map((p) => [p.part, p]));
      expect(Object.keys(parts).sort()).toEqual([...regions].sort());
      expect(parts[failing]).toMatchObject({
        state: 'failed',
        lastError: { code: 'ERR_REGION_NOT_ENABLED' },
      });
      for (const ok of [...healthy, throttled]) expect(parts[ok]?.state, ok).toBe('ok');
      const [run] = store.runs.list(id, { limit: 1 });
      expect(run?.status).toBe('failed');
      const runParts = Object.fromEntries((run?.parts ?? []).map((p) => [p.part, p]));
      expect(runParts[failing]).toMatchObject({
        status: 'failed',
        error: { code: 'ERR_REGION_NOT_ENABLED' },
      });
      for (const ok of [...healthy, throttled]) expect(runParts[ok]?.status, ok).toBe('ok');
    });
  });

  it(`kill -9 mid-run: each region resumes from its own checkpoint; then 0 lost, 0 duplicated per region (${P.regionFindings} findings, ${P.regionKills} kills)`, async () => {
    const regions = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-northeast-1'];
    const seed = Number(process.env.RELIABILITY_SEED ?? 20261203);
    const rand = rng(seed);
    emu = await startEmulatorProcess({ findings: P.regionFindings, seed: 32, extra: { regions } });
    dir = tempDir('regions-kill');
    const data = path.join(dir, 'data');
    // Every CLOSED finding in scope too, so the index must hold every finding; 2 regions at once
    // (of 5), so a kill finds regions done, in progress and not started.
    const cfg = writeConfig(dir, emu.url, {
      region: undefined,
      regions,
      regionConcurrency: 2,
      initialLookbackDays: 3650,
    });
    const total = P.regionFindings;
    const points = Array.from({ length: P.regionKills }, () => 1 + Math.floor(rand() * (total - 500))).sort(
      (a, b) => a - b,
    );
    const kills: { threshold: number; atKill: Record<string, number> }[] = [];
    for (let k = 0; k < P.regionKills; k++) {
      const before = tableCount(data, 'syslog');
      const threshold = Math.min(total - 300, Math.max(points[k]!, before + 1 + Math.floor(rand() * 200)));
      const child = spawnCli(['collect', '--config', cfg, '--data', data, '--once'], { LOG_LEVEL: 'warn' });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<string | null>((resolve) =>
        child.on('close', (_c, signal) => resolve(signal)),
      );
      let done = false;
      void exited.then(() => (done = true));
      const deadline = Date.now() + 300_000;
      while (!done && Date.now() < deadline) {
        if (tableCount(data, 'syslog') >= threshold) break;
        await sleep(20);
      }
      child.kill('SIGKILL');
      if ((await exited) !== 'SIGKILL') throw new Error(`run ${k} was not killed: ${stderr}`);
      const atKill = countsByRegion(data);
      kills.push({ threshold, atKill });
      // Every region with records has a checkpoint of its own (saved with its pages).
      const withCheckpoint = withStore(data, (store, id) => store.checkpoints.parts(id));
      for (const r of Object.keys(atKill)) expect(withCheckpoint, r).toContain(r);
    }
    console.log(`region kills (seed ${seed}): ${JSON.stringify(kills)}`);
    const last = kills[kills.length - 1]!.atKill;
    const lastTotal = Object.values(last).reduce((a, b) => a + b, 0);
    expect(lastTotal).toBeGreaterThan(0);
    expect(lastTotal).toBeLessThan(total);

    const fin = await runCli(['collect', '--config', cfg, '--data', data, '--once'], { LOG_LEVEL: 'warn' });
    expect(fin.code, fin.stderr).toBe(0);
    const counts = await expectExact(emu.url, data, regions);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(total);

    // The final run stored exactly what each region lacked, and a region with pages behind it
    // was not read again from its start (its own checkpoint was resumed).
    withStore(data, (store, id) => {
      const [run] = store.runs.list(id, { limit: 1 });
      expect(run?.status).toBe('ok');
      for (const p of run?.parts ?? []) {
        const had = last[p.part] ?? 0;
        expect({ part: p.part, stored: p.stored }).toEqual({ part: p.part, stored: counts[p.part]! - had });
        if (had > 0) expect(p.received, p.part).toBeLessThan(counts[p.part]!);
      }
      expect((run?.parts ?? []).map((p) => p.part).sort()).toEqual([...regions].sort());
      expect(store.connectors.get(id)!.status.state).toBe('ok');
    });
  });
});
