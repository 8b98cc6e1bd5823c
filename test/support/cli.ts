/**
 * The real `inspector-connector` CLI as a child process, from the sources (node --import tsx:
 * no build needed). Shared by the integration tests and the reliability suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRunner {
  /** Starts `inspector-connector ARGS`; `env` is added to the runner's defaults. */
  spawnCli(args: string[], env?: NodeJS.ProcessEnv): ChildProcess;
  /** Runs it to completion, collecting its output; a hung child is killed after timeoutMs. */
  runCli(args: string[], env?: NodeJS.ProcessEnv, timeoutMs?: number): Promise<CliResult>;
}

export function cliRunner(defaults: { logLevel: string; key: string; timeoutMs: number }): CliRunner {
  const spawnCli = (args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess =>
    spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: defaults.logLevel, INSPECTOR_CONNECTOR_KEY: defaults.key, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const runCli = (args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = defaults.timeoutMs) =>
    new Promise<CliResult>((resolve, reject) => {
      const child = spawnCli(args, env);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(t);
        resolve({ code, signal, stdout, stderr });
      });
    });
  return { spawnCli, runCli };
}

export interface Served {
  child: ChildProcess;
  /** http://127.0.0.1:PORT, as the server printed it. */
  url: string;
  /** Its stdout and stderr so far. */
  output(): string;
  /** Its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/**
 * `serve --data DATA --port 0 ARGS`, resolved once it prints the URL it listens on; rejected
 * with its output if it exits first. `children` gets the process at once (for the caller's
 * cleanup, should the start hang).
 */
export async function startServe(
  spawnCli: CliRunner['spawnCli'],
  data: string,
  opts: { args?: string[]; env?: NodeJS.ProcessEnv; children?: ChildProcess[] } = {},
): Promise<Served> {
  const child = spawnCli(['serve', '--data', data, '--port', '0', ...(opts.args ?? [])], opts.env);
  opts.children?.push(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
  return { child, url, output: () => out, exited };
}

/** SIGKILL, resolved once the process is gone. */
export async function kill9(child: ChildProcess): Promise<void> {
  const gone = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}
