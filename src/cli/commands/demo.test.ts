import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../emulator/index.js';
import { silentLogger } from '../../core/logger.js';
import { startServer } from '../../api/server.js';
import net from 'node:net';
import { Command } from 'commander';
import {
  DEFAULT_EMULATOR_PORT,
  DEMO_CONNECTOR,
  DEMO_KEYS,
  demoAdminPassword,
  demoBanner,
  ensureDemoConnector,
  firstRunScope,
  register,
  repointDemoConnectors,
  startDemoEmulator,
  swapEmulatorUrl,
} from './demo.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('demo', () => {
  it('keeps one generated admin password in the demo data dir (0600); the environment wins', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-demo-'));
    const p = demoAdminPassword(dir, {});
    expect(p).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(demoAdminPassword(dir, {})).toBe(p);
    expect(fs.statSync(path.join(dir, 'demo-admin-password')).mode & 0o777).toBe(0o600);
    expect(demoAdminPassword(dir, { INSPECTOR_CONNECTOR_ADMIN_PASSWORD: 'mine-mine-mine' })).toBe(
      'mine-mine-mine',
    );
  });

  it('creates demo-inspector once, in Default, and it collects from the emulator at once', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-demo-'));
    const emulator = await startEmulator({ port: 0, fixtures: true, findings: 200 });
    const server = await startServer({
      dataDir: dir,
      port: 0,
      host: '127.0.0.1',
      env: {
        INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS: new URL(emulator.url).host,
        INSPECTOR_CONNECTOR_ADMIN_PASSWORD: 'demo-password-123',
      },
      logger: silentLogger(),
      print: () => {},
    });
    try {
      const id = ensureDemoConnector(server, emulator.url);
      expect(server.scheduler.isRunning(id)).toBe(true); // first pull at once
      const outcome = await server.scheduler.trigger(id);
      expect(outcome.status).toBe('ok');
      expect(outcome.stored).toBeGreaterThan(0);
      // The banner's count is what the first run really collects: not every finding (first-run scope).
      const scope = firstRunScope(emulator);
      expect(outcome.received).toBe(scope.collected);
      expect(scope.closedOlder).toBeGreaterThan(0);
      expect(scope.collected + scope.closedOlder + scope.otherRegions).toBe(scope.total);
      expect(server.store.profiles.profilesOf(id)).toEqual(['default']);
      // A second start points the same connector at the new emulator address.
      await server.scheduler.stopConnector(id);
      const again = ensureDemoConnector(server, 'http://127.0.0.1:1');
      expect(again).toBe(id);
      await server.scheduler.stopConnector(id);
      expect(server.store.connectors.list().map((c) => c.name)).toEqual([DEMO_CONNECTOR]);
      expect(server.store.connectors.get(id)!.config.endpoints).toEqual({
        inspector2: 'http://127.0.0.1:1',
        sts: 'http://127.0.0.1:1',
      });
    } finally {
      await server.close();
      await emulator.close();
    }
  });

  it('the banner says what the first run collects and why, and where the admin password is kept', () => {
    const banner = demoBanner({
      url: 'http://127.0.0.1:8080',
      emulatorUrl: 'http://127.0.0.1:8081',
      password: 'pw-123',
      passwordFile: '/data-demo/demo-admin-password',
      dataDir: '/data-demo',
      scope: { total: 3037, collected: 2503, closedOlder: 506, otherRegions: 28 },
    });
    expect(banner).toContain('(3,037 findings)');
    expect(banner).toContain('first run:  2,503 records: every ACTIVE and SUPPRESSED finding in us-east-1');
    expect(banner).toContain(
      'Not collected: 506 CLOSED findings last updated more than 30 days ago; 28 findings in other regions.',
    );
    expect(banner).toContain('admin / pw-123');
    expect(banner).toContain('(kept in /data-demo/demo-admin-password, mode 0600');
    const fromEnv = demoBanner({
      url: 'u',
      emulatorUrl: 'e',
      password: 'p',
      passwordFile: undefined,
      dataDir: 'd',
      scope: { total: 10, collected: 10, closedOlder: 0, otherRegions: 0 },
    });
    expect(fromEnv).toContain('(from INSPECTOR_CONNECTOR_ADMIN_PASSWORD)');
    expect(fromEnv).not.toContain('Not collected');
  });

  it('the emulator has a fixed default port (not a random one); a port in use is a clear error', async () => {
    const program = new Command();
    register(program);
    const demo = program.commands.find((c) => c.name() === 'demo')!;
    expect(DEFAULT_EMULATOR_PORT).toBe(8081);
    expect(demo.opts()).toMatchObject({ emulatorPort: '8081' });

    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      await expect(startDemoEmulator(port, 1)).rejects.toThrow(
        new RegExp(`port ${port} for the demo's AWS emulator is in use .*--emulator-port`),
      );
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it("a restart on another emulator port moves the user's connectors that pointed at the previous one", async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-demo-'));
    expect(swapEmulatorUrl(dir, 'http://127.0.0.1:8081')).toBeUndefined();
    const emulator = await startEmulator({ port: 0, fixtures: true, findings: 10 });
    const server = await startServer({
      dataDir: dir,
      port: 0,
      host: '127.0.0.1',
      env: {
        INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS: `127.0.0.1:8081,${new URL(emulator.url).host}`,
        INSPECTOR_CONNECTOR_ADMIN_PASSWORD: 'demo-password-123',
      },
      logger: silentLogger(),
      print: () => {},
    });
    try {
      const base = {
        tenant: 'Root Tenant',
        region: 'us-east-1',
        auth: { method: 'access_key', ...DEMO_KEYS },
        intervalMinutes: 60,
      };
      const mine = server.store.connectors.create({
        ...base,
        name: 'my-demo-connector',
        endpoints: { inspector2: 'http://127.0.0.1:8081', sts: 'http://127.0.0.1:8081/' },
      });
      const elsewhere = server.store.connectors.create({
        ...base,
        name: 'elsewhere',
        endpoints: { inspector2: 'https://inspector2.us-east-1.amazonaws.com' },
      });
      const previous = swapEmulatorUrl(dir, emulator.url);
      expect(previous).toBe('http://127.0.0.1:8081');
      expect(repointDemoConnectors(server, previous!, emulator.url)).toEqual(['my-demo-connector']);
      expect(server.store.connectors.get(mine.id)!.config.endpoints).toEqual({
        inspector2: emulator.url,
        sts: `${emulator.url}/`,
      });
      expect(server.store.connectors.get(elsewhere.id)!.config.endpoints).toEqual({
        inspector2: 'https://inspector2.us-east-1.amazonaws.com',
      });
      // The same port again: nothing to move.
      expect(repointDemoConnectors(server, emulator.url, emulator.url)).toEqual([]);
      expect(swapEmulatorUrl(dir, emulator.url)).toBe(emulator.url);
    } finally {
      await server.close();
      await emulator.close();
    }
  });

  it('data-demo/ (the default demo data dir) is git-ignored', () => {
    const lines = fs.readFileSync(path.resolve('.gitignore'), 'utf8').split('\n');
    expect(lines).toContain('data-demo/');
  });
});
