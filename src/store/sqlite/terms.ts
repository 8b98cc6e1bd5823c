/**
 * The vocabulary shared by the indexer (store) and the query compiler (search): how a record's
 * values become FTS5 tokens, and how a query term names the same tokens.
 *
 * For every leaf value at dotted path P (array indexes are not part of the path, as in
 * Elasticsearch), the record's FTS row gets:
 *   - each word of the value            `openssl`            (free text)
 *   - each word qualified by the path   `_f<h(P)>_openssl`   (field:word), unless the value is
 *     text (more than TEXT_WORDS words): then one marker `_t<h(P)>` instead
 *   - an existence token for P and each of its parents `_e<h(P)>` (_exists_, ranges)
 * Words are maximal runs of Unicode letters and digits, lower-cased; so they never contain '_'
 * and can never collide with the synthetic tokens, which all start with '_'.
 * The FTS table is detail=none (no positions): FTS5 keeps a token once per row however often
 * it is given, and drops a repeat more cheaply than a JS Set would: words and field tokens are
 * not deduplicated here (measured: 440 -> 682 tokens per finding, yet 2,792-2,935 -> 3,079-3,246
 * findings per CPU-second end to end). Existence tokens are, by a generation stamp per path.
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
 * A string value of more than this many words is *text* (prose: a description, a remediation,
 * a CVSS vector, a long ARN): its words are indexed as free text only, with one `_t<h(P)>`
 * marker for the path instead of a field token per word. That is most of a finding's words,
 * and field tokens were the bulk of the index's write cost. A field query on a path that has
 * ever held text (the store keeps the set) also matches "the words anywhere + the marker",
 * verified on the record: exact results, at the price of a check on those candidates.
 */
export const TEXT_WORDS = 8;

export const textToken = (path: string): string => `_t${pathHash(path)}`;

/**
 * Top-level fields held in real columns, which queries answer by SQL (see sql.ts): they get no
 * field or existence tokens (only `_id`'s words, as free text). They were a unique term per
 * record each, and unique terms are what FTS5's merges pay for.
 */
export const COLUMN_FIELDS: ReadonlySet<string> = new Set(['_id', 'timestamp', 'write_time', 'severity']);

/**
 * Integers of more than 10 digits (epoch milliseconds: nearly one unique value per record)
 * get no field token; `field:value` on them is checked on the record (sql.ts).
 */
export const MAX_TOKEN_INT = 9_999_999_999;

/**
 * Paths as a trie of interned nodes, so that indexing never builds or hashes a path string
 * per leaf (that was the hot spot): object keys are interned strings, cheap as Map keys.
 */
interface PathNode {
  path: string;
  exists: string;
  /** `_f<h>_`: the prefix of this path's field tokens. */
  field: string;
  text: string;
  /** A top-level field held in a column (COLUMN_FIELDS). */
  column: boolean;
  /** Record generation that last emitted `exists` / `text`: dedupes them without a Set. */
  gen: number;
  textGen: number;
  children: Map<string, PathNode>;
}
const node = (path: string): PathNode => {
  const h = pathHash(path);
  return {
    path,
    exists: `_e${h}`,
    field: `_f${h}_`,
    text: `_t${h}`,
    column: COLUMN_FIELDS.has(path),
    gen: 0,
    textGen: 0,
    children: new Map(),
  };
};
const rootNode: PathNode = node('');
let pathNodes = 0;
function child(parent: PathNode, key: string): PathNode {
  let n = parent.children.get(key);
  if (n === undefined) {
    n = node(parent.path ? parent.path + '.' + key : key);
    // Bound the memory an adversarial record shape could take; uncached nodes still work.
    if (pathNodes++ < 100_000) parent.children.set(key, n);
  }
  return n;
}

/** Per-record output of the walk (module state: recordTerms is synchronous and not re-entrant). */
let out: string[] = [];
/** The current record's generation: node.gen === gen means already emitted for this record. */
let gen = 0;
let onTextPath: ((path: string) => void) | undefined;

/** Emits the tokens of one scalar value at `n`. */
function leaf(n: PathNode, v: string | number | boolean | bigint): void {
  if (n.column) {
    if (typeof v === 'string') for (const w of words(v)) out.push(w);
    return;
  }
  if (n.gen !== gen) {
    n.gen = gen;
    out.push(n.exists);
  }
  if (typeof v === 'number' && Number.isInteger(v)) {
    // Integers (counts, ports, years): field:value only; as free text they would be noise.
    // Epoch milliseconds: not even that (MAX_TOKEN_INT).
    if (v <= MAX_TOKEN_INT && v >= -MAX_TOKEN_INT) out.push(n.field + String(v < 0 ? -v : v));
    return;
  }
  const ws = words(typeof v === 'string' ? v : String(v));
  if (ws.length > TEXT_WORDS) {
    for (let i = 0; i < ws.length; i++) out.push(ws[i]!);
    if (n.textGen !== gen) {
      n.textGen = gen;
      out.push(n.text);
      onTextPath?.(n.path);
    }
    return;
  }
  const prefix = n.field;
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i]!;
    out.push(w);
    out.push(prefix + w);
  }
}

function visit(v: unknown, n: PathNode): void {
  if (v === null || v === undefined) return;
  if (typeof v !== 'object') {
    leaf(n, v as string | number | boolean | bigint);
    return;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) visit(v[i], n);
    return;
  }
  if (n !== rootNode && n.gen !== gen) {
    n.gen = gen;
    out.push(n.exists);
  }
  const o = v as Record<string, unknown>;
  for (const k in o) visit(o[k], child(n, k));
}

/**
 * The space-separated token text of a record for the FTS row. `onText` is called once per
 * record for each path holding a text value (see TEXT_WORDS).
 */
export function recordTerms(record: unknown, onText?: (path: string) => void): string {
  gen++;
  out = [];
  onTextPath = onText;
  try {
    visit(record, rootNode);
    // join: one flat string (buffered until the group commit; a rope of ~700 parts is not).
    return out.join(' ');
  } finally {
    out = [];
    onTextPath = undefined;
  }
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
