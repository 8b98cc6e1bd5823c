/**
 * Log filters (exclude): a record matching any applicable filter is discarded before it is
 * stored, and counted under that filter's name.
 *
 * Semantics (docs/records.md, "Log filters", says the same for users):
 * - A filter applies to a record only if its `tenant` (when set) equals the record's
 *   `tenant_name` and its `logSource` (when set) equals `msg_origin.source`, exactly.
 * - All of a filter's conditions must match (AND). The first matching filter wins.
 * - `field` is a dotted path. Where the path crosses an array, every element is followed; a
 *   numeric segment on an array picks that index instead. A path ending on an array yields its
 *   elements. `null` counts as absent.
 * - Positive operators match when ANY value found at the path matches ANY of the condition's
 *   values; `not_equals`, `not_contains`, `not_in` match when NONE does (so they match a
 *   record that lacks the field), `not_exists` when the path yields nothing.
 * - Text comparisons are case-insensitive; numbers and booleans compare by their text, and
 *   `equals`/`in` also compare numerically when both sides are numbers (7 equals "7.0").
 * - `gt`/`gte`/`lt`/`lte` take exactly one number (a numeric string like "7.5" is accepted)
 *   and match numeric field values (numbers, or strings that are plain decimal numbers).
 */
import { logFilter as logFilterSchema, type LogFilter, type LogFilterCondition } from '../core/log-filter.js';
import { CodedError } from '../core/errors.js';
import type { InterflowRecord } from '../core/record.js';

/** Returns the name of the first filter that matches (the record is to be discarded), if any. */
export type FilterMatcher = (record: InterflowRecord) => string | undefined;

export interface FilterIssue {
  /** e.g. `logFilters[0].conditions[1].values` */
  field: string;
  message: string;
}

type Leaf = (v: unknown) => boolean;
type Condition = (record: InterflowRecord) => boolean;

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A plain decimal number written as text, or undefined. */
function numericText(s: string): number | undefined {
  const t = s.trim();
  if (!DECIMAL.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string') return numericText(v);
  return undefined;
}

/** Lower-cased text of a primitive; objects have none. */
function asText(v: unknown): string | undefined {
  if (typeof v === 'string') return v.toLowerCase();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v).toLowerCase();
  return undefined;
}

const isIndex = (s: string): boolean => s.length > 0 && s.length < 10 && /^\d+$/.test(s);

/** True if any value at `segs[i..]` under `v` satisfies `pred`; short-circuits. */
function anyAt(v: unknown, segs: readonly string[], i: number, pred: Leaf): boolean {
  if (v === undefined || v === null) return false;
  if (Array.isArray(v)) {
    if (i < segs.length && isIndex(segs[i]!)) return anyAt(v[Number(segs[i])], segs, i + 1, pred);
    for (const x of v) if (anyAt(x, segs, i, pred)) return true;
    return false;
  }
  if (i === segs.length) return pred(v);
  if (typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  const k = segs[i]!;
  return Object.hasOwn(o, k) ? anyAt(o[k], segs, i + 1, pred) : false;
}

const always: Leaf = () => true;

/** Semantic checks zod cannot express; returns messages for `values`. */
function valueProblem(c: LogFilterCondition): string | undefined {
  const vals = c.values;
  switch (c.operator) {
    case 'exists':
    case 'not_exists':
      return vals.length === 0 ? undefined : `${c.operator} takes no values; remove them`;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      if (vals.length !== 1) return `${c.operator} takes exactly one number, got ${vals.length} values`;
      return asNumber(vals[0]) === undefined
        ? `${c.operator} takes a number, got ${JSON.stringify(vals[0])}`
        : undefined;
    }
    case 'contains':
    case 'not_contains':
    case 'starts_with':
    case 'ends_with':
      if (vals.length === 0) return `${c.operator} needs at least one value`;
      return vals.some((v) => String(v) === '')
        ? `${c.operator} values must not be empty (an empty text matches everything)`
        : undefined;
    default:
      return vals.length === 0 ? `${c.operator} needs at least one value` : undefined;
  }
}

/**
 * Every problem in a list of filters, each named by its path (`logFilters[i].conditions[j].values`):
 * the schema's own checks, the operator/value checks, duplicate names.
 */
export function logFilterIssues(filters: readonly unknown[]): FilterIssue[] {
  const issues: FilterIssue[] = [];
  const seen = new Set<string>();
  filters.forEach((raw, i) => {
    const parsed = logFilterSchema.safeParse(raw);
    if (!parsed.success) {
      for (const is of parsed.error.issues) {
        const path = is.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
        const keys = is.code === 'unrecognized_keys' ? `: ${is.keys.join(', ')}` : '';
        issues.push({ field: `logFilters[${i}]${path}`, message: is.message + keys });
      }
      return;
    }
    const f = parsed.data;
    if (seen.has(f.name)) {
      issues.push({
        field: `logFilters[${i}].name`,
        message: `duplicate filter name ${JSON.stringify(f.name)}`,
      });
    }
    seen.add(f.name);
    f.conditions.forEach((c, j) => {
      const problem = valueProblem(c);
      if (problem !== undefined)
        issues.push({ field: `logFilters[${i}].conditions[${j}].values`, message: problem });
    });
  });
  return issues;
}

function compileCondition(c: LogFilterCondition): Condition {
  const segs = c.field.split('.');
  const texts = c.values.map((v) => String(v).toLowerCase());
  const textSet = new Set(texts);
  const numSet = new Set(c.values.map(asNumber).filter((n): n is number => n !== undefined));
  const eq: Leaf = (v) => {
    const t = asText(v);
    if (t === undefined) return false;
    if (textSet.has(t)) return true;
    const n = numSet.size > 0 ? asNumber(v) : undefined;
    return n !== undefined && numSet.has(n);
  };
  const textLeaf =
    (test: (t: string, want: string) => boolean): Leaf =>
    (v) => {
      const t = asText(v);
      if (t === undefined) return false;
      for (const w of texts) if (test(t, w)) return true;
      return false;
    };
  const cmp = (test: (n: number, want: number) => boolean): Leaf => {
    const want = asNumber(c.values[0])!;
    return (v) => {
      const n = asNumber(v);
      return n !== undefined && test(n, want);
    };
  };
  const any =
    (pred: Leaf): Condition =>
    (r) =>
      anyAt(r, segs, 0, pred);
  const none =
    (pred: Leaf): Condition =>
    (r) =>
      !anyAt(r, segs, 0, pred);
  switch (c.operator) {
    case 'equals':
    case 'in':
      return any(eq);
    case 'not_equals':
    case 'not_in':
      return none(eq);
    case 'contains':
      return any(textLeaf((t, w) => t.includes(w)));
    case 'not_contains':
      return none(textLeaf((t, w) => t.includes(w)));
    case 'starts_with':
      return any(textLeaf((t, w) => t.startsWith(w)));
    case 'ends_with':
      return any(textLeaf((t, w) => t.endsWith(w)));
    case 'exists':
      return any(always);
    case 'not_exists':
      return none(always);
    case 'gt':
      return any(cmp((n, w) => n > w));
    case 'gte':
      return any(cmp((n, w) => n >= w));
    case 'lt':
      return any(cmp((n, w) => n < w));
    case 'lte':
      return any(cmp((n, w) => n <= w));
  }
}

/**
 * Compiles filters once per run. Invalid filters throw ERR_CONFIG_INVALID naming every bad
 * field (`logFilters[i].conditions[j].values`), before any record is looked at.
 */
export function compileFilters(filters: readonly LogFilter[]): FilterMatcher {
  const issues = logFilterIssues(filters);
  if (issues.length > 0) {
    const text = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
    throw new CodedError('ERR_CONFIG_INVALID', `invalid log filters: ${text}`, { detail: text });
  }
  if (filters.length === 0) return () => undefined;
  const compiled = filters.map((f) => {
    const parsed = logFilterSchema.parse(f);
    return {
      name: parsed.name,
      tenant: parsed.tenant,
      logSource: parsed.logSource,
      conditions: parsed.conditions.map(compileCondition),
    };
  });
  return (record) => {
    for (const f of compiled) {
      if (f.tenant !== undefined && f.tenant !== record.tenant_name) continue;
      if (f.logSource !== undefined && f.logSource !== record.msg_origin?.source) continue;
      let all = true;
      for (const c of f.conditions) {
        if (!c(record)) {
          all = false;
          break;
        }
      }
      if (all) return f.name;
    }
    return undefined;
  };
}

/** Discards per filter name; JSON-serializable (the store keeps it as a run count). */
export type DiscardCounts = Record<string, number>;

export interface FilterOutcome {
  kept: InterflowRecord[];
  /** Total discarded. */
  discarded: number;
  discardedByFilter: DiscardCounts;
}

/** A fresh counts object; no prototype, so a filter named "__proto__" counts like any other. */
export function newDiscardCounts(): DiscardCounts {
  return Object.create(null) as DiscardCounts;
}

/** Splits a page of records into the kept ones and per-filter discard counts. */
export function applyFilters(match: FilterMatcher, records: readonly InterflowRecord[]): FilterOutcome {
  const kept: InterflowRecord[] = [];
  const discardedByFilter = newDiscardCounts();
  let discarded = 0;
  for (const r of records) {
    const name = match(r);
    if (name === undefined) kept.push(r);
    else {
      discarded++;
      discardedByFilter[name] = (discardedByFilter[name] ?? 0) + 1;
    }
  }
  return { kept, discarded, discardedByFilter };
}

/** Adds `from` into `into` (pages into a run total); returns `into`. */
export function addDiscardCounts(into: DiscardCounts, from: DiscardCounts): DiscardCounts {
  for (const k of Object.keys(from)) into[k] = (into[k] ?? 0) + (from[k] ?? 0);
  return into;
}
