import { describe, expect, it } from 'vitest';
import type { RunProgress } from '../pipeline/runner.js';
import { partsProgressText, progressReporter, progressText } from './progress.js';

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

  it('parts collected at once: the terminal line sums them and names each; plain lines are per part that moved', () => {
    const of = (part: string, pages: number, stored: number): RunProgress => ({
      ...at(pages, 4000),
      part,
      stored,
    });
    expect(partsProgressText([of('us-east-1', 3, 500), of('eu-west-1', 2, 520)])).toBe(
      '2 parts: pages 5, findings 500, stored 520 (us-east-1 300, eu-west-1 200), 4 s elapsed',
    );
    let t = 0;
    const tty: string[] = [];
    const live = progressReporter({ write: (s) => tty.push(s), tty: true, everyMs: 10_000, now: () => t });
    live.update(of('us-east-1', 1, 90));
    t += 300;
    live.update(of('eu-west-1', 1, 180));
    expect(tty.at(-1)).toContain('2 parts: pages 2, findings 200, stored 180 (us-east-1 100, eu-west-1 100)');
    t = 0;
    const plain: string[] = [];
    const lines = progressReporter({ write: (s) => plain.push(s), tty: false, everyMs: 1_000, now: () => t });
    t = 500;
    lines.update(of('us-east-1', 1, 90));
    t = 1_000;
    lines.update(of('eu-west-1', 1, 180));
    t = 2_000;
    lines.update(of('eu-west-1', 2, 270));
    expect(plain).toEqual([
      'progress: us-east-1 window: pages 1, findings 100, stored 90, 25 findings/s, 4 s elapsed\n',
      'progress: eu-west-1 window: pages 1, findings 100, stored 180, 25 findings/s, 4 s elapsed\n',
      'progress: eu-west-1 window: pages 2, findings 200, stored 270, 50 findings/s, 4 s elapsed\n',
    ]);
  });
});
