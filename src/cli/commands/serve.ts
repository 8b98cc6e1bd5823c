/**
 * `inspector-connector serve [--data DIR] [--port N] [--host H]`: the Data Processor server
 * (API under /api/v1, UI at /, /healthz, /metrics, /docs) and the scheduler. SIGTERM/SIGINT:
 * stop accepting, let the page being stored commit, close, exit 0.
 */
import type { Command } from 'commander';
import { isCodedError } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { startServer, type RunningServer } from '../../api/server.js';

export interface ServeCliOptions {
  data: string;
  port: string;
  host: string;
}

export function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`--port must be an integer 0-65535 (got ${v})`);
  return n;
}

/** Close on the first SIGINT/SIGTERM; resolves with the exit code. */
export function closeOnSignal(server: RunningServer, log: (msg: string) => void): Promise<number> {
  return new Promise((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      log(`${sig}: stopping (the page being stored commits first)`);
      server.close().then(
        () => resolve(0),
        (e: unknown) => {
          log(`error while stopping: ${(e as Error).message}`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('Run the Data Processor: REST API, web UI and the connector scheduler')
    .option('--data <dir>', 'data directory (database and key file)', './data')
    .option('--port <n>', 'TCP port (0 = any free port)', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action(async (opts: ServeCliOptions) => {
      const logger = createLogger();
      let server: RunningServer;
      try {
        server = await startServer({
          dataDir: opts.data,
          port: parsePort(opts.port),
          host: opts.host,
          logger,
        });
      } catch (e) {
        const code = isCodedError(e) ? `${e.code}: ` : '';
        process.stderr.write(`inspector-connector serve: ${code}${(e as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(
        `inspector-connector listening on ${server.url} (API ${server.url}/api/v1, docs ${server.url}/docs)\n`,
      );
      process.exitCode = await closeOnSignal(server, (m) => logger.info(m));
    });
}
