/**
 * Shared helpers of the benchmark and the reliability suite: compile once, spawn a process and
 * measure its wall time and peak RSS (VmHWM from /proc/<pid>/status), run the emulator in a
 * process of its own, write a connector config for it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../support/cli.js';

export { ROOT };
/** The emulator's default reader keys (not secrets: AWS's documentation example keys). */
export const EMULATOR_KEYS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

/**
 * Compiles src/, emulator/ and test/bench/ with tsc into `outDir` (gitignored), so the CLI is
 * measured as users run it (plain node, no loader). tsc emits even when another engineer's
 * file has a type error in progress; that is reported, not fatal.
 */
export function compile(outDir = path.join(ROOT, '.bench/dist')): string {
  const tsconfig = path.join(ROOT, 'test/bench/tsconfig.bench.json');
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', tsconfig, '--outDir', outDir],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (r.status !== 0)
    process.stderr.write(`tsc reported errors (emitted anyway):\n${r.stdout.slice(0, 2000)}\n`);
  const main = path.join(outDir, 'src/cli/main.js');
  if (!fs.existsSync(main)) throw new Error(`compilation produced no ${main}`);
  // Compiled ESM needs the package's "type": "module" to be found above it.
  fs.writeFileSync(path.join(outDir, 'package.json'), '{"type":"module"}\n');
  return outDir;
}

export interface Measured {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  /** Peak resident set size, kB (VmHWM; max of samples). */
  peakRssKb: number;
  /** CPU time (user + system) of the process, ms, from its last /proc sample (<= 20 ms old). */
  cpuMs: number;
  stdout: string;
  stderr: string;
}

export function readVmHWM(pid: number): number | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(s);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const CLK_TCK = 100; // Linux USER_HZ

/** utime + stime of a process, ms (fields 14 and 15 of /proc/<pid>/stat). */
export function readCpuMs(pid: number): number | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return undefined;
  }
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Write stdout to this file instead of keeping it in memory. */
  stdoutFile?: string;
  /** Kill the process (SIGKILL) after this many ms. */
  timeoutMs?: number;
  onSpawn?: (child: ChildProcess) => void;
}

/** Runs a command, sampling its peak RSS every 20 ms until it exits. */
export function spawnMeasured(cmd: string, args: string[], opts: SpawnOptions = {}): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const out = opts.stdoutFile ? fs.openSync(opts.stdoutFile, 'w') : undefined;
    const t0 = performance.now();
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? ROOT,
      env: opts.env ?? process.env,
      stdio: ['ignore', out ?? 'pipe', 'pipe'],
    });
    opts.onSpawn?.(child);
    let peak = 0;
    let cpu = 0;
    const sample = () => {
      const v = child.pid ? readVmHWM(child.pid) : undefined;
      if (v !== undefined && v > peak) peak = v;
      const c = child.pid ? readCpuMs(child.pid) : undefined;
      if (c !== undefined && c > cpu) cpu = c;
    };
    const timer = setInterval(sample, 20);
    const killer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      if (stdout.length < 50_000_000) stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 1_000_000) stderr += d.toString();
    });
    child.on('error', (e) => {
      clearInterval(timer);
      if (killer) clearTimeout(killer);
      reject(e);
    });
    // 'exit' fires before the pid is reaped? No: sample on every tick until then; the last
    // sample is at most 20 ms old, and VmHWM only grows.
    child.on('close', (code, signal) => {
      clearInterval(timer);
      if (killer) clearTimeout(killer);
      if (out !== undefined) fs.closeSync(out);
      resolve({ code, signal, wallMs: performance.now() - t0, peakRssKb: peak, cpuMs: cpu, stdout, stderr });
    });
  });
}

export interface EmulatorProcess {
  url: string;
  port: number;
  child: ChildProcess;
  control<T = unknown>(pathName: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

/**
 * Starts the emulator in a process of its own (so it does not share an event loop with what is
 * measured) from the compiled tree, or with tsx from the sources when `distDir` is undefined.
 */
export async function startEmulatorProcess(opts: {
  distDir?: string;
  findings: number;
  seed?: number;
  extra?: Record<string, unknown>;
}): Promise<EmulatorProcess> {
  const args = JSON.stringify({ findings: opts.findings, seed: opts.seed ?? 1, ...opts.extra });
  const child = opts.distDir
    ? spawn(process.execPath, [path.join(opts.distDir, 'test/bench/emulator-proc.js'), args], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      })
    : spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/bench/emulator-proc.ts'), args], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('emulator did not start within 120 s'));
    }, 120_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /^EMULATOR (\S+)$/m.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`emulator exited with ${code} before starting`));
    });
  });
  child.stdout!.resume();
  const control = async <T>(pathName: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}/__emulator/${pathName}`, {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`emulator ${pathName}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return {
    url,
    port: Number(new URL(url).port),
    child,
    control,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `ic-${prefix}-`));
}

/** A connector config (JSON, which the YAML loader reads) pointing at the emulator. */
export function writeConfig(dir: string, url: string, over: Record<string, unknown> = {}): string {
  const file = path.join(dir, 'connector.json');
  const cfg = {
    name: 'bench-inspector',
    region: 'us-east-1',
    auth: { method: 'access_key', ...EMULATOR_KEYS },
    endpoints: { inspector2: url, sts: url },
    ...over,
  };
  fs.writeFileSync(file, JSON.stringify(cfg, null, 2));
  return file;
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

/** Megabytes (rounded) of a size in kilobytes. */
export const mb = (kb: number) => Math.round(kb / 1024);

/** The value after `--NAME` on the command line, else `def`. */
export function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}
