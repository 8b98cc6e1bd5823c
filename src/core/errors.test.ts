import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CodedError, ERRORS } from './errors.js';
import { renderErrorsDoc } from './errors-doc.js';

describe('error registry', () => {
  it('docs/errors.md is in step with the registry', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    expect(doc).toBe(renderErrorsDoc());
  });

  it("uses the spec's HTTP codes for the spec's failure classes", () => {
    expect(ERRORS.ERR_CONFIG_INVALID.httpStatus).toBe(400);
    expect(ERRORS.ERR_AUTH_INVALID.httpStatus).toBe(401);
    expect(ERRORS.ERR_PERMISSION.httpStatus).toBe(403);
    expect(ERRORS.ERR_NOT_FOUND.httpStatus).toBe(404);
    expect(ERRORS.ERR_THROTTLED.httpStatus).toBe(429);
    expect(ERRORS.ERR_THROTTLED.retryable).toBe(true);
  });

  it('only a search past its budget is a 5xx answered with its own message', () => {
    const own = Object.entries(ERRORS).filter(([, e]) => 'publicMessage' in e && e.publicMessage);
    expect(own.map(([c, e]) => [c, e.httpStatus])).toEqual([['ERR_QUERY_TIMEOUT', 503]]);
  });

  it('CodedError carries its registry entry', () => {
    const e = new CodedError('ERR_PERMISSION', 'no inspector2:ListFindings', {
      detail: 'AccessDeniedException',
    });
    expect(e.httpStatus).toBe(403);
    expect(e.info.httpName).toBe('Forbidden');
    expect(e.detail).toBe('AccessDeniedException');
  });
});
