/**
 * Several regions against the emulator (regional: each request is answered for the region it
 * is signed for): one collect call per region (`run.part`), records of that region only, the
 * sweep never touching another region's findings, and the Test's row per region with an opt-in
 * region that is not enabled (a proxy answers as AWS does there: 403 "The security token
 * included in the request is invalid").
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../../emulator/index.js';
import { systemClock } from '../../core/clock.js';
import { silentLogger } from '../../core/logger.js';
import type { SweepSupport } from '../types.js';
import { connectorConfigSchema, type ConnectorConfig } from './config.js';
import { awsInspector } from './index.js';
import { mapFinding } from './map.js';

const READER = {
  method: 'access_key',
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
} as const;
const REGIONS = ['us-east-1', 'eu-west-1'];
const ctx = { connectorId: 'c1', connectorName: 'c', tenantId: 't', tenantName: 'T', writeTime: 0 };

let emu: Emulator;
let byRegion: Record<string, number>;

beforeAll(async () => {
  emu = await startEmulator({ findings: 150, seed: 31, regions: REGIONS });
  byRegion = emu.state.summary().byRegion as Record<string, number>;
});
afterAll(async () => {
  await emu.close();
});

function config(extra: Record<string, unknown>): ConnectorConfig {
  return connectorConfigSchema.parse({
    name: 'multi',
    regions: REGIONS,
    initialLookbackDays: 3650,
    auth: READER,
    endpoints: { inspector2: emu.url, sts: emu.url },
    ...extra,
  });
}

async function collectPart(cfg: ConnectorConfig, part: string, sweep?: SweepSupport, checkpoint?: unknown) {
  const items: unknown[] = [];
  const checkpoints: unknown[] = [];
  const out = await awsInspector().collect({
    config: cfg,
    part,
    checkpoint,
    clock: systemClock,
    logger: silentLogger(),
    connectorId: 'c1',
    onPage: (p) => {
      items.push(...p.items);
      checkpoints.push(p.checkpoint);
    },
    ...(sweep ? { sweep, tuning: { sweep: true } } : {}),
  });
  return { items, out, checkpoints };
}

const regionsOfItems = (items: unknown[]) =>
  new Set(items.map((i) => mapFinding(i, ctx).aws_region as string));

describe('collect per region', () => {
  it('the emulator holds findings in both regions', () => {
    expect(byRegion['us-east-1']).toBeGreaterThan(0);
    expect(byRegion['eu-west-1']).toBeGreaterThan(0);
  });

  it('one URL for every region: each part reads its own region (requests signed for it), records carry it', async () => {
    const cfg = config({});
    for (const region of REGIONS) {
      const { items } = await collectPart(cfg, region);
      expect(items.length).toBe(byRegion[region]);
      expect([...regionsOfItems(items)]).toEqual([region]);
    }
  });

  it('an endpoint with {region} gets each region substituted (the emulator is region-strict there)', async () => {
    const cfg = config({
      endpoints: {
        inspector2: `${emu.url}/inspector2.{region}.amazonaws.com`,
        sts: `${emu.url}/sts.{region}.amazonaws.com`,
      },
    });
    const { items } = await collectPart(cfg, 'eu-west-1');
    expect(items.length).toBe(byRegion['eu-west-1']);
    expect([...regionsOfItems(items)]).toEqual(['eu-west-1']);
  });

  it("each checkpoint names its region; another region's checkpoint is not resumed (the region starts afresh)", async () => {
    const cfg = config({});
    const first = await collectPart(cfg, 'us-east-1');
    const last = first.checkpoints.at(-1) as { region?: string; lastCompletedEnd?: number };
    expect(last.region).toBe('us-east-1');
    expect(last.lastCompletedEnd).toBeGreaterThan(0);
    // Resumed in its own region: nothing new since.
    expect((await collectPart(cfg, 'us-east-1', undefined, last)).items.length).toBeLessThan(
      byRegion['us-east-1']!,
    );
    // Handed to eu-west-1 (a reordered list before the host had parts): a full first run there.
    const other = await collectPart(cfg, 'eu-west-1', undefined, last);
    expect(other.items.length).toBe(byRegion['eu-west-1']);
    expect((other.checkpoints.at(-1) as { region?: string }).region).toBe('eu-west-1');
  });

  it("part '' (a host without parts) is the first region", async () => {
    const { items } = await collectPart(config({ regions: ['eu-west-1', 'us-east-1'] }), '');
    expect([...regionsOfItems(items)]).toEqual(['eu-west-1']);
  });

  it("the sweep confirms and closes only its region's findings, past pages of other regions' keys", async () => {
    const ghost = (region: string, n: number) =>
      `arn:aws:inspector2:${region}:123456789012:finding/${n.toString(16).padStart(32, '0')}`;
    // The host's open states of every region: 250 in eu-west-1 that AWS no longer has (they sort
    // before us-east-1's, so more than one page of candidates of another region comes first),
    // one gone in us-east-1.
    const keys = [
      ...Array.from({ length: 250 }, (_, i) => ghost('eu-west-1', i)),
      ghost('us-east-1', 7),
    ].sort();
    const vanished: string[] = [];
    const sweep: SweepSupport = {
      unseen: async (q) => keys.filter((k) => k > q.after).slice(0, q.limit),
      vanished: async (v) => {
        vanished.push(...v.keys);
      },
    };
    const { out } = await collectPart(config({}), 'us-east-1', sweep);
    expect(vanished).toEqual([ghost('us-east-1', 7)]);
    expect(out.vanished).toBe(1);
  });
});

describe('the Test per region', () => {
  let proxy: http.Server;
  let proxyUrl: string;
  const seenRegions = new Set<string>();

  beforeAll(async () => {
    // AWS in an opt-in region the account has not enabled: every signed request (STS and
    // Inspector2) is refused as an unknown security token. Other regions go to the emulator.
    const target = new URL(emu.url);
    proxy = http.createServer((req, res) => {
      const scope = /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(req.headers.authorization ?? '')?.[1];
      if (scope) seenRegions.add(scope);
      if (scope === 'af-south-1') {
        req.resume();
        const sts = (req.headers['content-type'] ?? '').includes('x-www-form-urlencoded');
        if (sts) {
          res.writeHead(403, { 'content-type': 'text/xml' });
          res.end(
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>r1</RequestId></ErrorResponse>',
          );
        } else {
          res.writeHead(403, {
            'content-type': 'application/json',
            'x-amzn-errortype': 'UnrecognizedClientException',
          });
          res.end(JSON.stringify({ message: 'The security token included in the request is invalid.' }));
        }
        return;
      }
      const fwd = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      fwd.on('error', () => res.destroy());
      req.pipe(fwd);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => proxy.close(r));
  });

  it('a row per region; an explicit list with an opt-in region not enabled fails naming it (ERR_REGION_NOT_ENABLED)', async () => {
    const cfg = config({
      regions: ['us-east-1', 'eu-west-1', 'af-south-1'],
      endpoints: { inspector2: proxyUrl, sts: proxyUrl },
    });
    const r = await awsInspector().test(cfg, {
      logger: silentLogger(),
      clock: systemClock,
      connectorId: 't',
    });
    expect(seenRegions).toEqual(new Set(['us-east-1', 'eu-west-1', 'af-south-1']));
    expect(r.parts?.map((p) => [p.part, p.ok, p.status, p.httpStatus, p.code])).toEqual([
      ['us-east-1', true, 'ok', 200, 'OK'],
      ['eu-west-1', true, 'ok', 200, 'OK'],
      ['af-south-1', false, 'not_enabled', 403, 'ERR_REGION_NOT_ENABLED'],
    ]);
    expect(r).toMatchObject({ ok: false, httpStatus: 403, code: 'ERR_REGION_NOT_ENABLED' });
    expect(r.summary).toMatch(/^1 of 3 regions failed: af-south-1 \(403 ERR_REGION_NOT_ENABLED\)/);
    expect(r.parts![2]!.explanation).toMatch(/opt-in region/);
  });

  it('a run in that region fails with ERR_REGION_NOT_ENABLED (the host shows "not enabled")', async () => {
    const cfg = config({
      regions: ['us-east-1', 'af-south-1'],
      endpoints: { inspector2: proxyUrl, sts: proxyUrl },
    });
    await expect(collectPart(cfg, 'af-south-1')).rejects.toMatchObject({ code: 'ERR_REGION_NOT_ENABLED' });
  });
});
