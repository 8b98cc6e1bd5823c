// someLeafValue (functions.ts): the free-text wildcard check on a record's JSON text.
import { describe, expect, it } from 'vitest';
import { someLeafValue } from './functions.js';
import { valuesAt } from './terms.js';

describe('someLeafValue (the free-text wildcard check without JSON.parse)', () => {
  it('visits the same leaf values as valuesAt, in order, keys and nulls excepted', () => {
    const docs: unknown[] = [
      { a: 'x', b: [1, -2.5, 1e21, true, false, null, { 'c:d': 'q"uote\\back\nline', e: [] }], f: {} },
      { 'key "with" quotes': 'é😀', n: 0, m: -0, big: 12345678901234, arr: [[['deep']]], s: 'a, b: c]' },
      [],
      { only: null },
    ];
    for (const d of docs) {
      const seen: string[] = [];
      someLeafValue(JSON.stringify(d), (v) => {
        seen.push(v);
        return false;
      });
      expect(seen).toEqual(valuesAt(d, null));
    }
  });

  it('stops at the first value the callback accepts', () => {
    const seen: string[] = [];
    const found = someLeafValue(JSON.stringify({ a: 'one', b: 'two', c: 'three' }), (v) => {
      seen.push(v);
      return v === 'two';
    });
    expect(found).toBe(true);
    expect(seen).toEqual(['one', 'two']);
  });
});
