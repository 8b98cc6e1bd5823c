/**
 * `npm run bench:churn`: version churn (issue 12 point 6). An account of N findings (default
 * 100,000) whose ACTIVE findings are rescanned at `--rescan-rate` per day (default 0.8: "most
 * ACTIVE findings get a new version every day", DOMAIN.md) with nothing material changed, plus
 * a few real changes a day (`--closes-per-day`, `--new-per-day`: 0.1% of N each by default).
 * Two connectors read it, each into its own SQLite store: `recordVersions: all` and `material`.
 * Each emulator day (the emulator's clock moved a day, the collectors' clock with it) both run
 * once; per day and setting: versions received, records stored, unchanged versions, records in
 * the index, index size on disk (the SQLite file + its WAL) and the collection's CPU time (this
 * process: collector and writer thread; the emulator runs in a process of its own).
 *
 *   npx tsx test/bench/churn-bench.ts [--findings 100000] [--days 30] [--rescan-rate 0.8]
 *
 * Prints one line per day and a summary, writes `.bench/churn.json`. Not part of the test suite.
 */
import fs from 'node:fs';
import path from 'node:path';
import { silentLogger } from '../../src/core/logger.js';
import { productionStoreTypes } from '../../src/connectors/registry.js';
import { runConnector, type RunOutcome } from '../../src/pipeline/runner.js';
import { openStore, DB_FILE, type Store } from '../../src/store/index.js';
import { EMULATOR_KEYS, ROOT, arg, startEmulatorProcess, tempDir } from './lib.js';

const N = Number(arg('findings', '100000'));
const DAYS = Number(arg('days', '30'));
const RATE = Number(arg('rescan-rate', '0.8'));
const CLOSES = Number(arg('closes-per-day', String(Math.round(N * 0.001))));
const NEW = Number(arg('new-per-day', String(Math.round(N * 0.001))));
const DAY = 86_400_000;
const SETTINGS = ['all', 'material'] as const;
type Setting = (typeof SETTINGS)[number];

// Stored versions per day, not AWS's request quota: the shared rate limit is off unless set.
process.env.INSPECTOR_CONNECTOR_AWS_RATE_PER_SECOND ??= '0';

const log = (s: string) => process.stderr.write(`[churn ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

interface DayRow {
  day: number;
  received: number;
  stored: number;
  unchanged: number;
  duplicates: number;
  records: number;
  /** The SQLite file and its WAL. */
  diskBytes: number;
  fileBytes: number;
  cpuMs: number;
  wallMs: number;
}

const fileSize = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
const diskBytes = (dir: string) =>
  fileSize(path.join(dir, DB_FILE)) + fileSize(path.join(dir, `${DB_FILE}-wal`));
const MB = (b: number) => (b / 1024 / 1024).toFixed(1);

async function main(): Promise<void> {
  log(`${N} findings, ${DAYS} days, rescan rate ${RATE}/day, ${CLOSES} closed + ${NEW} new per day`);
  const emu = await startEmulatorProcess({ findings: N, seed: 1, extra: { rescanRate: RATE } });
  let offset = 0;
  const clock = { now: () => Date.now() + offset };
  const sides = SETTINGS.map((setting) => {
    const dir = tempDir(`churn-${setting}`);
    const store: Store = openStore({
      connectorTypes: productionStoreTypes(),
      dataDir: dir,
      key: Buffer.alloc(32, 7),
      clock,
      writerThread: true,
    });
    const id = store.connectors.create({
      name: `churn-${setting}`,
      region: 'us-east-1',
      auth: { method: 'access_key', ...EMULATOR_KEYS },
      endpoints: { inspector2: emu.url, sts: emu.url },
      recordVersions: setting,
    }).id;
    return { setting, dir, store, id, days: [] as DayRow[] };
  });
  const collect = async (side: (typeof sides)[number], day: number): Promise<DayRow> => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const o: RunOutcome = await runConnector({ store: side.store, clock, logger: silentLogger() }, side.id, {
      sleep: async () => undefined,
    });
    const cpu = process.cpuUsage(cpu0);
    if (o.status !== 'ok') throw new Error(`${side.setting} day ${day}: ${o.status} ${o.error?.message}`);
    const row: DayRow = {
      day,
      received: o.received,
      stored: o.stored,
      unchanged: o.unchanged,
      duplicates: o.duplicates,
      records: side.store.index.size(),
      diskBytes: diskBytes(side.dir),
      fileBytes: fileSize(path.join(side.dir, DB_FILE)),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      wallMs: Math.round(performance.now() - t0),
    };
    side.days.push(row);
    log(
      `day ${String(day).padStart(2)} ${side.setting.padEnd(8)} received ${row.received}, stored ${row.stored}, ` +
        `unchanged ${row.unchanged}, duplicates ${row.duplicates}; index ${row.records} records, ` +
        `${MB(row.diskBytes)} MB (file ${MB(row.fileBytes)} MB); CPU ${(row.cpuMs / 1000).toFixed(1)} s, wall ${(row.wallMs / 1000).toFixed(1)} s`,
    );
    return row;
  };
  try {
    for (const side of sides) await collect(side, 0);
    for (let day = 1; day <= DAYS; day++) {
      await emu.control('clock', { advanceMs: DAY });
      offset += DAY;
      if (CLOSES > 0) await emu.control('mutate', { count: CLOSES, status: 'CLOSED', fromStatus: 'ACTIVE' });
      if (NEW > 0) await emu.control('findings', { count: NEW });
      for (const side of sides) await collect(side, day);
    }
    const summary = await emu.control<{ byStatus: Record<string, number>; rescans: unknown }>('summary');
    const out = {
      findings: N,
      days: DAYS,
      rescanRate: RATE,
      closesPerDay: CLOSES,
      newPerDay: NEW,
      emulator: { byStatus: summary.byStatus, rescans: summary.rescans },
      settings: Object.fromEntries(sides.map((s) => [s.setting, s.days])),
    };
    fs.mkdirSync(path.join(ROOT, '.bench'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, '.bench/churn.json'), JSON.stringify(out, null, 2));
    const total = (s: (typeof sides)[number]) => {
      const daily = s.days.slice(1);
      const last = s.days[s.days.length - 1]!;
      const sum = (k: keyof DayRow) => daily.reduce((a, r) => a + r[k], 0);
      return {
        setting: s.setting as Setting,
        first: s.days[0]!,
        last,
        storedPerDay: Math.round(sum('stored') / daily.length),
        unchangedPerDay: Math.round(sum('unchanged') / daily.length),
        receivedPerDay: Math.round(sum('received') / daily.length),
        cpuPerDayMs: Math.round(sum('cpuMs') / daily.length),
        growthPerDayBytes: Math.round((last.fileBytes - s.days[0]!.fileBytes) / daily.length),
      };
    };
    process.stdout.write(
      `\nVersion churn: ${N} findings, ${DAYS} days at ${RATE} rescans/day of ACTIVE findings ` +
        `(+${CLOSES} closed, +${NEW} new a day); emulator at the end: ${JSON.stringify(summary.byStatus)}\n\n` +
        '| recordVersions | first run: records, file + WAL (file) | versions received/day | records stored/day | unchanged/day | ' +
        `after ${DAYS} days: records, file + WAL (file) | file growth/day | collection CPU/day |\n` +
        '| --- | --- | --- | --- | --- | --- | --- | --- |\n',
    );
    for (const s of sides) {
      const t = total(s);
      process.stdout.write(
        `| ${t.setting} | ${t.first.records}, ${MB(t.first.diskBytes)} (${MB(t.first.fileBytes)}) MB | ` +
          `${t.receivedPerDay} | ${t.storedPerDay} | ${t.unchangedPerDay} | ` +
          `${t.last.records}, ${MB(t.last.diskBytes)} (${MB(t.last.fileBytes)}) MB | ${MB(t.growthPerDayBytes)} MB | ` +
          `${(t.cpuPerDayMs / 1000).toFixed(1)} s |\n`,
      );
    }
    process.stdout.write(`\nwritten: .bench/churn.json\n`);
  } finally {
    for (const s of sides) {
      s.store.close();
      fs.rmSync(s.dir, { recursive: true, force: true });
    }
    await emu.close();
  }
}

await main();
