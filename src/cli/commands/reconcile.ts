/**
 * `inspector-connector reconcile --config FILE [--data DIR] [--from T] [--to T] [--json]`:
 * compares what AWS holds for the window with what the index holds for the connector named in
 * the config (its tenant's records and findings state), and reports missing, stale and unexpected findings with counts by status.
 * Exit 0 when they match, 1 when they do not (or AWS failed), 2 on usage/configuration errors.
 */
import type { Command } from 'commander';
import { isCodedError } from '../../core/errors.js';
import { createLogger, redactSecrets } from '../../core/logger.js';
import { createInspectorClient } from '../../connectors/aws-inspector/client.js';
import { configSecrets, type ConnectorConfig } from '../../connectors/aws-inspector/config.js';
import {
  reconcile,
  type IndexFindingState,
  type ReconcileIndex,
  type ReconcileReport,
} from '../../connectors/aws-inspector/reconcile.js';
import { parseTime } from '../../core/time.js';
import { openStore, type FindingState, type Store } from '../../store/index.js';
import { isConfigInvalid, loadConfigFile, reportConfigError } from './test.js';

/**
 * The index side of reconcile for one connector, from the store: its tenant's records (ids are
 * per tenant: any connector of the tenant may have stored a version) and its tenant's current
 * state of each finding; the findings listed for "unexpected" are those whose current state
 * this connector wrote last (another connector of the tenant may read another account).
 */
export function storeReconcileIndex(
  store: Store,
  connectorId: string | undefined,
  tenantId: string,
): ReconcileIndex {
  if (connectorId === undefined) {
    return {
      hasRecord: () => false,
      finding: () => undefined,
      findings: () => [],
      oldestClosed: () => undefined,
    };
  }
  const state = (f: FindingState): IndexFindingState => ({
    findingArn: f.key,
    status: f.status,
    updatedAt: f.updatedAt,
  });
  return {
    hasRecord: (id) => store.index.has(id, tenantId),
    finding: (arn) => {
      const f = store.findings.get(tenantId, arn);
      return f && state(f);
    },
    *findings() {
      // Keyset pages, not one open cursor: reconcile uses the store while it walks the findings.
      let after = '';
      for (;;) {
        const rows = store.findings.page({ tenantId, connectorId, after, limit: 1000 });
        yield* rows.map(state);
        if (rows.length < 1000) return;
        after = rows[rows.length - 1]!.key;
      }
    },
    oldestClosed: () => store.findings.oldestUpdatedAt({ tenantId, connectorId, status: 'CLOSED' }),
  };
}

const iso = (t: number | null | undefined) =>
  t === null || t === undefined ? '-' : new Date(t).toISOString();
const byStatus = (m: Record<string, number>) =>
  Object.keys(m).length === 0
    ? ''
    : ` (${Object.entries(m)
        .sort()
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`;

export function formatReport(name: string, r: ReconcileReport): string {
  const lines = [
    r.window.from === null
      ? `Reconcile ${name}: ACTIVE and SUPPRESSED findings updated up to ${iso(r.window.to)}, CLOSED since ${iso(r.window.closedFrom)}`
      : `Reconcile ${name}: findings updated from ${iso(r.window.from)} to ${iso(r.window.to)}`,
    `AWS:        ${r.aws.findings} findings${byStatus(r.aws.byStatus)} in ${r.pages} pages`,
    `Index:      ${r.index.findings} findings${byStatus(r.index.byStatus)}`,
    `Matched:    ${r.matched}`,
    `Missing:    ${r.missing.count}${byStatus(r.missing.byStatus)}`,
    `Stale:      ${r.stale.count}${byStatus(r.stale.byStatus)}`,
    `Unexpected: ${r.unexpected.count}${byStatus(r.unexpected.byStatus)}`,
  ];
  for (const kind of ['missing', 'stale', 'unexpected'] as const) {
    for (const d of r[kind].sample) {
      lines.push(
        `  ${kind} ${d.findingArn} ${d.status} aws ${iso(d.awsUpdatedAt)} index ${iso(d.indexUpdatedAt)}`,
      );
    }
    if (r[kind].count > r[kind].sample.length)
      lines.push(`  ... ${r[kind].count - r[kind].sample.length} more ${kind}`);
  }
  lines.push(r.match ? 'MATCH: the index holds every finding version AWS holds' : 'MISMATCH');
  return lines.join('\n') + '\n';
}

interface ReconcileCliOptions {
  config: string;
  data: string;
  from?: string;
  to?: string;
  json?: boolean;
  list?: string;
}

async function reconcileCommand(opts: ReconcileCliOptions): Promise<number> {
  let cfg: ConnectorConfig;
  try {
    cfg = loadConfigFile(opts.config);
  } catch (e) {
    if (isConfigInvalid(e)) return reportConfigError(e);
    throw e;
  }
  const from = opts.from === undefined ? undefined : parseTime(opts.from);
  const to = opts.to === undefined ? Date.now() : parseTime(opts.to);
  if ((opts.from !== undefined && from === undefined) || to === undefined) {
    process.stderr.write('--from/--to: an ISO-8601 date/time or epoch milliseconds\n');
    return 2;
  }
  if (from !== undefined && from > to) {
    process.stderr.write('--from must not be after --to\n');
    return 2;
  }
  const listLimit = opts.list === undefined ? 50 : Number(opts.list);
  if (!Number.isInteger(listLimit) || listLimit < 0) {
    process.stderr.write('--list: a non-negative integer\n');
    return 2;
  }
  const secrets = configSecrets(cfg);
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });
  let store: Store;
  try {
    store = openStore({ dataDir: opts.data, logger });
  } catch (e) {
    process.stderr.write(`${isCodedError(e) ? e.code + ': ' : ''}${(e as Error).message}\n`);
    return 2;
  }
  const connector = store.connectors.getByName(cfg.name, cfg.tenant);
  const connectorId = connector?.id;
  // The connector's tenant (fixed at creation); the config's for a connector not created yet.
  const tenantName = connector?.tenant ?? cfg.tenant;
  const tenantId = store.tenants.getByName(tenantName)?.id ?? tenantName;
  if (connectorId === undefined) {
    process.stderr.write(`note: the index holds no connector named ${cfg.name}: nothing was collected yet\n`);
  }
  const client = createInspectorClient(cfg, { logger, connectorId: connectorId ?? 'reconcile' });
  try {
    const report = await reconcile({
      client,
      index: storeReconcileIndex(store, connectorId, tenantId),
      tenantId,
      ...(from !== undefined ? { from } : {}),
      to,
      initialLookbackDays: cfg.initialLookbackDays,
      listLimit,
    });
    process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(cfg.name, report));
    return report.match ? 0 : 1;
  } catch (e) {
    const code = isCodedError(e) ? e.code : 'ERR_INTERNAL';
    process.stderr.write(`${code}: ${redactSecrets((e as Error).message, secrets)}\n`);
    return 1;
  } finally {
    client.destroy();
    store.close();
  }
}

export function register(program: Command): void {
  program
    .command('reconcile')
    .description('Compare what AWS holds with what the index holds: missing, stale and unexpected findings.')
    .requiredOption('--config <file>', 'connector configuration (YAML or JSON)')
    .option('--data <dir>', 'data directory', './data')
    .option('--from <time>', 'window start (ISO-8601 or epoch ms); default: the collector scope')
    .option('--to <time>', 'window end (ISO-8601 or epoch ms); default: now')
    .option('--list <n>', 'ARNs listed per kind of discrepancy', '50')
    .option('--json', 'print the report as JSON')
    .action(async (opts: ReconcileCliOptions) => {
      process.exitCode = await reconcileCommand(opts);
    });
}
