/**
 * Wildcard patterns (`*` any characters, `?` one character), matched without regular
 * expressions: a regex built from `*a*a*a*b` backtracks (exponentially in the number of stars
 * on a near-miss), a glob split on `*` does not. The first segment is anchored at the start,
 * the last at the end, and each one between is matched at its leftmost place (taking the
 * earliest match never loses one: a later segment then has the most text left). Cost:
 * O(text x pattern) at worst, O(text) for the usual few short segments.
 *
 * Case-insensitive: pattern and text are compared lower-cased (String#toLowerCase). `?` is one
 * code point (a surrogate pair counts as one, as the `u` regex flag did).
 *
 * The serialized form (what the parser produces and the SQL functions receive) is the pattern
 * with `*`, `?` and `\` escaped by a backslash when they are literal.
 */

/** A segment between stars: literal code units, with `?` positions marked. */
interface Segment {
  text: string;
  /** Indexes in `text` that are `?` (one code point), or undefined when none. */
  any?: Set<number>;
}

export interface Glob {
  /** The pattern starts with `*` (the first segment is not anchored). */
  leadingStar: boolean;
  trailingStar: boolean;
  segments: Segment[];
}

/** Longest serialized pattern accepted (the query itself is bounded by MAX_QUERY_LENGTH). */
export const MAX_GLOB_LENGTH = 1000;

/** Serialized glob from parser pieces (literal strings and wildcard markers). */
export function serializeGlob(pieces: readonly (string | { wild: '*' | '?' })[]): string {
  return pieces
    .map((p) => (typeof p === 'string' ? p.toLowerCase().replace(/[*?\\]/g, '\\$&') : p.wild))
    .join('');
}

export function compileGlob(serialized: string): Glob {
  const segments: Segment[] = [];
  let cur = '';
  let any: Set<number> | undefined;
  let leadingStar = false;
  let trailingStar = false;
  let first = true;
  for (let i = 0; i < serialized.length; i++) {
    const c = serialized[i]!;
    if (c === '\\' && i + 1 < serialized.length) {
      cur += serialized[++i];
    } else if (c === '*') {
      if (first && cur === '' && !any) leadingStar = true;
      else if (cur !== '' || any) {
        segments.push(any ? { text: cur, any } : { text: cur });
        cur = '';
        any = undefined;
      }
      trailingStar = true;
      first = false;
      continue;
    } else if (c === '?') {
      (any ??= new Set()).add(cur.length);
      cur += '?';
    } else cur += c;
    first = false;
    trailingStar = false;
  }
  if (cur !== '' || any) segments.push(any ? { text: cur, any } : { text: cur });
  if (segments.length === 0) leadingStar = trailingStar = true;
  return { leadingStar, trailingStar, segments };
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** Matches `seg` at `pos` in `s`; returns the end index or -1. */
function matchAt(s: string, pos: number, seg: Segment): number {
  const t = seg.text;
  if (!seg.any) return s.startsWith(t, pos) ? pos + t.length : -1;
  let p = pos;
  for (let k = 0; k < t.length; k++) {
    if (p >= s.length) return -1;
    if (seg.any.has(k)) {
      p += isHigh(s.charCodeAt(p)) && p + 1 < s.length && isLow(s.charCodeAt(p + 1)) ? 2 : 1;
    } else if (s.charCodeAt(p) === t.charCodeAt(k)) p++;
    else return -1;
  }
  return p;
}

/** The leftmost match of `seg` at or after `from`: [start, end] or undefined. */
function find(s: string, from: number, seg: Segment): [number, number] | undefined {
  if (!seg.any) {
    const i = s.indexOf(seg.text, from);
    return i < 0 ? undefined : [i, i + seg.text.length];
  }
  for (let i = from; i < s.length; i++) {
    if (isLow(s.charCodeAt(i)) && i > 0 && isHigh(s.charCodeAt(i - 1))) continue;
    const e = matchAt(s, i, seg);
    if (e >= 0) return [i, e];
  }
  return undefined;
}

/** Whether the whole of `text` (any case) matches the glob. */
export function globMatch(g: Glob, text: string): boolean {
  return globMatchLower(g, text.toLowerCase());
}

/** The same, for a text already lower-cased. */
export function globMatchLower(g: Glob, s: string): boolean {
  const segs = g.segments;
  if (segs.length === 0) return g.leadingStar || s.length === 0;
  let pos = 0;
  let i = 0;
  let last = segs.length - 1;
  if (!g.leadingStar) {
    const e = matchAt(s, 0, segs[0]!);
    if (e < 0) return false;
    if (segs.length === 1 && !g.trailingStar) return e === s.length;
    pos = e;
    i = 1;
  }
  // The last segment is anchored at the end (unless the pattern ends with a star).
  let endLimit = s.length;
  if (!g.trailingStar && i <= last) {
    const seg = segs[last]!;
    // Its start: `length` units before the end, or up to one more per `?` (a surrogate pair).
    let found = -1;
    const lo = Math.max(pos, s.length - seg.text.length - (seg.any?.size ?? 0));
    for (let st = s.length - seg.text.length; st >= lo; st--) {
      if (matchAt(s, st, seg) === s.length) {
        found = st;
        break;
      }
    }
    if (found < 0) return false;
    endLimit = found;
    last--;
  }
  for (; i <= last; i++) {
    const m = find(s, pos, segs[i]!);
    if (!m || m[1] > endLimit) return false;
    pos = m[1];
  }
  return pos <= endLimit;
}

/** The literal alphanumeric runs of a glob's segments (for narrowing by the index). */
export function globLiterals(g: Glob): string[] {
  const out: string[] = [];
  for (const seg of g.segments) {
    let run = '';
    for (let k = 0; k < seg.text.length; k++) {
      const ch = seg.text[k]!;
      if (!seg.any?.has(k) && /[\p{L}\p{N}]/u.test(ch)) run += ch;
      else if (run) {
        out.push(run);
        run = '';
      }
    }
    if (run) out.push(run);
  }
  return out;
}
