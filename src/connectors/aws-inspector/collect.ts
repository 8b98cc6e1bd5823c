/**
 * Windowed incremental collection on `updatedAt` (README "How collection works").
 *
 * - runStart, every window's end, is AWS's time (the `Date` header, `client.serverTime`), not the
 *   host's: a window never ends in AWS's future, so versions written after a window's query
 *   are stamped after its end, whichever way the clocks differ (host clock if AWS's is unknown).
 * - First run: every ACTIVE + SUPPRESSED finding (no age limit, no date filter: that takes in
 *   findings without `updatedAt` too), then CLOSED findings updated in
 *   [runStart - initialLookbackDays, runStart].
 * - Later runs: every status, updated in [lastCompletedEnd - 2 * overlap, runStart]. The overlap
 *   catches versions AWS indexed late; the band below it ([end - 2 * overlap, end - overlap))
 *   detects a lag beyond the overlap: a version there that the index does not hold yet came
 *   later than the overlap allows. Pages carry `lateBefore` (end - overlap) so the runner counts
 *   such versions (`lateVersions`); they are stored, not lost.
 * - Later runs then page the same window on `lastObservedAt`, of which only findings without
 *   `updatedAt` (or with one outside the window) are handed on: `updatedAt` is optional in the
 *   model, and an updatedAt filter cannot match a finding that lacks it. No `lateBefore` there:
 *   the band's detection is about `updatedAt` versions, which this query does not hand on.
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
 * - Sweep (AWS deletes findings; docs/connectors.md "Sweep"): when due, a `sweep` query after
 *   the window lists every ACTIVE/SUPPRESSED finding updated up to its start, paged like the
 *   others. Its pages (and the first run's `active` ones) say when their findings were seen
 *   (the queue's run start), and the host marks them. Once the sweep's last page is stored (never before), the host's states still
 *   open and not seen since the sweep's start are confirmed with AWS by ARN, ten at a time: one
 *   AWS returns is stored as any page item; one it no longer returns at all is handed to the
 *   host as vanished, with the checkpoint that moves past it, in one transaction. The first
 *   run's `active` query lists every open finding: it counts as the first sweep.
 *
 * This module knows AWS paging, not storage.
 */
import { CodedError, isCodedError } from '../../core/errors.js';
import { defaultSleep, type Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { InspectorClient, ListFindingsPage, WireFilterCriteria } from './client.js';
import type { ConnectorConfig } from './config.js';
import { arnRegion, toEpochMs } from './map.js';
import type { CollectProgress } from '../types.js';

/** Dates accepted by the API: [1970-01-01, 2033-01-01). */
export const MIN_DATE = 0;
export const MAX_DATE = Date.UTC(2033, 0, 1) - 1000;
export const DAY_MS = 86_400_000;

export interface QueryState {
  /** `active`, `closed` (first run), `window`, `observed` or `sweep`. */
  key: string;
  /** The exact filter sent with every page of this query (dates as epoch ms). */
  filterCriteria: WireFilterCriteria;
  /** Token of the next page to fetch; absent = start of the query. */
  nextToken?: string;
  /** Versions older than this (epoch ms) that are new to the index arrived late (see above). */
  lateBefore?: number;
  /**
   * A sweep's mark (epoch ms): its pages mark findings seen at this time and its candidates are
   * those seen before it. Strictly after the previous sweep's, even when AWS's clock (whole
   * seconds) has not moved since: a mark equal to the last one would hide every candidate.
   */
  sweepStart?: number;
}

export interface Checkpoint {
  v: 1;
  /** End of the last fully collected window (epoch ms). Absent = first run not done yet. */
  lastCompletedEnd?: number;
  /** Run start the queue's windows end at (epoch ms); with a non-empty queue. */
  runStart?: number;
  /** Queries not finished yet, the first one in progress. */
  queue: QueryState[];
  /** Start of the last completed sweep (epoch ms); absent = never swept. */
  lastSweepAt?: number;
  /**
   * A sweep whose pages are all stored, confirming its candidates: those after `after` (state
   * keys, in order) are still to be confirmed.
   */
  confirm?: { sweepStart: number; after: string };
}

/** A finding AWS still reports as open: what a sweep lists. */
export const OPEN_STATUSES = ['ACTIVE', 'SUPPRESSED'] as const;
/** A gap in collection longer than this makes the next run sweep, whatever `sweepHours` says. */
export const SWEEP_AFTER_GAP_MS = DAY_MS;
/** ListFindings takes at most 10 values per filter key: candidates are confirmed 10 at a time. */
const CONFIRM_BATCH = 10;
/** Candidates read from the host at once. */
const CANDIDATES = 100;

/** What the host gives a sweep: its stored states, and where vanished findings go. */
export interface SweepHost {
  /** Keys of the host's states in one of `statuses`, not seen since `before`, after `after`, in key order. */
  unseen(q: {
    statuses: readonly string[];
    before: number;
    after: string;
    limit: number;
  }): Promise<string[]> | string[];
  /** Stores these findings as vanished at `at` with the checkpoint, in ONE transaction. */
  vanished(v: { keys: string[]; at: number; checkpoint: Checkpoint }): Promise<void> | void;
}

/**
 * The sweep host of one region's run: the host's unseen keys are the connector's, of every
 * region (`SweepSupport.unseen`); only those whose finding ARN is in `region` are this run's to
 * confirm or close, never another region's. Pages of keys of other regions are skipped (a
 * page with none of this region's keys is not the end unless it is the host's last).
 */
export function regionSweep(host: SweepHost, region: string): SweepHost {
  return {
    async unseen(q) {
      let after = q.after;
      for (;;) {
        const keys = await host.unseen({ ...q, after });
        const mine = keys.filter((k) => arnRegion(k) === region);
        if (mine.length > 0 || keys.length < q.limit || keys.length === 0) return mine;
        after = keys[keys.length - 1]!;
      }
    },
    vanished: (v) => host.vanished(v),
  };
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
  /** The run's window end: AWS's time at the run's start (the host's if unknown). */
  runStart: number;
  /** lastCompletedEnd after this run (undefined if stopped before the first run completed). */
  lastCompletedEnd?: number;
  /** Findings handed to the host as vanished. */
  vanished: number;
  /** True when a sweep completed in this run (its candidates all confirmed). */
  swept: boolean;
}

export interface CollectOptions {
  client: InspectorClient;
  config: Pick<ConnectorConfig, 'initialLookbackDays' | 'overlapMinutes'> &
    Partial<Pick<ConnectorConfig, 'sweepHours'>>;
  clock: Clock;
  logger: Logger;
  /** The stored checkpoint (unknown shape: validated here). */
  checkpoint: unknown;
  /**
   * Stores the page's findings and the checkpoint in ONE transaction; may be slow. `seenAt`:
   * AWS listed these findings at that time or later (the host marks them seen, for sweeps).
   * `lateBefore`: a version of this page updated before it, new to the index, arrived later than
   * the overlap (the window's detection band).
   */
  onPage: (page: {
    findings: unknown[];
    checkpoint: Checkpoint;
    query: string;
    seenAt?: number;
    lateBefore?: number;
  }) => Promise<void> | void;
  /** Without it, no sweep runs (a host that keeps no state). */
  sweep?: SweepHost;
  /** Sweep in this run even if not due (`collect --once --sweep`). */
  forceSweep?: boolean;
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
  sweep = false,
  lastSweepAt?: number,
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
  const overlap = cfg.overlapMinutes * 60_000;
  // Detection needs a band every earlier window covered: the first run's CLOSED query reaches
  // back initialLookbackDays only, so a shorter lookback leaves CLOSED versions there unread.
  const detect = overlap > 0 && cfg.initialLookbackDays * DAY_MS >= 2 * overlap;
  const window = updatedAt(lastCompletedEnd - 2 * overlap, runStart);
  const queries: QueryState[] = [
    {
      key: 'window',
      filterCriteria: { updatedAt: window },
      ...(detect ? { lateBefore: lastCompletedEnd - overlap } : {}),
    },
    { key: OBSERVED, filterCriteria: { lastObservedAt: window } },
  ];
  // Last: its end confirms candidates against states the window has just brought up to date.
  if (sweep) {
    queries.push({
      key: 'sweep',
      // No date filter either (as the first run's `active`): findings without `updatedAt` are
      // listed, so marked seen, instead of each being looked up by ARN on every sweep.
      filterCriteria: {
        findingStatus: OPEN_STATUSES.map((value) => ({ comparison: 'EQUALS', value })),
      },
      sweepStart: Math.max(runStart, (lastSweepAt ?? MIN_DATE - 1) + 1),
    });
  }
  return queries;
}

/** Is a sweep due at `now`? Never swept, `sweepHours` since the last one, or after a long gap. */
export function sweepDue(state: Checkpoint, now: number, sweepHours: number, force: boolean): boolean {
  if (force) return true;
  if (sweepHours <= 0) return false;
  if (state.lastSweepAt === undefined) return true;
  if (now - state.lastSweepAt >= sweepHours * 3_600_000) return true;
  return state.lastCompletedEnd !== undefined && now - state.lastCompletedEnd > SWEEP_AFTER_GAP_MS;
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
          (q.nextToken === undefined || typeof q.nextToken === 'string') &&
          (q.lateBefore === undefined || typeof q.lateBefore === 'number') &&
          (q.sweepStart === undefined || typeof q.sweepStart === 'number'),
      )
    : [];
  const out: Checkpoint = { v: 1, queue };
  if (typeof c.lastCompletedEnd === 'number') out.lastCompletedEnd = c.lastCompletedEnd;
  if (typeof c.runStart === 'number' && queue.length > 0) out.runStart = c.runStart;
  if (typeof c.lastSweepAt === 'number') out.lastSweepAt = c.lastSweepAt;
  const k = c.confirm;
  if (k && typeof k === 'object' && typeof k.sweepStart === 'number' && typeof k.after === 'string') {
    out.confirm = { sweepStart: k.sweepStart, after: k.after };
  }
  return out;
}

/** The checkpoint's fields that outlive a queue: carried into every checkpoint written. */
function carried(c: Checkpoint): Pick<Checkpoint, 'lastCompletedEnd' | 'lastSweepAt' | 'confirm'> {
  return {
    ...(c.lastCompletedEnd !== undefined ? { lastCompletedEnd: c.lastCompletedEnd } : {}),
    ...(c.lastSweepAt !== undefined ? { lastSweepAt: c.lastSweepAt } : {}),
    ...(c.confirm ? { confirm: c.confirm } : {}),
  };
}

/** Transient by nature; a malformed body is usually a cut connection or a proxy hiccup. */
const RETRYABLE_PAGE_ERRORS = new Set(['ERR_THROTTLED', 'ERR_AWS_SERVER', 'ERR_NETWORK', 'ERR_BAD_RESPONSE']);

/** AWS's time now (the window end); the host's, with a warning, if AWS does not tell it. */
async function awsNow(opts: CollectOptions): Promise<number> {
  const { client, clock, logger: log, signal } = opts;
  if (!client.serverTime) return clock.now();
  try {
    const aws = await client.serverTime(signal ? { abortSignal: signal } : {});
    const offsetMs = aws - clock.now();
    // Beyond the Date header's second and a round trip: worth knowing, harmless to collection.
    if (Math.abs(offsetMs) > 60_000) log.warn({ offsetMs }, "AWS's clock differs from this host's");
    return aws;
  } catch (e) {
    if (!signal?.aborted) {
      log.warn(
        { code: isCodedError(e) ? e.code : undefined, err: (e as Error).message },
        "could not read AWS's time: this run's window ends at the host's time",
      );
    }
    return clock.now();
  }
}

/** Runs one collection: resumes a stored queue if any, then the window up to the run start. */
export async function collect(opts: CollectOptions): Promise<CollectResult> {
  const { client, clock, signal } = opts;
  const log = opts.logger;
  const maxResults = opts.maxResults ?? 100;
  const pageRetries = opts.pageRetries ?? 3;
  const throttleRetries = opts.throttleRetries ?? 10;
  const sleep = opts.sleep ?? defaultSleep;
  const maxTokenRestarts = opts.maxTokenRestarts ?? 3;
  const startedAt = clock.now();
  const runStart = await awsNow(opts);

  let state = parseCheckpoint(opts.checkpoint);
  const result: CollectResult = {
    pages: 0,
    findings: 0,
    tokenRestarts: 0,
    pageRetries: 0,
    stopped: false,
    runStart,
    ...(state.lastCompletedEnd !== undefined ? { lastCompletedEnd: state.lastCompletedEnd } : {}),
    vanished: 0,
    swept: false,
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

  /** ListFindings over all pages of one filter (the confirmations); a rejected token restarts it. */
  const listAll = async (filterCriteria: WireFilterCriteria): Promise<unknown[] | undefined> => {
    const q: QueryState = { key: 'confirm', filterCriteria };
    let out: unknown[] = [];
    let token: string | undefined;
    let restarts = 0;
    do {
      if (signal?.aborted) return undefined;
      let page: ListFindingsPage;
      try {
        page = await fetchPage(q, token);
      } catch (e) {
        if (signal?.aborted) return undefined;
        if (isCodedError(e) && e.code === 'ERR_TOKEN_REJECTED' && token !== undefined) {
          if (restarts >= maxTokenRestarts) throw e;
          restarts++;
          result.tokenRestarts++;
          out = [];
          token = undefined;
          continue;
        }
        throw e;
      }
      out.push(...page.findings);
      token = page.nextToken;
    } while (token !== undefined);
    return out;
  };

  const storePage = async (page: {
    findings: unknown[];
    checkpoint: Checkpoint;
    query: string;
    seenAt?: number;
    lateBefore?: number;
  }) => {
    try {
      await opts.onPage(page);
    } catch (e) {
      if (!isCodedError(e)) {
        throw new CodedError('ERR_STORE', `storing a page failed: ${(e as Error).message}`, { cause: e });
      }
      throw e;
    }
  };

  /**
   * The end of a sweep: its candidates confirmed with AWS, batch by batch, each batch stored
   * with the checkpoint past it. False when stopped (the checkpoint says where to resume).
   */
  const confirmSweep = async (
    host: SweepHost,
    c: { sweepStart: number; after: string },
  ): Promise<boolean> => {
    let after = c.after;
    for (;;) {
      if (signal?.aborted) return false;
      const keys = await host.unseen({
        statuses: OPEN_STATUSES,
        before: c.sweepStart,
        after,
        limit: CANDIDATES,
      });
      if (keys.length === 0) {
        const { confirm: _done, ...rest } = carried(state);
        const checkpoint: Checkpoint = { v: 1, ...rest, queue: [], lastSweepAt: c.sweepStart };
        await storePage({ findings: [], checkpoint, query: 'sweep', seenAt: c.sweepStart });
        state = checkpoint;
        result.swept = true;
        log.info({ sweepStart: c.sweepStart, vanished: result.vanished }, 'sweep complete');
        return true;
      }
      const found: unknown[] = [];
      for (let i = 0; i < keys.length; i += CONFIRM_BATCH) {
        const batch = keys.slice(i, i + CONFIRM_BATCH);
        const items = await listAll({ findingArn: batch.map((value) => ({ comparison: 'EQUALS', value })) });
        if (items === undefined) return false;
        found.push(...items);
      }
      const present = new Set(found.map((f) => (f as { findingArn?: unknown } | null)?.findingArn));
      const gone = keys.filter((k) => !present.has(k));
      after = keys[keys.length - 1]!;
      const checkpoint: Checkpoint = { ...state, confirm: { sweepStart: c.sweepStart, after } };
      if (found.length > 0) {
        // Still reported (closed since, or updated after the sweep started): a normal version.
        // Its checkpoint does not move past the vanished ones of this batch.
        await storePage({
          findings: found,
          checkpoint: gone.length > 0 ? state : checkpoint,
          query: 'sweep',
          seenAt: c.sweepStart,
        });
        result.pages++;
        result.findings += found.length;
      }
      if (gone.length > 0) {
        await host.vanished({ keys: gone, at: c.sweepStart, checkpoint });
        result.vanished += gone.length;
        log.info(
          { count: gone.length },
          'findings no longer reported by Amazon Inspector: closed as vanished',
        );
      }
      state = checkpoint;
      progress('sweep');
    }
  };

  let forceSweep = opts.forceSweep === true;
  for (;;) {
    if (state.queue.length === 0) {
      if (state.confirm) {
        if (!opts.sweep) {
          // A host without sweeps cannot confirm: forget the sweep rather than block collection.
          const { confirm: _c, ...rest } = state;
          state = rest;
        } else {
          if (!(await confirmSweep(opts.sweep, state.confirm))) {
            result.stopped = true;
            break;
          }
          continue;
        }
      }
      const sweep =
        opts.sweep !== undefined &&
        state.lastCompletedEnd !== undefined &&
        sweepDue(state, runStart, opts.config.sweepHours ?? 24, forceSweep);
      // Asked for once: one sweep per run.
      if (sweep) forceSweep = false;
      // Nothing new since the last window (AWS's clock, in whole seconds, has not moved): done,
      // unless a sweep is due or asked for.
      if (state.lastCompletedEnd !== undefined && state.lastCompletedEnd >= runStart && !sweep) break;
      state = {
        v: 1,
        ...carried(state),
        runStart,
        queue: planQueries(state.lastCompletedEnd, runStart, opts.config, sweep, state.lastSweepAt),
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
      const base = carried(state);
      if (next === undefined) {
        // A query done: the first run's `active` listed every open finding (a sweep with
        // nothing to confirm); a sweep's candidates are confirmed next, from the first key.
        if (q.key === 'active') base.lastSweepAt = queueRunStart;
        if (q.key === 'sweep') base.confirm = { sweepStart: q.sweepStart ?? queueRunStart, after: '' };
      }
      if (next !== undefined) {
        checkpoint = {
          v: 1,
          ...base,
          runStart: queueRunStart,
          queue: [{ ...q, nextToken: next }, ...rest],
        };
      } else if (rest.length > 0) {
        checkpoint = { v: 1, ...base, runStart: queueRunStart, queue: rest };
      } else {
        checkpoint = { v: 1, ...base, lastCompletedEnd: queueRunStart, queue: [] };
      }
      const findings =
        q.key === OBSERVED && q.filterCriteria.lastObservedAt?.[0]
          ? notInUpdatedAtWindow(
              page.findings,
              q.filterCriteria.lastObservedAt[0] as { startInclusive: number; endInclusive: number },
            )
          : page.findings;
      await storePage({
        findings,
        checkpoint,
        query: q.key,
        // Only the queries that list every open finding mark them: a window's marks would prove
        // nothing a sweep needs (a sweep lists those findings again), and cost a write per item.
        ...(q.key === 'active' || q.key === 'sweep' ? { seenAt: q.sweepStart ?? queueRunStart } : {}),
        ...(q.lateBefore !== undefined ? { lateBefore: q.lateBefore } : {}),
      });
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
