/**
 * The real stack for browser tests: the AWS emulator and the Data Processor server
 * (`startServer`: store, scheduler, Test, API and UI, exactly what `serve` runs) on free
 * 127.0.0.1 ports with a temp data dir. Its registry is the production one plus the test-only
 * NDJSON connector type (`testRegistry`), so the wizard offers a choice of types.
 */
import { startServer, type RunningServer } from '../../src/api/server.js';
import { silentLogger } from '../../src/core/logger.js';
import type { RunOutcome } from '../../src/pipeline/runner.js';
import { startEmulator } from '../../emulator/index.js';
import { testRegistry } from '../support/connectors/index.js';

export interface Stack {
  url: string;
  emulatorUrl: string;
  server: RunningServer;
  /** New versions of `count` findings in us-east-1 (a rescan), with the given severity. */
  mutateFindings(count: number, severity: string): Promise<number>;
  /** Pull now and wait for the run to finish. */
  runConnector(id: string): Promise<RunOutcome>;
  /** The emulator's fault switches (`POST /__emulator/faults`; null resets them). */
  setFaults(faults: Record<string, unknown> | null): Promise<void>;
  /** How many requests the emulator has delayed so far (counted when a request arrives). */
  delayedRequests(): Promise<number>;
  close(): Promise<void>;
}

export async function startStack(opts: {
  dataDir: string;
  webRoot: string;
  adminPassword: string;
}): Promise<Stack> {
  const emulator = await startEmulator({ port: 0, fixtures: true, findings: 300 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    INSPECTOR_CONNECTOR_ADMIN_PASSWORD: opts.adminPassword,
    // host:port: the emulator's port only (a bare host allows its default port only).
    INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS: new URL(emulator.url).host,
  };
  let server: RunningServer;
  try {
    server = await startServer({
      dataDir: opts.dataDir,
      port: 0,
      host: '127.0.0.1',
      env,
      logger: silentLogger(),
      print: () => {},
      registry: testRegistry(),
      app: { webRoot: opts.webRoot },
    });
  } catch (e) {
    await emulator.close();
    throw e;
  }
  return {
    url: server.url,
    emulatorUrl: emulator.url,
    server,
    async mutateFindings(count: number, severity: string) {
      const res = await fetch(`${emulator.url}/__emulator/mutate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ count, severity, observed: true, region: 'us-east-1' }),
      });
      if (!res.ok) throw new Error(`emulator mutate: ${res.status} ${await res.text()}`);
      const n = ((await res.json()) as { arns: string[] }).arns.length;
      // A run's window ends at AWS's time in whole seconds (the Date header): wait for the next
      // second, so that a run started now reads these versions.
      await new Promise((r) => setTimeout(r, 1005 - (Date.now() % 1000)));
      return n;
    },
    runConnector(id: string) {
      return server.scheduler.trigger(id);
    },
    async setFaults(faults) {
      const res = await fetch(`${emulator.url}/__emulator/faults`, {
        method: faults ? 'POST' : 'DELETE',
        headers: { 'content-type': 'application/json' },
        body: faults ? JSON.stringify(faults) : null,
      });
      if (!res.ok) throw new Error(`emulator faults: ${res.status} ${await res.text()}`);
    },
    async delayedRequests() {
      const res = await fetch(`${emulator.url}/__emulator/faults`);
      return ((await res.json()) as { injected: { latency: number } }).injected.latency;
    },
    async close() {
      await server.close();
      await emulator.close();
    },
  };
}
