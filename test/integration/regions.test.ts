/**
 * Regions, partitions and endpoints end to end: the real client (AWS SDK v3) against the
 * emulator's region-strict endpoints (`emu.endpoint(host)`). The Test and the runs name each
 * cause with its registry code; GovCloud and China collect with their own ARNs.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { ERRORS } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { testConnector } from '../../src/connectors/aws-inspector/check.js';
import type { ConnectorConfig } from '../../src/connectors/aws-inspector/config.js';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import {
  SOURCE,
  addConnector,
  configFor,
  emulatorVersions,
  indexVersions,
  readerAuth,
  run,
  sorted,
  tempStore,
  type AuthInput,
  type TempStore,
} from './collect-helpers.js';

let emu: Emulator;
const stores: TempStore[] = [];

beforeAll(async () => {
  emu = await startEmulator({
    findings: 400,
    seed: 12,
    regions: ['us-east-1', 'eu-west-1', 'us-gov-west-1', 'cn-north-1'],
  });
});
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});
afterAll(async () => {
  await emu.close();
});

/** A connector in `region` whose endpoints are the emulator's stand-ins for AWS host names. */
function cfgAt(
  region: string,
  hosts: { inspector2: string; sts: string },
  auth: AuthInput = readerAuth,
): ConnectorConfig {
  return configFor(emu, auth, {
    region,
    endpoints: { inspector2: emu.endpoint(hosts.inspector2), sts: emu.endpoint(hosts.sts) },
  });
}

const test = (cfg: ConnectorConfig) =>
  testConnector(cfg, { logger: silentLogger(), clock: systemClock, connectorId: 'it' });

describe('the Test names the cause', () => {
  it('the Inspector2 endpoint of another region: ERR_REGION_MISMATCH (400) at the Inspector step', async () => {
    const r = await test(
      cfgAt('eu-west-1', {
        inspector2: 'inspector2.us-east-1.amazonaws.com',
        sts: 'sts.eu-west-1.amazonaws.com',
      }),
    );
    expect(r).toMatchObject({ ok: false, code: 'ERR_REGION_MISMATCH', httpStatus: 400 });
    expect(r.summary).toContain('400 Bad Request');
    expect(r.summary).toContain('endpoints.inspector2 = 127.0.0.1:');
    expect(r.summary).toContain("does not serve the connector's Region eu-west-1");
    expect(r.detail).toMatch(/^Step 2\/3, Inspector ListFindings/);
    expect(r.detail).toContain("Credential should be scoped to a valid region, not 'eu-west-1'.");
    expect(r.recommendation).toBe(ERRORS.ERR_REGION_MISMATCH.recommendation);
  });

  it('STS pointed at the global endpoint (us-east-1) for a eu-west-1 connector: ERR_REGION_MISMATCH at the STS step', async () => {
    const r = await test(
      cfgAt('eu-west-1', { inspector2: 'inspector2.eu-west-1.amazonaws.com', sts: 'sts.amazonaws.com' }),
    );
    expect(r).toMatchObject({ ok: false, code: 'ERR_REGION_MISMATCH', httpStatus: 400 });
    expect(r.summary).toContain('the STS endpoint override (endpoints.sts = 127.0.0.1:');
    expect(r.detail).toMatch(/^Step 1\/3, STS GetCallerIdentity/);
  });

  it('STS pointed at the Inspector2 endpoint: ERR_CONFIG_INVALID naming endpoints.sts', async () => {
    for (const auth of [
      readerAuth,
      {
        method: 'iam_role',
        ...SOURCE,
        roleArn: `arn:aws:iam::123456789012:role/InspectorReadOnly`,
      } as AuthInput,
    ]) {
      const r = await test(
        cfgAt(
          'eu-west-1',
          { inspector2: 'inspector2.eu-west-1.amazonaws.com', sts: 'inspector2.eu-west-1.amazonaws.com' },
          auth,
        ),
      );
      expect(r).toMatchObject({ ok: false, code: 'ERR_CONFIG_INVALID', httpStatus: 400 });
      expect(r.summary).toContain('the STS endpoint override (endpoints.sts = 127.0.0.1:');
      expect(r.summary).toContain('is not an STS endpoint');
      expect(r.detail).toMatch(
        auth.method === 'iam_role' ? /^Step 1\/4, STS AssumeRole/ : /^Step 1\/3, STS GetCallerIdentity/,
      );
    }
  });

  it('Inspector2 pointed at the STS endpoint: ERR_CONFIG_INVALID naming endpoints.inspector2', async () => {
    const r = await test(
      cfgAt('eu-west-1', { inspector2: 'sts.eu-west-1.amazonaws.com', sts: 'sts.eu-west-1.amazonaws.com' }),
    );
    expect(r).toMatchObject({ ok: false, code: 'ERR_CONFIG_INVALID', httpStatus: 400 });
    expect(r.summary).toContain('the Amazon Inspector endpoint override (endpoints.inspector2 = 127.0.0.1:');
    expect(r.summary).toContain('is not an Amazon Inspector endpoint');
    expect(r.detail).toMatch(/^Step 2\/3, Inspector ListFindings/);
  });

  it('a region without Inspector2: ERR_REGION_UNAVAILABLE (404) after STS succeeded', async () => {
    const r = await test(
      cfgAt('ap-southeast-6', {
        inspector2: 'inspector2.ap-southeast-6.amazonaws.com',
        sts: 'sts.ap-southeast-6.amazonaws.com',
      }),
    );
    expect(r).toMatchObject({ ok: false, code: 'ERR_REGION_UNAVAILABLE', httpStatus: 404 });
    expect(r.summary).toContain('404 Not Found: Amazon Inspector is not available in ap-southeast-6');
    expect(r.detail).toMatch(/^Step 2\/3, Inspector ListFindings/);
  });

  it('an unknown region: ERR_CONFIG_INVALID naming regions, before any request', async () => {
    emu.state.clearRequests();
    const cfg = {
      ...cfgAt('us-east-1', { inspector2: 'inspector2.us-east-1.amazonaws.com', sts: 'sts.amazonaws.com' }),
      // Past the schema (which refuses it): the client refuses it too.
      regions: ['xx-fake-9'],
    };
    const r = await test(cfg);
    expect(r).toMatchObject({ ok: false, code: 'ERR_CONFIG_INVALID', httpStatus: 400 });
    expect(r.summary).toContain("regions: 'xx-fake-9' is not an AWS region");
    expect(emu.state.requests()).toEqual([]);
  });
});

describe('partitions', () => {
  for (const [region, partition, suffix] of [
    ['us-gov-west-1', 'aws-us-gov', 'amazonaws.com'],
    ['cn-north-1', 'aws-cn', 'amazonaws.com.cn'],
  ] as const) {
    it(`${partition}: the Test (access key and IAM role) and a run collect with ${partition} ARNs`, async () => {
      const hosts = { inspector2: `inspector2.${region}.${suffix}`, sts: `sts.${region}.${suffix}` };
      const key = await test(cfgAt(region, hosts));
      expect(key).toMatchObject({
        ok: true,
        identity: { arn: `arn:${partition}:iam::123456789012:user/reader` },
      });
      const role = await test(
        cfgAt(region, hosts, {
          method: 'iam_role',
          ...SOURCE,
          roleArn: `arn:${partition}:iam::123456789012:role/InspectorReadOnly`,
        }),
      );
      expect(role).toMatchObject({ ok: true });
      expect(role.identity!.arn).toBe(
        `arn:${partition}:sts::123456789012:assumed-role/InspectorReadOnly/inspector-connector-it`,
      );

      const ts = tempStore();
      stores.push(ts);
      const id = addConnector(ts.store, cfgAt(region, hosts));
      const out = await run(ts.store, id);
      expect(out.status).toBe('ok');
      const want = emulatorVersions(emu).filter((v) =>
        v.startsWith(`arn:${partition}:inspector2:${region}:`),
      );
      expect(want.length).toBe((emu.state.summary().byRegion as Record<string, number>)[region]);
      expect(want.length).toBeGreaterThan(0);
      expect(sorted(indexVersions(ts.store))).toEqual(sorted(want));
    });
  }

  it('a run against the endpoint of another region fails with ERR_REGION_MISMATCH and stores nothing', async () => {
    const ts = tempStore();
    stores.push(ts);
    const id = addConnector(
      ts.store,
      cfgAt('us-gov-east-1', {
        inspector2: 'inspector2.us-gov-west-1.amazonaws.com',
        sts: 'sts.us-gov-east-1.amazonaws.com',
      }),
    );
    const out = await run(ts.store, id);
    expect(out.status).toBe('failed');
    expect(out.error?.code).toBe('ERR_REGION_MISMATCH');
    expect(out.error?.message).toContain('endpoints.inspector2');
    expect(indexVersions(ts.store)).toEqual([]);
  });
});
