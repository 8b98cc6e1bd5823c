/**
 * `inspector-connector demo [--data DIR] [--port N] [--emulator-port N] [--findings N]`: the whole
 * product with no AWS account. Starts the AWS emulator in-process (generated findings), then the
 * server on a demo data directory, creates (once) the connector "demo-inspector" pointing at the
 * emulator with its reader keys, adds it to Default (so it pulls at once), and prints the URL and
 * the admin log-in. Endpoint overrides to the emulator's 127.0.0.1:port are allowed for this
 * process only.
 *
 * The emulator listens on a fixed port (8081 by default), not a random one: connectors a user
 * creates in the demo store the emulator's URL, and a restart must not leave them pointing at a
 * closed port. A port in use is a clear error (no silent fallback to another port). When the port
 * does change (`--emulator-port`), connectors that pointed at the previous run's emulator (its URL
 * is kept in the data dir) are moved to the new one at start.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { isCodedError } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { ADMIN_PASSWORD_ENV } from '../../auth/bootstrap.js';
import { generatePassword } from '../../auth/password.js';
import { ALLOWED_ENDPOINTS_ENV } from '../../connectors/endpoints.js';
import { startServer, type RunningServer } from '../../api/server.js';
import { startEmulator, type Emulator } from '../../../emulator/index.js';
import { gracefulStop, parsePort } from './serve.js';
import { startupExitCode } from '../exit-codes.js';
import { productionRegistry, secretFieldsOf } from '../../connectors/registry.js';

export const DEMO_CONNECTOR = 'demo-inspector';
/** The emulator's default reader keys (AmazonInspector2ReadOnlyAccess in its IAM model). */
export const DEMO_KEYS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const PASSWORD_FILE = 'demo-admin-password';
/** The previous run's emulator URL, to move connectors when the port changes. */
const EMULATOR_URL_FILE = 'demo-emulator-url';
export const DEFAULT_EMULATOR_PORT = 8081;
const DEMO_REGION = 'us-east-1';
const DEMO_LOOKBACK_DAYS = 30;
const DAY_MS = 86_400_000;

/**
 * What the demo connector's first run collects from the emulator, counted on its state: the
 * first run's queries (aws-inspector/collect.ts `planQueries`) take every ACTIVE and SUPPRESSED
 * finding of the region and only the CLOSED ones updated within `initialLookbackDays`; about a
 * quarter of the generated findings are CLOSED, spread over 90 days.
 */
export function firstRunScope(emulator: Pick<Emulator, 'state'>): {
  total: number;
  collected: number;
  closedOlder: number;
  otherRegions: number;
} {
  const { store } = emulator.state;
  const since = emulator.state.now() - DEMO_LOOKBACK_DAYS * DAY_MS;
  const closed = store.statuses.lookup('CLOSED');
  const region = store.regions.lookup(DEMO_REGION);
  let collected = 0;
  let closedOlder = 0;
  let otherRegions = 0;
  for (let i = 0; i < store.n; i++) {
    if (store.region[i] !== region) otherRegions++;
    else if (store.status[i] === closed && store.upd[i]! < since) closedOlder++;
    else collected++;
  }
  return { total: store.n, collected, closedOlder, otherRegions };
}

/** The lines `demo` prints at start: where to log in, what the first run collects and why. */
export function demoBanner(o: {
  url: string;
  emulatorUrl: string;
  password: string;
  /** The file holding the password, or undefined when it came from the environment. */
  passwordFile: string | undefined;
  dataDir: string;
  scope: ReturnType<typeof firstRunScope>;
}): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const { scope } = o;
  const skipped = [
    scope.closedOlder
      ? `${n(scope.closedOlder)} CLOSED findings last updated more than ${DEMO_LOOKBACK_DAYS} days ago`
      : '',
    scope.otherRegions ? `${n(scope.otherRegions)} findings in other regions` : '',
  ].filter(Boolean);
  return [
    '',
    `inspector-connector demo is running: ${o.url}`,
    `  log in as:  admin / ${o.password}`,
    o.passwordFile
      ? `              (kept in ${o.passwordFile}, mode 0600; delete the file for a new one)`
      : `              (from ${ADMIN_PASSWORD_ENV})`,
    `  connector:  "${DEMO_CONNECTOR}" -> AWS emulator at ${o.emulatorUrl} (${n(scope.total)} findings), in profile Default`,
    `  first run:  ${n(scope.collected)} records: every ACTIVE and SUPPRESSED finding in ${DEMO_REGION}, and the CLOSED`,
    `              ones updated in the last ${DEMO_LOOKBACK_DAYS} days (initialLookbackDays).`,
    ...(skipped.length ? [`              Not collected: ${skipped.join('; ')}.`] : []),
    '              Later runs collect every change since the previous run, CLOSED ones included.',
    `  data:       ${o.dataDir}`,
    '  Threat Hunting shows the records as they arrive. Ctrl-C stops.',
    '',
  ].join('\n');
}

interface DemoCliOptions {
  data: string;
  port: string;
  emulatorPort: string;
  host: string;
  findings: string;
}

/**
 * The demo keeps its admin password in the demo data dir (0600) so every start can print it;
 * a real server never stores or prints it again.
 */
export function demoAdminPassword(dataDir: string, env: NodeJS.ProcessEnv): string {
  const given = env[ADMIN_PASSWORD_ENV];
  if (given) return given;
  const file = path.join(dataDir, PASSWORD_FILE);
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const p = generatePassword();
  fs.writeFileSync(file, p + '\n', { mode: 0o600, flag: 'wx' });
  return p;
}

/** Creates the demo connector once (or points it at this run's emulator), in Default. */
export function ensureDemoConnector(server: RunningServer, emulatorUrl: string): string {
  const { store, scheduler } = server;
  const endpoints = { inspector2: emulatorUrl, sts: emulatorUrl };
  const existing = store.connectors.getByName(DEMO_CONNECTOR);
  const id = existing
    ? store.connectors.update(existing.id, { endpoints, active: true }).id
    : store.connectors.create(
        {
          name: DEMO_CONNECTOR,
          tenant: 'Root Tenant',
          region: DEMO_REGION,
          auth: { method: 'access_key', ...DEMO_KEYS },
          intervalMinutes: 1,
          initialLookbackDays: DEMO_LOOKBACK_DAYS,
          endpoints,
        },
        { active: true },
      ).id;
  store.profiles.addConnector('default', id);
  // Eligible now: the scheduler pulls at once.
  scheduler.notifyChanged(id);
  return id;
}

/**
 * Points every connector whose endpoint overrides use `previousUrl`'s origin at `url` instead
 * (the demo's emulator moved); other endpoints are left alone. Returns the names moved.
 */
export function repointDemoConnectors(server: RunningServer, previousUrl: string, url: string): string[] {
  const from = new URL(previousUrl).origin;
  const to = new URL(url).origin;
  if (from === to) return [];
  const moved: string[] = [];
  for (const c of server.store.connectors.list()) {
    const endpoints = (c.config as { endpoints?: Record<string, unknown> }).endpoints;
    if (!endpoints) continue;
    let changed = false;
    const next: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(endpoints)) {
      // The URL as written, not its parsed origin: slicing `from` off a differently spelled URL
      // (`HTTP://`, an explicit default port) would garble it.
      if (typeof v === 'string' && (v === from || v.startsWith(`${from}/`))) {
        next[k] = to + v.slice(from.length);
        changed = true;
      } else next[k] = v;
    }
    if (!changed) continue;
    server.store.connectors.update(c.id, { endpoints: next });
    server.scheduler.notifyChanged(c.id);
    moved.push(c.name);
  }
  return moved;
}

/** The emulator on its fixed port; a port in use is an error that says what to do. */
export async function startDemoEmulator(
  port: number,
  findings: number,
): Promise<Awaited<ReturnType<typeof startEmulator>>> {
  try {
    return await startEmulator({ port, fixtures: true, findings });
  } catch (e) {
    if ((e as NodeJS.ErrnoException)?.code === 'EADDRINUSE') {
      throw new Error(
        `port ${port} for the demo's AWS emulator is in use (is another demo running?): stop that ` +
          `process or pass --emulator-port N (demo connectors are moved to the new port at start)`,
      );
    }
    throw e;
  }
}

/** The previous run's emulator URL, then records this run's. */
export function swapEmulatorUrl(dataDir: string, url: string): string | undefined {
  const file = path.join(dataDir, EMULATOR_URL_FILE);
  const previous = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() || undefined : undefined;
  fs.writeFileSync(file, url + '\n');
  return previous;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'Run the server against a built-in AWS emulator with generated findings (no AWS account needed)',
    )
    .option('--data <dir>', 'demo data directory', './data-demo')
    .option('--port <n>', 'TCP port of the server', '8080')
    .option(
      '--emulator-port <n>',
      'TCP port of the built-in AWS emulator (fixed, so demo connectors survive a restart)',
      String(DEFAULT_EMULATOR_PORT),
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--findings <n>', 'number of generated findings in the emulator', '3000')
    .action(async (opts: DemoCliOptions) => {
      const logger = createLogger({ secretFields: secretFieldsOf(productionRegistry()) });
      const stopOnSignal = gracefulStop((m) => logger.info(m));
      const findings = Number(opts.findings);
      if (!Number.isInteger(findings) || findings < 0) {
        process.stderr.write(`--findings must be a non-negative integer (got ${opts.findings})\n`);
        process.exitCode = 2;
        return;
      }
      let emulatorPort: number;
      try {
        emulatorPort = parsePort(opts.emulatorPort);
      } catch {
        process.stderr.write(`--emulator-port must be an integer 0-65535 (got ${opts.emulatorPort})\n`);
        process.exitCode = 2;
        return;
      }
      const password = demoAdminPassword(opts.data, process.env);
      let emulator: Awaited<ReturnType<typeof startEmulator>>;
      try {
        emulator = await startDemoEmulator(emulatorPort, findings);
      } catch (e) {
        process.stderr.write(`inspector-connector demo: ${(e as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      const allowed = [process.env[ALLOWED_ENDPOINTS_ENV], new URL(emulator.url).host]
        .filter(Boolean)
        .join(',');
      const env = { ...process.env, [ALLOWED_ENDPOINTS_ENV]: allowed, [ADMIN_PASSWORD_ENV]: password };
      let server: RunningServer;
      try {
        server = await startServer({
          dataDir: opts.data,
          port: parsePort(opts.port),
          host: opts.host,
          env,
          logger,
          print: () => {},
          command: 'demo',
        });
        const previous = swapEmulatorUrl(opts.data, emulator.url);
        const moved = previous ? repointDemoConnectors(server, previous, emulator.url) : [];
        if (moved.length) {
          logger.info(
            { from: previous, to: emulator.url, connectors: moved },
            'demo connectors moved to the emulator',
          );
        }
        ensureDemoConnector(server, emulator.url);
      } catch (e) {
        await emulator.close();
        const code = isCodedError(e) ? `${e.code}: ` : '';
        process.stderr.write(`inspector-connector demo: ${code}${(e as Error).message}\n`);
        process.exitCode = startupExitCode(e);
        return;
      }
      process.stdout.write(
        demoBanner({
          url: server.url,
          emulatorUrl: emulator.url,
          password,
          passwordFile: process.env[ADMIN_PASSWORD_ENV] ? undefined : path.resolve(opts.data, PASSWORD_FILE),
          dataDir: path.resolve(opts.data),
          scope: firstRunScope(emulator),
        }),
      );
      const code = await stopOnSignal(server);
      await emulator.close();
      process.exitCode = code;
    });
}
