/**
 * A failed connector Test as a result: the coded error's HTTP status, name, explanation and
 * recommendation from the registry (src/core/errors.ts), secrets scrubbed. Every type's Test and
 * the API (time limit, unreadable secrets) build failures here, so they read alike.
 */
import { ERRORS, type CodedError } from '../core/errors.js';
import { redactSecrets } from '../core/logger.js';
import type { TestResult } from './types.js';

/** `where` prefixes the detail (`Step 1/3, ... failed: `). */
export function failedTest(err: CodedError, secrets: readonly string[], where = ''): TestResult {
  const info = ERRORS[err.code];
  const detail = redactSecrets(`${where}${err.message}${err.detail ? `\n${err.detail}` : ''}`, secrets);
  return {
    ok: false,
    httpStatus: info.httpStatus,
    code: err.code,
    summary: `${info.httpStatus} ${info.httpName}: ${redactSecrets(err.message, secrets)}`,
    explanation: info.explanation,
    recommendation: info.recommendation,
    detail,
    warnings: [],
  };
}
