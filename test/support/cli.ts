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
