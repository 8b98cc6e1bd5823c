/**
 * The scheduler owns time: it runs each eligible connector (active AND in a Data Analyzer
 * profile) at once when it becomes eligible, then every `intervalMinutes` counted from the
 * start of the previous run. Runs of one connector never overlap. `stop()` aborts the runs in
 * progress between pages (the page being stored commits first) and waits for them.
 *
 * Time decisions use the injected Clock; the timers themselves are injectable too.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { CollectorMetrics } from '../core/metrics.js';
import type { ConnectorRegistry } from '../connectors/registry.js';
import type { Store } from '../store/index.js';
import { runConnector, type RunOptions, type RunOutcome } from './runner.js';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SchedulerDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The connector types (default: the production registry). */
  registry?: ConnectorRegistry;
  /** The server's endpoint allow-list (see RunnerDeps). */
  allowedEndpointHosts?: readonly string[];
  metrics?: CollectorMetrics;
  timers?: Timers;
  /** Length of a "minute" in ms (tests shrink it; default 60,000). */
  minuteMs?: number;
  /** After a successful Test of a failed connector, run again within this delay (default 60 s). */
  retestDelayMs?: number;
  /** Options for every run (page size, client options, output hooks). */
  runOptions?: Omit<RunOptions, 'signal'>;
  /** Called after every run (API events, CLI output, tests). */
  onRunFinished?: (outcome: RunOutcome) => void;
}

export interface Scheduler {
  /** Schedules every eligible connector: overdue or never-run ones at once. */
  start(): void;
  /** Stops the timers, aborts runs in progress between pages and waits for them. */
  stop(): Promise<void>;
  /** Pull now (unless running: then the run in progress is returned). */
  trigger(connectorId: string): Promise<RunOutcome>;
  /** Eligibility or interval changed (created, toggled, added to/removed from a profile, edited, deleted). */
  notifyChanged(connectorId: string): void;
  isRunning(connectorId: string): boolean;
  /**
   * A Test finished: a successful test of a failed connector clears the status; a run follows
   * within a minute. A partial one (some parts failed) keeps its status (the Test does not
   * collect: its parts' states stay until that run), but gets the same early run.
   */
  onTestResult(connectorId: string, ok: boolean): void;
  /** Stops a connector's run (if any) after its current page and cancels its timer; before delete. */
  stopConnector(connectorId: string): Promise<void>;
  /** Next planned run (epoch ms by the injected clock), if scheduled. */
  nextRunAt(connectorId: string): number | undefined;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** setTimeout's limit; longer delays are re-armed in steps. */
const MAX_TIMER_MS = 2_147_483_647;

export function createScheduler(deps: SchedulerDeps): Scheduler {
  const { store, clock } = deps;
  const timers = deps.timers ?? realTimers;
  const minuteMs = deps.minuteMs ?? 60_000;
  const retestDelayMs = deps.retestDelayMs ?? 60_000;
  const log = deps.logger.child({ component: 'scheduler' });

  const planned = new Map<string, { at: number; handle: unknown }>();
  const running = new Map<string, { promise: Promise<RunOutcome>; abort: AbortController }>();
  let started = false;
  let stopping = false;

  const intervalMs = (connectorId: string): number | undefined => {
    const c = store.connectors.get(connectorId);
    return c ? c.config.intervalMinutes * minuteMs : undefined;
  };

  const eligible = (connectorId: string): boolean => {
    try {
      return store.profiles.isEligible(connectorId);
    } catch {
      return false;
    }
  };

  function cancel(connectorId: string): void {
    const p = planned.get(connectorId);
    if (p) {
      timers.clearTimeout(p.handle);
      planned.delete(connectorId);
    }
  }

  function planAt(connectorId: string, at: number): void {
    cancel(connectorId);
    if (stopping || !started) return;
    const delay = Math.max(0, at - clock.now());
    const handle = timers.setTimeout(
      () => {
        planned.delete(connectorId);
        // Delays beyond setTimeout's range are re-armed until due.
        if (at - clock.now() > 0 && delay >= MAX_TIMER_MS) return planAt(connectorId, at);
        void launch(connectorId);
      },
      Math.min(delay, MAX_TIMER_MS),
    );
    planned.set(connectorId, { at, handle });
  }

  function launch(connectorId: string): Promise<RunOutcome> {
    const current = running.get(connectorId);
    if (current) return current.promise;
    cancel(connectorId);
    const abort = new AbortController();
    const runStart = clock.now();
    const promise = (async () => {
      try {
        return await runConnector(deps, connectorId, { ...deps.runOptions, signal: abort.signal });
      } finally {
        running.delete(connectorId);
      }
    })();
    running.set(connectorId, { promise, abort });
    promise.then(
      (outcome) => {
        deps.onRunFinished?.(outcome);
        if (stopping) return;
        const every = intervalMs(connectorId);
        if (every !== undefined && eligible(connectorId)) {
          planAt(connectorId, Math.max(clock.now(), runStart + every));
        }
      },
      (e: unknown) => {
        // Only a deleted connector makes runConnector throw; nothing to reschedule.
        log.warn({ connectorId, err: (e as Error).message }, 'run could not start');
      },
    );
    return promise;
  }

  return {
    start() {
      if (started) return;
      started = true;
      stopping = false;
      for (const c of store.connectors.list()) {
        if (!eligible(c.id)) continue;
        const last = c.status.lastRunAt;
        const every = c.config.intervalMinutes * minuteMs;
        planAt(c.id, last === undefined ? clock.now() : Math.max(clock.now(), last + every));
      }
      log.info({ connectors: planned.size }, 'scheduler started');
    },
    async stop() {
      stopping = true;
      for (const id of [...planned.keys()]) cancel(id);
      const inFlight = [...running.values()];
      for (const r of inFlight) r.abort.abort();
      await Promise.allSettled(inFlight.map((r) => r.promise));
      started = false;
      log.info('scheduler stopped');
    },
    trigger(connectorId) {
      return launch(connectorId);
    },
    notifyChanged(connectorId) {
      if (!started || stopping) return;
      if (!eligible(connectorId)) {
        cancel(connectorId);
        return;
      }
      if (running.has(connectorId)) return; // rescheduled when the run ends
      const p = planned.get(connectorId);
      if (!p) {
        // Became eligible (e.g. first added to a profile): pull at once.
        void launch(connectorId);
        return;
      }
      // Still eligible: the interval may have changed; count it from the last run.
      const c = store.connectors.get(connectorId);
      const every = intervalMs(connectorId);
      if (!c || every === undefined) return;
      const last = c.status.lastRunAt;
      planAt(connectorId, last === undefined ? clock.now() : Math.max(clock.now(), last + every));
    },
    isRunning: (connectorId) => running.has(connectorId),
    onTestResult(connectorId, ok) {
      if (!ok) return;
      const c = store.connectors.get(connectorId);
      if (!c || (c.status.state !== 'failed' && c.status.state !== 'partial')) return;
      if (c.status.state === 'failed')
        store.connectors.setStatus(connectorId, { state: 'ok', lastError: null });
      if (!started || stopping || !eligible(connectorId) || running.has(connectorId)) return;
      const at = clock.now() + retestDelayMs;
      const p = planned.get(connectorId);
      if (!p || p.at > at) planAt(connectorId, at);
    },
    async stopConnector(connectorId) {
      cancel(connectorId);
      const r = running.get(connectorId);
      if (!r) return;
      r.abort.abort();
      await r.promise.catch(() => undefined);
      cancel(connectorId);
    },
    nextRunAt: (connectorId) => planned.get(connectorId)?.at,
  };
}
