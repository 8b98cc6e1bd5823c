/**
 * Progress of a long `collect` run: on a terminal a live line redrawn in place (at most 5 times
 * a second); anywhere else (a pipe, a log file, systemd) one plain line every `everyMs`, so a
 * long backfill shows it is alive without flooding the log. `--quiet` turns both off.
 */
import type { RunProgress } from '../pipeline/runner.js';

export interface ProgressReporter {
  update(p: RunProgress): void;
  /** Clears the live line (before the run's summary); a no-op for plain lines. */
  done(): void;
}

export interface ProgressOptions {
  write: (text: string) => void;
  /** A terminal: redraw one line; else plain lines. */
  tty: boolean;
  /** Plain lines: at most one per this many ms (the first after one interval). */
  everyMs: number;
  now?: () => number;
}

const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;

/** "window: pages 12, findings 1200, stored 1100, 450 findings/s, 3 s elapsed". */
export function progressText(p: RunProgress): string {
  return (
    `${p.query}: pages ${p.pages}, findings ${p.findings}, stored ${p.stored}, ` +
    `${Math.round(p.rate)} findings/s, ${seconds(p.elapsedMs)} elapsed`
  );
}

export function progressReporter(opts: ProgressOptions): ProgressReporter {
  const now = opts.now ?? Date.now;
  const start = now();
  let last = opts.tty ? 0 : start;
  let shown = false;
  const every = opts.tty ? 200 : opts.everyMs;
  return {
    update(p) {
      const t = now();
      if (t - last < every) return;
      last = t;
      if (opts.tty) {
        shown = true;
        opts.write(`\r${'|/-\\'[p.pages % 4]} ${progressText(p)}\x1b[K`);
      } else {
        opts.write(`progress: ${progressText(p)}\n`);
      }
    },
    done() {
      if (shown) opts.write('\r\x1b[K');
      shown = false;
    },
  };
}
