/**
 * Structured logging (pino). Secrets never reach a log line: known secret fields are redacted
 * by path, and `redactSecrets` scrubs any registered secret value out of free text (error
 * messages from third parties can echo what they were given).
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import { SECRET_FIELDS } from '../connectors/aws-inspector/config.js';

export type { Logger };

/** The connector config's secret fields (by name, at any of the first three levels) and other credentials. */
const SECRET_NAMES = [...new Set([...SECRET_FIELDS.map((f) => f.split('.').at(-1)!), 'sessionToken'])];
const REDACT_PATHS = [
  ...SECRET_NAMES.flatMap((n) => [n, `*.${n}`, `*.*.${n}`]),
  'password',
  'token',
  '*.password',
  '*.token',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
];

export function createLogger(
  opts: { level?: string; name?: string } = {},
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      name: opts.name ?? 'inspector-connector',
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    },
    destination ?? pino.destination(2),
  );
}

/** A logger that drops everything (tests that do not look at logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Remove every occurrence of the given secret values from a string. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join('[REDACTED]');
  }
  return out;
}
