/**
 * `npm run bench:regions`: one AWS Inspector connector reading 8 regions (issue 13). The
 * emulator (own process) serves 8 regions with about `--per-region` findings each (default
 * 25,000; each generated finding's region is drawn from the 8, so the counts differ a little);
 * the real CLI (`collect --once`, compiled, writer thread) collects them twice, each time into
 * a fresh store: with the default `regionConcurrency` (4) and with 1. Per run: wall time,
 * findings/s, peak RSS of the collector process (VmHWM, sampled), and per region the index
 * checked against the emulator's findings listed over HTTP for that region (0 lost, 0
 * duplicated). The shared AWS rate limit is off (the collector's own speed, not AWS's quota).
 *
 *   npx tsx test/bench/regions-bench.ts [--per-region 25000]
 *
 * Prints a Markdown table, writes `.bench/regions.json`. Not part of the test suite.
 */
import fs from 'node:fs';
import path from 'node:path';
import { compareByRegion } from '../reliability/verify.js';
import { ROOT, arg, compile, mb, spawnMeasured, startEmulatorProcess, tempDir, writeConfig } from './lib.js';

const PER_REGION = Number(arg('per-region', '25000'));
if (!Number.isInteger(PER_REGION) || PER_REGION < 1 || PER_REGION > 1_000_000)
  throw new Error('--per-region must be an integer from 1 to 1,000,000');
const REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'eu-west-1',
  'eu-central-1',
  'ap-northeast-1',
  'ap-southeast-2',
];
const CONCURRENCIES = [4, 1];

const log = (s: string) => process.stderr.write(`[regions ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

interface RunRow {
  regionConcurrency: number;
  findings: number;
  wallMs: number;
  findingsPerSecond: number;
  cpuMs: number;
  peakRssMB: number;
  lost: number;
  duplicated: number;
  perRegion: Record<string, { emulator: number; index: number; lost: number; duplicated: number }>;
}

async function main(): Promise<void> {
  log('compiling (tsc) into .bench/dist');
  const dist = compile();
  const total = PER_REGION * REGIONS.length;
  log(`starting the emulator: ${REGIONS.length} regions, ${total} findings (own process)`);
  const emu = await startEmulatorProcess({
    distDir: dist,
    findings: total,
    seed: 1,
    extra: { regions: REGIONS },
  });
  const work = tempDir('regions');
  const rows: RunRow[] = [];
  try {
    const summary = await emu.control<{ byRegion: Record<string, number>; findings: number }>('summary');
    log(`emulator ${emu.url}: findings per region ${JSON.stringify(summary.byRegion)}`);
    for (const c of CONCURRENCIES) {
      const runDir = path.join(work, `c${c}`);
      fs.mkdirSync(runDir);
      const data = path.join(runDir, 'data');
      // Every CLOSED finding in scope too, so the index must hold every emulator finding.
      const cfg = writeConfig(runDir, emu.url, {
        region: undefined,
        regions: REGIONS,
        regionConcurrency: c,
        initialLookbackDays: 3650,
      });
      log(`collect --once, regionConcurrency ${c}`);
      const m = await spawnMeasured(
        process.execPath,
        [path.join(dist, 'src/cli/main.js'), 'collect', '--config', cfg, '--data', data, '--once'],
        {
          env: {
            INSPECTOR_CONNECTOR_AWS_RATE_PER_SECOND: '0',
            ...process.env,
            LOG_LEVEL: 'warn',
            INSPECTOR_CONNECTOR_KEY: Buffer.alloc(32, 3).toString('base64'),
          },
        },
      );
      if (m.code !== 0) throw new Error(`collect (regionConcurrency ${c}) failed (${m.code}): ${m.stderr}`);
      const { byRegion, elsewhere } = await compareByRegion(emu.url, data, REGIONS);
      if (elsewhere > 0) throw new Error(`${elsewhere} records of a region not collected`);
      const perRegion: RunRow['perRegion'] = {};
      let findings = 0;
      let lost = 0;
      let duplicated = 0;
      for (const r of REGIONS) {
        const cmp = byRegion[r]!;
        perRegion[r] = {
          emulator: cmp.aws,
          index: cmp.index,
          lost: cmp.lost.length,
          duplicated: cmp.duplicated.length,
        };
        findings += cmp.index;
        lost += cmp.lost.length + cmp.unknown.length;
        duplicated += cmp.duplicated.length;
      }
      const row: RunRow = {
        regionConcurrency: c,
        findings,
        wallMs: Math.round(m.wallMs),
        findingsPerSecond: Math.round((findings * 1000) / m.wallMs),
        cpuMs: Math.round(m.cpuMs),
        peakRssMB: mb(m.peakRssKb),
        lost,
        duplicated,
        perRegion,
      };
      rows.push(row);
      log(
        `regionConcurrency ${c}: ${findings} records in ${(m.wallMs / 1000).toFixed(1)} s ` +
          `(${row.findingsPerSecond}/s), peak RSS ${row.peakRssMB} MB, lost ${lost}, duplicated ${duplicated}`,
      );
      fs.rmSync(runDir, { recursive: true, force: true });
    }
    const base = rows.find((r) => r.regionConcurrency === 1)!;
    const out = {
      perRegion: PER_REGION,
      regions: REGIONS,
      emulator: summary.byRegion,
      startedAt: new Date().toISOString(),
      runs: rows.map((r) => ({ ...r, speedUp: Number((base.wallMs / r.wallMs).toFixed(2)) })),
    };
    fs.mkdirSync(path.join(ROOT, '.bench'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, '.bench/regions.json'), JSON.stringify(out, null, 2));
    process.stdout.write(
      `\n${REGIONS.length} regions, ${summary.findings.toLocaleString('en-US')} findings ` +
        `(about ${PER_REGION.toLocaleString('en-US')} per region), \`collect --once\`, fresh store each run\n\n` +
        '| regionConcurrency | findings | wall time | findings/s | speed-up vs 1 | collector CPU | peak RSS | lost | duplicated |\n' +
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n',
    );
    for (const r of out.runs) {
      process.stdout.write(
        `| ${r.regionConcurrency} | ${r.findings.toLocaleString('en-US')} | ${(r.wallMs / 1000).toFixed(1)} s | ` +
          `${r.findingsPerSecond.toLocaleString('en-US')} | ${r.speedUp.toFixed(2)}x | ${(r.cpuMs / 1000).toFixed(1)} s | ` +
          `${r.peakRssMB} MB | ${r.lost} | ${r.duplicated} |\n`,
      );
    }
    process.stdout.write(`\nwritten: .bench/regions.json\n`);
    if (rows.some((r) => r.lost > 0 || r.duplicated > 0)) process.exitCode = 1;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    await emu.close();
  }
}

await main();
