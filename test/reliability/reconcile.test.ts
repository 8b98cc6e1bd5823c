/**
 * `inspector-connector reconcile` against the emulator: a match after a full collection; after
 * changes in AWS that were not collected yet, exactly those findings (stale: changed; missing:
 * new); a record AWS never had (unexpected); after collecting, only that record remains.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapFinding } from '../../src/connectors/aws-inspector/map.js';
import { openStore } from '../../src/store/index.js';
import {
  settle,
  TEST_KEY,
  runCli,
  startEmulatorProcess,
  tempDir,
  writeConfig,
  type EmulatorProcess,
} from './helpers.js';
import { withStates } from '../support/records.js';

interface Report {
  match: boolean;
  aws: { findings: number; byStatus: Record<string, number> };
  missing: { count: number; byStatus: Record<string, number>; sample: { findingArn: string }[] };
  stale: { count: number; byStatus: Record<string, number>; sample: { findingArn: string }[] };
  unexpected: { count: number; sample: { findingArn: string }[] };
}

describe('reconcile against the emulator', () => {
  let emu: EmulatorProcess;
  let dir: string;
  beforeAll(async () => {
    emu = await startEmulatorProcess({ findings: 1500, seed: 31 });
    dir = tempDir('reconcile');
  });
  afterAll(async () => {
    await emu?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('match, then exactly the changed, new and index-only findings; after collecting, only the index-only one', async () => {
    const data = path.join(dir, 'data');
    // The default lookback (7 days): older CLOSED findings are out of scope on both sides.
    const cfg = writeConfig(dir, emu.url, { name: 'reconcile-test' });
    const collect = () => runCli(['collect', '--config', cfg, '--data', data, '--once']);
    const reconcile = async (): Promise<{ code: number | null; report: Report }> => {
      const r = await runCli(['reconcile', '--config', cfg, '--data', data, '--json', '--list', '1000']);
      return { code: r.code, report: JSON.parse(r.stdout) as Report };
    };

    expect((await collect()).code).toBe(0);
    const first = await reconcile();
    expect(first.code).toBe(0);
    expect(first.report.match).toBe(true);

    const changed = await emu.control<{ arns: string[] }>('mutate', {
      count: 7,
      fromStatus: 'ACTIVE',
      status: 'SUPPRESSED',
    });
    const added = await emu.control<{ arns: string[] }>('findings', { count: 4 });
    await settle(emu);
    // A record of a finding AWS never had, written straight into the index.
    const ghostArn = 'arn:aws:inspector2:us-east-1:123456789012:finding/' + 'f0'.repeat(16);
    const store = openStore({ dataDir: data, key: Buffer.from(TEST_KEY, 'base64') });
    try {
      const c = store.connectors.getByName('reconcile-test')!;
      const now = Date.now() / 1000;
      const rec = mapFinding(
        {
          findingArn: ghostArn,
          awsAccountId: '123456789012',
          type: 'PACKAGE_VULNERABILITY',
          severity: 'LOW',
          status: 'ACTIVE',
          updatedAt: now,
          lastObservedAt: now,
          firstObservedAt: now,
          resources: [],
        },
        {
          connectorId: c.id,
          connectorName: c.name,
          tenantId: 'root',
          tenantName: 'Root Tenant',
          writeTime: Date.now(),
        },
      );
      store.commitPage(withStates({ connectorId: c.id, records: [rec] }));
    } finally {
      store.close();
    }

    const second = await reconcile();
    expect(second.code).toBe(1);
    expect(second.report.stale.sample.map((d) => d.findingArn).sort()).toEqual([...changed.arns].sort());
    expect(second.report.stale.byStatus).toEqual({ SUPPRESSED: 7 });
    expect(second.report.missing.sample.map((d) => d.findingArn).sort()).toEqual([...added.arns].sort());
    expect(second.report.unexpected.sample.map((d) => d.findingArn)).toEqual([ghostArn]);

    expect((await collect()).code).toBe(0);
    const third = await reconcile();
    // Collected now: only the ghost remains.
    expect(third.report.stale.count).toBe(0);
    expect(third.report.missing.count).toBe(0);
    expect(third.report.unexpected.count).toBe(1);
    expect(third.code).toBe(1);
  });
});
