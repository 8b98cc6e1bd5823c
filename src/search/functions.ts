/**
 * Checks over a record's JSON that the FTS index can only narrow: phrases (word order),
 * wildcards, ranges on non-column fields, punctuation-only values. Registered as SQL functions
 * by the store; they run only on the FTS candidates (or, at worst, on the rows left by the
 * other conditions), never as the first filter of a large scan when avoidable.
 */
import { CodedError } from '../core/errors.js';
import { valuesAt, words } from './terms.js';
import { parseTime } from './sql.js';
import { compileGlob, globMatch, type Glob } from './glob.js';

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

const globCache = new Map<string, Glob>();
function glob(src: string): Glob {
  let g = globCache.get(src);
  if (!g) {
    g = compileGlob(src);
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
}

/** One set per connection (each keeps its own small parse cache), checking `budget` on each call. */
export function searchFunctions(budget?: SearchBudget): SearchFunctions {
  const cached = docCache();
  const parse = budget
    ? (doc: string) => {
        checkBudget(budget);
        return cached(doc);
      }
    : cached;
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
      return valuesAt(parse(doc), path).some((v) => globMatch(g, v) || words(v).some((w) => globMatch(g, w)))
        ? 1
        : 0;
    },
    ic_wild_value(text, pattern) {
      if (budget) checkBudget(budget);
      return text !== null && globMatch(glob(pattern), text) ? 1 : 0;
    },
    ic_range(doc, path, lo, hi, flags) {
      return valuesAt(parse(doc), path).some((v) => inRange(v, lo, hi, (flags & 1) !== 0, (flags & 2) !== 0))
        ? 1
        : 0;
    },
    ic_value_eq(doc, path, value) {
      const want = value.toLowerCase();
      return valuesAt(parse(doc), path).some((v) => v.toLowerCase() === want) ? 1 : 0;
    },
  };
}
