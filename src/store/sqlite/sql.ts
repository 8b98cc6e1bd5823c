/**
 * AST -> SQL over the Syslog index (table `syslog` aliased `s`, FTS5 tables `syslog_fts...`:
 * one per shard, see fts-shards.ts; an FTS expression is asked of each: fts-sql.ts).
 * Only placeholders carry user input; the SQL text is built from fixed fragments.
 *
 * Each leaf becomes either a pure FTS5 expression (exact, no verification needed) or a SQL
 * predicate. Adjacent pure FTS children of AND/OR are merged into one MATCH, so a typical
 * query is a single FTS lookup. Leaves the FTS index can only narrow (phrases, wildcards,
 * ranges on non-column fields) add a check by a SQL function over the record's JSON
 * (see functions.ts), evaluated only on the FTS candidates.
 *
 * A field that has held text values (more than TEXT_WORDS words, see terms.ts) has no field
 * tokens for those values: `field:word` then also matches "word anywhere + the field's text
 * marker", verified on the record by ic_words. Callers pass the set of such fields.
 */
import type { Node } from '../../search/parser.js';
import { queryError } from '../../search/parser.js';
import { MAX_TOKEN_INT, existsToken, fieldWordToken, textToken, words } from './terms.js';
import { ftsParams, ftsRowidsSql } from './fts-sql.js';
import { compileGlob, globLiterals } from '../../search/glob.js';
import { parseTime } from '../../core/time.js';

/**
 * `ic_wild` on the record, asked only of records whose JSON text holds the pattern's ASCII
 * letter/digit runs in order: a value or word that matches holds them so, JSON.stringify writes
 * them as they are, and SQLite's LIKE (ASCII case-insensitive, native) rules most records out
 * for a fraction of the cost of handing each to JavaScript and parsing it.
 */
function wildCheck(field: string | null, glob: string): Frag {
  const runs = globLiterals(compileGlob(glob)).filter((r) => /^[a-z0-9]+$/.test(r));
  if (runs.length === 0) return { sql: 'ic_wild(s.doc, ?, ?)', params: [field, glob] };
  return {
    // ic_tick (no argument: nothing converted) keeps the time budget checked on rows LIKE rules out.
    sql: 'CASE WHEN s.doc LIKE ? THEN ic_wild(s.doc, ?, ?) ELSE ic_tick() END',
    params: [`%${runs.join('%')}%`, field, glob],
  };
}

/** Record fields that are real, indexed columns of `syslog`. */
export const NUMERIC_COLUMNS: Record<string, string> = {
  timestamp: 'timestamp',
  write_time: 'write_time',
  severity: 'severity',
};
export const TIME_FIELDS = new Set(['timestamp', 'write_time']);

export interface CompileOptions {
  /** Fields (dotted paths) that have held text values in the index being searched. */
  textPaths?: ReadonlySet<string>;
  /** The FTS5 tables (shards) to search, oldest first. */
  ftsTables: readonly string[];
  /**
   * Expands a leading wildcard (no literal prefix) against the term dictionary of the sealed
   * shards (fts-terms.ts); undefined: not expandable, or too many terms.
   */
  expandWild?: (field: string | null, glob: string, textPath: boolean) => WildExpansion | undefined;
}

/** A leading wildcard rewritten into index terms (Lucene's MultiTermQuery rewrite). */
export interface WildExpansion {
  /** FTS tokens (free words, or the field's tokens) that match: exact. */
  tokens: string[];
  /** Free words that match, for a field that has held text: candidates beside its text marker. */
  textWords: string[];
  /** The first rowid whose shard is not in the dictionary: those records are checked. */
  openFrom: number;
}

type Frag = { fts: string } | { sql: string; params: unknown[]; split?: WildSplit };

/**
 * An expanded leading wildcard as two disjoint parts: the sealed shards' rows matching `fts`
 * (rowids below `openFrom`), and the rows `open` selects (rowids from `openFrom` on).
 */
export interface WildSplit {
  fts: string;
  openFrom: number;
  open: { sql: string; params: unknown[] };
}

const quote = (token: string) => `"${token.replace(/"/g, '""')}"`;
const toSqlFrag = (f: Frag, o: CompileOptions): { sql: string; params: unknown[] } => {
  if (!('fts' in f)) return f;
  const tables = o.ftsTables;
  return { sql: `s.rowid IN (${ftsRowidsSql(tables)})`, params: ftsParams(tables, f.fts) };
};
const NOTHING: Frag = { sql: '0', params: [] };
const EVERYTHING: Frag = { sql: '1', params: [] };
/** A clause without any word (e.g. "-" or "/"): dropped from AND/OR/NOT, as an analyzer drops it. */
const IGNORED: Frag = { sql: '1', params: [] };

function numericBound(field: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (TIME_FIELDS.has(field)) {
    const t = parseTime(v);
    if (t === undefined) {
      throw queryError(
        0,
        `${field} bound "${v}" is not a time: use epoch milliseconds or ISO-8601 (2024-01-31T12:00:00Z)`,
      );
    }
    return t;
  }
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw queryError(0, `${field} bound "${v}" is not a number`);
  return n;
}

/** `field:w1 w2 ...` (all words in the field), including its text values when it has any. */
function fieldWords(field: string, ws: readonly string[], o: CompileOptions): Frag {
  const tokens: Frag = { fts: ws.map((w) => quote(fieldWordToken(field, w))).join(' AND ') };
  if (!o.textPaths?.has(field)) return tokens;
  return or(
    [
      tokens,
      and(
        [
          { fts: [...ws.map(quote), quote(textToken(field))].join(' AND ') },
          { sql: 'ic_words(s.doc, ?, ?)', params: [field, JSON.stringify(ws)] },
        ],
        o,
      ),
    ],
    o,
  );
}

/** An integer literal beyond MAX_TOKEN_INT (epoch milliseconds). */
function isLongInteger(value: string): boolean {
  const v = value.trim();
  return /^-?\d+$/.test(v) && Math.abs(Number(v)) > MAX_TOKEN_INT;
}

function term(field: string | undefined, value: string, phrase: boolean, o: CompileOptions): Frag {
  if (field === '_id') return { sql: 's.id = ?', params: [value] };
  if (field && field in NUMERIC_COLUMNS) {
    const n = numericBound(field, value)!;
    return { sql: `s.${NUMERIC_COLUMNS[field]} = ?`, params: [n] };
  }
  if (field && isLongInteger(value)) {
    // Such integers have no field token (terms.ts): compare the field's values on the record.
    return and(
      [
        { fts: quote(existsToken(field)) },
        { sql: 'ic_value_eq(s.doc, ?, ?)', params: [field, value.trim()] },
      ],
      o,
    );
  }
  const ws = words(value);
  if (ws.length === 0) {
    // Only punctuation. Free text: ignored, as an analyzer drops it (checking every record's
    // values would scan the whole index). field:value: compare whole values where it exists.
    if (!field) return IGNORED;
    return and(
      [{ fts: quote(existsToken(field)) }, { sql: 'ic_value_eq(s.doc, ?, ?)', params: [field, value] }],
      o,
    );
  }
  // One word (punctuation around it, as in "-5", is ignored, as an analyzer would), or several.
  // Unquoted (CVE-2024-1234, us-east-1, an ARN): all of them in the field, as an analyzed
  // Lucene field with AND would; exact enough for identifiers and answered by the index alone.
  // Quoted: a phrase (the words in order within one value), checked on the record.
  const narrow: Frag = field ? fieldWords(field, ws, o) : { fts: ws.map(quote).join(' AND ') };
  if (!phrase || ws.length === 1) return narrow;
  return and([narrow, { sql: 'ic_phrase(s.doc, ?, ?)', params: [field ?? null, JSON.stringify(ws)] }], o);
}

function wildcard(field: string | undefined, prefix: string, glob: string, o: CompileOptions): Frag {
  if (field && (field in NUMERIC_COLUMNS || field === '_id')) {
    const col = field === '_id' ? 'id' : NUMERIC_COLUMNS[field]!;
    return { sql: `ic_wild_value(CAST(s.${col} AS TEXT), ?)`, params: [glob] };
  }
  const text = field !== undefined && o.textPaths?.has(field) === true;
  const e = prefix === '' ? o.expandWild?.(field ?? null, glob, text) : undefined;
  if (!e) return scanWildcard(field, prefix, glob, o);
  // The sealed shards by their matching terms; the open shard's records by the check.
  const parts: Frag[] = [];
  const tokens = e.tokens.map(quote).join(' OR ');
  if (tokens) parts.push({ fts: tokens });
  if (e.textWords.length && field) {
    const fts = `(${e.textWords.map(quote).join(' OR ')}) AND ${quote(textToken(field))}`;
    parts.push(and([{ fts }, wildCheck(field, glob)], o));
  }
  // The check alone (exact): an FTS narrowing here would read every shard's doclist.
  const open = toSqlFrag(
    and([{ sql: 's.rowid >= ?', params: [e.openFrom] }, wildCheck(field ?? null, glob)], o),
    o,
  );
  parts.push(open);
  const all = or(parts, o);
  // Alone, without text words: counted as the sealed shards' FTS count plus the open one's rows.
  if ('sql' in all && e.tokens.length && !e.textWords.length)
    return { ...all, split: { fts: tokens, openFrom: e.openFrom, open } };
  return all;
}

/** A wildcard answered by checking the records (narrowed by its literal prefix's words, if any). */
function scanWildcard(field: string | undefined, prefix: string, glob: string, o: CompileOptions): Frag {
  // Narrow with the words of the literal prefix: all complete ones, the last one as a prefix.
  const ws = words(prefix);
  const partialLast = ws.length > 0 && /[\p{L}\p{N}]$/u.test(prefix);
  const parts = (scoped: boolean) =>
    ws.map((w, idx) => {
      const tok = quote(scoped && field ? fieldWordToken(field, w) : w);
      return idx === ws.length - 1 && partialLast ? `${tok} *` : tok;
    });
  // A digits-only prefix may be meant for a long integer, which has no field token: narrow by
  // the field's existence and check every value.
  if (field && /^\d*$/.test(prefix)) {
    return and([{ fts: quote(existsToken(field)) }, wildCheck(field, glob)], o);
  }
  const text = field !== undefined && o.textPaths?.has(field) === true;
  let narrow = ws.length ? parts(true).join(' AND ') : field ? quote(existsToken(field)) : undefined;
  // A text field: its text values' words are free words beside the field's text marker.
  if (text && ws.length)
    narrow = `(${narrow}) OR (${[...parts(false), quote(textToken(field))].join(' AND ')})`;
  // `word*` needs no check: the FTS prefix query is exact for it (not on the text branch).
  if (!text && ws.length === 1 && /^[\p{L}\p{N}]+$/u.test(prefix) && glob === `${prefix.toLowerCase()}*`)
    return { fts: narrow! };
  const check = wildCheck(field ?? null, glob);
  return narrow ? and([{ fts: narrow }, check], o) : check;
}

function range(node: Extract<Node, { type: 'range' }>, o: CompileOptions): Frag {
  const { field } = node;
  if (field in NUMERIC_COLUMNS) {
    const col = `s.${NUMERIC_COLUMNS[field]}`;
    const parts: string[] = [];
    const params: unknown[] = [];
    const lo = numericBound(field, node.lo);
    const hi = numericBound(field, node.hi);
    if (lo !== undefined) {
      parts.push(`${col} ${node.loInclusive ? '>=' : '>'} ?`);
      params.push(lo);
    }
    if (hi !== undefined) {
      parts.push(`${col} ${node.hiInclusive ? '<=' : '<'} ?`);
      params.push(hi);
    }
    if (!parts.length) parts.push(`${col} IS NOT NULL`);
    return { sql: parts.join(' AND '), params };
  }
  if (field === '_id') throw queryError(0, '_id does not support ranges');
  const flags = (node.loInclusive ? 1 : 0) | (node.hiInclusive ? 2 : 0);
  return and(
    [
      { fts: quote(existsToken(field)) },
      { sql: 'ic_range(s.doc, ?, ?, ?, ?)', params: [field, node.lo ?? null, node.hi ?? null, flags] },
    ],
    o,
  );
}

function and(children: Frag[], o: CompileOptions): Frag {
  if (children.length > 0 && children.every((c) => c === IGNORED)) return IGNORED;
  const fts = children.filter((c): c is { fts: string } => 'fts' in c);
  const sql = children.filter((c): c is { sql: string; params: unknown[] } => 'sql' in c && c.sql !== '1');
  if (sql.some((c) => c.sql === '0')) return NOTHING;
  const merged: Frag[] = fts.length ? [{ fts: fts.map((f) => `(${f.fts})`).join(' AND ') }] : [];
  const all = [...merged, ...sql];
  if (all.length === 0) return EVERYTHING;
  if (all.length === 1) return all[0]!;
  const parts = all.map((f) => toSqlFrag(f, o));
  return { sql: parts.map((p) => `(${p.sql})`).join(' AND '), params: parts.flatMap((p) => p.params) };
}

function or(all: Frag[], o: CompileOptions): Frag {
  const children = all.filter((c) => c !== IGNORED);
  if (children.length === 0) return IGNORED;
  if (children.some((c) => 'sql' in c && c.sql === '1')) return EVERYTHING;
  const live = children.filter((c) => !('sql' in c && c.sql === '0'));
  if (live.length === 0) return NOTHING;
  if (live.every((c) => 'fts' in c))
    return { fts: live.map((c) => `(${(c as { fts: string }).fts})`).join(' OR ') };
  const parts = live.map((f) => toSqlFrag(f, o));
  return { sql: parts.map((p) => `(${p.sql})`).join(' OR '), params: parts.flatMap((p) => p.params) };
}

function andNode(children: readonly Node[], o: CompileOptions): Frag {
  // FTS5 has a binary NOT: fold "a AND NOT b" (both pure FTS) into "a NOT b".
  const pos: Frag[] = [];
  const negFts: string[] = [];
  const rest: Frag[] = [];
  for (const c of children) {
    if (c.type === 'not') {
      const inner = compile(c.child, o);
      if ('fts' in inner) negFts.push(inner.fts);
      else rest.push(negate(inner, o));
    } else pos.push(compile(c, o));
  }
  const positive = and(pos, o);
  if (negFts.length && 'fts' in positive) {
    return and([{ fts: `(${positive.fts}) NOT (${negFts.join(' OR ')})` }, ...rest], o);
  }
  return and([positive, ...negFts.map((f) => negate({ fts: f }, o)), ...rest], o);
}

function negate(f: Frag, o: CompileOptions): Frag {
  if (f === IGNORED) return IGNORED;
  if ('sql' in f && f.sql === '1') return NOTHING;
  if ('sql' in f && f.sql === '0') return EVERYTHING;
  const p = toSqlFrag(f, o);
  // A check function returns 0/1, never NULL, so NOT is exact here.
  return { sql: `NOT (${p.sql})`, params: p.params };
}

function compile(n: Node, o: CompileOptions): Frag {
  switch (n.type) {
    case 'all':
      return EVERYTHING;
    case 'and':
      return andNode(n.children, o);
    case 'or':
      return or(
        n.children.map((c) => compile(c, o)),
        o,
      );
    case 'not':
      return negate(compile(n.child, o), o);
    case 'term':
      return term(n.field, n.value, n.phrase, o);
    case 'wildcard':
      return wildcard(n.field, n.prefix, n.glob, o);
    case 'range':
      return range(n, o);
    case 'exists':
      if (n.field in NUMERIC_COLUMNS) return { sql: `s.${NUMERIC_COLUMNS[n.field]} IS NOT NULL`, params: [] };
      if (n.field === '_id') return EVERYTHING;
      return { fts: quote(existsToken(n.field)) };
  }
}

/** The compiled form, exposed so the index can count a pure FTS query from the FTS table alone. */
export function compileQuery(
  ast: Node,
  o: CompileOptions,
): { fts: string } | { sql: string; params: unknown[]; split?: WildSplit } {
  return compile(ast, o);
}
