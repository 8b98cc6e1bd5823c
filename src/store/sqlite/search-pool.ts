/**
 * The server's searches run here, never on the thread that serves requests and runs the
 * scheduler: a small pool of worker threads (search-worker.ts), each with its own read-only
 * connection to the store's file (WAL lets them read while the writer commits).
 *
 * Every search has a time budget (INSPECTOR_CONNECTOR_SEARCH_TIMEOUT_MS, default 5 s), counted
 * from its arrival (time spent queued included):
 *   - inside the thread, the record checks (wildcards, phrases, ranges: functions.ts)
 *     throw once it is spent, which aborts the statement; the thread answers ERR_QUERY_TIMEOUT
 *     and serves the next search;
 *   - here, at the deadline the caller gets ERR_QUERY_TIMEOUT at once whatever the thread is
 *     doing; a thread still busy a moment later (a statement that calls no check function:
 *     better-sqlite3 has no sqlite3_interrupt) is terminated and replaced.
 * Concurrency is bounded: `threads` searches run, `queue` wait; one more is refused at once
 * with ERR_SEARCH_BUSY (503). close() fails what is queued or running and stops the threads.
 */
import type { Worker } from 'node:worker_threads';
import { CodedError, RetryLaterError } from '../../core/errors.js';
import { timeoutError } from './functions.js';
import type {
  ExportPage,
  FieldStats,
  HistogramResult,
  SearchOp,
  SearchResult,
  SearchService,
  SearchServiceOptions,
  SyslogIndex,
} from '../types.js';
import { DEFAULT_SEARCH_TIMEOUT_MS } from '../search-service.js';
import { replyError, spawnStoreWorker, type ErrorReply } from './spawn-worker.js';

/** When a refused search (ERR_SEARCH_BUSY) may come back: the API's Retry-After. */
const BUSY_RETRY_MS = 2000;
const busyError = (message: string) => new RetryLaterError('ERR_SEARCH_BUSY', message, BUSY_RETRY_MS);
/** A thread still busy this long after its search's deadline is terminated. */
const GRACE_MS = 1000;

export interface SearchWorkerData {
  dbPath: string;
  cacheKb: number;
  testHold?: SharedArrayBuffer;
}

type Op = { [K in SearchOp]: { op: K; args: Parameters<SyslogIndex[K]>[0] } }[SearchOp];
export type SearchRequest = { id: number } & Op;
export type SearchReply = { ready: true } | { id: number; ok: true; result: unknown } | ErrorReply;

export interface SearchPoolOptions extends SearchServiceOptions {
  dbPath: string;
  /** Page cache per thread, KB. Default 32 MB. */
  cacheKb?: number;
}

interface Job {
  id: number;
  req: Op;
  deadline: number;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  settled: boolean;
  timer?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  isReady?: boolean;
  job?: Job;
  /** Set once its job's deadline passed: terminated if still busy after the grace period. */
  overdue?: NodeJS.Timeout;
}

export function startSearchPool(opts: SearchPoolOptions): SearchService {
  const threads = opts.threads ?? 2;
  const maxQueue = opts.queue ?? 16;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_SEARCH_TIMEOUT_MS;
  const data: SearchWorkerData = {
    dbPath: opts.dbPath,
    cacheKb: opts.cacheKb ?? 32 * 1024,
    ...(opts.testHold ? { testHold: opts.testHold } : {}),
  };
  const slots: Slot[] = [];
  const queue: Job[] = [];
  let nextId = 1;
  let closed = false;

  const settle = (job: Job, fn: () => void) => {
    if (job.settled) return;
    job.settled = true;
    if (job.timer) clearTimeout(job.timer);
    fn();
  };

  /**
   * Stops a thread, fails its search, and starts its replacement at once (warm for the next);
   * not for a thread that never got ready (one that cannot open the file would loop): the next
   * search starts one.
   */
  const retire = (slot: Slot, why: string) => {
    const i = slots.indexOf(slot);
    if (i >= 0) slots.splice(i, 1);
    if (!closed && slot.isReady && slots.length < threads) spawn();
    if (slot.overdue) clearTimeout(slot.overdue);
    slot.worker.removeAllListeners('message');
    void slot.worker.terminate().catch(() => undefined);
    if (slot.job) {
      const job = slot.job;
      slot.job = undefined;
      settle(job, () => job.reject(new CodedError('ERR_STORE', why)));
    }
  };

  function spawn(): Slot {
    const worker = spawnStoreWorker('search-worker', data, { maxYoungGenerationSizeMb: 8 });
    worker.unref();
    let onReady!: () => void;
    const slot: Slot = { worker, ready: new Promise<void>((r) => (onReady = r)) };
    // A thread that dies before it is ready counts as ready (its replacement is awaited instead).
    worker.once('exit', () => onReady());
    worker.on('message', (r: SearchReply) => {
      if ('ready' in r) {
        slot.isReady = true;
        onReady();
        return;
      }
      const job = slot.job;
      if (!job || job.id !== r.id) return;
      slot.job = undefined;
      if (slot.overdue) clearTimeout(slot.overdue);
      slot.overdue = undefined;
      settle(job, () => (r.ok ? job.resolve(r.result) : job.reject(replyError(r))));
      pump();
    });
    worker.on('error', (e) => {
      opts.logger?.warn({ err: e.message }, 'search thread failed');
      retire(slot, `the search thread failed: ${e.message}`);
      pump();
    });
    worker.on('exit', () => {
      if (slots.includes(slot)) {
        retire(slot, 'the search thread exited');
        pump();
      }
    });
    slots.push(slot);
    return slot;
  }

  const dispatch = (slot: Slot, job: Job) => {
    slot.job = job;
    const remaining = job.deadline === Infinity ? 0 : Math.max(1, Math.ceil(job.deadline - Date.now()));
    // The thread's own check functions stop at the same deadline.
    const args = { ...job.req.args, timeoutMs: remaining };
    slot.worker.postMessage({ id: job.id, op: job.req.op, args } as SearchRequest);
  };

  function pump(): void {
    while (!closed && queue.length > 0) {
      let slot = slots.find((s) => !s.job && !s.overdue);
      if (!slot && slots.length < threads) slot = spawn();
      if (!slot) return;
      dispatch(slot, queue.shift()!);
    }
  }

  const onDeadline = (job: Job) => {
    settle(job, () => job.reject(timeoutError(timeoutMs)));
    const qi = queue.indexOf(job);
    if (qi >= 0) {
      queue.splice(qi, 1);
      return;
    }
    const slot = slots.find((s) => s.job === job);
    if (!slot) return;
    // Usually the thread's check functions stop it within milliseconds; if not, replace it.
    slot.overdue = setTimeout(() => {
      if (slot.job !== job) return;
      opts.logger?.warn({ timeoutMs }, 'search thread still busy past the time budget: replaced');
      slot.job = undefined;
      retire(slot, 'replaced');
      pump();
    }, GRACE_MS);
    slot.overdue.unref();
  };

  // Started now, not at the first search: a thread's start (loading modules, opening the file)
  // is not charged to a search's budget.
  for (let i = 0; i < threads; i++) spawn();

  const submit = <T>(req: Op): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (closed) {
        reject(busyError('the server is stopping: searches are not accepted'));
        return;
      }
      const busy = slots.filter((s) => s.job || s.overdue).length;
      if (busy >= threads && queue.length >= maxQueue) {
        reject(
          busyError(
            `all ${threads} search threads are busy and ${maxQueue} searches are waiting: try again shortly`,
          ),
        );
        return;
      }
      const job: Job = {
        id: nextId++,
        req,
        deadline: timeoutMs > 0 ? Date.now() + timeoutMs : Infinity,
        resolve: resolve as (v: unknown) => void,
        reject,
        settled: false,
      };
      if (timeoutMs > 0) job.timer = setTimeout(() => onDeadline(job), timeoutMs);
      queue.push(job);
      pump();
    });

  return {
    search: (args) => submit<SearchResult>({ op: 'search', args }),
    count: (args) => submit<number>({ op: 'count', args }),
    histogram: (args) => submit<HistogramResult>({ op: 'histogram', args }),
    exportPage: (args) => submit<ExportPage>({ op: 'exportPage', args }),
    fieldStats: (args) => submit<FieldStats>({ op: 'fieldStats', args }),
    async ready() {
      while (!closed) {
        const now = [...slots];
        await Promise.all(now.map((s) => s.ready));
        if (now.every((s) => slots.includes(s))) return;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      const stopping = () => busyError('the server is stopping');
      for (const job of queue.splice(0)) settle(job, () => job.reject(stopping()));
      const exits = slots.splice(0).map((slot) => {
        if (slot.overdue) clearTimeout(slot.overdue);
        const job = slot.job;
        if (job) settle(job, () => job.reject(stopping()));
        slot.worker.removeAllListeners();
        // Not waited for beyond a moment: a thread inside a long SQLite statement exits when it returns.
        return Promise.race([
          slot.worker.terminate().catch(() => undefined),
          new Promise((r) => setTimeout(r, 500).unref()),
        ]);
      });
      await Promise.all(exits);
    },
  };
}
