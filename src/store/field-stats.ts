/**
 * The field list of Threat Hunting: which fields a sample of records has, and their most
 * frequent values. Backend-neutral (records in, counts out); bounded by the sample's size and
 * the caps below, whatever the records hold.
 */
import type { FieldStat } from './types.js';

/** Paths kept per sample; values longer than MAX_VALUE are counted but never listed. */
const MAX_PATHS = 500;
const MAX_DEPTH = 8;
const MAX_VALUE = 200;
/** Distinct values tracked per field: past it, new values are not counted (top values of a sample). */
const DISTINCT_CAP = 1000;

export function fieldStats(
  records: readonly unknown[],
  top: number,
): { sampled: number; fields: FieldStat[] } {
  const byPath = new Map<string, { count: number; values: Map<string, number> }>();
  for (const r of records) {
    // Per record: each path counted once, each value once per record.
    const seen = new Map<string, Set<string>>();
    const visit = (v: unknown, p: string, depth: number): void => {
      if (v === null || v === undefined || depth > MAX_DEPTH) return;
      if (Array.isArray(v)) {
        for (const el of v) visit(el, p, depth + 1);
        return;
      }
      if (typeof v === 'object') {
        for (const [k, c] of Object.entries(v as Record<string, unknown>))
          visit(c, p ? `${p}.${k}` : k, depth + 1);
        return;
      }
      if (!p) return;
      let vals = seen.get(p);
      if (!vals) {
        if (!byPath.has(p) && byPath.size >= MAX_PATHS) return;
        vals = new Set();
        seen.set(p, vals);
      }
      vals.add(typeof v === 'string' ? v : String(v));
    };
    visit(r, '', 0);
    for (const [p, vals] of seen) {
      let f = byPath.get(p);
      if (!f) byPath.set(p, (f = { count: 0, values: new Map() }));
      f.count++;
      for (const v of vals) {
        const n = f.values.get(v);
        if (n !== undefined) f.values.set(v, n + 1);
        else if (f.values.size < DISTINCT_CAP) f.values.set(v, 1);
      }
    }
  }
  const fields: FieldStat[] = [...byPath].map(([path, f]) => ({
    path,
    count: f.count,
    distinct: f.values.size,
    top: [...f.values]
      .filter(([v]) => v.length <= MAX_VALUE)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, top)
      .map(([value, count]) => ({ value, count })),
  }));
  fields.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { sampled: records.length, fields };
}
