/**
 * HTTPS with the emulator's self-signed certificate: verification on (the default) fails with
 * ERR_TLS; "Disable SSL Certificate Verification" collects, and warns once per run.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { testConnector } from '../../src/connectors/aws-inspector/check.js';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import {
  AWS_TIME,
  addConnector,
  capturingLogger,
  configFor,
  emulatorVersions,
  indexVersions,
  roleAuth,
  run,
  sorted,
  tempStore,
  type TempStore,
} from './collect-helpers.js';

const N = 500;
let emu: Emulator;
let ts: TempStore;

beforeAll(async () => {
  emu = await startEmulator({ ...AWS_TIME, port: 0, tls: true, findings: N, seed: 11 });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  ts = tempStore();
});
afterEach(() => {
  ts.close();
});

describe('TLS', () => {
  it('the emulator serves HTTPS', () => {
    expect(emu.url.startsWith('https://')).toBe(true);
    expect(emu.ca).toContain('BEGIN CERTIFICATE');
  });

  it('verification on: the Test and a run fail with ERR_TLS (495); nothing stored', async () => {
    const cfg = configFor(emu);
    const t = await testConnector(cfg, { logger: silentLogger(), clock: systemClock });
    expect(t).toMatchObject({ ok: false, code: 'ERR_TLS', httpStatus: 495 });
    expect(t.recommendation).toMatch(/not a good security practice/);
    const id = addConnector(ts.store, cfg);
    const out = await run(ts.store, id);
    expect(out).toMatchObject({ status: 'failed', error: { code: 'ERR_TLS' } });
    expect(ts.store.index.size()).toBe(0);
  });

  it('verification disabled: both auth methods work over HTTPS, with a warning once per run', async () => {
    const cfg = configFor(emu, undefined, { disableSslVerification: true });
    const t = await testConnector(cfg, { logger: silentLogger(), clock: systemClock });
    expect(t.ok).toBe(true);
    expect(t.warnings.some((w) => /SSL certificate verification is disabled/.test(w))).toBe(true);

    const log = capturingLogger();
    const id = addConnector(ts.store, cfg);
    const out = await run(ts.store, id, { logger: log.logger });
    expect(out).toMatchObject({ status: 'ok', stored: N });
    expect(sorted(indexVersions(ts.store))).toEqual(sorted(emulatorVersions(emu)));
    const warnings = log.lines().filter((l) => /verification is disabled/.test(String(l.msg)));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.level).toBe(40);

    const role = configFor(emu, roleAuth, { disableSslVerification: true });
    const r = await testConnector(role, { logger: silentLogger(), clock: systemClock });
    expect(r.ok).toBe(true);
    expect(r.identity!.arn).toContain(':assumed-role/InspectorReadOnly/');
  });
});
