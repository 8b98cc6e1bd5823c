import { describe, expect, it } from 'vitest';
import type { RunProgress } from '../pipeline/runner.js';
import { progressReporter, progressText } from './progress.js';

const at = (pages: number, elapsedMs: number): RunProgress => ({
  query: 'window',
  pages,
  findings: pages * 100,
  stored: pages * 90,
  elapsedMs,
  rate: elapsedMs > 0 ? (pages * 100_000) / elapsedMs : 0,
});

describe('collect progress', () => {
  it('names pages, findings received and stored, rate and elapsed time', () => {
    expect(progressText(at(12, 3000))).toBe(
      'window: pages 12, findings 1200, stored 1080, 400 findings/s, 3 s elapsed',
    );
  });

  it('off a terminal: one plain line per interval, none before the first interval', () => {
    let t = 1_000;
    const out: string[] = [];
    const r = progressReporter({ write: (s) => out.push(s), tty: false, everyMs: 10_000, now: () => t });
    for (let page = 1; page <= 30; page++) {
      t += 1_000; // one page a second for 30 s
      r.update(at(page, t - 1_000));
    }
    r.done();
    expect(out).toEqual([
      'progress: window: pages 10, findings 1000, stored 900, 100 findings/s, 10 s elapsed\n',
      'progress: window: pages 20, findings 2000, stored 1800, 100 findings/s, 20 s elapsed\n',
      'progress: window: pages 30, findings 3000, stored 2700, 100 findings/s, 30 s elapsed\n',
    ]);
  });

  it('on a terminal: redraws one line at most 5 times a second and clears it when done', () => {
    let t = 0;
    const out: string[] = [];
    const r = progressReporter({ write: (s) => out.push(s), tty: true, everyMs: 10_000, now: () => t });
    for (let page = 1; page <= 10; page++) {
      t += 100;
      r.update(at(page, t));
    }
    r.done();
    expect(out.filter((s) => s.includes('pages'))).toHaveLength(5);
    expect(out.every((s) => s.startsWith('\r') && !s.includes('\n'))).toBe(true);
    expect(out.at(-1)).toBe('\r\x1b[K');
  });
});
