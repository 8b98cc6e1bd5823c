/**
 * `inspector-connector serve [--data DIR] [--port N] [--host H] [--reset-secrets]
 * [--search-timeout MS]`: the Data
 * Processor server (API under /api/v1, UI at /, /healthz, /metrics, /docs) and the scheduler.
 * SIGTERM/SIGINT: stop accepting, let the page being stored commit, close, exit 0. Refuses to
 * start with exit 3 when the encryption key is bad or not the store's, 4 when another process
 * owns the data directory (exit-codes.ts).
 */
import type { Command } from 'commander';
import { isCodedError } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { startServer, type RunningServer } from '../../api/server.js';
import { startupExitCode } from '../exit-codes.js';
import { parseSearchTimeout } from '../../store/index.js';
import { productionRegistry, secretFieldsOf } from '../../connectors/registry.js';

export interface ServeCliOptions {
  data: string;
  port: string;
  host: string;
  resetSecrets?: boolean;
  searchTimeout?: string;
}

export function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`--port must be an integer 0-65535 (got ${v})`);
  return n;
}

/**
 * Installs SIGINT/SIGTERM handlers at once (before anything is printed: a signal that arrives
 * while no handler is installed kills the process outright) and returns `attach(server)`,
 * which resolves with the exit code once a signal has stopped that server. A signal that came
 * before attach stops the server as soon as it is attached. The handlers stay installed until
 * the process exits (libraries using signal-exit re-raise a signal nobody else listens to).
 */
export function gracefulStop(log: (msg: string) => void): (server: RunningServer) => Promise<number> {
  let received: NodeJS.Signals | undefined;
  let wake: (() => void) | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (received) {
      log(`${sig}: already stopping`);
      return;
    }
    received = sig;
    wake?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return async (server) => {
    if (!received) await new Promise<void>((r) => (wake = r));
    log(`${received}: stopping (the page being stored commits first)`);
    try {
      await server.close();
      return 0;
    } catch (e) {
      log(`error while stopping: ${(e as Error).message}`);
      return 1;
    }
  };
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('Run the Data Processor: REST API, web UI and the connector scheduler')
    .option('--data <dir>', 'data directory (database and key file)', './data')
    .option('--port <n>', 'TCP port (0 = any free port)', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--reset-secrets',
      'the encryption key was lost: accept the current key (a new one if none) and mark the connectors whose secrets must be re-entered',
    )
    .option(
      '--search-timeout <ms>',
      'time budget per search in ms, 0 = none (default: INSPECTOR_CONNECTOR_SEARCH_TIMEOUT_MS, else 5000)',
    )
    .action(async (opts: ServeCliOptions) => {
      const logger = createLogger({ secretFields: secretFieldsOf(productionRegistry()) });
      const stopOnSignal = gracefulStop((m) => logger.info(m));
      let server: RunningServer;
      try {
        server = await startServer({
          dataDir: opts.data,
          port: parsePort(opts.port),
          host: opts.host,
          logger,
          resetSecrets: opts.resetSecrets === true,
          ...(opts.searchTimeout !== undefined
            ? { searchTimeoutMs: parseSearchTimeout(opts.searchTimeout, '--search-timeout') }
            : {}),
        });
      } catch (e) {
        const code = isCodedError(e) ? `${e.code}: ` : '';
        process.stderr.write(`inspector-connector serve: ${code}${(e as Error).message}\n`);
        process.exitCode = startupExitCode(e);
        return;
      }
      process.stdout.write(
        `inspector-connector listening on ${server.url} (API ${server.url}/api/v1, docs ${server.url}/docs)\n`,
      );
      process.exitCode = await stopOnSignal(server);
    });
}
