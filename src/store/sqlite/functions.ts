/**
 * Checks over a record's JSON that the FTS index can only narrow: phrases (word order),
 * wildcards, ranges on non-column fields, punctuation-only values. Registered as SQL functions
 * by the store; they run only on the FTS candidates (or, at worst, on the rows left by the
 * other conditions), never as the first filter of a large scan when avoidable.
 */
import { CodedError } from '../../core/errors.js';
import { valuesAt, words } from './terms.js';
import { parseTime } from '../../core/time.js';
import { compileGlob, globLiterals, globMatch, globMatchLower, type Glob } from '../../search/glob.js';

/** The last parsed document: several checks of one row parse it once. */
function docCache(): (doc: string) => unknown {
  let lastText: string | undefined;
  let lastDoc: unknown;
  return (doc) => {
    if (doc !== lastText) {
      lastDoc = JSON.parse(doc);
      lastText = doc;
    }
    return lastDoc;
  };
}

/**
 * A compiled glob, with the literal runs (lower-case letters/digits) any matching value holds
 * in order, and whether a word match implies a whole-value match (`*...*`: the word is inside
 * the value), which spares splitting values into words.
 */
type CachedGlob = Glob & { runs: string[]; wordsImplied: boolean };
const globCache = new Map<string, CachedGlob>();
function glob(src: string): CachedGlob {
  let g = globCache.get(src);
  if (!g) {
    const c = compileGlob(src);
    g = { ...c, runs: globLiterals(c), wordsImplied: c.leadingStar && c.trailingStar };
    if (globCache.size > 1000) globCache.clear();
    globCache.set(src, g);
  }
  return g;
}

/**
 * A search's time budget, shared by the index (which sets it around each search) and the
 * check functions (which throw once it is spent: SQLite then aborts the statement at once;
 * better-sqlite3 exposes no interrupt nor progress handler).
 */
export interface SearchBudget {
  /** Date.now() past which checks throw ERR_QUERY_TIMEOUT; Infinity = none. */
  deadline: number;
  timeoutMs: number;
}

export const timeoutError = (ms: number): CodedError =>
  new CodedError(
    'ERR_QUERY_TIMEOUT',
    `the search took longer than its time budget (${ms} ms): narrow the query or the time range`,
  );

export function checkBudget(b: SearchBudget): void {
  if (b.deadline !== Infinity && Date.now() > b.deadline) throw timeoutError(b.timeoutMs);
}

function holdsRuns(low: string, runs: readonly string[]): boolean {
  let at = 0;
  for (const r of runs) {
    const i = low.indexOf(r, at);
    if (i < 0) return false;
    at = i + r.length;
  }
  return true;
}

/** Whether a value (or one of its words) matches: the check of ic_wild for one value. */
function wildValue(g: CachedGlob, v: string): boolean {
  const low = v.toLowerCase();
  // A value without the pattern's runs in order has no matching word either.
  if (!holdsRuns(low, g.runs)) return false;
  if (globMatchLower(g, low)) return true;
  return !g.wordsImplied && words(low).some((w) => globMatchLower(g, w));
}

/**
 * Calls `fn` with each leaf value of a record's JSON text (strings, numbers, booleans; not keys,
 * not null) until it returns true, without parsing the record into objects: the free-text
 * wildcard check runs on every candidate, and JSON.parse was most of its cost. Numbers are
 * passed as written, which is String(n) for text written by JSON.stringify (the store's).
 */
export function someLeafValue(doc: string, fn: (v: string) => boolean): boolean {
  const n = doc.length;
  let i = 0;
  while (i < n) {
    const c = doc.charCodeAt(i);
    if (c === 34 /* " */) {
      let j = i + 1;
      let escaped = false;
      for (;;) {
        const d = doc.charCodeAt(j);
        if (d === 92 /* \ */) {
          escaped = true;
          j += 2;
        } else if (d === 34 || j >= n) break;
        else j++;
      }
      let k = j + 1;
      while (k < n && (doc.charCodeAt(k) === 32 || doc.charCodeAt(k) === 10)) k++;
      if (doc.charCodeAt(k) !== 58 /* : */) {
        const v = escaped ? (JSON.parse(doc.slice(i, j + 1)) as string) : doc.slice(i + 1, j);
        if (fn(v)) return true;
      }
      i = j + 1;
    } else if (c === 45 || (c >= 48 && c <= 57) || c === 116 || c === 102) {
      // A number, true or false (null starts with 'n' and is skipped, as valuesAt skips it).
      let j = i + 1;
      while (j < n) {
        const d = doc.charCodeAt(j);
        if (d === 44 || d === 125 || d === 93 || d === 32 || d === 10) break;
        j++;
      }
      if (fn(doc.slice(i, j))) return true;
      i = j;
    } else i++;
  }
  return false;
}

function containsSequence(hay: readonly string[], needle: readonly string[]): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

function toNumber(v: string, allowTime: boolean): number | undefined {
  if (v.trim() !== '') {
    const n = Number(v);
    if (Number.isFinite(n)) return n;
  }
  return allowTime ? parseTime(v) : undefined;
}

/** Range check: numeric when the value is a number (bounds may be numbers or times), else text. */
export function inRange(
  value: string,
  lo: string | null,
  hi: string | null,
  loInclusive: boolean,
  hiInclusive: boolean,
): boolean {
  const nv = toNumber(value, false);
  if (nv !== undefined) {
    const nlo = lo === null ? undefined : toNumber(lo, true);
    const nhi = hi === null ? undefined : toNumber(hi, true);
    if ((lo !== null && nlo === undefined) || (hi !== null && nhi === undefined)) return false;
    if (nlo !== undefined && (loInclusive ? nv < nlo : nv <= nlo)) return false;
    if (nhi !== undefined && (hiInclusive ? nv > nhi : nv >= nhi)) return false;
    return true;
  }
  const v = value.toLowerCase();
  if (lo !== null) {
    const l = lo.toLowerCase();
    if (loInclusive ? v < l : v <= l) return false;
  }
  if (hi !== null) {
    const h = hi.toLowerCase();
    if (hiInclusive ? v > h : v >= h) return false;
  }
  return true;
}

export interface SearchFunctions {
  ic_phrase(doc: string, path: string | null, wordsJson: string): number;
  /** Every word occurs in some value at `path` (a field query's text branch). */
  ic_words(doc: string, path: string, wordsJson: string): number;
  ic_wild(doc: string, path: string | null, glob: string): number;
  ic_wild_value(text: string | null, glob: string): number;
  ic_range(doc: string, path: string, lo: string | null, hi: string | null, flags: number): number;
  ic_value_eq(doc: string, path: string | null, value: string): number;
  /** 0, after checking the budget (every 64th call): keeps a scan whose rows skip the other checks interruptible. */
  ic_tick(): number;
}

/** One set per connection (each keeps its own small parse cache), checking `budget` on each call. */
export function searchFunctions(budget: SearchBudget): SearchFunctions {
  const cached = docCache();
  let ticks = 0;
  const parse = (doc: string) => {
    checkBudget(budget);
    return cached(doc);
  };
  return {
    ic_phrase(doc, path, wordsJson) {
      const needle = JSON.parse(wordsJson) as string[];
      return valuesAt(parse(doc), path).some((v) => containsSequence(words(v), needle)) ? 1 : 0;
    },
    ic_words(doc, path, wordsJson) {
      const needle = JSON.parse(wordsJson) as string[];
      const have = new Set(valuesAt(parse(doc), path).flatMap(words));
      return needle.every((w) => have.has(w)) ? 1 : 0;
    },
    ic_wild(doc, path, pattern) {
      const g = glob(pattern);
      if (path === null) {
        checkBudget(budget);
        return someLeafValue(doc, (v) => wildValue(g, v)) ? 1 : 0;
      }
      return valuesAt(parse(doc), path).some((v) => wildValue(g, v)) ? 1 : 0;
    },
    ic_wild_value(text, pattern) {
      checkBudget(budget);
      return text !== null && globMatch(glob(pattern), text) ? 1 : 0;
    },
    ic_range(doc, path, lo, hi, flags) {
      return valuesAt(parse(doc), path).some((v) => inRange(v, lo, hi, (flags & 1) !== 0, (flags & 2) !== 0))
        ? 1
        : 0;
    },
    ic_tick() {
      if ((++ticks & 63) === 0) checkBudget(budget);
      return 0;
    },
    ic_value_eq(doc, path, value) {
      const want = value.toLowerCase();
      return valuesAt(parse(doc), path).some((v) => v.toLowerCase() === want) ? 1 : 0;
    },
  };
}
