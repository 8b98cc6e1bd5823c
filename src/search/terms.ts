/**
 * The vocabulary shared by the indexer (store) and the query compiler (search): how a record's
 * values become FTS5 tokens, and how a query term names the same tokens.
 *
 * For every leaf value at dotted path P (array indexes are not part of the path, as in
 * Elasticsearch), the record's FTS row gets:
 *   - each word of the value            `openssl`            (free text)
 *   - each word qualified by the path   `_f<h(P)>_openssl`   (field:word)
 *   - the whole value, if it has punctuation or several words:
 *       qualified by the path           `_k<h(P, value)>`    (field:whole-value, exact)
 *       unqualified                     `_v<h(value)>`       (free-text whole value)
 *   - an existence token for P and each of its parents `_e<h(P)>` (_exists_, ranges)
 * Words are maximal runs of Unicode letters and digits, lower-cased; so they never contain '_'
 * and can never collide with the synthetic tokens, which all start with '_'.
 * Tokens are deduplicated per record: the FTS table is detail=none (no positions), so a repeat
 * would only cost indexing time.
 */

const WORD_SPLIT = /[^\p{L}\p{N}]+/u;

/** Lower-cased words of a value, in order (may repeat). */
export function words(value: string): string[] {
  const out: string[] = [];
  for (const w of value.toLowerCase().split(WORD_SPLIT)) if (w) out.push(w);
  return out;
}

/** 53-bit FNV-1a style hash in base 36: fast, stable across versions (it is persisted). */
export function hash(s: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  h2 ^= h2 >>> 15;
  return ((h1 >>> 0) * 0x200000 + ((h2 >>> 0) & 0x1fffff)).toString(36);
}

const pathHashes = new Map<string, string>();
/** Hash of a dotted path (cached: records share a small set of paths). */
export function pathHash(path: string): string {
  let h = pathHashes.get(path);
  if (h === undefined) {
    h = hash(path);
    if (pathHashes.size < 100_000) pathHashes.set(path, h);
  }
  return h;
}

export const fieldWordToken = (path: string, word: string): string => `_f${pathHash(path)}_${word}`;
export const fieldValueToken = (path: string, value: string): string =>
  `_k${hash(pathHash(path) + '\u0000' + value.toLowerCase())}`;
export const valueToken = (value: string): string => `_v${hash(value.toLowerCase())}`;
export const existsToken = (path: string): string => `_e${pathHash(path)}`;

/** True when a value is not a single bare word, i.e. it gets whole-value tokens. */
export function needsValueToken(value: string, ws: readonly string[]): boolean {
  return ws.length !== 1 || ws[0] !== value.toLowerCase();
}

/** Whole values longer than this get no whole-value token (they are prose, not identifiers). */
export const MAX_VALUE_TOKEN_LENGTH = 256;

/** The space-separated token text of a record for the FTS row. */
export function recordTerms(record: unknown): string {
  const seen = new Set<string>();
  const visit = (v: unknown, path: string): void => {
    if (v === null || v === undefined) return;
    if (Array.isArray(v)) {
      for (const el of v) visit(el, path);
      return;
    }
    if (typeof v === 'object') {
      if (path) seen.add(existsToken(path));
      for (const k in v as Record<string, unknown>) {
        visit((v as Record<string, unknown>)[k], path ? path + '.' + k : k);
      }
      return;
    }
    const s = typeof v === 'string' ? v : String(v);
    seen.add(existsToken(path));
    const ws = words(s);
    const ph = pathHash(path);
    for (const w of ws) {
      seen.add(w);
      seen.add(`_f${ph}_${w}`);
    }
    if (s.length <= MAX_VALUE_TOKEN_LENGTH && needsValueToken(s, ws)) {
      const low = s.toLowerCase();
      seen.add(`_k${hash(ph + '\u0000' + low)}`);
      seen.add(`_v${hash(low)}`);
    }
  };
  visit(record, '');
  return [...seen].join(' ');
}

/** Leaf values found at `path` (null path = every leaf), stringified. Arrays are flattened. */
export function valuesAt(doc: unknown, path: string | null): string[] {
  const out: string[] = [];
  const visit = (v: unknown, p: string): void => {
    if (v === null || v === undefined) return;
    if (Array.isArray(v)) {
      for (const el of v) visit(el, p);
      return;
    }
    if (typeof v === 'object') {
      // Prune branches that cannot lead to the wanted path.
      if (path !== null && p && !(path === p || path.startsWith(p + '.'))) return;
      for (const k in v as Record<string, unknown>) {
        visit((v as Record<string, unknown>)[k], p ? p + '.' + k : k);
      }
      return;
    }
    if (path === null || p === path) out.push(typeof v === 'string' ? v : String(v));
  };
  visit(doc, '');
  return out;
}
