/**
 * `npm run bench:throttle`: many collectors of one account and region at once against an AWS
 * that throttles (the emulator's rate-limit fault: `--emulator-rate` requests/s, 429
 * ThrottlingException with `Retry-After: --retry-after`), each pulling every finding, with and
 * without the shared rate limit (src/connectors/aws-inspector/rate-limit.ts, set to
 * `--limit-rate`, default 80% of the emulator's). Prints per mode: 429s answered, requests,
 * wall time, findings per collector. The emulator runs in this process (small data: seconds).
 *
 *   npx tsx test/bench/throttle-bench.ts [--collectors 8] [--findings 1000] [--emulator-rate 10]
 *       [--retry-after 1] [--limit-rate 8] [--page-size 50]
 *
 * Writes `.bench/throttle.json`. Not part of the test suite.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startEmulator } from '../../emulator/index.js';
import { connectorConfigSchema } from '../../src/connectors/aws-inspector/config.js';
import { RateLimits } from '../../src/connectors/aws-inspector/rate-limit.js';
import { concurrentPulls } from '../support/concurrent-pulls.js';
import { EMULATOR_KEYS, ROOT, arg } from './lib.js';

const COLLECTORS = Number(arg('collectors', '8'));
const FINDINGS = Number(arg('findings', '1000'));
const EMU_RATE = Number(arg('emulator-rate', '10'));
const RETRY_AFTER = Number(arg('retry-after', '1'));
const LIMIT_RATE = Number(arg('limit-rate', String(EMU_RATE * 0.8)));
const PAGE = Number(arg('page-size', '50'));

const log = (s: string) =>
  process.stderr.write(`[throttle ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

interface Row {
  mode: string;
  throttled: number;
  requests: number;
  wallSeconds: number;
  findingsPerCollector: number[];
  failed: number;
}

async function main(): Promise<void> {
  const emu = await startEmulator({ port: 0, findings: FINDINGS, seed: 5 });
  const control = async (name: string, method: string, body?: unknown) => {
    const res = await fetch(`${emu.url}/__emulator/${name}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const cfg = connectorConfigSchema.parse({
    name: 'throttle-bench',
    region: 'us-east-1',
    initialLookbackDays: 3650,
    auth: { method: 'access_key', ...EMULATOR_KEYS },
    endpoints: { inspector2: emu.url, sts: emu.url },
  });
  const rows: Row[] = [];
  try {
    for (const mode of ['without', 'shared'] as const) {
      await control('faults', 'DELETE');
      await control('requests', 'DELETE');
      await control('faults', 'POST', {
        throttle: { ratePerSecond: EMU_RATE, retryAfterSeconds: RETRY_AFTER },
      });
      const limits = mode === 'shared' ? new RateLimits({ ratePerSecond: LIMIT_RATE, burst: 4 }) : false;
      const run = await concurrentPulls({
        cfg,
        collectors: COLLECTORS,
        rateLimits: limits,
        maxResults: PAGE,
      });
      const findings = run.findings;
      const failed = run.errors.length;
      const wallSeconds = run.wallMs / 1000;
      const faults = (await control('faults', 'GET')) as { injected: { throttle: number } };
      const reqs = (await control('requests', 'GET')) as { requests: { operation: string }[] };
      const row: Row = {
        mode,
        throttled: faults.injected.throttle,
        requests: reqs.requests.filter((r) => r.operation === 'ListFindings').length,
        wallSeconds: Math.round(wallSeconds * 10) / 10,
        findingsPerCollector: findings,
        failed,
      };
      rows.push(row);
      log(
        `${mode.padEnd(7)}: ${row.throttled} x 429 of ${row.requests} ListFindings, ${row.wallSeconds} s, findings ${[...new Set(findings)].join('/')} per collector, ${failed} failed`,
      );
    }
  } finally {
    await emu.close();
  }
  const out = path.join(ROOT, '.bench', 'throttle.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(
    out,
    JSON.stringify(
      {
        collectors: COLLECTORS,
        findings: FINDINGS,
        emulatorRate: EMU_RATE,
        retryAfter: RETRY_AFTER,
        limitRate: LIMIT_RATE,
        rows,
      },
      null,
      2,
    ),
  );
  log(`wrote ${out}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
