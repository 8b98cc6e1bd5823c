import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../emulator/index.js';
import { silentLogger } from '../../core/logger.js';
import { startServer } from '../../api/server.js';
import { DEMO_CONNECTOR, demoAdminPassword, ensureDemoConnector } from './demo.js';

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
});
