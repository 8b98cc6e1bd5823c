/** The Syslog index: search, count, histogram over `syslog` + its full-text shards (fts-shards.ts). */
import type { Database, Statement } from 'better-sqlite3';
import { CodedError } from '../../core/errors.js';
import type { InterflowRecord } from '../../core/record.js';
import { parse, queryFields } from '../../search/parser.js';
import { compileQuery, type WildSplit } from './sql.js';
import { expandWildcard, type ShardRow } from './fts-terms.js';
import { ftsCountSql, ftsParams, ftsProbeSql, ftsRowidsSql, type FtsShard } from './fts-sql.js';
import { COLUMN_FIELDS, existsToken, fieldWordToken, words } from './terms.js';
import { fieldStats } from '../field-stats.js';
import { checkBudget, searchFunctions, type SearchBudget } from './functions.js';
import {
  SORT_FIELDS,
  type ExportPage,
  type HistogramResult,
  type SortCursor,
  type SearchFilter,
  type SearchOptions,
  type SortField,
  type SyslogIndex,
  type TimeField,
} from '../types.js';

const SORT_INDEX: Record<SortField, { index: string; order: (dir: string) => string }> = {
  timestamp: { index: 'syslog_timestamp', order: (d) => `s.timestamp ${d}, s.severity ${d}, s.rowid ${d}` },
  write_time: {
    index: 'syslog_write_time',
    order: (d) => `s.write_time ${d}, s.severity ${d}, s.rowid ${d}`,
  },
  severity: { index: 'syslog_severity', order: (d) => `s.severity ${d}, s.timestamp ${d}, s.rowid ${d}` },
};

/** The sort's key columns after the first (rowid ends every order): the keyset of an export page. */
const SORT_KEYS: Record<SortField, [SortField, SortField]> = {
  timestamp: ['timestamp', 'severity'],
  write_time: ['write_time', 'severity'],
  severity: ['severity', 'timestamp'],
};

/** Largest export page and field sample (bounds on the work one call may ask of a thread). */
export const MAX_EXPORT_PAGE = 10_000;
export const MAX_FIELD_SAMPLE = 1000;

/**
 * `row after cursor` in the order `col dir` (NULL sorts first ascending, last descending, as
 * SQLite orders it). Written out per case so that the leading column's bound can seek the index.
 */
function keysetAfter(
  cols: readonly string[],
  vals: readonly unknown[],
  dir: 'ASC' | 'DESC',
  nullableLead: boolean,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  // Strictly past `v` on `c`.
  const past = (c: string, v: unknown): string => {
    if (v === null) return dir === 'ASC' ? `${c} IS NOT NULL` : '0';
    params.push(v);
    return dir === 'ASC' ? `${c} > ?` : `(${c} < ? OR ${c} IS NULL)`;
  };
  const same = (c: string, v: unknown): string => {
    params.push(v);
    return `${c} IS ?`;
  };
  const build = (i: number): string => {
    const c = cols[i]!;
    const v = vals[i];
    if (i === cols.length - 1) return past(c, v);
    const a = past(c, v);
    const b = same(c, v);
    return `(${a} OR (${b} AND ${build(i + 1)}))`;
  };
  const body = build(0);
  // A seekable bound on the leading column (the OR above hides it from the planner).
  // (Descending, NULLs come last: no such bound on a column that may be NULL.)
  const lead = vals[0];
  if (lead === null || (nullableLead && dir === 'DESC')) return { sql: body, params };
  return {
    sql: `${cols[0]} ${dir === 'ASC' ? '>=' : '<='} ? AND ${body}`,
    params: [lead, ...params],
  };
}

function checkCursor(v: unknown): SortCursor | undefined {
  if (v === undefined) return undefined;
  const ok =
    Array.isArray(v) &&
    v.length === 3 &&
    v.slice(0, 2).every((x) => x === null || (typeof x === 'number' && Number.isFinite(x))) &&
    Number.isSafeInteger(v[2]);
  if (!ok) throw invalid('after must be [number|null, number|null, rowid]');
  return v as SortCursor;
}

function checkBound(name: string, v: unknown, max: number): number {
  if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > max)
    throw invalid(`${name} must be an integer from 1 to ${max}`);
  return v as number;
}

/** Each connection's one budget: its check functions obey it, its indexes set it around each search. */
const budgets = new WeakMap<Database, SearchBudget>();

/**
 * Register the check functions used by compiled queries (see functions.ts) on a
 * connection, with the connection's budget, which syslogIndex sets around each search.
 * Registering twice keeps the first set (and budget).
 */
export function registerSearchFunctions(db: Database): SearchBudget {
  const known = budgets.get(db);
  if (known) return known;
  const budget: SearchBudget = { deadline: Infinity, timeoutMs: 0 };
  budgets.set(db, budget);
  const f = searchFunctions(budget);
  const opts = { deterministic: true, varargs: false } as const;
  db.function('ic_phrase', opts, (d, p, w) => f.ic_phrase(d as string, p as string | null, w as string));
  db.function('ic_words', opts, (d, p, w) => f.ic_words(d as string, p as string, w as string));
  db.function('ic_wild', opts, (d, p, r) => f.ic_wild(d as string, p as string | null, r as string));
  db.function('ic_wild_value', opts, (t, r) => f.ic_wild_value(t as string | null, r as string));
  db.function('ic_range', opts, (d, p, lo, hi, fl) =>
    f.ic_range(d as string, p as string, lo as string | null, hi as string | null, fl as number),
  );
  db.function('ic_value_eq', opts, (d, p, v) => f.ic_value_eq(d as string, p as string | null, v as string));
  db.function('ic_tick', { deterministic: false, varargs: false }, () => f.ic_tick());
  return budget;
}

const invalid = (msg: string) => new CodedError('ERR_QUERY_INVALID', msg);

function checkTime(name: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`${name} must be epoch milliseconds`);
  return Math.trunc(v);
}

function checkTimeField(v: unknown): TimeField {
  if (v === undefined) return 'timestamp';
  if (v === 'timestamp' || v === 'write_time') return v;
  throw invalid(`timeField must be one of: timestamp, write_time (got "${String(v)}")`);
}

export function parseSort(sort: string | undefined): { field: SortField; dir: 'ASC' | 'DESC' } {
  if (sort === undefined || sort === '') return { field: 'timestamp', dir: 'DESC' };
  const [field, dir = 'desc', extra] = sort.split(':');
  if (
    extra !== undefined ||
    !(SORT_FIELDS as readonly string[]).includes(field ?? '') ||
    !['asc', 'desc'].includes(dir)
  ) {
    throw invalid(
      `sort must be FIELD:asc or FIELD:desc with FIELD one of: ${SORT_FIELDS.join(', ')} (got "${sort}")`,
    );
  }
  return { field: field as SortField, dir: dir === 'asc' ? 'ASC' : 'DESC' };
}

/** Fewer matching records than this: "All time" always spans them all (see robustSpan). */
const ROBUST_MIN = 20;

/** "Nice" histogram intervals, ms. */
const NICE = [
  1,
  10,
  100,
  1000,
  5000,
  10_000,
  30_000,
  60_000,
  5 * 60_000,
  10 * 60_000,
  30 * 60_000,
  3_600_000,
  3 * 3_600_000,
  6 * 3_600_000,
  12 * 3_600_000,
  86_400_000,
  7 * 86_400_000,
  30 * 86_400_000,
  365 * 86_400_000,
];

export interface IndexTuning {
  /** Probe FTS per row when the index walk is this many times shorter than the match count. */
  probeRatio?: number;
}

function checkTimeout(v: unknown): number {
  if (v === undefined || v === 0) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw invalid('timeoutMs must be an integer >= 0 (0 = no limit)');
  return v;
}

/** The index over a connection, its check functions registered if they were not (its budget is the connection's). */
export function syslogIndex(db: Database, tuning: IndexTuning = {}): SyslogIndex {
  const budget = registerSearchFunctions(db);
  const probeRatio = tuning.probeRatio ?? 2000;
  const cache = new Map<string, Statement>();
  const stmt = (sql: string): Statement => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      if (cache.size >= 256) cache.delete(cache.keys().next().value!);
      cache.set(sql, s);
    }
    return s;
  };

  interface Built {
    where: string;
    params: unknown[];
    /** The full-text shards' tables, oldest first (one placeholder each per FTS clause). */
    tables: string[];
    /** Set when the whole query is one FTS expression (then counting can use the FTS tables). */
    ftsOnly?: string;
    probeWhere?: string;
    /** Parameters of probeWhere: the query's own MATCH (without the folded tenant, whose long
     * doclist would make every probe slow; the tenantid check comes from the index). */
    probeParams?: unknown[];
    hasOtherFilters: boolean;
    /** The FTS expression alone gives the count (no time filter; tenant folded in). */
    ftsCountable: boolean;
    timed: boolean;
    timeField: TimeField;
    /** The query restricts rows (beyond time and tenant). */
    hasQuery: boolean;
    /** The query is one expanded leading wildcard (sql.ts WildSplit), its sealed shards' tables. */
    split?: WildSplit & { tables: string[] };
  }

  /**
   * The tenants of a scope as an FTS5 MATCH expression, or undefined (no scope, an empty one,
   * or an id without words). Tenant ids are 'root' or UUIDs: all the words of one id in the
   * record's tenantid field identify it.
   */
  function tenantMatch(tenantIds: readonly string[] | undefined): string | undefined {
    if (!Array.isArray(tenantIds) || tenantIds.length === 0) return undefined;
    const alts = tenantIds.map((id) =>
      words(String(id))
        .map((w) => `"${fieldWordToken('tenantid', w)}"`)
        .join(' AND '),
    );
    return alts.every((a) => a !== '') ? `(${alts.map((a) => `(${a})`).join(' OR ')})` : undefined;
  }

  function build(filter: SearchFilter): Built {
    const timeField = checkTimeField(filter.timeField);
    const from = checkTime('from', filter.from);
    const to = checkTime('to', filter.to);
    if (from !== undefined && to !== undefined && from > to) {
      // In human time: the epoch ms alone mean nothing to the person who picked the range.
      const iso = (ms: number) => new Date(ms).toISOString();
      throw invalid(`from (${iso(from)}) must not be after to (${iso(to)}): swap them`);
    }
    const ast = parse(filter.q ?? '');
    // Read per query (a handful of rows): another process may be indexing into this store.
    const textPaths = new Set(stmt('SELECT path FROM text_paths').pluck().all() as string[]);
    const shards = stmt(
      `SELECT id, name, first_rowid AS firstRowid, terms_listed AS termsListed
       FROM fts_shards ORDER BY first_rowid`,
    ).all() as (FtsShard & ShardRow)[];
    const tables = shards.map((sh) => sh.name);
    const compiled = compileQuery(ast, {
      textPaths,
      ftsTables: tables,
      expandWild: (field, glob, text) => expandWildcard(db, shards, field, glob, text),
    });
    // The clauses besides the query's own FTS expression (which goes first, built at the end).
    const clauses: string[] = [];
    const params: unknown[] = [];
    let ftsOnly: string | undefined;
    const hasQuery = !('sql' in compiled && compiled.sql === '1');
    if ('fts' in compiled) {
      ftsOnly = compiled.fts;
    } else if (compiled.sql !== '1') {
      clauses.push(`(${compiled.sql})`);
      params.push(...compiled.params);
    }
    let other = false;
    let tenantFolded = false;
    const tenantFts = ftsOnly !== undefined ? tenantMatch(filter.tenantIds) : undefined;
    if (ftsOnly !== undefined && tenantFts !== undefined) {
      // Folded into the MATCH, a scoped query is answered (and counted) by the FTS index
      // alone; the exact tenantid check below stays for the rows returned.
      ftsOnly = `(${ftsOnly}) AND ${tenantFts}`;
      tenantFolded = true;
    }
    const timed = from !== undefined || to !== undefined;
    if (from !== undefined) {
      clauses.push(`s.${timeField} >= ?`);
      params.push(from);
      other = true;
    }
    if (to !== undefined) {
      clauses.push(`s.${timeField} <= ?`);
      params.push(to);
      other = true;
    }
    if (filter.tenantIds !== undefined) {
      if (!Array.isArray(filter.tenantIds)) throw invalid('tenantIds must be an array');
      if (filter.tenantIds.length === 1) {
        clauses.push('s.tenantid = ?');
        params.push(String(filter.tenantIds[0]));
      } else {
        clauses.push('s.tenantid IN (SELECT value FROM json_each(?))');
        params.push(JSON.stringify(filter.tenantIds));
      }
      other = true;
    }
    const where = ftsOnly !== undefined ? [`s.rowid IN (${ftsRowidsSql(tables)})`, ...clauses] : clauses;
    return {
      tables,
      where: where.length ? where.join(' AND ') : '1',
      params: ftsOnly !== undefined ? [...ftsParams(tables, ftsOnly), ...params] : params,
      ...(ftsOnly !== undefined
        ? {
            ftsOnly,
            // The same filter with the FTS part probed per row (for short index walks, see selectSql).
            probeWhere: [ftsProbeSql(shards), ...clauses].join(' AND '),
            probeParams: [...ftsParams(tables, (compiled as { fts: string }).fts), ...params],
          }
        : {}),
      hasOtherFilters: other,
      ftsCountable: ftsOnly !== undefined && !timed && (filter.tenantIds === undefined || tenantFolded),
      timed,
      timeField,
      hasQuery,
      ...('split' in compiled && compiled.split
        ? {
            split: {
              ...compiled.split,
              tables: shards.filter((sh) => sh.firstRowid < compiled.split!.openFrom).map((sh) => sh.name),
            },
          }
        : {}),
    };
  }

  function page(opts: SearchOptions): { limit: number; offset: number } {
    const limit = opts.limit ?? 100;
    const offset = opts.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 0) throw invalid('limit must be an integer >= 0 (0 = all)');
    if (!Number.isInteger(offset) || offset < 0) throw invalid('offset must be an integer >= 0');
    return { limit, offset };
  }

  /**
   * Two plans for a page: walk the sort field's index and keep the rows in the match set
   * (cheap when matches are common: few index steps per hit), or fetch every match and sort
   * (cheap when matches are rare). The count, which we need anyway, picks one.
   */
  function selectSql(
    opts: SearchOptions,
    b: Built,
    total: number,
    /** An export page: after this cursor (absent: the first page); the rows' keys are selected too. */
    keyed?: { after?: SortCursor },
  ): { sql: string; params: unknown[] } {
    const { field, dir } = parseSort(opts.sort);
    const { limit, offset } = page(opts);
    const { index, order } = SORT_INDEX[field];
    let hint = '';
    let where = b.where;
    let params = b.params;
    const keys = [...SORT_KEYS[field], 'rowid'].map((c) => `s.${c}`);
    const after = keyed?.after;
    const keyset = after ? keysetAfter(keys, after, dir, field === 'severity') : undefined;
    const cols = keyed ? `${keys.join(', ')}, s.doc` : 's.doc';
    // Any filter (query, tenant, a time range on another field) can leave most rows matching.
    if (b.where !== '1' && total > 0) {
      const rows = (stmt('SELECT max(rowid) FROM syslog').pluck().get() as number | null) ?? 0;
      const want = limit === 0 ? total : Math.min(total, offset + limit);
      const expectedSteps = (want * rows) / total;
      if (limit === 0 ? total > 10_000 : total > 1000 && expectedSteps <= 200_000) {
        hint = ` INDEXED BY ${index}`;
        // A short walk may probe the FTS index per row instead of first collecting every
        // match. Measured at 1M: a probe ~0.5 ms, collecting ~0.15-0.4 us per match; probe
        // only when the walk is 2,000x shorter than the match count.
        if (b.probeWhere !== undefined && limit !== 0 && expectedSteps * probeRatio <= total) {
          where = b.probeWhere;
          params = b.probeParams ?? b.params;
        }
      }
    }
    if (keyset) {
      where = `${where} AND ${keyset.sql}`;
      params = [...params, ...keyset.params];
    }
    return {
      sql: `SELECT ${cols} FROM syslog s${hint} WHERE ${where} ORDER BY ${order(dir)} LIMIT ? OFFSET ?`,
      params: [...params, limit === 0 ? -1 : limit, offset],
    };
  }

  /**
   * Fields the query names that no record of the caller's tenants has (no existence token in
   * any shard, with the tenant folded in as the scoped search does): a field only another
   * tenant's records have is unknown here too, and says nothing about their records.
   */
  function unknownFields(
    q: string | undefined,
    tables: readonly string[],
    tenantIds: readonly string[] | undefined,
  ): string[] {
    const fields = queryFields(parse(q ?? '')).filter((f) => !COLUMN_FIELDS.has(f));
    if (fields.length === 0) return [];
    // An empty scope has no records: every field is unknown to it.
    if (tables.length === 0 || (Array.isArray(tenantIds) && tenantIds.length === 0)) return fields;
    const scope = tenantMatch(tenantIds);
    const probe = stmt(`SELECT EXISTS (${ftsRowidsSql(tables)})`).pluck();
    return fields.filter((f) => {
      const token = `"${existsToken(f)}"`;
      return probe.get(...ftsParams(tables, scope ? `${token} AND ${scope}` : token)) === 0;
    });
  }

  /**
   * The robust "All time" of a histogram. The core: the matching records without the earliest
   * and the latest k (1% of them, at least 5, at most 5%); the range: the records within one
   * core width (at least a minute) of it, so the core's own tails stay in. Used when that range
   * is under a quarter of the whole span (lo..hi): a few records years away from the rest would
   * otherwise squash them into one bar. Undefined: keep the whole span (fewer than ROBUST_MIN
   * records, or no such outliers). Cost: a count, two walks of 1% of the matches on the time
   * index, two index lookups.
   */
  function robustSpan(
    b: Built,
    tf: TimeField,
    lo: number,
    hi: number,
  ): { from: number; to: number } | undefined {
    const n = count(b);
    if (n < ROBUST_MIN) return undefined;
    const k = Math.min(Math.floor(n * 0.05), Math.max(5, Math.floor(n * 0.01)));
    const at = (dir: 'ASC' | 'DESC') =>
      stmt(
        `SELECT s.${tf} FROM syslog s INDEXED BY syslog_${tf} WHERE ${b.where} ORDER BY s.${tf} ${dir} LIMIT 1 OFFSET ?`,
      )
        .pluck()
        .get(...b.params, k) as number | undefined;
    const qlo = at('ASC');
    const qhi = at('DESC');
    if (qlo === undefined || qhi === undefined || qhi < qlo) return undefined;
    const margin = Math.max(qhi - qlo, 60_000);
    const from = stmt(`SELECT min(s.${tf}) FROM syslog s WHERE ${b.where} AND s.${tf} >= ?`)
      .pluck()
      .get(...b.params, qlo - margin) as number | null;
    const to = stmt(`SELECT max(s.${tf}) FROM syslog s WHERE ${b.where} AND s.${tf} <= ?`)
      .pluck()
      .get(...b.params, qhi + margin) as number | null;
    if (from === null || to === null) return undefined;
    return (to - from) * 4 < hi - lo ? { from, to } : undefined;
  }

  function count(b: Built): number {
    if (b.ftsOnly !== undefined && b.ftsCountable) {
      return (stmt(ftsCountSql(b.tables)).get(...ftsParams(b.tables, b.ftsOnly)) as { n: number }).n;
    }
    if (b.split && !b.hasOtherFilters) {
      // Disjoint parts: the sealed shards' FTS count, plus the open shard's rows checked.
      const { fts, open, tables } = b.split;
      const sealed = tables.length
        ? (stmt(ftsCountSql(tables)).get(...ftsParams(tables, fts)) as { n: number }).n
        : 0;
      const rest = stmt(`SELECT count(*) AS n FROM syslog s WHERE ${open.sql}`).get(...open.params) as {
        n: number;
      };
      return sealed + rest.n;
    }
    // With a time range, walk the covering time index (it holds severity and tenantid too):
    // never one record read per match.
    const hint = b.timed ? ` INDEXED BY syslog_${b.timeField}` : '';
    return (
      stmt(`SELECT count(*) AS n FROM syslog s${hint} WHERE ${b.where}`).get(...b.params) as { n: number }
    ).n;
  }

  /**
   * Runs one search step under a budget of `ms` (0 = none) ending at `deadline` (a stream's
   * steps keep its first one).
   */
  const run = <T>(fn: () => T, ms: number, deadline = Date.now() + ms): T => {
    const prev = { deadline: budget.deadline, timeoutMs: budget.timeoutMs };
    if (ms > 0) {
      budget.deadline = deadline;
      budget.timeoutMs = ms;
    }
    try {
      const out = fn();
      if (ms > 0) checkBudget(budget);
      return out;
    } catch (e) {
      if (e instanceof CodedError) throw e;
      // FTS5 syntax errors cannot come from user text (every token is quoted); anything else is ours.
      throw new CodedError('ERR_STORE', `search failed: ${(e as Error).message}`, { cause: e });
    } finally {
      budget.deadline = prev.deadline;
      budget.timeoutMs = prev.timeoutMs;
    }
  };

  return {
    search(opts) {
      return run(() => {
        const b = build(opts);
        const total = count(b);
        const unknown = unknownFields(opts.q, b.tables, opts.tenantIds);
        const warn = unknown.length ? { unknownFields: unknown } : {};
        if (total === 0) return { total, records: [], ...warn };
        const { sql, params } = selectSql(opts, b, total);
        const rows = stmt(sql)
          .pluck()
          .all(...params) as string[];
        return { total, records: rows.map((d) => JSON.parse(d) as InterflowRecord), ...warn };
      }, checkTimeout(opts.timeoutMs));
    },
    exportPage(opts) {
      return run((): ExportPage => {
        const limit = checkBound('limit', opts.limit, MAX_EXPORT_PAGE);
        const after = checkCursor(opts.after);
        const b = build(opts);
        const total =
          opts.total !== undefined && Number.isSafeInteger(opts.total) && opts.total >= 0
            ? opts.total
            : count(b);
        if (total === 0) return { docs: [], next: null, total };
        const { sql, params } = selectSql({ ...opts, limit, offset: 0 }, b, total, { after });
        const rows = stmt(sql)
          .raw()
          .all(...params) as [unknown, unknown, number, string][];
        const last = rows[rows.length - 1];
        return {
          docs: rows.map((r) => r[3]),
          next: rows.length === limit && last ? [last[0], last[1], last[2]] : null,
          total,
        };
      }, checkTimeout(opts.timeoutMs));
    },
    fieldStats(opts) {
      return run(() => {
        const sample = checkBound('sample', opts.sample, MAX_FIELD_SAMPLE);
        const top = checkBound('top', opts.top, 20);
        const b = build(opts);
        const total = count(b);
        if (total === 0) return { total, sampled: 0, fields: [] };
        const { sql, params } = selectSql({ ...opts, limit: sample, offset: 0 }, b, total);
        const docs = stmt(sql)
          .pluck()
          .all(...params) as string[];
        return {
          total,
          ...fieldStats(
            docs.map((d) => JSON.parse(d) as unknown),
            top,
          ),
        };
      }, checkTimeout(opts.timeoutMs));
    },
    count: (filter) => run(() => count(build(filter)), checkTimeout(filter.timeoutMs)),
    stream(opts) {
      const ms = checkTimeout(opts.timeoutMs);
      const deadline = Date.now() + ms;
      const it = run(
        () => {
          const b = build(opts);
          const { sql, params } = selectSql(opts, b, b.hasQuery ? count(b) : 0);
          return stmt(sql)
            .pluck()
            .iterate(...params) as IterableIterator<string>;
        },
        ms,
        deadline,
      );
      if (ms === 0) return it;
      // Each row is fetched under the same deadline (the check functions run inside next()).
      const step = () => it.next();
      const stream: IterableIterator<string> = {
        next: () => {
          try {
            return run(step, ms, deadline);
          } catch (e) {
            it.return?.();
            throw e;
          }
        },
        return: (v?: unknown) => it.return?.(v) ?? { done: true, value: undefined },
        [Symbol.iterator]: () => stream,
      };
      return stream;
    },
    histogram(opts) {
      return run(() => {
        const buckets = opts.buckets ?? 60;
        if (!Number.isInteger(buckets) || buckets < 1 || buckets > 1000) {
          throw invalid('buckets must be an integer from 1 to 1000');
        }
        const tf = checkTimeField(opts.timeField);
        const b = build(opts);
        let from = checkTime('from', opts.from);
        let to = checkTime('to', opts.to);
        let span: HistogramResult['span'];
        if (from === undefined || to === undefined) {
          // Two statements: SQLite answers a lone min() or max() from the index in one step.
          const lo = stmt(`SELECT min(s.${tf}) FROM syslog s WHERE ${b.where}`)
            .pluck()
            .get(...b.params) as number | null;
          const hi = stmt(`SELECT max(s.${tf}) FROM syslog s WHERE ${b.where}`)
            .pluck()
            .get(...b.params) as number | null;
          if (lo === null || hi === null) return { interval: NICE[3]!, buckets: [] };
          if (opts.robust && from === undefined && to === undefined) {
            const trimmed = robustSpan(b, tf, lo, hi);
            if (trimmed) {
              span = { min: lo, max: hi, before: 0, after: 0 };
              from = trimmed.from;
              to = trimmed.to;
            }
          }
          from ??= lo;
          to ??= hi;
        }
        const width = Math.max(1, to - from + 1);
        const interval = NICE.find((n) => width / n <= buckets) ?? Math.ceil(width / buckets);
        const start = Math.floor(from / interval) * interval;
        const out: HistogramResult['buckets'] = [];
        if (!b.hasQuery) {
          // No query: one index range count per bucket; ~10x faster than GROUP BY, which
          // needs a temp b-tree over every row.
          const c = stmt(
            `SELECT count(*) FROM syslog s WHERE ${b.where} AND s.${tf} >= ? AND s.${tf} < ?`,
          ).pluck();
          for (let t = start; t <= to; t += interval) {
            out.push({ start: t, count: c.get(...b.params, t, t + interval) as number });
            checkBudget(budget);
          }
          if (span) {
            const endAt = out[out.length - 1]!.start + interval;
            span.before = c.get(...b.params, span.min, start) as number;
            span.after = c.get(...b.params, endAt, span.max + 1) as number;
          }
          return { interval, buckets: out, ...(span ? { span } : {}) };
        }
        const rows = stmt(
          `SELECT (s.${tf} - CAST(? AS INTEGER)) / CAST(? AS INTEGER) AS b, count(*) AS n FROM syslog s INDEXED BY syslog_${tf} WHERE ${b.where} GROUP BY b ORDER BY b`,
        ).all(start, interval, ...b.params) as { b: number; n: number }[];
        const counts = new Map(rows.map((r) => [r.b, r.n]));
        let k = 0;
        for (let t = start; t <= to; t += interval, k++) out.push({ start: t, count: counts.get(k) ?? 0 });
        if (span) {
          // SQLite's integer division truncates toward zero: a row before `start` may land in
          // bucket 0 of the division; count by time instead.
          const endAt = start + k * interval;
          const outside = stmt(
            `SELECT coalesce(sum(s.${tf} < ?), 0) AS before, coalesce(sum(s.${tf} >= ?), 0) AS after FROM syslog s INDEXED BY syslog_${tf} WHERE ${b.where} AND (s.${tf} < ? OR s.${tf} >= ?)`,
          ).get(start, endAt, ...b.params, start, endAt) as { before: number; after: number };
          span.before = outside.before;
          span.after = outside.after;
          // Bucket 0 of the division also took the rows just before `start` (see above).
          if (out[0] && span.before > 0) {
            out[0].count = stmt(
              `SELECT count(*) FROM syslog s INDEXED BY syslog_${tf} WHERE ${b.where} AND s.${tf} >= ? AND s.${tf} < ?`,
            )
              .pluck()
              .get(...b.params, start, start + interval) as number;
          }
        }
        return { interval, buckets: out, ...(span ? { span } : {}) };
      }, checkTimeout(opts.timeoutMs));
    },
    recent(limit) {
      if (!Number.isInteger(limit) || limit < 1) throw invalid('limit must be a positive integer');
      const rows = stmt('SELECT doc FROM syslog ORDER BY rowid DESC LIMIT ?').pluck().all(limit) as string[];
      return rows.map((d) => JSON.parse(d) as InterflowRecord);
    },
    get(id) {
      const d = stmt('SELECT doc FROM syslog WHERE id = ?').pluck().get(id) as string | undefined;
      return d === undefined ? undefined : (JSON.parse(d) as InterflowRecord);
    },
    has: (id, tenantId) =>
      stmt('SELECT 1 FROM syslog WHERE id = ? AND tenantid = ?').pluck().get(id, tenantId) !== undefined,
    size: () => stmt('SELECT count(*) FROM syslog').pluck().get() as number,
  };
}
