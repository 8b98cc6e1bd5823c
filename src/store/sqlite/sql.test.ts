// The SQLite compilation of the query language (sql.ts, fts-sql.ts): what the SQL looks like.
import { describe, expect, it } from 'vitest';
import { parse, type Node } from '../../search/parser.js';
import { ftsParams, ftsRowidsSql } from './fts-sql.js';
import { compileQuery } from './sql.js';

/** The WHERE clause (over `syslog s`) of a query on one FTS table, as the index builds it. */
function toSql(ast: Node): { where: string; params: unknown[] } {
  const tables = ['syslog_fts'];
  const f = compileQuery(ast, { ftsTables: tables });
  return 'fts' in f
    ? { where: `s.rowid IN (${ftsRowidsSql(tables)})`, params: ftsParams(tables, f.fts) }
    : { where: f.sql, params: f.params };
}

describe('compileQuery (SQLite)', () => {
  it('never puts user text into the SQL, only into parameters', () => {
    const evil = `x'; DROP TABLE syslog; --`;
    for (const q of [evil, `f:"${evil}"`, `f:${evil}*`, `f:["${evil}" TO z]`, `"${evil}"`]) {
      const { where, params } = toSql(parse(q));
      expect(where.toLowerCase()).not.toContain('drop');
      expect(where).not.toContain("'");
      expect(JSON.stringify(params).toLowerCase()).toContain('drop');
    }
  });

  it('merges pure full-text conditions into one MATCH', () => {
    const { where, params } = toSql(parse('a AND b OR c NOT d'));
    expect(where.match(/MATCH/g)).toHaveLength(1);
    expect(params).toHaveLength(1);
  });

  it('uses the indexed columns for severity and time ranges', () => {
    expect(toSql(parse('severity:[50 TO 100}'))).toEqual({
      where: 's.severity >= ? AND s.severity < ?',
      params: [50, 100],
    });
    expect(toSql(parse('timestamp:>=2024-01-01T00:00:00Z'))).toEqual({
      where: 's.timestamp >= ?',
      params: [Date.UTC(2024, 0, 1)],
    });
  });

  it('rejects a non-numeric bound on a numeric column, naming it', () => {
    expect(() => toSql(parse('severity:[high TO 100]'))).toThrow(/severity bound "high" is not a number/);
    expect(() => toSql(parse('timestamp:>yesterday'))).toThrow(/timestamp bound "yesterday" is not a time/);
  });
});
