import { describe, expect, it } from 'vitest';
import { parseTime } from './time.js';

describe('parseTime (CLI --from/--to, API from/to, times in queries)', () => {
  it('reads epoch milliseconds, negative ones too', () => {
    expect(parseTime('1767225600000')).toBe(1767225600000);
    expect(parseTime('0')).toBe(0);
    expect(parseTime('-1000')).toBe(-1000);
  });

  it('reads ISO-8601 dates and date-times', () => {
    expect(parseTime('2026-01-31')).toBe(Date.UTC(2026, 0, 31));
    expect(parseTime('2026-01-31T12:00:00Z')).toBe(Date.UTC(2026, 0, 31, 12));
    expect(parseTime('2026-01-31T12:00:00+02:00')).toBe(Date.UTC(2026, 0, 31, 10));
  });

  it('refuses what only Date.parse would guess at', () => {
    for (const v of ['yesterday', 'Jan 31 2026', '31/01/2026', '', ' ', '12abc', '2026-13-45'])
      expect(parseTime(v), v).toBeUndefined();
  });

  it('refuses times outside Date range', () => {
    expect(parseTime('9'.repeat(400))).toBeUndefined();
    expect(parseTime('9000000000000000')).toBeUndefined();
    expect(parseTime('8640000000000000')).toBe(8.64e15);
  });
});
