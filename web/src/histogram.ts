/**
 * The Threat Hunting histogram's arithmetic, without React or the DOM (unit-tested in
 * test/web/histogram.test.ts): y-axis ticks, the bucket size in words, the time window of a
 * selection of bars, and the chart's text description for screen readers.
 */

export interface HistogramData {
  interval: number;
  buckets: { start: number; count: number }[];
  /** Set when "All time" left a few outliers out (server `robust=true`). */
  span?: { min: number; max: number; before: number; after: number };
}

/**
 * Y-axis ticks from 0 to a round top at or above `max`: steps of 1, 2 or 5 times a power of
 * ten, at most `count` steps. `max` <= 0 gives [0, 1].
 */
export function niceTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  // Whole records: never a step under 1.
  const s = Math.max(1, step);
  const top = Math.ceil(max / s) * s;
  const out: number[] = [];
  for (let v = 0; v <= top + s / 2; v += s) out.push(Math.round(v));
  return out;
}

/** A tick's label: 950, 1.5k, 12k, 1.2M. */
export function compactCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${trim(n / 1000)}k`;
  return `${trim(n / 1_000_000)}M`;
}
const trim = (x: number) => (x >= 10 ? String(Math.round(x)) : String(Math.round(x * 10) / 10));

const UNITS: [number, string][] = [
  [365 * 86_400_000, 'year'],
  [7 * 86_400_000, 'week'],
  [86_400_000, 'day'],
  [3_600_000, 'hour'],
  [60_000, 'minute'],
  [1000, 'second'],
  [1, 'millisecond'],
];

/** A bucket width in words: "1 hour", "5 minutes", "30 days", "100 milliseconds". */
export function intervalLabel(ms: number): string {
  for (const [size, unit] of UNITS) {
    if (ms >= size && ms % size === 0) {
      const n = ms / size;
      return `${n} ${unit}${n === 1 ? '' : 's'}`;
    }
  }
  return `${ms} milliseconds`;
}

/**
 * The time window of bars `a`..`b` (either order, clamped to the bars): from the first one's
 * start to the last one's end (inclusive, so `to` is its last millisecond).
 */
export function selectionWindow(h: HistogramData, a: number, b: number): { from: number; to: number } | null {
  const n = h.buckets.length;
  if (n === 0) return null;
  const lo = Math.max(0, Math.min(a, b, n - 1));
  const hi = Math.min(n - 1, Math.max(a, b, 0));
  return { from: h.buckets[lo]!.start, to: h.buckets[hi]!.start + h.interval - 1 };
}

/** The bar under `x` (0..width) of a chart `width` wide with `n` bars. */
export function barAt(x: number, width: number, n: number): number {
  if (n <= 0 || width <= 0) return 0;
  return Math.min(n - 1, Math.max(0, Math.floor((x / width) * n)));
}

/** What the chart shows, in words (its accessible description). */
export function describeHistogram(h: HistogramData, fmt: (ms: number) => string): string {
  const n = h.buckets.length;
  if (n === 0) return 'No records over time.';
  const total = h.buckets.reduce((s, b) => s + b.count, 0);
  let peak = h.buckets[0]!;
  for (const b of h.buckets) if (b.count > peak.count) peak = b;
  const first = h.buckets[0]!.start;
  const last = h.buckets[n - 1]!.start + h.interval;
  const parts = [
    `${n} bars of ${intervalLabel(h.interval)} from ${fmt(first)} to ${fmt(last)}, ${total.toLocaleString('en-US')} records.`,
    `Peak: ${peak.count.toLocaleString('en-US')} records from ${fmt(peak.start)}.`,
  ];
  if (h.span && h.span.before + h.span.after > 0) parts.push(outliersText(h.span, fmt) + '.');
  return parts.join(' ');
}

/** The records "All time" left out of the chart, in words. */
export function outliersText(span: NonNullable<HistogramData['span']>, fmt: (ms: number) => string): string {
  const rec = (n: number) => `${n.toLocaleString('en-US')} ${n === 1 ? 'record' : 'records'}`;
  const out: string[] = [];
  if (span.before > 0) out.push(`${rec(span.before)} earlier (from ${fmt(span.min)})`);
  if (span.after > 0) out.push(`${rec(span.after)} later (to ${fmt(span.max)})`);
  return `Outliers not in the chart: ${out.join(', ')}`;
}
