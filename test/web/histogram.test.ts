/** The Threat Hunting histogram's arithmetic (web/src/histogram.ts). */
import { describe, expect, it } from 'vitest';
import {
  barAt,
  compactCount,
  describeHistogram,
  intervalLabel,
  niceTicks,
  outliersText,
  selectionWindow,
  type HistogramData,
} from '../../web/src/histogram.js';

const MIN = 60_000;
const fmt = (ms: number) => new Date(ms).toISOString().slice(11, 16);
const h: HistogramData = {
  interval: 5 * MIN,
  buckets: [
    { start: 0, count: 3 },
    { start: 5 * MIN, count: 0 },
    { start: 10 * MIN, count: 7 },
    { start: 15 * MIN, count: 1 },
  ],
};

describe('niceTicks', () => {
  it('goes from 0 to a round top at or above the max, in steps of 1, 2 or 5 x 10^n', () => {
    expect(niceTicks(5)).toEqual([0, 2, 4, 6]);
    expect(niceTicks(100)).toEqual([0, 50, 100]);
    expect(niceTicks(1234)).toEqual([0, 500, 1000, 1500]);
    expect(niceTicks(73_000)).toEqual([0, 20_000, 40_000, 60_000, 80_000]);
    expect(niceTicks(10)).toEqual([0, 5, 10]);
  });
  it('whole records only: never a step under 1; an empty chart still has an axis', () => {
    expect(niceTicks(1)).toEqual([0, 1]);
    expect(niceTicks(3)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(0)).toEqual([0, 1]);
  });
  it('the top tick is never below the max', () => {
    for (const max of [1, 2, 7, 9, 11, 99, 101, 999, 1001, 123_456]) {
      const t = niceTicks(max);
      expect(t[t.length - 1]!, String(max)).toBeGreaterThanOrEqual(max);
      expect(t.length, String(max)).toBeLessThanOrEqual(6);
    }
  });
});

describe('labels', () => {
  it('counts: 950, 1.5k, 12k, 1.2M', () => {
    expect([950, 1500, 12_000, 1_200_000, 20_000_000].map(compactCount)).toEqual([
      '950',
      '1.5k',
      '12k',
      '1.2M',
      '20M',
    ]);
  });
  it('bucket sizes in words, for every interval the server picks', () => {
    expect(intervalLabel(1)).toBe('1 millisecond');
    expect(intervalLabel(100)).toBe('100 milliseconds');
    expect(intervalLabel(5000)).toBe('5 seconds');
    expect(intervalLabel(MIN)).toBe('1 minute');
    expect(intervalLabel(30 * MIN)).toBe('30 minutes');
    expect(intervalLabel(3_600_000)).toBe('1 hour');
    expect(intervalLabel(12 * 3_600_000)).toBe('12 hours');
    expect(intervalLabel(86_400_000)).toBe('1 day');
    expect(intervalLabel(7 * 86_400_000)).toBe('1 week');
    expect(intervalLabel(30 * 86_400_000)).toBe('30 days');
    expect(intervalLabel(365 * 86_400_000)).toBe('1 year');
    // An interval of its own (span / buckets): the largest unit that divides it.
    expect(intervalLabel(90_061)).toBe('90061 milliseconds');
  });
});

describe('selection', () => {
  it('the window of bars a..b in either order: first start to last end (inclusive)', () => {
    expect(selectionWindow(h, 0, 2)).toEqual({ from: 0, to: 15 * MIN - 1 });
    expect(selectionWindow(h, 2, 0)).toEqual({ from: 0, to: 15 * MIN - 1 });
    expect(selectionWindow(h, 3, 3)).toEqual({ from: 15 * MIN, to: 20 * MIN - 1 });
    // Clamped to the bars.
    expect(selectionWindow(h, -4, 9)).toEqual({ from: 0, to: 20 * MIN - 1 });
    expect(selectionWindow({ interval: 1, buckets: [] }, 0, 1)).toBeNull();
  });
  it('the bar under a point', () => {
    expect(barAt(0, 400, 4)).toBe(0);
    expect(barAt(99, 400, 4)).toBe(0);
    expect(barAt(100, 400, 4)).toBe(1);
    expect(barAt(399, 400, 4)).toBe(3);
    expect(barAt(-5, 400, 4)).toBe(0);
    expect(barAt(500, 400, 4)).toBe(3);
  });
});

describe('description', () => {
  it('says the bars, the span, the total and the peak', () => {
    expect(describeHistogram(h, fmt)).toBe(
      '4 bars of 5 minutes from 00:00 to 00:20, 11 records. Peak: 7 records from 00:10.',
    );
    expect(describeHistogram({ interval: 1000, buckets: [] }, fmt)).toBe('No records over time.');
  });
  it('names the outliers left out', () => {
    const span = { min: -60 * MIN, max: 90 * MIN, before: 1, after: 2 };
    expect(outliersText(span, fmt)).toBe(
      'Outliers not in the chart: 1 record earlier (from 23:00), 2 records later (to 01:30)',
    );
    expect(outliersText({ ...span, before: 0 }, fmt)).toBe(
      'Outliers not in the chart: 2 records later (to 01:30)',
    );
    expect(describeHistogram({ ...h, span }, fmt)).toContain('. Outliers not in the chart: 1 record earlier');
  });
});
