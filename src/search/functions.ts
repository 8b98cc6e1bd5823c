/**
 * Checks over a record's JSON that the FTS index can only narrow: phrases (word order),
 * wildcards, ranges on non-column fields, punctuation-only values. Registered as SQL functions
 * by the store; they run only on the FTS candidates (or, at worst, on the rows left by the
 * other conditions), never as the first filter of a large scan when avoidable.
 */
import { valuesAt, words } from './terms.js';
import { parseTime } from './sql.js';

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

const regexCache = new Map<string, RegExp>();
function re(src: string): RegExp {
  let r = regexCache.get(src);
  if (!r) {
    r = new RegExp(src, 'isu');
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(src, r);
  }
  return r;
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
  ic_wild(doc: string, path: string | null, regex: string): number;
  ic_wild_value(text: string | null, regex: string): number;
  ic_range(doc: string, path: string, lo: string | null, hi: string | null, flags: number): number;
  ic_value_eq(doc: string, path: string | null, value: string): number;
}

/** One set per connection (each keeps its own small parse cache). */
export function searchFunctions(): SearchFunctions {
  const parse = docCache();
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
    ic_wild(doc, path, regex) {
      const r = re(regex);
      return valuesAt(parse(doc), path).some((v) => r.test(v) || words(v).some((w) => r.test(w))) ? 1 : 0;
    },
    ic_wild_value(text, regex) {
      return text !== null && re(regex).test(text) ? 1 : 0;
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
