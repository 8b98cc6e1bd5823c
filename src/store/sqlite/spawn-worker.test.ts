/** The store's worker threads report failures in one shape (errorReply) read back in one place (replyError). */
import { describe, expect, it } from 'vitest';
import { CodedError, isCodedError } from '../../core/errors.js';
import { errorReply, replyError } from './spawn-worker.js';

describe('worker error replies', () => {
  it('a coded error keeps its code and message across the reply', () => {
    const reply = errorReply(7, new CodedError('ERR_QUERY_TIMEOUT', 'too slow'));
    expect(reply).toEqual({ id: 7, ok: false, code: 'ERR_QUERY_TIMEOUT', message: 'too slow' });
    const e = replyError(reply);
    expect(isCodedError(e) && [e.code, e.message]).toEqual(['ERR_QUERY_TIMEOUT', 'too slow']);
  });

  it('any other error is ERR_STORE with its message', () => {
    const e = replyError(errorReply(8, new Error('disk I/O error')));
    expect(isCodedError(e) && [e.code, e.message]).toEqual(['ERR_STORE', 'disk I/O error']);
  });
});
