/**
 * Structured logging (pino). Secrets never reach a log line: known secret fields are redacted
 * by path, and `redactSecrets` scrubs any registered secret value out of free text (error
 * messages from third parties can echo what they were given).
 */
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

const REDACT_PATHS = [
  'secretAccessKey',
  'accessKeyId',
  'sessionToken',
  'password',
  'token',
  '*.secretAccessKey',
  '*.accessKeyId',
  '*.sessionToken',
  '*.password',
  '*.token',
  '*.*.secretAccessKey',
  '*.*.accessKeyId',
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
