/**
 * Standalone runner (no product code): `node --import tsx emulator/serve.ts [--port N] [--tls]
 * [--findings N] [--fixtures] [--seed S] [--iam FILE] [--regions a,b] [--clean-pages] [--rescan-rate R]
 * [--index-lag-seconds N] [--clock-offset-seconds ±N] [--without-updated-at PERCENT]
 * [--opt-in-regions all|none|a,b] [--members a,b] [--region-rate R] [--region-burst N]`. Prints the
 * URL, runs until SIGINT/SIGTERM.
 * The product's `inspector-connector emulator` command does the same; benchmarks use this one to
 * run the emulator in its own process.
 */
import { parseArgs } from 'node:util';
import { startEmulator } from './index.js';
import { parseOptInFlag, parseRateFlags } from './org.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    tls: { type: 'boolean', default: false },
    findings: { type: 'string', default: '1000' },
    fixtures: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    iam: { type: 'string' },
    regions: { type: 'string', default: 'us-east-1' },
    'clean-pages': { type: 'boolean', default: false },
    'without-updated-at': { type: 'string', default: '0' },
    'rescan-rate': { type: 'string', default: '0' },
    'index-lag-seconds': { type: 'string', default: '0' },
    'clock-offset-seconds': { type: 'string', default: '0' },
    'opt-in-regions': { type: 'string', default: 'all' },
    members: { type: 'string' },
    'region-rate': { type: 'string', default: '0' },
    'region-burst': { type: 'string' },
  },
});
const optInRegions = parseOptInFlag(values['opt-in-regions']);
const regionRate = parseRateFlags(values['region-rate'], values['region-burst']);
const emu = await startEmulator({
  port: Number(values.port),
  tls: values.tls,
  findings: Number(values.findings),
  fixtures: values.fixtures,
  seed: Number(values.seed),
  cleanPages: values['clean-pages'],
  regions: values.regions.split(',').map((r) => r.trim()),
  withoutUpdatedAt: Number(values['without-updated-at']),
  rescanRate: Number(values['rescan-rate']),
  indexLagSeconds: Number(values['index-lag-seconds']),
  clockOffsetSeconds: Number(values['clock-offset-seconds']),
  ...(values.iam ? { iam: values.iam } : {}),
  ...(optInRegions ? { optInRegions } : {}),
  ...(regionRate ? { regionRate } : {}),
  ...(values.members ? { members: values.members.split(',').map((m) => m.trim()) } : {}),
});
process.stdout.write(`${emu.url}\n`);
const stop = () => void emu.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
