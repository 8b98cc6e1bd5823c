/**
 * `inspector-connector emulator` as a user runs it: a real process that prints its URL, serves
 * AWS clients with the IAM model from --iam, and exits cleanly on SIGTERM; bad input is a clear
 * error naming the field.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { control } from '../../../emulator/testing.js';

const MAIN = path.resolve('src/cli/main.ts');
let tmp: string;

function run(args: string[]): {
  child: ChildProcess;
  url: Promise<string>;
  exit: Promise<{ code: number | null; stderr: string }>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'emulator', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stderr })),
  );
  const url = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!.trim());
    });
    void exit.then(({ code, stderr: e }) => reject(new Error(`exited ${code} before printing a URL: ${e}`)));
  });
  url.catch(() => undefined); // tests that expect an early exit never read the URL
  return { child, url, exit };
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'emu-cli-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('inspector-connector emulator', () => {
  it('--clean-pages serves full pages (the old behaviour); the control API can switch back', async () => {
    const p = run(['--port', '0', '--findings', '5', '--clean-pages']);
    try {
      const url = await p.url;
      expect((await control(url, 'summary')).json.paging).toBe('clean');
      expect((await control(url, 'paging', 'POST', { paging: 'uneven' })).json.paging).toBe('uneven');
      expect((await control(url, 'paging')).json.paging).toBe('uneven');
    } finally {
      p.child.kill('SIGTERM');
    }
    expect((await p.exit).code).toBe(0);
  });

  it('--rescan-rate sets the daily rate of immaterial rescans; a bad value names the option', async () => {
    const p = run(['--port', '0', '--findings', '5', '--rescan-rate', '0.8']);
    try {
      expect((await control(await p.url, 'rescans')).json).toEqual({ rate: 0.8, applied: 0 });
    } finally {
      p.child.kill('SIGTERM');
    }
    expect((await p.exit).code).toBe(0);
    const bad = run(['--port', '0', '--rescan-rate', '80%']);
    const r = await bad.exit;
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--rescan-rate must be a fraction from 0 to 1 \(e\.g\. 0\.8\), got '80%'/);
  });

  it('--opt-in-regions, --members, --region-rate and --region-burst shape the organisation; bad values name the option', async () => {
    const p = run([
      '--port',
      '0',
      '--findings',
      '5',
      '--opt-in-regions',
      'af-south-1,me-south-1',
      '--members',
      '111122223333',
      '--region-rate',
      '2',
      '--region-burst',
      '4',
    ]);
    try {
      const s = (await control(await p.url, 'summary')).json;
      expect(s.optIn.enabled).toEqual(['af-south-1', 'me-south-1']);
      expect(s.optIn.disabled).toContain('eu-south-1');
      expect(s.members).toEqual([{ accountId: '111122223333', relationships: { default: 'ENABLED' } }]);
      expect(s.throttling.default).toEqual({ ratePerSecond: 2, burst: 4 });
    } finally {
      p.child.kill('SIGTERM');
    }
    expect((await p.exit).code).toBe(0);
    const [optIn, rate] = await Promise.all([
      run(['--port', '0', '--opt-in-regions', 'eu-west-1']).exit,
      run(['--port', '0', '--region-rate', 'fast']).exit,
    ]);
    expect([optIn.code, rate.code]).toEqual([2, 2]);
    expect(optIn.stderr).toContain("--opt-in-regions: 'eu-west-1' is not an opt-in region");
    expect(rate.stderr).toContain(
      "--region-rate: requests per second per region, 0 (no limit) to 100000, got 'fast'",
    );
  });

  it('--index-lag-seconds and --clock-offset-seconds (negative: behind the host) set AWS time', async () => {
    const p = run([
      '--port',
      '0',
      '--findings',
      '5',
      '--index-lag-seconds',
      '30',
      '--clock-offset-seconds',
      '-120',
    ]);
    try {
      const url = await p.url;
      const s = (await control(url, 'summary')).json;
      expect(s.indexing).toEqual({ lagSeconds: 30, pending: 0 });
      expect(s.clockOffsetMs).toBe(-120_000);
    } finally {
      p.child.kill('SIGTERM');
    }
    expect((await p.exit).code).toBe(0);
    const bad = run(['--port', '0', '--index-lag-seconds', '-1']);
    const out = await bad.exit;
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain("--index-lag-seconds must be an integer from 0 to 86400, got '-1'");
  });

  it('prints its URL, uses --iam (YAML) and --findings, stops on SIGTERM', async () => {
    const iam = path.join(tmp, 'iam.yaml');
    fs.writeFileSync(
      iam,
      [
        "account: '111111111111'",
        'users:',
        '  - name: ci',
        '    accessKeyId: AKIAABCDEFGHIJKLMNOP',
        '    secretAccessKey: ci-secret-ci-secret-ci-secret',
        '    policies: [AmazonInspector2ReadOnlyAccess]',
      ].join('\n'),
    );
    const p = run(['--port', '0', '--findings', '25', '--seed', '5', '--iam', iam]);
    try {
      const url = await p.url;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const sts = new STSClient({
        region: 'us-east-1',
        endpoint: url,
        credentials: {
          accessKeyId: 'AKIAABCDEFGHIJKLMNOP',
          secretAccessKey: 'ci-secret-ci-secret-ci-secret',
        },
      });
      const who = await sts.send(new GetCallerIdentityCommand({}));
      expect(who.Arn).toBe('arn:aws:iam::111111111111:user/ci');
      const summary = (await control(url, 'summary')).json;
      expect(summary.findings).toBe(25);
      expect(summary.paging).toBe('uneven');
    } finally {
      p.child.kill('SIGTERM');
    }
    const { code } = await p.exit;
    expect(code).toBe(0);
  }, 120_000);

  it('--tls serves HTTPS and writes its certificate with --ca-out', async () => {
    const ca = path.join(tmp, 'ca.pem');
    const p = run(['--tls', '--findings', '1', '--ca-out', ca]);
    try {
      expect(await p.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(fs.readFileSync(ca, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    } finally {
      p.child.kill('SIGINT');
    }
    expect((await p.exit).code).toBe(0);
  }, 120_000);

  it('a bad IAM file or option is a clear error naming the field', async () => {
    const iam = path.join(tmp, 'bad.json');
    fs.writeFileSync(
      iam,
      JSON.stringify({
        account: '42',
        users: [{ name: 'x', accessKeyId: 'nope', secretAccessKey: 'short' }],
      }),
    );
    const bad = run(['--iam', iam]);
    const r = await bad.exit;
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('account: 12 digits');
    expect(r.stderr).toContain('users.0.accessKeyId: AKIA followed by 16 upper-case letters or digits');
    const port = run(['--port', '70000']);
    const r2 = await port.exit;
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).toContain('--port must be an integer from 0 to 65535');
  }, 120_000);
});
