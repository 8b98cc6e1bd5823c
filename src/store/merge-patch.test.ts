/**
 * `mergePatch`, the store's generic PATCH rule for any connector type: top-level fields replace,
 * nested objects merge, write-only secrets keep their value when sent absent, blank or masked,
 * and switching a discriminator keeps only that object's secrets.
 */
import { describe, expect, it } from 'vitest';
import { MASK, mergePatch } from './connector-config.js';

const SECRETS = ['apiKey', 'auth.key', 'auth.secret'];
const SWITCH = ['auth.method'];
const current = {
  name: 'c',
  apiKey: 'top-secret',
  auth: { method: 'a', key: 'k1', secret: 's1', extra: 'x' },
};

describe('mergePatch', () => {
  it('replaces top-level fields and merges a nested object', () => {
    expect(mergePatch(current, { name: 'd', auth: { extra: 'y' } }, SECRETS, SWITCH)).toEqual({
      name: 'd',
      apiKey: 'top-secret',
      auth: { method: 'a', key: 'k1', secret: 's1', extra: 'y' },
    });
  });

  it('keeps secrets sent absent, blank or masked; takes new ones', () => {
    const m = mergePatch(current, { apiKey: MASK, auth: { key: '', secret: 'new' } }, SECRETS, SWITCH);
    expect(m).toMatchObject({ apiKey: 'top-secret', auth: { key: 'k1', secret: 'new', extra: 'x' } });
  });

  it("switching the discriminator keeps only that object's secrets", () => {
    expect(mergePatch(current, { auth: { method: 'b', role: 'r' } }, SECRETS, SWITCH).auth).toEqual({
      method: 'b',
      key: 'k1',
      secret: 's1',
      role: 'r',
    });
  });

  it('refuses a non-object for an object with secrets, naming it; nothing to keep leaves blanks unset', () => {
    expect(() => mergePatch(current, { auth: 'x' }, SECRETS, SWITCH)).toThrow(
      expect.objectContaining({
        code: 'ERR_CONFIG_INVALID',
        fields: [{ field: 'auth', message: 'auth must be an object' }],
      }),
    );
    expect(mergePatch({ name: 'c' }, { auth: { method: 'a', key: MASK } }, SECRETS, SWITCH).auth).toEqual({
      method: 'a',
    });
  });
});
