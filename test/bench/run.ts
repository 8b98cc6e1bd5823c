/**
 * `npm run bench` (100,000 findings) / `npm run bench:large` (1,000,000): one run, against the
 * emulator on this machine, of
 *
 * 1. mapping throughput (findings/s, this process, one core);
 * 2. the physical-limit baseline: signed fetch + JSON.parse + plain INSERTs of the raw JSON in
 *    one transaction (a child process);
 * 3. end-to-end `inspector-connector collect --once` into the index (the real CLI, compiled, a
 *    child process): findings/s and peak RSS (VmHWM sampled from /proc);
 * 4. the same pull by the AWS CLI (`aws inspector2 list-findings --page-size 100` to a file),
 *    peak memory from `/usr/bin/time -v` (else /proc sampling);
 * 5. search latency p50/p95 on 1,000,000 records (test/bench/store-bench.ts, its own process).
 *
 * The emulator runs in a process of its own. All three pullers fetch exactly the same findings:
 * the collector's first-run queries (ACTIVE + SUPPRESSED, all time; CLOSED, last 7 days).
 * Prints a table, writes `.bench/results.json`. Options: --findings N, --search-records N,
 * --skip-aws-cli, --skip-baseline, --skip-search, --runs N (search repetitions), --profile DIR
 * (a V8 CPU profile of the collector, for chrome://inspect or `npx tsx test/bench/profile-top.ts`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { planQueries } from '../../src/connectors/aws-inspector/collect.js';
import { mapFinding } from '../../src/connectors/aws-inspector/map.js';
import {
  EMULATOR_KEYS,
  ROOT,
  compile,
  mb,
  spawnMeasured,
  startEmulatorProcess,
  tempDir,
  writeConfig,
  type Measured,
} from './lib.js';
import { signedListFindings, wireFilter } from './signed-fetch.js';

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const LARGE = argv.includes('--large');
const N = Number(opt('findings') ?? (LARGE ? 1_000_000 : 100_000));
const SEARCH_N = Number(opt('search-records') ?? 1_000_000);
const SEARCH_RUNS = Number(opt('runs') ?? 30);
const SKIP_AWS = argv.includes('--skip-aws-cli');
const SKIP_SEARCH = argv.includes('--skip-search');
const SKIP_BASELINE = argv.includes('--skip-baseline');
/** Write a V8 CPU profile of the collector process into this directory (`--profile DIR`). */
const PROFILE_DIR = opt('profile');
const LOOKBACK = { initialLookbackDays: 7, overlapMinutes: 15 };

const log = (s: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

interface Row {
  measure: string;
  value: string;
  target?: string;
  met?: boolean;
}

function machine() {
  const cpu = fs
    .readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('model name'))
    ?.split(':')[1]
    ?.trim();
  return {
    nproc: os.cpus().length,
    cpu: cpu ?? os.cpus()[0]?.model ?? 'unknown',
    memTotalGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
  };
}

/** Mapping throughput on one core: maps a sample of real emulator pages over and over for ~3 s. */
function mappingThroughput(sample: unknown[]): { findingsPerSecond: number; mapped: number; ms: number } {
  const ctx = {
    connectorId: 'c1',
    connectorName: 'bench',
    tenantId: 'root',
    tenantName: 'Root Tenant',
    writeTime: 0,
  };
  for (const f of sample.slice(0, 1000)) mapFinding(f, ctx); // warm up the JIT
  let mapped = 0;
  let sink = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 3000 && mapped < 5_000_000) {
    ctx.writeTime = Date.now();
    for (const f of sample) sink += mapFinding(f, ctx).timestamp & 1;
    mapped += sample.length;
  }
  const ms = performance.now() - t0;
  if (sink < 0) log('unreachable');
  return { findingsPerSecond: Math.round((mapped * 1000) / ms), mapped, ms };
}

function countRows(dbPath: string, table: string): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  } finally {
    db.close();
  }
}

async function main() {
  const results: Record<string, unknown> = {
    machine: machine(),
    findings: N,
    startedAt: new Date().toISOString(),
  };
  const rows: Row[] = [];
  fs.mkdirSync(path.join(ROOT, '.bench'), { recursive: true });
  log('compiling (tsc) into .bench/dist');
  const dist = compile();
  const work = tempDir('bench');
  log(`starting the emulator with ${N} findings (own process)`);
  const emu = await startEmulatorProcess({ distDir: dist, findings: N, seed: 1 });
  try {
    const summary = await emu.control<Record<string, unknown>>('summary');
    results.emulator = summary;
    log(`emulator ${emu.url}: ${JSON.stringify(summary).slice(0, 300)}`);
    const runStart = Date.now();
    const queries = planQueries(undefined, runStart, LOOKBACK);

    // 1. mapping throughput, on real pages from the emulator
    const fetchPage = signedListFindings(emu.url, EMULATOR_KEYS);
    const sample: unknown[] = [];
    let token: string | undefined;
    do {
      const p = await fetchPage(wireFilter(queries[0]!.filterCriteria), token);
      sample.push(...p.findings);
      token = p.nextToken;
    } while (token && sample.length < 5000);
    const mapping = mappingThroughput(sample);
    results.mapping = mapping;
    log(`mapping: ${mapping.findingsPerSecond} findings/s on one core (${sample.length} distinct findings)`);
    rows.push({
      measure: 'Mapping throughput, one core',
      value: `${mapping.findingsPerSecond.toLocaleString('en-US')} findings/s`,
    });

    // 2. physical-limit baseline
    let baseline: { m: Measured; findings: number; rate: number; cpuRate: number } | undefined;
    if (!SKIP_BASELINE) {
      log('physical-limit baseline: signed fetch + JSON.parse + raw INSERTs in one transaction');
      const baseDb = path.join(work, 'baseline.db');
      const base = await spawnMeasured(process.execPath, [
        path.join(dist, 'test/bench/baseline.js'),
        JSON.stringify({ url: emu.url, db: baseDb, queries, ...EMULATOR_KEYS }),
      ]);
      if (base.code !== 0) throw new Error(`baseline failed: ${base.stderr}`);
      const baseOut = JSON.parse(base.stdout) as { findings: number; pages: number; ms: number };
      const baseRate = (baseOut.findings * 1000) / base.wallMs;
      const baseCpuRate = (baseOut.findings * 1000) / base.cpuMs;
      baseline = { m: base, findings: baseOut.findings, rate: baseRate, cpuRate: baseCpuRate };
      results.baseline = {
        cpuMs: Math.round(base.cpuMs),
        findingsPerCpuSecond: Math.round(baseCpuRate),
        ...baseOut,
        wallMs: Math.round(base.wallMs),
        peakRssMB: mb(base.peakRssKb),
        findingsPerSecond: Math.round(baseRate),
      };
      log(
        `baseline: ${baseOut.findings} findings in ${(base.wallMs / 1000).toFixed(1)} s (${Math.round(baseRate)}/s), peak RSS ${mb(base.peakRssKb)} MB`,
      );
      fs.rmSync(baseDb, { force: true });
    }

    // 3. ours: the real CLI, compiled, in its own process
    log('inspector-connector collect --once (the real CLI)');
    const dataDir = path.join(work, 'data');
    const cfg = writeConfig(work, emu.url);
    const env = {
      // The collector's own speed against the local emulator, not AWS's request quota: the
      // shared rate limit is off unless set (its own benchmark: npm run bench:throttle).
      INSPECTOR_CONNECTOR_AWS_RATE_PER_SECOND: '0',
      ...process.env,
      LOG_LEVEL: 'warn',
      INSPECTOR_CONNECTOR_KEY: Buffer.alloc(32, 3).toString('base64'),
    };
    const ours = await spawnMeasured(
      process.execPath,
      [
        ...(PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(PROFILE_DIR)] : []),
        path.join(dist, 'src/cli/main.js'),
        'collect',
        '--config',
        cfg,
        '--data',
        dataDir,
        '--once',
      ],
      { env },
    );
    if (ours.code !== 0) throw new Error(`collect failed (${ours.code}): ${ours.stderr}`);
    const stored = countRows(path.join(dataDir, 'inspector-connector.db'), 'syslog');
    const oursRate = (stored * 1000) / ours.wallMs;
    // The run itself, as the CLI reports it (without process start, migrations, config load).
    const runSec = Number(/ in ([\d.]+) s\s*$/m.exec(ours.stderr)?.[1] ?? NaN);
    const oursCpuRate = (stored * 1000) / ours.cpuMs;
    results.collect = {
      cpuMs: Math.round(ours.cpuMs),
      findingsPerCpuSecond: Math.round(oursCpuRate),
      stored,
      wallMs: Math.round(ours.wallMs),
      peakRssMB: mb(ours.peakRssKb),
      findingsPerSecond: Math.round(oursRate),
      runSeconds: runSec,
      runFindingsPerSecond: Math.round(stored / runSec),
      summary: ours.stderr.trim().split('\n').slice(-3),
      dbBytes: fs.readdirSync(dataDir).reduce((n, f) => n + fs.statSync(path.join(dataDir, f)).size, 0),
    };
    log(
      `collect: ${stored} records in ${(ours.wallMs / 1000).toFixed(1)} s (${Math.round(oursRate)}/s), peak RSS ${mb(ours.peakRssKb)} MB`,
    );
    if (baseline && stored !== baseline.findings) {
      log(`WARNING: collect stored ${stored}, the baseline pulled ${baseline.findings}`);
    }
    rows.push({
      measure: `End to end \`collect --once\`, ${stored.toLocaleString('en-US')} findings`,
      value:
        `${Math.round(oursRate).toLocaleString('en-US')} findings/s (${(ours.wallMs / 1000).toFixed(1)} s wall, process start included; ` +
        `the run alone ${runSec} s = ${Math.round(stored / runSec).toLocaleString('en-US')}/s)`,
      target: '>= 10,000 findings/s',
      met: oursRate >= 10_000,
    });
    rows.push({
      measure: 'End to end, per CPU-second of the collector process (robust to a shared machine)',
      value: `${Math.round(oursCpuRate).toLocaleString('en-US')} findings per CPU-second (${(ours.cpuMs / 1000).toFixed(1)} CPU-s)`,
    });
    rows.push({
      measure: `Peak RSS of \`collect --once\` (${N.toLocaleString('en-US')})`,
      value: `${mb(ours.peakRssKb)} MB`,
      target: N >= 1_000_000 ? '<= 300 MB at 1,000,000' : '<= 300 MB (target is at 1,000,000)',
      met: mb(ours.peakRssKb) <= 300,
    });
    if (baseline) {
      const { m: base, rate: baseRate, cpuRate: baseCpuRate } = baseline;
      rows.push({
        measure: 'Physical-limit baseline (fetch + parse + raw INSERT)',
        value:
          `${Math.round(baseRate).toLocaleString('en-US')} findings/s wall, ` +
          `${Math.round(baseCpuRate).toLocaleString('en-US')} per CPU-second, peak RSS ${mb(base.peakRssKb)} MB`,
      });
      rows.push({
        measure: 'Ours vs baseline (throughput ratio)',
        value: `${(oursRate / baseRate).toFixed(2)}x of the baseline (baseline is ${(baseRate / oursRate).toFixed(2)}x faster)`,
        target: 'within 3x',
        met: baseRate / oursRate <= 3,
      });
      rows.push({
        measure: 'Ours vs baseline, CPU time per finding',
        value: `${(ours.cpuMs / base.cpuMs).toFixed(2)}x the baseline's CPU time (ours ${(ours.cpuMs / 1000).toFixed(1)} CPU-s, baseline ${(base.cpuMs / 1000).toFixed(1)} CPU-s)`,
      });
    }

    // 4. the AWS CLI, same queries, output to a file
    if (!SKIP_AWS) {
      log('aws inspector2 list-findings --page-size 100 (AWS CLI), same queries');
      const awsEnv = {
        ...process.env,
        AWS_ACCESS_KEY_ID: EMULATOR_KEYS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: EMULATOR_KEYS.secretAccessKey,
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_CONFIG_FILE: path.join(work, 'none'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'none'),
        AWS_PAGER: '',
      };
      const hasTime = fs.existsSync('/usr/bin/time');
      let wall = 0;
      let cpuMs = 0;
      let peakKb = 0;
      let count = 0;
      for (const [i, q] of queries.entries()) {
        const outFile = path.join(work, `aws-${i}.json`);
        const awsArgs = [
          'inspector2',
          'list-findings',
          '--page-size',
          '100',
          '--endpoint-url',
          emu.url,
          '--region',
          'us-east-1',
          '--output',
          'json',
          '--filter-criteria',
          JSON.stringify(wireFilter(q.filterCriteria)),
        ];
        const r: Measured = hasTime
          ? await spawnMeasured('/usr/bin/time', ['-v', 'aws', ...awsArgs], {
              env: awsEnv,
              stdoutFile: outFile,
            })
          : await spawnMeasured('aws', awsArgs, { env: awsEnv, stdoutFile: outFile });
        if (r.code !== 0) throw new Error(`aws cli failed (${r.code}): ${r.stderr.slice(-1000)}`);
        const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
        const kb = m ? Number(m[1]) : r.peakRssKb;
        wall += r.wallMs;
        const user = /User time \(seconds\): ([\d.]+)/.exec(r.stderr);
        const sys = /System time \(seconds\): ([\d.]+)/.exec(r.stderr);
        cpuMs += user && sys ? (Number(user[1]) + Number(sys[1])) * 1000 : r.cpuMs;
        peakKb = Math.max(peakKb, kb);
        count += (JSON.parse(fs.readFileSync(outFile, 'utf8')) as { findings: unknown[] }).findings.length;
        fs.rmSync(outFile);
      }
      results.awsCli = {
        findings: count,
        wallMs: Math.round(wall),
        peakRssMB: mb(peakKb),
        findingsPerSecond: Math.round((count * 1000) / wall),
      };
      log(`aws cli: ${count} findings in ${(wall / 1000).toFixed(1)} s, peak RSS ${mb(peakKb)} MB`);
      rows.push({
        measure: 'AWS CLI `list-findings --page-size 100` > file',
        value: `${Math.round((count * 1000) / wall).toLocaleString('en-US')} findings/s (${(wall / 1000).toFixed(1)} s), peak RSS ${mb(peakKb)} MB`,
      });
      rows.push({
        measure: 'Ours vs AWS CLI: wall time',
        value: `${(wall / ours.wallMs).toFixed(1)}x faster (ours ${(ours.wallMs / 1000).toFixed(1)} s, CLI ${(wall / 1000).toFixed(1)} s)`,
        target: '>= 3x faster',
        met: wall / ours.wallMs >= 3,
      });
      rows.push({
        measure: 'Ours vs AWS CLI: CPU time',
        value: `${(cpuMs / ours.cpuMs).toFixed(1)}x less CPU (ours ${(ours.cpuMs / 1000).toFixed(1)} CPU-s, CLI ${(cpuMs / 1000).toFixed(1)} CPU-s)`,
      });
      rows.push({
        measure: 'Ours vs AWS CLI: peak memory',
        value: `${(ours.peakRssKb / peakKb).toFixed(2)}x (ours ${mb(ours.peakRssKb)} MB, CLI ${mb(peakKb)} MB)`,
      });
    }
  } finally {
    await emu.close();
    fs.rmSync(work, { recursive: true, force: true });
  }

  // 5. search latency on SEARCH_N records, in its own process (the data dir is kept for reruns)
  if (!SKIP_SEARCH) {
    const dir = path.join(ROOT, `.bench/search-${SEARCH_N}`);
    log(`search latency on ${SEARCH_N} records (store-bench.ts, data kept in ${dir})`);
    const r = await spawnMeasured(process.execPath, [
      path.join(dist, 'test/bench/store-bench.js'),
      '--records',
      String(SEARCH_N),
      '--dir',
      dir,
      '--runs',
      String(SEARCH_RUNS),
    ]);
    if (r.code !== 0) throw new Error(`store-bench failed: ${r.stderr.slice(-2000)}`);
    const s = JSON.parse(r.stdout) as {
      queries: Record<string, { p50: number; p95: number; total?: number }>;
    } & Record<string, unknown>;
    results.search = s;
    for (const [name, q] of Object.entries(s.queries)) {
      rows.push({
        measure: `Search on ${SEARCH_N.toLocaleString('en-US')}: ${name}`,
        value: `p50 ${q.p50} ms, p95 ${q.p95} ms${q.total !== undefined ? ` (${q.total.toLocaleString('en-US')} hits)` : ''}`,
        target: 'p95 <= 200 ms',
        met: q.p95 <= 200,
      });
    }
    const wild = (s.wildcards ?? {}) as Record<string, { p50: number; p95: number; total: number }>;
    for (const [q, w] of Object.entries(wild)) {
      rows.push({
        measure: `Search on ${SEARCH_N.toLocaleString('en-US')}: leading wildcard \`${q}\` (no time range, no budget)`,
        value: `p50 ${w.p50} ms, p95 ${w.p95} ms (${w.total.toLocaleString('en-US')} hits)`,
        target: 'p95 <= 1 s',
        met: w.p95 <= 1000,
      });
    }
    const srv = s.server as
      | {
          query: string;
          searchMs: number;
          healthz: { p95: number; max: number; n: number };
          otherRequest: { p95: number; max: number };
          withDefaultBudget: { status: number; ms: number };
        }
      | undefined;
    if (srv) {
      rows.push({
        measure: `/healthz while \`${srv.query}\` runs (${srv.searchMs} ms) on the server, ${srv.healthz.n} requests`,
        value: `p95 ${srv.healthz.p95} ms, max ${srv.healthz.max} ms; GET /api/v1/connectors p95 ${srv.otherRequest.p95} ms, max ${srv.otherRequest.max} ms`,
        target: '<= 100 ms',
        met: srv.healthz.max <= 100 && srv.otherRequest.max <= 100,
      });
      rows.push({
        measure: `\`${srv.query}\` under the default 5 s budget`,
        value: `${srv.withDefaultBudget.status} in ${srv.withDefaultBudget.ms} ms`,
        target: 'a coded answer, never a hung request',
        met: srv.withDefaultBudget.status === 200 || srv.withDefaultBudget.status === 503,
      });
    }
  }

  results.rows = rows;
  results.finishedAt = new Date().toISOString();
  fs.writeFileSync(path.join(ROOT, '.bench/results.json'), JSON.stringify(results, null, 2));
  const m = results.machine as ReturnType<typeof machine>;
  const lines = [
    `Machine: ${m.cpu}, ${m.nproc} cores, ${m.memTotalGiB} GiB RAM, Node ${m.node}, ${m.platform}`,
    '',
    '| Measure | Result | Target | Met |',
    '| --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.measure} | ${r.value} | ${r.target ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'NO'} |`,
    ),
  ];
  process.stdout.write(lines.join('\n') + '\n\nJSON: .bench/results.json\n');
}

await main();
