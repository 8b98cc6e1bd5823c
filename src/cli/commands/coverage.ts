/**
 * `inspector-connector coverage --config FILE [--data DIR] [--stale-days N] [--format table|json]`:
 * scan coverage per account × region of the config's connector (docs/coverage.md). With `--data`,
 * the last finding times come from that data directory's current-state store and, when it holds a
 * connector of the config's name, the changed rows are stored as `aws_inspector_coverage` records.
 * Exit 0 when nothing is flagged high, 1 when something is (or nothing could be read), 2 on
 * usage/configuration errors.
 */
import type { Command } from 'commander';
import { systemClock } from '../../core/clock.js';
import { isCodedError } from '../../core/errors.js';
import { createLogger, redactSecrets } from '../../core/logger.js';
import type { CoverageSnapshot } from '../../connectors/coverage-types.js';
import { productionRegistry, secretFieldsOf, type ConnectorRegistry } from '../../connectors/registry.js';
import { secretValues } from '../../connectors/schema.js';
import { refreshCoverage } from '../../pipeline/coverage.js';
import { openStore, type Store } from '../../store/index.js';
import { isConfigInvalid, loadConfigFile, reportConfigError } from './test.js';

interface CoverageCliOptions {
  config: string;
  data?: string;
  staleDays?: string;
  format?: string;
}

const day = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString().slice(0, 10));
const short: Record<string, string> = { ENABLED: 'on', DISABLED: 'off' };
const st = (s: string | undefined) => (s === undefined ? '?' : (short[s] ?? s));

/** The snapshot as a text table (one line per account × region), its flags and notes. */
export function formatCoverage(s: CoverageSnapshot): string {
  const head = [
    'ACCOUNT',
    'REGION',
    'STATE',
    'EC2',
    'ECR',
    'LAMBDA',
    'CODE',
    'COVERED',
    'NOT',
    'LAST FINDING',
    'LAST SCAN',
    'FLAGS',
  ];
  const rows = s.rows.map((r) => [
    r.accountId,
    r.region,
    r.state ?? '?',
    st(r.scans?.ec2),
    st(r.scans?.ecr),
    st(r.scans?.lambda),
    st(r.scans?.lambdaCode),
    r.covered === undefined ? '?' : String(r.covered),
    r.notCovered === undefined ? '?' : String(r.notCovered),
    day(r.lastFindingAt),
    day(r.lastScannedAt),
    r.flags.map((f) => f.code).join(',') || '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(head), ...rows.map(line)];
  const flagged = s.rows.filter((r) => r.flags.length);
  out.push(
    '',
    `${s.rows.length} account × region, ${flagged.length} flagged (stale after ${s.staleDays} days)`,
  );
  for (const r of flagged) for (const f of r.flags) out.push(`  [${f.level}] ${f.code}: ${f.reason}`);
  if (s.accountsLeftOut) out.push(`${s.accountsLeftOut} member accounts left out (maxAccounts bound)`);
  for (const reg of s.regions)
    if (reg.truncated)
      out.push(`${reg.region}: the resource listing was cut at its bound (per-type counts partial)`);
  if (s.notes.length) {
    out.push('', 'Not read:');
    for (const n of s.notes) out.push(`  ${n.region} ${n.operation}: ${n.code}: ${n.message}`);
  }
  return out.join('\n') + '\n';
}

export async function coverageCommand(
  opts: CoverageCliOptions,
  registry: ConnectorRegistry = productionRegistry(),
  stdout: NodeJS.WritableStream = process.stdout,
  stderr: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const format = opts.format ?? 'table';
  if (format !== 'table' && format !== 'json') {
    stderr.write('--format: table or json\n');
    return 2;
  }
  const staleDays = opts.staleDays === undefined ? undefined : Number(opts.staleDays);
  if (staleDays !== undefined && (!Number.isInteger(staleDays) || staleDays < 1 || staleDays > 365)) {
    stderr.write('--stale-days: an integer from 1 to 365\n');
    return 2;
  }
  let loaded: ReturnType<typeof loadConfigFile>;
  try {
    loaded = loadConfigFile(opts.config, process.env, registry);
  } catch (e) {
    if (isConfigInvalid(e)) return reportConfigError(e, stderr);
    throw e;
  }
  const { type, config } = loaded;
  if (!type.coverage) {
    stderr.write(`connector type ${type.id} reports no scan coverage\n`);
    return 2;
  }
  const logger = createLogger({
    level: process.env.LOG_LEVEL ?? 'warn',
    secretFields: secretFieldsOf(registry),
  });
  let store: Store | undefined;
  if (opts.data !== undefined) {
    try {
      store = openStore({ dataDir: opts.data, logger });
    } catch (e) {
      stderr.write(`${isCodedError(e) ? e.code + ': ' : ''}${(e as Error).message}\n`);
      return 2;
    }
  }
  try {
    const stored = store?.connectors.getByName(config.name, config.tenant);
    if (store && !stored)
      stderr.write(`note: ${opts.data} holds no connector named ${config.name}: no records stored\n`);
    const { snapshot } = await refreshCoverage({
      ...(store ? { store } : {}),
      storeRecords: stored !== undefined,
      type,
      connector: { id: stored?.id ?? config.name, name: config.name, tenant: config.tenant, config },
      logger,
      clock: systemClock,
      ...(staleDays !== undefined ? { options: { staleDays } } : {}),
    });
    stdout.write(format === 'json' ? JSON.stringify(snapshot, null, 2) + '\n' : formatCoverage(snapshot));
    const high = snapshot.rows.some((r) => r.flags.some((f) => f.level === 'high'));
    return high || snapshot.rows.length === 0 ? 1 : 0;
  } catch (e) {
    const code = isCodedError(e) ? e.code : 'ERR_INTERNAL';
    stderr.write(
      `${code}: ${redactSecrets((e as Error).message, secretValues(config, type.secretFields))}\n`,
    );
    return 1;
  } finally {
    store?.close();
  }
}

export function register(program: Command): void {
  program
    .command('coverage')
    .description(
      'Scan coverage per account × region (delegated administrator): Amazon Inspector state per scan type, resources covered / not covered, last finding, and flags (disabled, stopped reporting, ...).',
    )
    .requiredOption('--config <file>', 'connector configuration (YAML or JSON)')
    .option(
      '--data <dir>',
      'data directory: last finding times from its store, coverage records stored there',
    )
    .option('--stale-days <n>', 'days without finding update or coverage scan before a pair is flagged', '7')
    .option('--format <format>', 'table or json', 'table')
    .action(async (opts: CoverageCliOptions) => {
      process.exitCode = await coverageCommand(opts);
    });
}
