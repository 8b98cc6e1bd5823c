/**
 * Windowed incremental collection on `updatedAt` (README "How collection works").
 *
 * - First run: every ACTIVE + SUPPRESSED finding (no age limit, no date filter: that takes in
 *   findings without `updatedAt` too), then CLOSED findings updated in
 *   [runStart - initialLookbackDays, runStart].
 * - Later runs: every status, updated in [lastCompletedEnd - overlap, runStart]; then the same
 *   window on `lastObservedAt`, of which only findings without `updatedAt` (or with one outside
 *   the window) are handed on: `updatedAt` is optional in the model, and an updatedAt filter
 *   cannot match a finding that lacks it.
 * - A query's filter is computed once and stored in the checkpoint: a nextToken is bound to
 *   the exact filter, so it never changes during its pagination.
 * - nextToken is followed while present, whatever the page size.
 * - Each page is handed to `onPage` with the checkpoint that is true once that page is stored;
 *   the caller stores both in one transaction. The last page of the last query carries
 *   `lastCompletedEnd = runStart`.
 * - After a crash the stored queue resumes with its token; a rejected token restarts that
 *   query from the beginning (dedupe downstream makes the repeats harmless).
 * - At most two pages are in flight: the one being stored and one prefetched. A slow store
 *   therefore slows the collector down; memory does not grow.
 *
 * This module knows AWS paging, not storage.
 */
import { CodedError, isCodedError } from '../../core/errors.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { InspectorClient, ListFindingsPage, WireFilterCriteria } from './client.js';
import type { ConnectorConfig } from './config.js';
import { toEpochMs } from './map.js';
import type { CollectProgress } from '../types.js';

/** Dates accepted by the API: [1970-01-01, 2033-01-01). */
export const MIN_DATE = 0;
export const MAX_DATE = Date.UTC(2033, 0, 1) - 1000;
export const DAY_MS = 86_400_000;

export interface QueryState {
  /** `active`, `closed` (first run), `window` or `observed`. */
  key: string;
  /** The exact filter sent with every page of this query (dates as epoch ms). */
  filterCriteria: WireFilterCriteria;
  /** Token of the next page to fetch; absent = start of the query. */
  nextToken?: string;
}

export interface Checkpoint {
  v: 1;
  /** End of the last fully collected window (epoch ms). Absent = first run not done yet. */
  lastCompletedEnd?: number;
  /** Run start the queue's windows end at (epoch ms); with a non-empty queue. */
  runStart?: number;
  /** Queries not finished yet, the first one in progress. */
  queue: QueryState[];
}

export interface CollectResult {
  pages: number;
  findings: number;
  /** Queries restarted because AWS rejected the stored token. */
  tokenRestarts: number;
  /** Pages retried by the collector after the SDK gave up on a retryable error. */
  pageRetries: number;
  /** True when stopped by the abort signal (the checkpoint says where to resume). */
  stopped: boolean;
  /** The run's window end (the run start). */
  runStart: number;
  /** lastCompletedEnd after this run (undefined if stopped before the first run completed). */
  lastCompletedEnd?: number;
}

export interface CollectOptions {
  client: InspectorClient;
  config: Pick<ConnectorConfig, 'initialLookbackDays' | 'overlapMinutes'>;
  clock: Clock;
  logger: Logger;
  /** The stored checkpoint (unknown shape: validated here). */
  checkpoint: unknown;
  /** Stores the page's findings and the checkpoint in ONE transaction; may be slow. */
  onPage: (page: { findings: unknown[]; checkpoint: Checkpoint; query: string }) => Promise<void> | void;
  signal?: AbortSignal;
  onProgress?: (p: CollectProgress) => void;
  /** 1-100, default 100. */
  maxResults?: number;
  /** Extra attempts per page after the SDK's own retries gave up on a retryable error (default 3). */
  pageRetries?: number;
  /**
   * The same for throttling (default 10, waits capped at 30 s): under sustained throttling the
   * SDK's retry quota runs dry and it stops retrying; the collector then slows down instead of
   * failing the run (about 3.5 minutes of patience per page).
   */
  throttleRetries?: number;
  /** Pause before such a page retry (default: 2 s * 2^attempt, abortable). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Restarts of one query after rejected tokens before giving up (default 3). */
  maxTokenRestarts?: number;
}

const clampDate = (t: number): number => Math.min(MAX_DATE, Math.max(MIN_DATE, Math.floor(t)));

const updatedAt = (start: number, end: number) => [
  { startInclusive: clampDate(start), endInclusive: clampDate(end) },
];

/** The queries of a run, from the last completed window's end (or none: first run). */
export function planQueries(
  lastCompletedEnd: number | undefined,
  runStart: number,
  cfg: Pick<ConnectorConfig, 'initialLookbackDays' | 'overlapMinutes'>,
): QueryState[] {
  if (lastCompletedEnd === undefined) {
    const queries: QueryState[] = [
      {
        key: 'active',
        // No date filter: [1970, runStart] on updatedAt would leave out findings without one.
        // A finding updated after runStart may come here and in the next window: dedupe.
        filterCriteria: {
          findingStatus: [
            { comparison: 'EQUALS', value: 'ACTIVE' },
            { comparison: 'EQUALS', value: 'SUPPRESSED' },
          ],
        },
      },
    ];
    if (cfg.initialLookbackDays > 0) {
      queries.push({
        key: 'closed',
        filterCriteria: {
          findingStatus: [{ comparison: 'EQUALS', value: 'CLOSED' }],
          updatedAt: updatedAt(runStart - cfg.initialLookbackDays * DAY_MS, runStart),
        },
      });
    }
    return queries;
  }
  // Always a filter: unfiltered ListFindings can hang on very large accounts.
  const window = updatedAt(lastCompletedEnd - cfg.overlapMinutes * 60_000, runStart);
  return [
    { key: 'window', filterCriteria: { updatedAt: window } },
    { key: OBSERVED, filterCriteria: { lastObservedAt: window } },
  ];
}

/** The later runs' query on lastObservedAt, for findings without updatedAt. */
export const OBSERVED = 'observed';

/**
 * What the `observed` query hands on: findings without `updatedAt`, or with one outside the
 * window (the `window` query, same bounds, already returned the others). Its bounds are epoch ms.
 */
export function notInUpdatedAtWindow(
  findings: unknown[],
  bounds: { startInclusive: number; endInclusive: number },
): unknown[] {
  return findings.filter((f) => {
    // Raw body members: epoch seconds on the wire (ISO strings from fixtures), like map.ts reads them.
    const ms = toEpochMs(
      f !== null && typeof f === 'object' ? (f as { updatedAt?: unknown }).updatedAt : undefined,
    );
    return ms === undefined || ms < bounds.startInclusive || ms > bounds.endInclusive;
  });
}

/** A stored checkpoint, or a fresh one if absent or not ours (logged by the caller). */
export function parseCheckpoint(raw: unknown): Checkpoint {
  if (raw === null || typeof raw !== 'object') return { v: 1, queue: [] };
  const c = raw as Partial<Checkpoint>;
  if (c.v !== 1) return { v: 1, queue: [] };
  const queue = Array.isArray(c.queue)
    ? c.queue.filter(
        (q): q is QueryState =>
          q !== null &&
          typeof q === 'object' &&
          typeof q.key === 'string' &&
          q.filterCriteria !== null &&
          typeof q.filterCriteria === 'object' &&
          (q.nextToken === undefined || typeof q.nextToken === 'string'),
      )
    : [];
  const out: Checkpoint = { v: 1, queue };
  if (typeof c.lastCompletedEnd === 'number') out.lastCompletedEnd = c.lastCompletedEnd;
  if (typeof c.runStart === 'number' && queue.length > 0) out.runStart = c.runStart;
  return out;
}

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Transient by nature; a malformed body is usually a cut connection or a proxy hiccup. */
const RETRYABLE_PAGE_ERRORS = new Set(['ERR_THROTTLED', 'ERR_AWS_SERVER', 'ERR_NETWORK', 'ERR_BAD_RESPONSE']);

/** Runs one collection: resumes a stored queue if any, then the window up to the run start. */
export async function collect(opts: CollectOptions): Promise<CollectResult> {
  const { client, clock, signal } = opts;
  const log = opts.logger;
  const maxResults = opts.maxResults ?? 100;
  const pageRetries = opts.pageRetries ?? 3;
  const throttleRetries = opts.throttleRetries ?? 10;
  const sleep = opts.sleep ?? defaultSleep;
  const maxTokenRestarts = opts.maxTokenRestarts ?? 3;
  const runStart = clock.now();
  const startedAt = runStart;

  let state = parseCheckpoint(opts.checkpoint);
  const result: CollectResult = {
    pages: 0,
    findings: 0,
    tokenRestarts: 0,
    pageRetries: 0,
    stopped: false,
    runStart,
    ...(state.lastCompletedEnd !== undefined ? { lastCompletedEnd: state.lastCompletedEnd } : {}),
  };

  const progress = (query: string) => {
    if (!opts.onProgress) return;
    const elapsedMs = Math.max(0, clock.now() - startedAt);
    opts.onProgress({
      pages: result.pages,
      findings: result.findings,
      elapsedMs,
      rate: elapsedMs > 0 ? (result.findings * 1000) / elapsedMs : 0,
      query,
    });
  };

  /** One page, with a few collector-level retries after the SDK's own retries gave up. */
  const fetchPage = async (q: QueryState, token: string | undefined): Promise<ListFindingsPage> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await client.listFindingsPage(
          { filterCriteria: q.filterCriteria, maxResults, ...(token ? { nextToken: token } : {}) },
          signal ? { abortSignal: signal } : {},
        );
      } catch (e) {
        if (
          !isCodedError(e) ||
          !RETRYABLE_PAGE_ERRORS.has(e.code) ||
          attempt >= (e.code === 'ERR_THROTTLED' ? throttleRetries : pageRetries) ||
          signal?.aborted
        ) {
          throw e;
        }
        result.pageRetries++;
        const wait = Math.min(30_000, 2000 * 2 ** attempt);
        log.warn(
          { code: e.code, attempt: attempt + 1, waitMs: wait },
          'page failed after SDK retries; retrying',
        );
        await sleep(wait, signal);
        if (signal?.aborted) throw e;
      }
    }
  };

  // Safe: the window is the run's start, and the queue is planned once.
  if (state.queue.length === 0 || state.runStart === undefined) {
    state = { ...state, queue: [], runStart: undefined };
  }

  for (;;) {
    if (state.queue.length === 0) {
      if (state.lastCompletedEnd !== undefined && state.lastCompletedEnd >= runStart) break;
      state = {
        v: 1,
        ...(state.lastCompletedEnd !== undefined ? { lastCompletedEnd: state.lastCompletedEnd } : {}),
        runStart,
        queue: planQueries(state.lastCompletedEnd, runStart, opts.config),
      };
      log.debug({ queue: state.queue.map((q) => q.key), runStart }, 'planned queries');
    }
    if (signal?.aborted) {
      result.stopped = true;
      break;
    }
    const q = state.queue[0]!;
    const rest = state.queue.slice(1);
    const queueRunStart = state.runStart!;
    let restarts = 0;
    let token = q.nextToken;
    let pending: Promise<ListFindingsPage> | undefined = fetchPage(q, token);
    let done = false;
    while (pending) {
      let page: ListFindingsPage;
      try {
        page = await pending;
      } catch (e) {
        pending = undefined;
        // Stopped while a request was in flight: nothing of it was stored, the checkpoint holds.
        if (signal?.aborted) break;
        if (isCodedError(e) && e.code === 'ERR_TOKEN_REJECTED' && token !== undefined) {
          if (restarts >= maxTokenRestarts) throw e;
          restarts++;
          result.tokenRestarts++;
          log.warn({ query: q.key, restarts }, 'AWS rejected the pagination token: restarting the query');
          token = undefined;
          pending = fetchPage(q, undefined);
          continue;
        }
        throw e;
      }
      const next = page.nextToken;
      // Prefetch ONE page while this one is stored; never more.
      pending = next !== undefined && !signal?.aborted ? fetchPage(q, next) : undefined;
      // Do not leave a rejection unhandled while onPage runs; it is awaited on the next turn.
      pending?.catch(() => undefined);
      // Let the SDK put that request on the wire before the (synchronous) store commit below:
      // its middleware yields before sending, so without this the "prefetch" was only sent
      // after the commit and fetching never overlapped storing.
      if (pending) await new Promise<void>((resolve) => setImmediate(resolve));

      let checkpoint: Checkpoint;
      if (next !== undefined) {
        checkpoint = {
          v: 1,
          ...(state.lastCompletedEnd !== undefined ? { lastCompletedEnd: state.lastCompletedEnd } : {}),
          runStart: queueRunStart,
          queue: [{ key: q.key, filterCriteria: q.filterCriteria, nextToken: next }, ...rest],
        };
      } else if (rest.length > 0) {
        checkpoint = {
          v: 1,
          ...(state.lastCompletedEnd !== undefined ? { lastCompletedEnd: state.lastCompletedEnd } : {}),
          runStart: queueRunStart,
          queue: rest,
        };
      } else {
        checkpoint = { v: 1, lastCompletedEnd: queueRunStart, queue: [] };
      }
      const findings =
        q.key === OBSERVED && q.filterCriteria.lastObservedAt?.[0]
          ? notInUpdatedAtWindow(
              page.findings,
              q.filterCriteria.lastObservedAt[0] as { startInclusive: number; endInclusive: number },
            )
          : page.findings;
      try {
        await opts.onPage({ findings, checkpoint, query: q.key });
      } catch (e) {
        if (!isCodedError(e)) {
          throw new CodedError('ERR_STORE', `storing a page failed: ${(e as Error).message}`, { cause: e });
        }
        throw e;
      }
      result.pages++;
      result.findings += findings.length;
      state = checkpoint;
      token = next;
      progress(q.key);
      if (next === undefined) {
        done = true;
        break;
      }
      if (signal?.aborted) break;
    }
    if (!done) {
      result.stopped = true;
      break;
    }
    if (state.lastCompletedEnd !== undefined) result.lastCompletedEnd = state.lastCompletedEnd;
  }
  return result;
}
