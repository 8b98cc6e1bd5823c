/**
 * `inspector-connector test --config FILE`: the connector Test from the command line, for the
 * file's connector `type` (default aws-inspector).
 * Exit 0 on success, 1 when the test fails, 2 when the configuration is invalid.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { systemClock } from '../../core/clock.js';
import { FieldsError } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import {
  DEFAULT_TYPE,
  productionRegistry,
  secretFieldsOf,
  type ConnectorRegistry,
} from '../../connectors/registry.js';
import { configIssues } from '../../core/schema.js';
import type { AnyConnectorType, BaseConnectorConfig, TestResult } from '../../connectors/types.js';

/** ERR_CONFIG_INVALID from a config file (or its ${ENV:NAME}s): the fields to print, exit 2. */
export function isConfigInvalid(e: unknown): e is FieldsError {
  return e instanceof FieldsError && e.code === 'ERR_CONFIG_INVALID';
}

/** A config file: its connector type and the config (validated, references resolved). */
export interface LoadedConfig {
  type: AnyConnectorType;
  config: BaseConnectorConfig;
}

/**
 * Reads a YAML or JSON config file, picks its `type` (default aws-inspector), validates it with
 * that type's schema (every field at once) and resolves its ${ENV:NAME} references. Throws
 * ERR_CONFIG_INVALID (FieldsError) naming the fields, `(file)` when it cannot be read.
 */
export function loadConfigFile(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  registry: ConnectorRegistry = productionRegistry(),
): LoadedConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new FieldsError('ERR_CONFIG_INVALID', [
      { field: '(file)', message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}` },
    ]);
  }
  let raw: unknown;
  try {
    // YAML 1.2 is a superset of JSON: one parser for both.
    raw = parseYaml(text);
  } catch (e) {
    throw new FieldsError('ERR_CONFIG_INVALID', [
      { field: '(file)', message: `${file} is neither valid YAML nor JSON: ${(e as Error).message}` },
    ]);
  }
  const { type: typeId = DEFAULT_TYPE, ...rest } = (raw ?? {}) as Record<string, unknown>;
  const type = registry.find(String(typeId)) ?? registry.get(String(typeId));
  const parsed = type.configSchema.safeParse(rest);
  if (!parsed.success) throw new FieldsError('ERR_CONFIG_INVALID', configIssues(parsed.error));
  const config = parsed.data as BaseConnectorConfig;
  return { type, config: type.resolveRefs ? type.resolveRefs(config, env) : config };
}

/** Prints invalid fields to stderr; returns the exit code for an invalid configuration. */
export function reportConfigError(e: FieldsError, stderr: NodeJS.WritableStream = process.stderr): number {
  stderr.write('Invalid configuration:\n');
  for (const i of e.fields) stderr.write(`  ${i.field}: ${i.message}\n`);
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
  // Several parts (AWS Inspector: regions): one line each, `  eu-west-1  FAILED  403 ERR_PERMISSION  ...`.
  if (r.parts && r.parts.length > 1) {
    const width = Math.max(...r.parts.map((p) => p.part.length));
    const label: Record<string, string> = {
      ok: 'OK',
      not_activated: 'NOT ACTIVATED',
      not_enabled: 'NOT ENABLED',
      access_denied: 'ACCESS DENIED',
      failed: 'FAILED',
    };
    lines.push(`Regions (${r.parts.length}):`);
    for (const p of r.parts) {
      lines.push(
        `  ${p.part.padEnd(width)}  ${(label[p.status] ?? p.status).padEnd(13)}  ${p.httpStatus} ${p.code}  ${p.summary}`,
      );
    }
  }
  for (const w of r.warnings) lines.push(`Warning: ${w}`);
  return lines.join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('test')
    .description(
      "Test a connector configuration with its type's Test (AWS Inspector: STS identity, Inspector access in the region, activation status).",
    )
    .requiredOption('--config <file>', 'connector configuration (YAML or JSON)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { config: string; json?: boolean }) => {
      let loaded: LoadedConfig;
      try {
        loaded = loadConfigFile(opts.config);
      } catch (e) {
        if (isConfigInvalid(e)) {
          process.exitCode = reportConfigError(e);
          return;
        }
        throw e;
      }
      const logger = createLogger({
        level: process.env.LOG_LEVEL ?? 'warn',
        secretFields: secretFieldsOf(productionRegistry()),
      });
      const { type, config } = loaded;
      const result = await type.test(config, { logger, clock: systemClock, connectorId: config.name });
      process.stdout.write(opts.json ? JSON.stringify(result, null, 2) + '\n' : formatTestResult(result));
      process.exitCode = result.ok ? 0 : 1;
    });
}
