/**
 * The CLI as users run it, each command in a process of its own against the emulator (held by
 * this test process, reached over HTTP): `test` (exit 0/1/2, no secrets printed), `collect
 * --once --output -` (NDJSON of the stored records), and a collector killed with SIGKILL
 * between pages that resumes with nothing lost or duplicated.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { DB_FILE, openStore } from '../../src/store/index.js';
import {
  AWS_TIME,
  CLI_KEY,
  READER,
  SOURCE,
  control,
  expectExactVersions,
  runCli,
  spawnCli,
  writeConfigFile,
} from './collect-helpers.js';
import { withStoreFile } from '../support/store-file.js';
import { checkpointOf } from '../support/checkpoints.js';

let emu: Emulator;
let dir: string;

beforeAll(async () => {
  emu = await startEmulator({ ...AWS_TIME, port: 0, findings: 2000, seed: 5 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collect-cli-'));
});
afterAll(async () => {
  await emu.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const baseConfig = (extra: Record<string, unknown> = {}) => ({
  name: 'root-aws-inspector',
  region: 'us-east-1',
  initialLookbackDays: 3650,
  auth: { method: 'access_key', accessKeyId: READER.accessKeyId, secretAccessKey: '${ENV:IT_SECRET}' },
  endpoints: { inspector2: emu.url, sts: emu.url },
  ...extra,
});
const env = { IT_SECRET: READER.secretAccessKey };

describe('inspector-connector test', () => {
  it('prints Success and the identity (exit 0); a secret from ${ENV:NAME}', async () => {
    const cfg = writeConfigFile(dir, baseConfig(), 'ok.json');
    const r = await runCli(['test', '--config', cfg], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Success/);
    expect(r.stdout).toContain('arn:aws:iam::123456789012:user/reader');
  });

  it('prints the HTTP code, name, explanation and recommendation on failure (exit 1), never the secret', async () => {
    const yaml = [
      'name: root-aws-inspector',
      'region: us-east-1',
      'auth:',
      '  method: access_key',
      `  accessKeyId: ${READER.accessKeyId}`,
      `  secretAccessKey: "${SOURCE.secretAccessKey}"`,
      'endpoints:',
      `  inspector2: ${emu.url}`,
      `  sts: ${emu.url}`,
      '',
    ].join('\n');
    const file = path.join(dir, 'wrong-secret.yaml');
    fs.writeFileSync(file, yaml);
    const r = await runCli(['test', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('HTTP 401');
    expect(r.stdout).toContain('Unauthorized');
    expect(r.stdout).toContain('Explanation: This error occurs when an authentication credential is invalid');
    expect(r.stdout).toContain('Recommendation: Did you enter your credentials correctly?');
    expect(r.stdout + r.stderr).not.toContain(SOURCE.secretAccessKey);
  });

  it('an invalid configuration exits 2 naming each field', async () => {
    const cfg = writeConfigFile(
      dir,
      {
        name: 'bad\u00e9',
        region: 'xx-nowhere-1',
        auth: { method: 'access_key', accessKeyId: 'lower', secretAccessKey: '' },
        intervalMinutes: 0,
      },
      'bad.json',
    );
    const r = await runCli(['test', '--config', cfg]);
    expect(r.code).toBe(2);
    for (const f of ['name:', 'region:', 'auth.accessKeyId:', 'auth.secretAccessKey:', 'intervalMinutes:']) {
      expect(r.stderr).toContain(f);
    }
  });
});

describe('inspector-connector collect', () => {
  it('--once --output - writes each stored record as NDJSON and exits 0', async () => {
    const data = path.join(dir, 'data-output');
    const cfg = writeConfigFile(
      dir,
      baseConfig({
        logFilters: [
          {
            name: 'no-low',
            conditions: [{ field: 'aws_inspector.severity', operator: 'equals', values: ['LOW'] }],
          },
        ],
      }),
      'out.json',
    );
    const r = await runCli(['collect', '--config', cfg, '--data', data, '--once', '--output', '-'], env);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg_class: string; aws_inspector: { severity: string } });
    const low = (emu.state.summary().bySeverity as Record<string, number>).LOW ?? 0;
    expect(lines).toHaveLength(2000 - low);
    expect(
      lines.every((l) => l.msg_class === 'aws_inspector_finding' && l.aws_inspector.severity !== 'LOW'),
    ).toBe(true);
    expect(r.stderr).toMatch(
      new RegExp(`new ${2000 - low}, already stored 0, discarded ${low} \\(no-low=${low}\\)`),
    );
    // The store holds the secret encrypted, never in clear.
    expect(fs.readFileSync(path.join(data, DB_FILE)).includes(READER.secretAccessKey)).toBe(false);
  });

  it('off a terminal it prints a progress line every --progress-every seconds; --quiet prints none', async () => {
    const cfg = writeConfigFile(dir, baseConfig(), 'progress.json');
    // 2,000 findings in pages of 50, each 100 ms late: a run of about 4 s.
    await control(emu, 'faults', 'POST', { latencyMs: 100 });
    try {
      const args = ['collect', '--config', cfg, '--once', '--page-size', '50'];
      const loud = await runCli(
        [...args, '--data', path.join(dir, 'data-progress'), '--progress-every', '1'],
        env,
      );
      expect(loud.code).toBe(0);
      const lines = loud.stderr.split('\n').filter((l) => l.startsWith('progress: '));
      expect(lines.length).toBeGreaterThanOrEqual(2);
      expect(lines[0]).toMatch(
        /^progress: us-east-1 active: pages \d+, findings \d+, stored \d+, \d+ findings\/s, \d+ s elapsed$/,
      );
      // Not a terminal: plain lines, no carriage returns redrawing a line.
      expect(loud.stderr).not.toContain('\r');
      const quiet = await runCli([...args, '--data', path.join(dir, 'data-quiet'), '--quiet'], env);
      expect(quiet.code).toBe(0);
      expect(quiet.stderr).not.toContain('progress: ');
      expect(quiet.stderr).toMatch(/run 1 ok: received 2000/);
    } finally {
      await control(emu, 'faults', 'DELETE');
    }
    const bad = await runCli(['collect', '--config', cfg, '--once', '--progress-every', '0'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--progress-every: whole seconds from 1 to 3600');
  });

  it('without --once it runs on the interval and stops gracefully on SIGTERM (exit 0)', async () => {
    const cfg = writeConfigFile(dir, baseConfig({ intervalMinutes: 60 }), 'loop.json');
    const child = spawnCli(['collect', '--config', cfg, '--data', path.join(dir, 'data-loop')], env);
    let stderr = '';
    const firstRun = new Promise<void>((resolve) => {
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/run 1 ok/.test(stderr)) resolve();
      });
    });
    const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await firstRun;
    child.kill('SIGTERM');
    expect(await closed).toBe(0);
    expect(stderr).toContain('collecting root-aws-inspector every 60 min');
    expect(stderr).toContain('stopping after the current page');
  });

  it('a failing run exits non-zero with the coded error', async () => {
    const cfg = writeConfigFile(
      dir,
      baseConfig({ auth: { method: 'access_key', ...SOURCE } }),
      'denied.json',
    );
    const r = await runCli(['collect', '--config', cfg, '--data', path.join(dir, 'data-denied'), '--once']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERR_PERMISSION');
    expect(r.stderr).not.toContain(SOURCE.secretAccessKey);
  });

  it('a config file that changes a General field of an existing connector exits 2 naming the field', async () => {
    const data = path.join(dir, 'data-general');
    const first = writeConfigFile(
      dir,
      baseConfig({ auth: { method: 'access_key', ...SOURCE } }),
      'general-1.json',
    );
    expect((await runCli(['collect', '--config', first, '--data', data, '--once'])).code).toBe(1);
    const moved = writeConfigFile(
      dir,
      baseConfig({ tenant: 'Other Tenant', auth: { method: 'access_key', ...SOURCE } }),
      'general-2.json',
    );
    const r = await runCli(['collect', '--config', moved, '--data', data, '--once']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Invalid configuration:\n\s+tenant: /);
  });

  it('killed with SIGKILL between pages, the next run resumes: nothing lost, nothing duplicated', async () => {
    const data = path.join(dir, 'data-kill');
    const cfg = writeConfigFile(dir, baseConfig(), 'kill.json');
    // Slow pages so the kill lands in the middle of the backfill.
    await control(emu, 'faults', 'POST', { latencyMs: 40 });
    await control(emu, 'requests', 'DELETE');
    try {
      const child = spawnCli(['collect', '--config', cfg, '--data', data, '--once'], env);
      const exited = new Promise<void>((r) => child.on('close', () => r()));
      const dbFile = path.join(data, DB_FILE);
      let stored = 0;
      // Wait (by polling the committed state) until some pages are in, then kill.
      for (;;) {
        if (fs.existsSync(dbFile)) {
          try {
            stored = withStoreFile(
              data,
              (db) => db.prepare('SELECT count(*) FROM syslog').pluck().get() as number,
            );
          } catch {
            stored = 0; // schema not created yet
          }
        }
        if (stored >= 300) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill('SIGKILL');
      await exited;
      expect(child.signalCode).toBe('SIGKILL');
    } finally {
      await control(emu, 'faults', 'DELETE');
    }

    // What survived the kill: whole pages only, and the checkpoint says where to go on.
    const store = openStore({ dataDir: data, key: Buffer.from(CLI_KEY, 'base64') });
    let killedAt: number;
    try {
      killedAt = store.index.size();
      expect(killedAt).toBeGreaterThanOrEqual(300);
      expect(killedAt).toBeLessThan(2000);
      // Uneven pages: the page boundaries are the running sums of what each page returned.
      const sizes = emu.state
        .requests()
        .filter((q) => q.operation === 'ListFindings' && q.status === 200)
        .map((q) => q.returned ?? 0);
      const boundaries = sizes.map((_, k) => sizes.slice(0, k + 1).reduce((a, b) => a + b, 0));
      expect(boundaries).toContain(killedAt);
      const id = store.connectors.getByName('root-aws-inspector')!.id;
      const cp = checkpointOf(store, id) as { queue: { nextToken?: string }[] };
      expect(cp.queue[0]!.nextToken).toBeDefined();
    } finally {
      store.close();
    }

    const r = await runCli(['collect', '--config', cfg, '--data', data, '--once'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`new ${2000 - killedAt}, already stored 0`));
    const after = openStore({ dataDir: data, key: Buffer.from(CLI_KEY, 'base64') });
    try {
      expectExactVersions(after, emu);
    } finally {
      after.close();
    }
  });
});
