/**
 * `inspector-connector reconcile --config FILE [--data DIR] [--from T] [--to T] [--json]`:
 * compares what the source holds for the window with what the index holds for the connector
 * named in the config (its tenant's records and findings state), with the connector type's
 * reconcile (AWS Inspector: missing, stale and unexpected findings with counts by status).
 * Exit 0 when they match, 1 when they do not (or AWS failed), 2 on usage/configuration errors.
 */
import type { Command } from 'commander';
import { isCodedError } from '../../core/errors.js';
import { systemClock } from '../../core/clock.js';
import { createLogger, redactSecrets } from '../../core/logger.js';
import { productionRegistry, secretFieldsOf, type ConnectorRegistry } from '../../connectors/registry.js';
import { secretValues } from '../../connectors/schema.js';
import type { IndexFindingState, ReconcileIndex } from '../../connectors/types.js';
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
      oldestWithStatus: () => undefined,
      countRecords: () => 0,
    };
  }
  const state = (f: FindingState): IndexFindingState => ({
    key: f.key,
    status: f.status,
    updatedAt: f.updatedAt,
    recordId: f.recordId,
  });
  return {
    hasRecord: (id) => store.index.has(id, tenantId),
    finding: (key) => {
      const f = store.findings.get(tenantId, key);
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
    oldestWithStatus: (status) => store.findings.oldestUpdatedAt({ tenantId, connectorId, status }),
    countRecords: (q) =>
      store.index.count({
        q: `(${q}) AND msg_origin.processor.id:${JSON.stringify(connectorId)}`,
        tenantIds: [tenantId],
      }),
  };
}

interface ReconcileCliOptions {
  config: string;
  data: string;
  from?: string;
  to?: string;
  json?: boolean;
  list?: string;
}

export async function reconcileCommand(
  opts: ReconcileCliOptions,
  registry: ConnectorRegistry = productionRegistry(),
): Promise<number> {
  let loaded: ReturnType<typeof loadConfigFile>;
  try {
    loaded = loadConfigFile(opts.config, process.env, registry);
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
  const { type, config: cfg } = loaded;
  if (!type.reconcile) {
    process.stderr.write(`connector type ${type.id} has no reconcile\n`);
    return 2;
  }
  const secrets = secretValues(cfg, type.secretFields);
  const logger = createLogger({
    level: process.env.LOG_LEVEL ?? 'warn',
    secretFields: secretFieldsOf(registry),
  });
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
  try {
    const out = await type.reconcile.run({
      config: cfg,
      ctx: { logger, clock: systemClock, connectorId: connectorId ?? 'reconcile' },
      index: storeReconcileIndex(store, connectorId, tenantId),
      tenantId,
      ...(from !== undefined ? { from } : {}),
      to,
      listLimit,
    });
    process.stdout.write(opts.json ? JSON.stringify(out.report, null, 2) + '\n' : out.text);
    return out.match ? 0 : 1;
  } catch (e) {
    const code = isCodedError(e) ? e.code : 'ERR_INTERNAL';
    process.stderr.write(`${code}: ${redactSecrets((e as Error).message, secrets)}\n`);
    return 1;
  } finally {
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
