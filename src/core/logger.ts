/**
 * Structured logging (pino). Secrets never reach a log line: the connector types' secret fields
 * (given by the caller from the registry: `secretFieldsOf(registry)`; core imports no type) and
 * other credentials are redacted by name, and `redactSecrets` scrubs any registered secret value
 * out of free text (error messages from third parties can echo what they were given).
 */
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Secret fields (by name, at any of the first three levels) and other credentials. */
function redactPaths(secretFields: readonly string[]): string[] {
  const names = [...new Set([...secretFields.map((f) => f.split('.').at(-1)!), 'sessionToken'])];
  return [...names.flatMap((n) => [n, `*.${n}`, `*.*.${n}`]), ...FIXED_REDACT_PATHS];
}

const FIXED_REDACT_PATHS = [
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
  opts: {
    level?: string;
    name?: string;
    /** The registered connector types' secret fields, dotted (`secretFieldsOf(registry)`). */
    secretFields: readonly string[];
  },
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      name: opts.name ?? 'inspector-connector',
      redact: { paths: redactPaths(opts.secretFields), censor: '[REDACTED]' },
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
