/**
 * `inspector-connector test --config FILE`: the connector Test from the command line.
 * Exit 0 on success, 1 when the test fails, 2 when the configuration is invalid.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { systemClock } from '../../core/clock.js';
import { createLogger } from '../../core/logger.js';
import {
  configIssues,
  connectorConfigSchema,
  resolveEnvRefs,
  type ConnectorConfig,
  type FieldIssue,
} from '../../connectors/aws-inspector/config.js';
import { testConnector, type TestResult } from '../../connectors/aws-inspector/check.js';

export class ConfigFileError extends Error {
  readonly issues: FieldIssue[];
  constructor(issues: FieldIssue[]) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join('\n'));
    this.name = 'ConfigFileError';
    this.issues = issues;
  }
}

/** Reads a YAML or JSON config file, validates it (every field at once) and resolves ${ENV:NAME}. */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): ConnectorConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigFileError([
      { field: '(file)', message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}` },
    ]);
  }
  let raw: unknown;
  try {
    // YAML 1.2 is a superset of JSON: one parser for both.
    raw = parseYaml(text);
  } catch (e) {
    throw new ConfigFileError([
      { field: '(file)', message: `${file} is neither valid YAML nor JSON: ${(e as Error).message}` },
    ]);
  }
  const parsed = connectorConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new ConfigFileError(configIssues(parsed.error));
  try {
    return resolveEnvRefs(parsed.data, env);
  } catch (e) {
    const m = /^([\w.]+): (.*)$/.exec((e as Error).message);
    throw new ConfigFileError([{ field: m?.[1] ?? '(env)', message: m?.[2] ?? (e as Error).message }]);
  }
}

/** Prints invalid fields to stderr; returns the exit code for an invalid configuration. */
export function reportConfigError(
  e: ConfigFileError,
  stderr: NodeJS.WritableStream = process.stderr,
): number {
  stderr.write('Invalid configuration:\n');
  for (const i of e.issues) stderr.write(`  ${i.field}: ${i.message}\n`);
  return 2;
}

export function formatTestResult(r: TestResult): string {
  const lines: string[] = [];
  if (r.ok) {
    lines.push(r.summary);
  } else {
    lines.push(`Failure: HTTP ${r.httpStatus} (${r.code})`);
    lines.push(r.summary);
    lines.push(`Explanation: ${r.explanation}`);
    lines.push(`Recommendation: ${r.recommendation}`);
    lines.push(`Detail: ${r.detail}`);
  }
  for (const w of r.warnings) lines.push(`Warning: ${w}`);
  return lines.join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('test')
    .description(
      'Test a connector configuration: STS identity, Inspector access in the region, activation status.',
    )
    .requiredOption('--config <file>', 'connector configuration (YAML or JSON)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { config: string; json?: boolean }) => {
      let cfg: ConnectorConfig;
      try {
        cfg = loadConfigFile(opts.config);
      } catch (e) {
        if (e instanceof ConfigFileError) {
          process.exitCode = reportConfigError(e);
          return;
        }
        throw e;
      }
      const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });
      const result = await testConnector(cfg, { logger, clock: systemClock, connectorId: cfg.name });
      process.stdout.write(opts.json ? JSON.stringify(result, null, 2) + '\n' : formatTestResult(result));
      process.exitCode = result.ok ? 0 : 1;
    });
}
