import { describe, expect, it } from 'vitest';
import { CodedError } from '../core/errors.js';
import { parse, type Node } from './parser.js';

const t = (value: string, field?: string, phrase = false): Node => ({
  type: 'term',
  ...(field ? { field } : {}),
  value,
  phrase,
});

describe('parse: valid queries', () => {
  const cases: [string, Node][] = [
    ['', { type: 'all' }],
    ['   ', { type: 'all' }],
    ['*', { type: 'all' }],
    ['openssl', t('openssl')],
    ['aws_inspector.status:CLOSED', t('CLOSED', 'aws_inspector.status')],
    ['aws_inspector.status: CLOSED', t('CLOSED', 'aws_inspector.status')],
    ['msg_origin.source:aws_inspector', t('aws_inspector', 'msg_origin.source')],
    ['"remote code execution"', t('remote code execution', undefined, true)],
    ['event_name:"CVE-2024 openssl"', t('CVE-2024 openssl', 'event_name', true)],
    ['"say \\"hi\\""', t('say "hi"', undefined, true)],
    [
      'aws_inspector.findingArn:arn:aws:inspector2:us-east-1:123456789012:finding/abc',
      t('arn:aws:inspector2:us-east-1:123456789012:finding/abc', 'aws_inspector.findingArn'),
    ],
    ['a b', { type: 'and', children: [t('a'), t('b')] }],
    ['a AND b', { type: 'and', children: [t('a'), t('b')] }],
    ['a && b', { type: 'and', children: [t('a'), t('b')] }],
    ['a +b', { type: 'and', children: [t('a'), t('b')] }],
    ['a OR b', { type: 'or', children: [t('a'), t('b')] }],
    ['a || b', { type: 'or', children: [t('a'), t('b')] }],
    ['a OR b c', { type: 'or', children: [t('a'), { type: 'and', children: [t('b'), t('c')] }] }],
    ['(a OR b) c', { type: 'and', children: [{ type: 'or', children: [t('a'), t('b')] }, t('c')] }],
    ['NOT a', { type: 'not', child: t('a') }],
    ['!a', { type: 'not', child: t('a') }],
    ['-a', { type: 'not', child: t('a') }],
    ['a -b', { type: 'and', children: [t('a'), { type: 'not', child: t('b') }] }],
    ['a AND NOT b', { type: 'and', children: [t('a'), { type: 'not', child: t('b') }] }],
    ['us-east-1', t('us-east-1')],
    ['and or', { type: 'and', children: [t('and'), t('or')] }],
    ['NOTE', t('NOTE')],
    ['a\\:b', t('a:b')],
    ['a\\ b', t('a b')],
    ['open\\*', t('open*')],
    ['status:(ACTIVE OR CLOSED)', { type: 'or', children: [t('ACTIVE', 'status'), t('CLOSED', 'status')] }],
    ['title:"x"^2', t('x', 'title', true)],
    ['openssl^3', t('openssl')],
    [
      'package_name:open*',
      { type: 'wildcard', field: 'package_name', pattern: 'open*', prefix: 'open', glob: 'open*' },
    ],
    ['o?en', { type: 'wildcard', pattern: 'o?en', prefix: 'o', glob: 'o?en' }],
    ['*ssl', { type: 'wildcard', pattern: '*ssl', prefix: '', glob: '*ssl' }],
    ['a.b*', { type: 'wildcard', pattern: 'a.b*', prefix: 'a.b', glob: 'a.b*' }],
    ['package_name:*', { type: 'exists', field: 'package_name' }],
    ['_exists_:aws_inspector.epss', { type: 'exists', field: 'aws_inspector.epss' }],
    [
      'severity:[50 TO 100]',
      { type: 'range', field: 'severity', lo: '50', hi: '100', loInclusive: true, hiInclusive: true },
    ],
    [
      'severity:{50 TO 100}',
      { type: 'range', field: 'severity', lo: '50', hi: '100', loInclusive: false, hiInclusive: false },
    ],
    [
      'severity:[50 TO 100}',
      { type: 'range', field: 'severity', lo: '50', hi: '100', loInclusive: true, hiInclusive: false },
    ],
    [
      'severity:[* TO 40]',
      { type: 'range', field: 'severity', hi: '40', loInclusive: true, hiInclusive: true },
    ],
    [
      'timestamp:[2024-01-01T00:00:00Z TO *]',
      { type: 'range', field: 'timestamp', lo: '2024-01-01T00:00:00Z', loInclusive: true, hiInclusive: true },
    ],
    ['severity:>=70', { type: 'range', field: 'severity', lo: '70', loInclusive: true, hiInclusive: false }],
    ['severity:>70', { type: 'range', field: 'severity', lo: '70', loInclusive: false, hiInclusive: false }],
    ['severity:<=70', { type: 'range', field: 'severity', hi: '70', hiInclusive: true, loInclusive: false }],
    ['severity:<70', { type: 'range', field: 'severity', hi: '70', hiInclusive: false, loInclusive: false }],
    [
      'timestamp:>=2024-01-01T10:00:00Z',
      {
        type: 'range',
        field: 'timestamp',
        lo: '2024-01-01T10:00:00Z',
        loInclusive: true,
        hiInclusive: false,
      },
    ],
  ];
  it.each(cases)('%s', (q, ast) => {
    expect(parse(q)).toEqual(ast);
  });
});

describe('parse: errors are ERR_QUERY_INVALID naming the position and what was expected', () => {
  const cases: [string, RegExp][] = [
    ['(a OR b', /position 8: expected "\)" to close the "\(" at position 1, found end of query/],
    ['a)', /position 2: unexpected "\)" without a matching "\("/],
    ['"open', /position 1: unterminated quoted phrase/],
    ['a AND', /position 6: expected a term after AND, found end of query/],
    ['a OR', /position 5: expected a term after OR/],
    ['NOT', /position 4: expected a term, phrase or "\(", found end of query/],
    ['severity:[1 TO 5', /position 17: expected "\]" or "\}" to close the range opened at position 10/],
    ['severity:[1 5]', /position 13: expected "TO" in the range/],
    ['severity:', /position 10: expected a value after "severity:"/],
    ['[1 TO 2]', /position 1: a range needs a field/],
    ['bad field!:x', /invalid field name|expected/],
    ['a~2', /position 2: fuzzy and proximity searches/],
    ['foo\\', /position 4: a backslash must be followed/],
    ['_exists_:', /expected a field name after _exists_:/],
    ['status:(a', /position 10: expected "\)" to close the group/],
  ];
  it.each(cases)('%s', (q, msg) => {
    let err: unknown;
    try {
      parse(q);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CodedError);
    expect((err as CodedError).code).toBe('ERR_QUERY_INVALID');
    expect((err as CodedError).message).toMatch(msg);
  });

  it('rejects deep nesting and huge queries without blowing the stack', () => {
    expect(() => parse('('.repeat(500) + 'a' + ')'.repeat(500))).toThrow(/nests too deeply/);
    expect(() => parse('-'.repeat(9000) + 'a')).toThrow(/nests too deeply/);
    expect(() => parse('a '.repeat(6000))).toThrow(/longer than 10000/);
  });
});
