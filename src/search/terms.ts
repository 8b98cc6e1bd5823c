/**
 * The vocabulary shared by the indexer (store) and the query compiler (search): how a record's
 * values become FTS5 tokens, and how a query term names the same tokens.
 *
 * For every leaf value at dotted path P (array indexes are not part of the path, as in
 * Elasticsearch), the record's FTS row gets:
 *   - each word of the value            `openssl`            (free text)
 *   - each word qualified by the path   `_f<h(P)>_openssl`   (field:word)
 *   - an existence token for P and each of its parents `_e<h(P)>` (_exists_, ranges)
 * Words are maximal runs of Unicode letters and digits, lower-cased; so they never contain '_'
 * and can never collide with the synthetic tokens, which all start with '_'.
 * The FTS table is detail=none (no positions): a repeated token only costs indexing time, so
 * words and existence tokens are deduplicated per record; field tokens are not (they repeat
 * only within one path, and FTS5 drops a repeat within a row more cheaply than a JS Set).
 */

const WORD_SPLIT = /[^\p{L}\p{N}]+/u;

/** Lower-cased words of a value, in order (may repeat). */
export function words(value: string): string[] {
  const low = value.toLowerCase();
  const out: string[] = [];
  // Fast path (the hot loop of indexing): ASCII scanned by char code; anything else by regex.
  let start = -1;
  for (let i = 0; i < low.length; i++) {
    const c = low.charCodeAt(i);
    if (c >= 128) return slowWords(low);
    const alnum = (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
    if (alnum) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      out.push(low.slice(start, i));
      start = -1;
    }
  }
  if (start >= 0) out.push(low.slice(start));
  return out;
}

function slowWords(low: string): string[] {
  const out: string[] = [];
  for (const w of low.split(WORD_SPLIT)) if (w) out.push(w);
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
export const existsToken = (path: string): string => `_e${pathHash(path)}`;

/**
 * Paths as a trie of interned nodes, so that indexing never builds or hashes a path string
 * per leaf (that was the hot spot): object keys are interned strings, cheap as Map keys.
 */
interface PathNode {
  exists: string;
  /** Record generation that last emitted `exists`: dedupes it without a Set lookup. */
  gen: number;
  field: string;
  children: Map<string, PathNode>;
}
const rootNode: PathNode = { exists: '', gen: 0, field: '', children: new Map() };
let generation = 0;
let pathNodes = 0;
function child(parent: PathNode, parentPath: string, key: string): PathNode {
  let n = parent.children.get(key);
  if (n === undefined) {
    const p = parentPath ? parentPath + '.' + key : key;
    const h = pathHash(p);
    n = { exists: `_e${h}`, gen: 0, field: `_f${h}_`, children: new Map() };
    // Bound the memory an adversarial record shape could take; uncached nodes still work.
    if (pathNodes++ < 100_000) parent.children.set(key, n);
    pathOf.set(n, p);
  }
  return n;
}
const pathOf = new WeakMap<PathNode, string>([[rootNode, '']]);

/** The space-separated token text of a record for the FTS row. */
export function recordTerms(record: unknown): string {
  const seen = new Set<string>();
  const exists: string[] = [];
  const fieldTokens: string[] = [];
  const gen = ++generation;
  const visit = (v: unknown, node: PathNode): void => {
    if (v === null || v === undefined) return;
    if (Array.isArray(v)) {
      for (const el of v) visit(el, node);
      return;
    }
    if (typeof v === 'object') {
      if (node !== rootNode && node.gen !== gen) {
        node.gen = gen;
        exists.push(node.exists);
      }
      const path = pathOf.get(node)!;
      for (const k in v as Record<string, unknown>)
        visit((v as Record<string, unknown>)[k], child(node, path, k));
      return;
    }
    if (node.gen !== gen) {
      node.gen = gen;
      exists.push(node.exists);
    }
    if (typeof v === 'number' && Number.isInteger(v)) {
      // Integers (epoch ms, counts): field:value only; as free text they would be noise that
      // adds a unique term per record.
      fieldTokens.push(node.field + String(v < 0 ? -v : v));
      return;
    }
    // Field tokens skip the Set: they repeat only within one path (arrays, prose), and FTS5
    // merges a repeat within a row cheaply; the words repeat across paths, so they are deduped.
    const ws = words(typeof v === 'string' ? v : String(v));
    const fieldPrefix = node.field;
    for (let i = 0; i < ws.length; i++) {
      const w = ws[i]!;
      seen.add(w);
      fieldTokens.push(fieldPrefix + w);
    }
  };
  visit(record, rootNode);
  return exists.join(' ') + ' ' + fieldTokens.join(' ') + ' ' + [...seen].join(' ');
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
