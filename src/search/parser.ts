/**
 * Lucene / Kibana-style query parser -> AST. Hand-written recursive descent over the string,
 * so that a value after `field:` may contain ':' (ARNs, ISO times) without quoting.
 *
 *   query   := or EOF
 *   or      := and ( (OR | '||') and )*
 *   and     := unary ( (AND | '&&')? unary )*          (juxtaposition = AND, our choice)
 *   unary   := (NOT | '!' | '-') unary | '+' unary | primary
 *   primary := '(' or ')' | FIELD ':' value | FIELD ':' '(' or ')' | value
 *   value   := WORD | "PHRASE" | '*' | [a TO b] | {a TO b} | >=x | >x | <=x | <x
 */
import { CodedError } from '../core/errors.js';
import { MAX_GLOB_LENGTH, serializeGlob } from './glob.js';

export type Node =
  | { type: 'and'; children: Node[] }
  | { type: 'or'; children: Node[] }
  | { type: 'not'; child: Node }
  | { type: 'all' }
  /** A word or phrase; `field` absent = any field. */
  | { type: 'term'; field?: string; value: string; phrase: boolean }
  /**
   * `prefix` = literal text before the first wildcard; `glob` (glob.ts: lower-cased, literal
   * `*?\\` escaped) matches a whole word or value.
   */
  | { type: 'wildcard'; field?: string; pattern: string; prefix: string; glob: string }
  | {
      type: 'range';
      field: string;
      lo?: string;
      hi?: string;
      loInclusive: boolean;
      hiInclusive: boolean;
    }
  | { type: 'exists'; field: string };

/** A field path as queries (and export column lists) write it: dotted names. */
export const FIELD_RE = /^[A-Za-z0-9_@$-]+(\.[A-Za-z0-9_@$:-]+)*$/;
/** Characters that end a bare word (unless escaped). ':' is handled by the caller. */
const WORD_END = new Set([' ', '\t', '\n', '\r', '(', ')', '"', '[', ']', '{', '}', '^', '~']);

export function queryError(pos: number, message: string): CodedError {
  return new CodedError('ERR_QUERY_INVALID', `position ${pos + 1}: ${message}`);
}

interface Word {
  /** Unescaped text. */
  text: string;
  /** Pattern pieces: literal strings and wildcard markers. */
  pieces: (string | { wild: '*' | '?' })[];
  hasWild: boolean;
  start: number;
}

export const MAX_QUERY_LENGTH = 10_000;
const MAX_DEPTH = 100;

export function parse(q: string): Node {
  if (typeof q !== 'string') throw queryError(0, 'the query must be a string');
  if (q.length > MAX_QUERY_LENGTH)
    throw queryError(MAX_QUERY_LENGTH, `the query is longer than ${MAX_QUERY_LENGTH} characters`);
  let i = 0;
  let depth = 0;

  const skipWs = () => {
    while (i < q.length && /\s/.test(q[i]!)) i++;
  };
  const peekKeyword = (kw: string): boolean => {
    if (!q.startsWith(kw, i)) return false;
    const after = q[i + kw.length];
    return after === undefined || /\s/.test(after) || after === '(' || after === ')' || after === '"';
  };
  const atEnd = () => {
    skipWs();
    return i >= q.length;
  };
  const describe = (p: number) => (p >= q.length ? 'end of query' : `"${q[p]}"`);

  /** A bare word; stops at whitespace/specials; ':' is allowed when `allowColon`. */
  function readWord(allowColon: boolean, stopAtRangeEnd = false): Word {
    const start = i;
    let text = '';
    const pieces: Word['pieces'] = [];
    let lit = '';
    let hasWild = false;
    while (i < q.length) {
      const c = q[i]!;
      if (c === '\\') {
        if (i + 1 >= q.length)
          throw queryError(i, 'a backslash must be followed by the character it escapes');
        const e = q[i + 1]!;
        text += e;
        lit += e;
        i += 2;
        continue;
      }
      if (WORD_END.has(c)) break;
      if (stopAtRangeEnd && (c === ']' || c === '}')) break;
      if (c === ':' && !allowColon) break;
      if (c === '*' || c === '?') {
        if (lit) pieces.push(lit);
        lit = '';
        pieces.push({ wild: c });
        hasWild = true;
        text += c;
        i++;
        continue;
      }
      text += c;
      lit += c;
      i++;
    }
    if (lit) pieces.push(lit);
    return { text, pieces, hasWild, start };
  }

  function readPhrase(): string {
    const start = i;
    i++; // opening quote
    let out = '';
    while (i < q.length && q[i] !== '"') {
      if (q[i] === '\\' && i + 1 < q.length) {
        out += q[i + 1];
        i += 2;
      } else out += q[i++];
    }
    if (i >= q.length) throw queryError(start, 'unterminated quoted phrase: expected a closing "');
    i++;
    return out;
  }

  /** Lucene boosts (^2) are accepted and ignored (no scoring); fuzzy/proximity (~) is not supported. */
  function skipModifiers(): void {
    if (q[i] === '^') {
      const s = i++;
      while (i < q.length && /[0-9.]/.test(q[i]!)) i++;
      if (i === s + 1) throw queryError(s, 'expected a number after "^" (boost)');
    }
    if (q[i] === '~') throw queryError(i, 'fuzzy and proximity searches ("~") are not supported');
  }

  function wordNode(w: Word, field: string | undefined): Node {
    if (!w.hasWild) return { type: 'term', ...(field ? { field } : {}), value: w.text, phrase: false };
    if (w.pieces.every((p) => typeof p !== 'string' && p.wild === '*')) {
      return field ? { type: 'exists', field } : { type: 'all' };
    }
    const first = w.pieces[0];
    const prefix = typeof first === 'string' ? first : '';
    const glob = serializeGlob(w.pieces);
    if (glob.length > MAX_GLOB_LENGTH) {
      throw queryError(w.start, `a wildcard pattern may be at most ${MAX_GLOB_LENGTH} characters long`);
    }
    return { type: 'wildcard', ...(field ? { field } : {}), pattern: w.text, prefix, glob };
  }

  function rangeBound(): string | undefined {
    skipWs();
    if (q[i] === '"') return readPhrase();
    const w = readWord(true, true);
    if (!w.text) throw queryError(i, `expected a range bound (a value or *), found ${describe(i)}`);
    return w.text === '*' && w.hasWild ? undefined : w.text;
  }

  function fieldValue(field: string, fieldPos: number): Node {
    skipWs();
    const c = q[i];
    if (field === '_exists_') {
      const w = readWord(false);
      if (!w.text || !FIELD_RE.test(w.text))
        throw queryError(w.start, 'expected a field name after _exists_:');
      return { type: 'exists', field: w.text };
    }
    if (c === undefined) throw queryError(i, `expected a value after "${field}:"`);
    if (c === '(') {
      i++;
      depth++;
      if (depth > MAX_DEPTH) throw queryError(i, 'the query nests too deeply');
      const inner = parseOr(field);
      skipWs();
      if (q[i] !== ')')
        throw queryError(
          i,
          `expected ")" to close the group opened at position ${fieldPos + 1}, found ${describe(i)}`,
        );
      i++;
      depth--;
      return inner;
    }
    if (c === '"') {
      const v = readPhrase();
      skipModifiers();
      return { type: 'term', field, value: v, phrase: true };
    }
    if (c === '[' || c === '{') {
      const open = i;
      i++;
      const lo = rangeBound();
      skipWs();
      if (!peekKeyword('TO'))
        throw queryError(
          i,
          `expected "TO" in the range opened at position ${open + 1}, found ${describe(i)}`,
        );
      i += 2;
      const hi = rangeBound();
      skipWs();
      const close = q[i];
      if (close !== ']' && close !== '}') {
        throw queryError(
          i,
          `expected "]" or "}" to close the range opened at position ${open + 1}, found ${describe(i)}`,
        );
      }
      i++;
      return {
        type: 'range',
        field,
        ...(lo !== undefined ? { lo } : {}),
        ...(hi !== undefined ? { hi } : {}),
        loInclusive: c === '[',
        hiInclusive: close === ']',
      };
    }
    const cmp = /^(>=|<=|>|<)/.exec(q.slice(i, i + 2));
    if (cmp) {
      i += cmp[0].length;
      skipWs();
      const bound = q[i] === '"' ? readPhrase() : readWord(true).text;
      if (!bound) throw queryError(i, `expected a value after "${field}:${cmp[0]}"`);
      const op = cmp[0];
      return op.startsWith('>')
        ? { type: 'range', field, lo: bound, loInclusive: op === '>=', hiInclusive: false }
        : { type: 'range', field, hi: bound, hiInclusive: op === '<=', loInclusive: false };
    }
    const w = readWord(true);
    if (!w.text) throw queryError(i, `expected a value after "${field}:", found ${describe(i)}`);
    skipModifiers();
    return wordNode(w, field);
  }

  function primary(defaultField: string | undefined): Node {
    skipWs();
    const c = q[i];
    if (c === undefined) throw queryError(i, 'expected a term, phrase or "(", found end of query');
    if (c === '(') {
      const open = i++;
      depth++;
      if (depth > MAX_DEPTH) throw queryError(i, 'the query nests too deeply');
      const inner = parseOr(defaultField);
      skipWs();
      if (q[i] !== ')')
        throw queryError(i, `expected ")" to close the "(" at position ${open + 1}, found ${describe(i)}`);
      i++;
      depth--;
      skipModifiers();
      return inner;
    }
    if (c === ')') throw queryError(i, 'unexpected ")" without a matching "("');
    if (c === '"') {
      const v = readPhrase();
      skipModifiers();
      return { type: 'term', ...(defaultField ? { field: defaultField } : {}), value: v, phrase: true };
    }
    if (c === '[' || c === '{' || c === ']' || c === '}') {
      throw queryError(i, `a range needs a field, e.g. severity:[50 TO 100]; found "${c}"`);
    }
    if (c === '^' || c === '~') throw queryError(i, `unexpected "${c}": it must follow a term`);
    const w = readWord(false);
    if (q[i] === ':') {
      if (defaultField) throw queryError(w.start, `a field cannot be named inside "${defaultField}:( ... )"`);
      if (w.hasWild || !FIELD_RE.test(w.text)) {
        throw queryError(
          w.start,
          `invalid field name "${w.text}": expected a dotted path like aws_inspector.status`,
        );
      }
      i++;
      return fieldValue(w.text, w.start);
    }
    if (!w.text) throw queryError(i, `expected a term, found ${describe(i)}`);
    skipModifiers();
    return wordNode(w, defaultField);
  }

  function unary(defaultField: string | undefined): Node {
    if (++depth > MAX_DEPTH) throw queryError(i, 'the query nests too deeply');
    try {
      return unaryInner(defaultField);
    } finally {
      depth--;
    }
  }

  function unaryInner(defaultField: string | undefined): Node {
    skipWs();
    if (peekKeyword('NOT')) {
      i += 3;
      return { type: 'not', child: unary(defaultField) };
    }
    const c = q[i];
    if (c === '!' || (c === '-' && i + 1 < q.length && !/\s/.test(q[i + 1]!))) {
      i++;
      return { type: 'not', child: unary(defaultField) };
    }
    if (c === '+' && i + 1 < q.length && !/\s/.test(q[i + 1]!)) {
      i++;
      return unary(defaultField);
    }
    return primary(defaultField);
  }

  function parseAnd(defaultField: string | undefined): Node {
    const children = [unary(defaultField)];
    for (;;) {
      skipWs();
      if (i >= q.length || q[i] === ')' || peekKeyword('OR') || q.startsWith('||', i)) break;
      if (peekKeyword('AND')) i += 3;
      else if (q.startsWith('&&', i)) i += 2;
      skipWs();
      if (i >= q.length || q[i] === ')')
        throw queryError(i, `expected a term after AND, found ${describe(i)}`);
      children.push(unary(defaultField));
    }
    return children.length === 1 ? children[0]! : { type: 'and', children };
  }

  function parseOr(defaultField: string | undefined): Node {
    const children = [parseAnd(defaultField)];
    for (;;) {
      skipWs();
      if (peekKeyword('OR')) i += 2;
      else if (q.startsWith('||', i)) i += 2;
      else break;
      skipWs();
      if (i >= q.length || q[i] === ')')
        throw queryError(i, `expected a term after OR, found ${describe(i)}`);
      children.push(parseAnd(defaultField));
    }
    return children.length === 1 ? children[0]! : { type: 'or', children };
  }

  if (atEnd()) return { type: 'all' };
  const ast = parseOr(undefined);
  skipWs();
  if (i < q.length) {
    if (q[i] === ')') throw queryError(i, 'unexpected ")" without a matching "("');
    throw queryError(i, `unexpected ${describe(i)}`);
  }
  return ast;
}

/** The fields a query names (`_exists_:f` and `f:*` included), each once, in order of appearance. */
export function queryFields(n: Node, out: string[] = []): string[] {
  switch (n.type) {
    case 'and':
    case 'or':
      for (const c of n.children) queryFields(c, out);
      break;
    case 'not':
      queryFields(n.child, out);
      break;
    case 'all':
      break;
    default:
      if (n.field !== undefined && !out.includes(n.field)) out.push(n.field);
  }
  return out;
}
