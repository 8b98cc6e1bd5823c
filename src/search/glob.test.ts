import { describe, expect, it } from 'vitest';
import { compileGlob, globLiterals, globMatch, serializeGlob } from './glob.js';

const m = (pattern: string, text: string) => globMatch(compileGlob(pattern), text);

/** The regex the parser used to build (the reference semantics, fine on small inputs). */
function reference(pattern: string, text: string): boolean {
  let src = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') src += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else if (c === '*') src += '.*';
    else if (c === '?') src += '.';
    else src += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, 'isu').test(text);
}

describe('glob', () => {
  it('matches like the anchored wildcard regex', () => {
    const cases: [string, string, boolean][] = [
      ['*ssl', 'openssl', true],
      ['*ssl', 'OpenSSL', true],
      ['*ssl', 'openssl-libs', false],
      ['open*', 'openssl', true],
      ['o?en*', 'openssl', true],
      ['o?en', 'oen', false],
      ['*a*b*c*', 'xaybzc', true],
      ['*a*b*c*', 'cba', false],
      ['a*a', 'a', false],
      ['a*a', 'aa', true],
      ['ab*ab', 'abab', true],
      ['ab*ab', 'ab', false],
      ['*', '', true],
      ['?', '', false],
      ['?', '😀', true],
      ['a?b', 'a😀b', true],
      ['*😀?', 'x😀y', true],
      ['open\\*', 'open*', true],
      ['open\\*', 'openssl', false],
      ['a\\?c', 'abc', false],
      ['*.amzn2', '3.amzn2', true],
      ['CVE-2024-*', 'cve-2024-1234', true],
    ];
    for (const [p, t, want] of cases) {
      expect([p, t, m(p.toLowerCase(), t)]).toEqual([p, t, want]);
      // The reference itself (the regex the random comparison below trusts) checked on the table.
      expect(['reference', p, t, reference(p.toLowerCase(), t)]).toEqual(['reference', p, t, want]);
    }
  });

  it('agrees with the regex on random short patterns and texts', () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = ['a', 'b', 'c', '-', '😀'];
    for (let k = 0; k < 5000; k++) {
      const p = Array.from({ length: 1 + rnd(6) }, () => [...alphabet, '*', '?'][rnd(7)]).join('');
      const t = Array.from({ length: rnd(9) }, () => alphabet[rnd(5)]).join('');
      expect([p, t, m(p, t)]).toEqual([p, t, reference(p, t)]);
    }
  });

  it('does not backtrack: many stars against a long near-miss answer at once', () => {
    // The regex form of this pattern (^.*a.*a...b$) takes exponential time on this text.
    const pattern = '*a'.repeat(30) + '*b';
    const text = 'a'.repeat(5000);
    expect(m(pattern, text)).toBe(false);
    expect(m(pattern, text + 'b')).toBe(true);
    const alphabet = '*' + 'abcdefghijklmnopqrstuvwxyz'.split('').join('*') + '*';
    expect(m(alphabet.repeat(3), 'abcdefghijklmnopqrstuvwxy'.repeat(200))).toBe(false);
  });

  it('serializes parser pieces lower-cased, escaping literal wildcards', () => {
    expect(serializeGlob(['Open', { wild: '*' }, 'a*b?c\\'])).toBe('open*a\\*b\\?c\\\\');
    expect(globLiterals(compileGlob('*open-ss?l*x'))).toEqual(['open', 'ss', 'l', 'x']);
  });
});
