/** Field-name completion (web/src/completion.ts). */
import { describe, expect, it } from 'vitest';
import { completeQueryField, completeWholeField, matchFields } from '../../web/src/completion.js';

const FIELDS = [
  '_id',
  'aws_inspector.severity',
  'aws_inspector.status',
  'event_name',
  'event_status',
  'msg_origin.processor.name',
  'severity',
  'timestamp',
];

/** The completion at the `|` of `q`. */
const at = (q: string) => completeQueryField(q.replace('|', ''), q.indexOf('|'), FIELDS);

describe('matchFields', () => {
  it('prefix matches first, then a dotted or underscored part, then anywhere; case-insensitive', () => {
    expect(matchFields(FIELDS, 'sev')).toEqual(['severity', 'aws_inspector.severity']);
    expect(matchFields(FIELDS, 'STAT')).toEqual(['aws_inspector.status', 'event_status']);
    expect(matchFields(FIELDS, 'proc')).toEqual(['msg_origin.processor.name']);
    expect(matchFields(FIELDS, 'ame')).toEqual(['event_name', 'msg_origin.processor.name']);
  });
  it('nothing for nothing typed, or when the one fit is what was typed', () => {
    expect(matchFields(FIELDS, '')).toEqual([]);
    expect(matchFields(FIELDS, 'timestamp')).toEqual([]);
    expect(matchFields(FIELDS, 'zzz')).toEqual([]);
  });
  it('at most `limit` suggestions', () => {
    const many = Array.from({ length: 30 }, (_, i) => `f${i}`);
    expect(matchFields(many, 'f')).toHaveLength(8);
    expect(matchFields(many, 'f', 3)).toHaveLength(3);
  });
});

describe('completeQueryField', () => {
  it('completes the word the cursor ends and adds the colon', () => {
    const c = at('aws_inspector.st|');
    expect(c.items).toEqual(['aws_inspector.status']);
    expect(c.apply('aws_inspector.status')).toEqual({ value: 'aws_inspector.status:', cursor: 21 });
  });
  it('after operators and parentheses; a leading - or ! is the NOT operator, kept', () => {
    expect(at('severity:>=70 AND (event|').items).toEqual(['event_name', 'event_status']);
    // Those starting with it first, then those containing it.
    expect(at('(ev|').items).toEqual(['event_name', 'event_status', 'aws_inspector.severity', 'severity']);
    const neg = at('-sev|');
    expect(neg.items).toEqual(['severity', 'aws_inspector.severity']);
    expect(neg.apply('severity').value).toBe('-severity:');
    expect(at('!sev|').apply('severity').value).toBe('!severity:');
  });
  it('in the middle of a query: the rest of the word is replaced; an existing colon is kept', () => {
    const mid = at('a AND sev|rity:70 OR b');
    expect(mid.items).toEqual(['severity', 'aws_inspector.severity']);
    expect(mid.apply('aws_inspector.severity')).toEqual({
      value: 'a AND aws_inspector.severity:70 OR b',
      cursor: 'a AND aws_inspector.severity:'.length,
    });
    expect(at('ev| b').apply('event_name')).toEqual({ value: 'event_name: b', cursor: 11 });
  });
  it('no completion in a value, a phrase, for a keyword, an escaped word or nothing typed', () => {
    for (const q of ['severity:7|', 'event_name:"sev|', '"open s|', 'a AND|', 'NOT|', 'a\\:b|', '|', 'a |']) {
      expect(at(q).items, q).toEqual([]);
    }
    // After a closed phrase, completion is back.
    expect(at('"x y" sev|').items).toEqual(['severity', 'aws_inspector.severity']);
  });
});

describe('completeWholeField', () => {
  it('the whole input is the field', () => {
    const c = completeWholeField('aws_inspector.st', FIELDS);
    expect(c.items).toEqual(['aws_inspector.status']);
    expect(c.apply('aws_inspector.status')).toEqual({ value: 'aws_inspector.status', cursor: 20 });
  });
});
