import { describe, expect, it } from 'vitest';
import type { LogFilter, LogFilterCondition } from '../core/log-filter.js';
import { CodedError } from '../core/errors.js';
import type { InterflowRecord } from '../core/record.js';
import {
  addDiscardCounts,
  applyFilters,
  compileFilters,
  logFilterIssues,
  newDiscardCounts,
} from './filter.js';

function record(extra: Record<string, unknown> = {}, tenant = 'Acme'): InterflowRecord {
  return {
    _id: 'id1',
    timestamp: 1_700_000_000_000,
    write_time: 1_700_000_000_500,
    tenantid: 't1',
    tenant_name: tenant,
    msg_class: 'aws_inspector_finding',
    msg_origin: {
      source: 'aws_inspector',
      vendor: 'aws',
      category: 'security_scan',
      processor: { type: 'log_collector', name: 'acme-inspector', id: 'c1' },
    },
    event_name: 'CVE-2021-3744 - linux',
    event_status: 'ACTIVE',
    severity: 40,
    severity_label: 'MEDIUM',
    inspector_score: 5.5,
    cve: ['CVE-2021-3744', 'CVE-2019-18808'],
    ip: ['10.0.0.1', '8.8.8.8'],
    flag: true,
    nothing: null,
    empty: [],
    score_text: '6.5',
    aws_inspector: {
      status: 'ACTIVE',
      resources: [
        { type: 'AWS_EC2_INSTANCE', id: 'i-0abc', tags: { Name: 'web-1', env: 'Prod' } },
        { type: 'AWS_ECR_CONTAINER_IMAGE', id: 'arn:aws:ecr:repo/x', tags: { env: 'dev' } },
      ],
      packageVulnerabilityDetails: {
        vulnerablePackages: [
          { name: 'linux', version: '4.19.118', epoch: 0 },
          { name: 'openssl', version: '1.1.1', epoch: 2 },
        ],
      },
    },
    ...extra,
  };
}

const one = (c: LogFilterCondition, more: Partial<LogFilter> = {}): LogFilter => ({
  name: 'f',
  conditions: [c],
  ...more,
});
const cond = (field: string, operator: LogFilterCondition['operator'], values: (string | number)[] = []) => ({
  field,
  operator,
  values,
});

describe('compileFilters: operators (a table: field, operator, values -> matches?)', () => {
  const rows: [string, LogFilterCondition['operator'], (string | number)[], boolean][] = [
    // equals / not_equals: case-insensitive text, numbers by value
    ['event_status', 'equals', ['ACTIVE'], true],
    ['event_status', 'equals', ['active'], true],
    ['event_status', 'equals', ['CLOSED'], false],
    ['event_status', 'equals', ['CLOSED', 'active'], true],
    ['severity', 'equals', [40], true],
    ['severity', 'equals', ['40'], true],
    ['severity', 'equals', ['40.0'], true],
    ['severity', 'equals', [41], false],
    ['flag', 'equals', ['TRUE'], true],
    ['event_status', 'not_equals', ['ACTIVE'], false],
    ['event_status', 'not_equals', ['CLOSED'], true],
    ['missing.field', 'not_equals', ['x'], true],
    ['missing.field', 'equals', ['x'], false],
    // contains / not_contains / starts_with / ends_with
    ['event_name', 'contains', ['linux'], true],
    ['event_name', 'contains', ['LINUX'], true],
    ['event_name', 'contains', ['openssl'], false],
    ['event_name', 'not_contains', ['openssl'], true],
    ['event_name', 'not_contains', ['Linux'], false],
    ['event_name', 'starts_with', ['cve-2021'], true],
    ['event_name', 'starts_with', ['linux'], false],
    ['event_name', 'ends_with', ['- LINUX'], true],
    ['event_name', 'ends_with', ['CVE'], false],
    // in / not_in
    ['severity_label', 'in', ['LOW', 'medium'], true],
    ['severity_label', 'in', ['LOW', 'HIGH'], false],
    ['severity_label', 'not_in', ['LOW', 'HIGH'], true],
    ['severity_label', 'not_in', ['LOW', 'Medium'], false],
    // exists / not_exists (null and [] are absent)
    ['inspector_score', 'exists', [], true],
    ['epss_score', 'exists', [], false],
    ['nothing', 'exists', [], false],
    ['empty', 'exists', [], false],
    ['nothing', 'not_exists', [], true],
    ['aws_inspector.status', 'not_exists', [], false],
    ['msg_origin.processor.name', 'exists', [], true],
    // numeric comparisons
    ['inspector_score', 'gt', [5], true],
    ['inspector_score', 'gt', [5.5], false],
    ['inspector_score', 'gte', [5.5], true],
    ['inspector_score', 'lt', [5.5], false],
    ['inspector_score', 'lte', ['5.5'], true],
    ['score_text', 'gt', [6], true],
    ['event_status', 'gt', [0], false],
    ['epss_score', 'lt', [1], false],
    // arrays: ANY element for positive operators, NONE for not_*
    ['cve', 'equals', ['cve-2019-18808'], true],
    ['cve', 'not_equals', ['CVE-2019-18808'], false],
    ['cve', 'not_equals', ['CVE-2000-0001'], true],
    ['ip', 'starts_with', ['10.'], true],
    ['aws_inspector.resources.type', 'equals', ['AWS_ECR_CONTAINER_IMAGE'], true],
    ['aws_inspector.resources.tags.env', 'equals', ['prod'], true],
    ['aws_inspector.resources.tags.env', 'not_equals', ['prod'], false],
    ['aws_inspector.resources.tags.Name', 'exists', [], true],
    ['aws_inspector.packageVulnerabilityDetails.vulnerablePackages.epoch', 'gt', [1], true],
    ['aws_inspector.packageVulnerabilityDetails.vulnerablePackages.epoch', 'gt', [2], false],
    // a numeric segment on an array picks that element
    ['aws_inspector.resources.0.type', 'equals', ['AWS_EC2_INSTANCE'], true],
    ['aws_inspector.resources.1.type', 'equals', ['AWS_EC2_INSTANCE'], false],
    ['aws_inspector.resources.5.type', 'exists', [], false],
    // objects never equal text; a path through a primitive ends
    ['aws_inspector.resources', 'equals', ['[object Object]'], false],
    ['event_status.length', 'exists', [], false],
    // prototype members are not fields
    ['constructor', 'exists', [], false],
    ['aws_inspector.toString', 'exists', [], false],
  ];
  it.each(rows)('%s %s %j -> %s', (field, operator, values, expected) => {
    const match = compileFilters([one(cond(field, operator, values))]);
    expect(match(record())).toBe(expected ? 'f' : undefined);
  });
});

describe('compileFilters: filters', () => {
  it('ANDs conditions', () => {
    const f = (severity: number): LogFilter => ({
      name: 'low-active',
      conditions: [cond('event_status', 'equals', ['ACTIVE']), cond('severity', 'lt', [severity])],
    });
    expect(compileFilters([f(50)])(record())).toBe('low-active');
    expect(compileFilters([f(40)])(record())).toBeUndefined();
  });

  it('returns the first matching filter, in order', () => {
    const match = compileFilters([
      { name: 'a', conditions: [cond('event_status', 'equals', ['CLOSED'])] },
      { name: 'b', conditions: [cond('event_status', 'equals', ['ACTIVE'])] },
      { name: 'c', conditions: [cond('severity', 'gte', [0])] },
    ]);
    expect(match(record())).toBe('b');
    expect(match(record({ event_status: 'SUPPRESSED' }))).toBe('c');
  });

  it('applies a filter only to its tenant (exact name) and log source', () => {
    const c = cond('event_status', 'equals', ['ACTIVE']);
    expect(compileFilters([one(c, { tenant: 'Acme' })])(record())).toBe('f');
    expect(compileFilters([one(c, { tenant: 'Other' })])(record())).toBeUndefined();
    expect(compileFilters([one(c, { tenant: 'acme' })])(record())).toBeUndefined();
    expect(compileFilters([one(c, { logSource: 'aws_inspector' })])(record())).toBe('f');
    expect(compileFilters([one(c, { logSource: 'aws_guardduty' })])(record())).toBeUndefined();
    expect(compileFilters([one(c, { tenant: 'Acme', logSource: 'aws_inspector' })])(record())).toBe('f');
    expect(compileFilters([one(c, { tenant: 'Acme', logSource: 'x' })])(record())).toBeUndefined();
  });

  it('no filters match nothing', () => {
    expect(compileFilters([])(record())).toBeUndefined();
  });
});

describe('compileFilters: validation at compile time', () => {
  const invalid = (filters: unknown[]): CodedError => {
    try {
      compileFilters(filters as LogFilter[]);
    } catch (e) {
      expect(e).toBeInstanceOf(CodedError);
      return e as CodedError;
    }
    throw new Error('expected compileFilters to throw');
  };

  const rows: [string, unknown, string, RegExp][] = [
    ['gt with text', cond('severity', 'gt', ['high']), 'logFilters[0].conditions[0].values', /number/],
    [
      'gt with two values',
      cond('severity', 'gt', [1, 2]),
      'logFilters[0].conditions[0].values',
      /exactly one/,
    ],
    ['lte with none', cond('severity', 'lte', []), 'logFilters[0].conditions[0].values', /exactly one/],
    [
      'exists with values',
      cond('severity', 'exists', ['x']),
      'logFilters[0].conditions[0].values',
      /no values/,
    ],
    [
      'equals with none',
      cond('severity', 'equals', []),
      'logFilters[0].conditions[0].values',
      /at least one/,
    ],
    ['in with none', cond('severity', 'in', []), 'logFilters[0].conditions[0].values', /at least one/],
    ['contains empty', cond('event_name', 'contains', ['']), 'logFilters[0].conditions[0].values', /empty/],
    [
      'bad operator',
      { field: 'severity', operator: 'like', values: ['x'] },
      'logFilters[0].conditions[0].operator',
      /equals/,
    ],
    ['bad field', cond('a..b', 'equals', ['x']), 'logFilters[0].conditions[0].field', /dotted path/],
  ];
  it.each(rows)('%s -> names %s', (_label, c, field, message) => {
    const e = invalid([{ name: 'f', conditions: [c] }]);
    expect(e.code).toBe('ERR_CONFIG_INVALID');
    expect(e.message).toContain(field);
    expect(e.message).toMatch(message);
  });

  it('names the right filter and condition index, and reports all problems at once', () => {
    const e = invalid([
      { name: 'good', conditions: [cond('event_status', 'exists')] },
      { name: 'bad', conditions: [cond('event_status', 'exists'), cond('severity', 'gte', ['x'])] },
      { name: 'good', conditions: [cond('severity', 'lt', [5, 6])] },
    ]);
    expect(e.message).toContain('logFilters[1].conditions[1].values');
    expect(e.message).toContain('logFilters[2].conditions[0].values');
    expect(e.message).toContain('logFilters[2].name: duplicate filter name "good"');
    expect(e.message).not.toContain('logFilters[0]');
  });

  it('rejects more than 10 conditions and missing names via the schema', () => {
    const many = Array.from({ length: 11 }, () => cond('severity', 'exists'));
    expect(logFilterIssues([{ name: 'x', conditions: many }])).toEqual([
      { field: 'logFilters[0].conditions', message: 'a log filter has at most 10 conditions' },
    ]);
    const issues = logFilterIssues([{ conditions: [cond('severity', 'exists')], extra: 1 }]);
    expect(issues.map((i) => i.field).sort()).toEqual(['logFilters[0]', 'logFilters[0].name']);
  });

  it('accepts a valid list with no issues', () => {
    expect(
      logFilterIssues([
        { name: 'a', conditions: [cond('severity', 'gte', ['7.5']), cond('x', 'not_exists')] },
        { name: 'b', tenant: 'Acme', conditions: [cond('cve', 'in', ['CVE-1', 2])] },
      ]),
    ).toEqual([]);
  });
});

describe('applyFilters / discard counts', () => {
  it('splits kept records from discarded ones and counts per filter name', () => {
    const match = compileFilters([
      { name: 'closed', conditions: [cond('event_status', 'equals', ['CLOSED'])] },
      { name: '__proto__', conditions: [cond('severity', 'lt', [10])] },
    ]);
    const records = [
      record({ _id: 'a', event_status: 'CLOSED' }),
      record({ _id: 'b' }),
      record({ _id: 'c', event_status: 'closed' }),
      record({ _id: 'd', severity: 1 }),
    ];
    const out = applyFilters(match, records);
    expect(out.kept.map((r) => r._id)).toEqual(['b']);
    expect(out.discarded).toBe(3);
    expect(JSON.parse(JSON.stringify(out.discardedByFilter))).toEqual({ closed: 2, ['__proto__']: 1 });

    const total = addDiscardCounts(newDiscardCounts(), out.discardedByFilter);
    addDiscardCounts(total, out.discardedByFilter);
    expect(total['closed']).toBe(4);
    expect(total['__proto__']).toBe(2);
  });
});
