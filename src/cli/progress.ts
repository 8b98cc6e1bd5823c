/**
 * Progress of a long `collect` run: on a terminal a live line redrawn in place (at most 5 times
 * a second); anywhere else (a pipe, a log file, systemd) one plain line every `everyMs`, so a
 * long backfill shows it is alive without flooding the log. `--quiet` turns both off. A run in
 * parts (regions) collected at once reports each part: the terminal line sums them and names
 * each part's findings; the plain lines are one per part.
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

/** "[us-east-1 ]window: pages 12, findings 1200, stored 1100, 450 findings/s, 3 s elapsed". */
export function progressText(p: RunProgress): string {
  return (
    `${p.part ? `${p.part} ` : ''}${p.query}: pages ${p.pages}, findings ${p.findings}, stored ${p.stored}, ` +
    `${Math.round(p.rate)} findings/s, ${seconds(p.elapsedMs)} elapsed`
  );
}

/**
 * Several parts at once, on one line: "3 parts: pages 40, findings 4000, stored 3900 (us-east-1
 * 2000, eu-west-1 1500, ap-south-1 500), 12 s elapsed". `stored` is the run's (all parts).
 */
export function partsProgressText(parts: readonly RunProgress[]): string {
  const sum = (f: (p: RunProgress) => number) => parts.reduce((n, p) => n + f(p), 0);
  const stored = Math.max(...parts.map((p) => p.stored));
  const each = parts.map((p) => `${p.part ?? ''} ${p.findings}`).join(', ');
  return (
    `${parts.length} parts: pages ${sum((p) => p.pages)}, findings ${sum((p) => p.findings)}, ` +
    `stored ${stored} (${each}), ${seconds(Math.max(...parts.map((p) => p.elapsedMs)))} elapsed`
  );
}

export function progressReporter(opts: ProgressOptions): ProgressReporter {
  const now = opts.now ?? Date.now;
  const start = now();
  let last = opts.tty ? 0 : start;
  let shown = false;
  const every = opts.tty ? 200 : opts.everyMs;
  /** The latest progress of each part (key '' for a run without parts). */
  const latest = new Map<string, RunProgress>();
  /** Parts that progressed since the last plain lines (a finished part is not repeated). */
  const fresh = new Set<string>();
  let ticks = 0;
  return {
    update(p) {
      latest.set(p.part ?? '', p);
      fresh.add(p.part ?? '');
      const t = now();
      if (t - last < every) return;
      last = t;
      const all = [...latest.values()];
      if (opts.tty) {
        shown = true;
        const text = all.length > 1 ? partsProgressText(all) : progressText(p);
        opts.write(`\r${'|/-\\'[ticks++ % 4]} ${text}\x1b[K`);
      } else {
        for (const k of fresh) opts.write(`progress: ${progressText(latest.get(k)!)}\n`);
        fresh.clear();
      }
    },
    done() {
      if (shown) opts.write('\r\x1b[K');
      shown = false;
    },
  };
}
