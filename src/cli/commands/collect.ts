/**
 * `inspector-connector collect --config FILE [--data DIR] [--once [--sweep]] [--output -]`: upserts the
 * connector (by name) from the file into the store, adds it to the Default profile, then runs
 * it once (`--once`) or on its interval until SIGINT/SIGTERM (graceful: the page being stored
 * commits, the checkpoint says where the next run resumes). Owns the data directory while it
 * runs: exit 4 when another process does, 3 when the encryption key is refused (exit-codes.ts).
 */
import type { Command } from 'commander';
import { systemClock } from '../../core/clock.js';
import { FieldsError, isCodedError } from '../../core/errors.js';
import { createLogger, type Logger } from '../../core/logger.js';
import { createMetrics } from '../../core/metrics.js';
import {
  productionRegistry,
  secretFieldsOf,
  storeTypes,
  type ConnectorRegistry,
} from '../../connectors/registry.js';
import type { BaseConnectorConfig } from '../../connectors/types.js';
import { runConnector, type RunOutcome } from '../../pipeline/runner.js';
import { progressReporter } from '../progress.js';
import { createScheduler } from '../../pipeline/scheduler.js';
import { lockDataDir, openStore, runCountsText, type DataDirLock, type Store } from '../../store/index.js';
import { startupExitCode } from '../exit-codes.js';
import { isConfigInvalid, loadConfigFile, reportConfigError, type LoadedConfig } from './test.js';

/** Creates or updates the connector named in the config; makes it eligible (active, in Default). */
export function upsertConnector(store: Store, cfg: BaseConnectorConfig, type: string): string {
  if (!store.tenants.getByName(cfg.tenant)) store.tenants.create(cfg.tenant);
  // By name: in the file's tenant, else in any tenant, so that a file whose tenant changed is
  // refused ("tenant cannot be changed") instead of starting a second connector beside the first.
  const existing =
    store.connectors.getByName(cfg.name, cfg.tenant) ??
    store.connectors.list().find((c) => c.name.toLowerCase() === cfg.name.toLowerCase());
  if (existing && existing.type !== type) {
    throw new FieldsError('ERR_CONFIG_INVALID', [
      {
        field: 'type',
        message: `connector ${existing.name} is of type ${existing.type}; a type cannot change`,
      },
    ]);
  }
  const id = existing
    ? store.connectors.update(existing.id, { ...cfg, active: true }).id
    : store.connectors.create(cfg, { active: true, type }).id;
  store.profiles.addConnector('default', id);
  return id;
}

/** NDJSON to stdout; waits for 'drain' so a slow reader slows the collector instead of filling memory. */
/** The stored records' JSON texts, one per line (JSON never holds a raw newline). */
function writeNdjson(docs: string[]): Promise<void> | void {
  const out = docs.join('\n') + '\n';
  if (process.stdout.write(out)) return;
  return new Promise((resolve) => process.stdout.once('drain', () => resolve()));
}

/**
 * "run 3 ok: received N, new M, already stored K[, unchanged U][, discarded D (filter=n)][, vanished
 * V], pages P[, token restarts R][, late versions L (...)] in S s"; with more than one part, a
 * line per part follows: "  part us-east-1 failed: received N, new M[, vanished V] in S s -
 * ERR_CODE: message".
 */
export function summary(o: RunOutcome, withError = false): string {
  const by = Object.entries(o.discardedByFilter)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const parts =
    o.parts && o.parts.length > 1
      ? o.parts.map(
          (p) =>
            `\n  part ${p.part} ${p.status}: received ${p.received}, new ${p.stored}` +
            (p.vanished ? `, vanished ${p.vanished}` : '') +
            ` in ${(p.durationMs / 1000).toFixed(1)} s` +
            (p.error ? ` - ${p.error.code}: ${p.error.message}` : ''),
        )
      : [];
  return (
    `run ${o.runId} ${o.status}: ${runCountsText(o)}${by ? ` (${by})` : ''}, pages ${o.pages}` +
    (o.tokenRestarts ? `, token restarts ${o.tokenRestarts}` : '') +
    (o.lateVersions ? `, late versions ${o.lateVersions} (indexing lag beyond the overlap)` : '') +
    ` in ${(o.durationMs / 1000).toFixed(1)} s` +
    (withError && o.error ? ` - ${o.error.code}: ${o.error.message}` : '') +
    parts.join('')
  );
}

interface CollectCliOptions {
  config: string;
  data: string;
  once?: boolean;
  output?: string;
  pageSize?: string;
  quiet?: boolean;
  progressEvery?: string;
  sweep?: boolean;
}

export async function collectCommand(
  opts: CollectCliOptions,
  registry: ConnectorRegistry = productionRegistry(),
): Promise<number> {
  let loaded: LoadedConfig;
  try {
    loaded = loadConfigFile(opts.config, process.env, registry);
  } catch (e) {
    if (isConfigInvalid(e)) return reportConfigError(e);
    throw e;
  }
  const cfg = loaded.config;
  if (opts.output !== undefined && opts.output !== '-') {
    process.stderr.write('--output: only "-" (stdout) is supported\n');
    return 2;
  }
  if (opts.sweep && !opts.once) {
    process.stderr.write('--sweep: only with --once (a running collector sweeps on its sweepHours)\n');
    return 2;
  }
  const pageSize = opts.pageSize === undefined ? 100 : Number(opts.pageSize);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
    process.stderr.write('--page-size: an integer from 1 to 100\n');
    return 2;
  }
  const progressEvery = opts.progressEvery === undefined ? 10 : Number(opts.progressEvery);
  if (!Number.isInteger(progressEvery) || progressEvery < 1 || progressEvery > 3600) {
    process.stderr.write('--progress-every: whole seconds from 1 to 3600\n');
    return 2;
  }
  const logger: Logger = createLogger({
    level: process.env.LOG_LEVEL ?? 'warn',
    secretFields: secretFieldsOf(registry),
  });
  let store: Store;
  let lock: DataDirLock | undefined;
  try {
    // One owner per data directory (a serve on it would run the same connector).
    lock = lockDataDir(opts.data, 'collect');
    // Pages are prepared on this thread and committed on a writer thread (two cores).
    store = openStore({
      connectorTypes: storeTypes(registry),
      dataDir: opts.data,
      logger,
      writerThread: true,
      verifyKey: true,
    });
  } catch (e) {
    lock?.release();
    process.stderr.write(`${isCodedError(e) ? e.code + ': ' : ''}${(e as Error).message}\n`);
    return startupExitCode(e);
  }
  try {
    let id: string;
    try {
      id = upsertConnector(store, cfg, loaded.type.id);
    } catch (e) {
      if (isConfigInvalid(e)) return reportConfigError(e);
      throw e;
    }
    const progress = opts.quiet
      ? undefined
      : progressReporter({
          write: (t) => process.stderr.write(t),
          tty: process.stderr.isTTY === true,
          everyMs: progressEvery * 1000,
        });
    const runOptions = {
      maxResults: pageSize,
      ...(opts.sweep ? { sweep: true } : {}),
      ...(progress ? { onProgress: progress.update } : {}),
      ...(opts.output === '-' ? { onRecords: writeNdjson } : {}),
    };
    const deps = {
      store,
      clock: systemClock,
      logger,
      registry,
      metrics: createMetrics(),
    };

    if (opts.once) {
      const ac = new AbortController();
      const onSignal = () => ac.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const outcome = await runConnector(deps, id, { ...runOptions, signal: ac.signal });
        progress?.done();
        process.stderr.write(summary(outcome) + '\n');
        if (outcome.status === 'failed') {
          const e = outcome.error!;
          process.stderr.write(`${e.code}: ${e.message}\n`);
          return 1;
        }
        if (outcome.status === 'stopped') {
          process.stderr.write('stopped before the end: the next run resumes from the checkpoint\n');
          return 130;
        }
        return 0;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    }

    const scheduler = createScheduler({
      ...deps,
      runOptions,
      onRunFinished: (o) => {
        progress?.done();
        process.stderr.write(summary(o, true) + '\n');
      },
    });
    await new Promise<void>((resolve) => {
      const onSignal = () => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        process.stderr.write('stopping after the current page...\n');
        void scheduler.stop().then(resolve);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      scheduler.start();
      process.stderr.write(`collecting ${cfg.name} every ${cfg.intervalMinutes} min; Ctrl-C to stop\n`);
    });
    return 0;
  } finally {
    store.close();
    lock.release();
  }
}

export function register(program: Command): void {
  program
    .command('collect')
    .description('Collect findings into the Syslog index: once, or on the interval until stopped.')
    .requiredOption('--config <file>', 'connector configuration (YAML or JSON)')
    .option('--data <dir>', 'data directory', './data')
    .option('--once', 'one run, then exit (0 = success; non-zero with the coded error)')
    .option('--output <dest>', '"-": also write each stored record to stdout as NDJSON')
    .option('--page-size <n>', 'ListFindings page size, 1-100', '100')
    .option('--quiet', 'no progress output (the run summary is still printed)')
    .option(
      '--progress-every <seconds>',
      'when stderr is not a terminal: a progress line every N seconds (1-3600)',
      '10',
    )
    .option('--sweep', 'with --once: sweep now (close findings AWS deleted), due or not')
    .action(async (opts: CollectCliOptions) => {
      process.exitCode = await collectCommand(opts);
    });
}
