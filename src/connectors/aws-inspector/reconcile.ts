/**
 * Reconcile: proof of completeness. Lists what AWS holds for a window (every finding's ARN,
 * version and status, paging with ONE fixed filter per query) and compares it with what the
 * index holds for the connector:
 *
 * - missing:    AWS holds a version the index has no record of (nor a current state at that
 *               version: under `recordVersions: material` an unchanged version has none), and
 *               the index holds no older version of that finding either;
 * - stale:      the index holds an older version of the finding than AWS (a later change was
 *               not collected yet);
 * - unexpected: the index holds a finding open (not CLOSED) that AWS does not return at all:
 *               AWS deleted it (or never had it), and no sweep closed it yet (collect.ts);
 * - deleted (not a discrepancy): the index holds it CLOSED and AWS deleted it, as AWS does 30
 *               days after a finding closed; `swept` counts the findings sweeps closed as vanished.
 *
 * The version key and the record `_id` come from `mapFinding` itself (with the connector's
 * tenant: a version is stored once per tenant), so reconcile can never disagree with the
 * collector about what "the same version" means. The index side is the tenant's: a version any
 * connector of the tenant stored is held, and a finding's state is the tenant's current state.
 *
 * Scope. Without `from`, the scope is the collector's: every ACTIVE and SUPPRESSED finding,
 * and CLOSED findings updated since min(to - initialLookbackDays, the oldest CLOSED version in
 * the index) (older CLOSED findings are not collected by design). With `from`, every status
 * updated in [from, to]. Index findings outside the AWS listing are looked up by ARN
 * (`findingArn` filter, 10 per request) before being called unexpected: their AWS version may
 * simply lie outside the window.
 *
 * This module knows AWS paging; the index is behind the narrow `ReconcileIndex` interface.
 */
import type { IndexFindingState, ReconcileIndex } from '../types.js';
import type { InspectorClient, WireFilterCriteria } from './client.js';
import { DAY_MS, MAX_DATE, MIN_DATE } from './collect.js';
import { arnRegion, mapFinding } from './map.js';
import { isCodedError } from '../../core/errors.js';

export interface ReconcileOptions {
  /**
   * One client per selected region (region -> client): each region's findings are listed with
   * its own client, an index finding is looked up with its ARN region's, and index findings of
   * regions not selected are out of scope. Or one `client` for every finding (one region).
   */
  clients?: ReadonlyMap<string, InspectorClient>;
  client?: InspectorClient;
  /** The contract's index view; Amazon Inspector's state key is the finding ARN. */
  index: ReconcileIndex;
  /** The connector's tenant id: record ids are per tenant. */
  tenantId: string;
  /** Window start (epoch ms); undefined = the collector's scope (see above). */
  from?: number;
  /** Window end (epoch ms). */
  to: number;
  initialLookbackDays: number;
  maxResults?: number;
  /** How many ARNs of each kind the report lists (default 50). */
  listLimit?: number;
  signal?: AbortSignal;
  onProgress?: (p: { pages: number; findings: number }) => void;
  /** Restarts of one query after a rejected token (default 3). */
  maxTokenRestarts?: number;
}

export interface Discrepancy {
  findingArn: string;
  /** Status in AWS (missing, stale) or in the index (unexpected). */
  status: string;
  awsUpdatedAt?: number;
  indexUpdatedAt?: number;
}

export interface ReconcileReport {
  match: boolean;
  window: { from: number | null; to: number; closedFrom: number | null };
  pages: number;
  tokenRestarts: number;
  aws: { findings: number; byStatus: Record<string, number> };
  index: { findings: number; byStatus: Record<string, number> };
  /** AWS versions whose record is in the index. */
  matched: number;
  missing: { count: number; byStatus: Record<string, number>; sample: Discrepancy[] };
  stale: { count: number; byStatus: Record<string, number>; sample: Discrepancy[] };
  unexpected: { count: number; byStatus: Record<string, number>; sample: Discrepancy[] };
  /** CLOSED in the index, no longer reported by AWS (deleted after closing): expected. */
  deleted: number;
  /** Findings sweeps closed as vanished (records `aws_inspector_state:vanished`). */
  swept: number;
}

const clamp = (t: number): number => Math.min(MAX_DATE, Math.max(MIN_DATE, Math.floor(t)));

/** The queries reconcile pages through; each filter is fixed for its whole pagination. */
export function reconcileQueries(
  from: number | undefined,
  to: number,
  closedFrom: number,
): { key: string; filterCriteria: WireFilterCriteria }[] {
  if (from !== undefined) {
    return [
      {
        key: 'window',
        filterCriteria: { updatedAt: [{ startInclusive: clamp(from), endInclusive: clamp(to) }] },
      },
    ];
  }
  return [
    {
      key: 'active',
      filterCriteria: {
        findingStatus: [
          { comparison: 'EQUALS', value: 'ACTIVE' },
          { comparison: 'EQUALS', value: 'SUPPRESSED' },
        ],
        updatedAt: [{ startInclusive: MIN_DATE, endInclusive: clamp(to) }],
      },
    },
    {
      key: 'closed',
      filterCriteria: {
        findingStatus: [{ comparison: 'EQUALS', value: 'CLOSED' }],
        updatedAt: [{ startInclusive: clamp(closedFrom), endInclusive: clamp(to) }],
      },
    },
  ];
}

/**
 * ARN, version, status and record id (in `tenantId`) of one raw finding, exactly as the
 * collector of that tenant sees them.
 */
export function versionOf(
  raw: unknown,
  tenantId: string,
): { findingArn: string; updatedAt: number; status: string; recordId: string } | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const arn = (raw as { findingArn?: unknown }).findingArn;
  if (typeof arn !== 'string') return undefined;
  const rec = mapFinding(raw, { connectorId: '', connectorName: '', tenantId, tenantName: '', writeTime: 0 });
  const f = rec.aws_inspector as { status?: unknown } | undefined;
  return {
    findingArn: arn,
    updatedAt: rec.timestamp,
    status: typeof f?.status === 'string' ? f.status : 'UNKNOWN',
    recordId: rec._id,
  };
}

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

export async function reconcile(opts: ReconcileOptions): Promise<ReconcileReport> {
  const { index, to } = opts;
  const clients: ReadonlyMap<string, InspectorClient> =
    opts.clients ?? new Map(opts.client ? [['', opts.client]] : []);
  if (clients.size === 0) throw new Error('reconcile needs a client');
  /** The client of a finding's region; undefined = a region not selected (out of scope). */
  const clientOf = (arn: string): InspectorClient | undefined =>
    clients.get('') ?? clients.get(arnRegion(arn) ?? '');
  const maxResults = opts.maxResults ?? 100;
  const listLimit = opts.listLimit ?? 50;
  const maxTokenRestarts = opts.maxTokenRestarts ?? 3;
  const lookbackStart = to - opts.initialLookbackDays * DAY_MS;
  const oldest = index.oldestWithStatus('CLOSED');
  const closedFrom = oldest === undefined ? lookbackStart : Math.min(lookbackStart, oldest);

  const report: ReconcileReport = {
    match: false,
    window: { from: opts.from ?? null, to, closedFrom: opts.from === undefined ? closedFrom : null },
    pages: 0,
    tokenRestarts: 0,
    aws: { findings: 0, byStatus: {} },
    index: { findings: 0, byStatus: {} },
    matched: 0,
    missing: { count: 0, byStatus: {}, sample: [] },
    stale: { count: 0, byStatus: {}, sample: [] },
    unexpected: { count: 0, byStatus: {}, sample: [] },
    deleted: 0,
    swept: index.countRecords?.('aws_inspector_state:vanished') ?? 0,
  };
  const add = (kind: 'missing' | 'stale' | 'unexpected', d: Discrepancy) => {
    const r = report[kind];
    r.count++;
    bump(r.byStatus, d.status);
    if (r.sample.length < listLimit) r.sample.push(d);
  };

  /** ARNs AWS returned (a finding is counted once even if a restarted query repeats it). */
  const seen = new Set<string>();
  const judge = (v: NonNullable<ReturnType<typeof versionOf>>) => {
    if (index.hasRecord(v.recordId)) {
      report.matched++;
      return;
    }
    const st = index.finding(v.findingArn);
    // Collected as an unchanged version (recordVersions: material): no record of its own, but
    // the current state is at this very version and the record it names (the last one stored
    // for the finding) is in the index.
    if (st && st.updatedAt === v.updatedAt && (st.recordId === undefined || index.hasRecord(st.recordId))) {
      report.matched++;
      return;
    }
    const d: Discrepancy = {
      findingArn: v.findingArn,
      status: v.status,
      awsUpdatedAt: v.updatedAt,
      ...(st ? { indexUpdatedAt: st.updatedAt } : {}),
    };
    if (st && st.updatedAt < v.updatedAt) add('stale', d);
    else add('missing', d);
  };

  const pageThrough = async (
    client: InspectorClient,
    filterCriteria: WireFilterCriteria,
    onFinding: (raw: unknown) => void,
  ) => {
    let token: string | undefined;
    let restarts = 0;
    for (;;) {
      let page;
      try {
        page = await client.listFindingsPage(
          { filterCriteria, maxResults, ...(token ? { nextToken: token } : {}) },
          opts.signal ? { abortSignal: opts.signal } : {},
        );
      } catch (e) {
        if (isCodedError(e) && e.code === 'ERR_TOKEN_REJECTED' && token && restarts < maxTokenRestarts) {
          restarts++;
          report.tokenRestarts++;
          token = undefined;
          continue;
        }
        throw e;
      }
      report.pages++;
      for (const raw of page.findings) onFinding(raw);
      opts.onProgress?.({ pages: report.pages, findings: report.aws.findings });
      if (!page.nextToken) return;
      token = page.nextToken;
    }
  };

  for (const [q, client] of reconcileQueries(opts.from, to, closedFrom).flatMap((q) =>
    [...clients.values()].map((c) => [q, c] as const),
  )) {
    await pageThrough(client, q.filterCriteria, (raw) => {
      const v = versionOf(raw, opts.tenantId);
      if (!v || seen.has(v.findingArn)) return;
      seen.add(v.findingArn);
      report.aws.findings++;
      bump(report.aws.byStatus, v.status);
      judge(v);
    });
  }

  // Index findings in scope that the listing did not return: look them up by ARN.
  const inScope = (s: IndexFindingState) =>
    opts.from === undefined ? true : s.updatedAt >= opts.from && s.updatedAt <= to;
  const lookup = async (batch: IndexFindingState[]) => {
    const found = new Map<string, NonNullable<ReturnType<typeof versionOf>>>();
    await pageThrough(
      clientOf(batch[0]!.key)!,
      { findingArn: batch.map((s) => ({ comparison: 'EQUALS', value: s.key })) },
      (raw) => {
        const v = versionOf(raw, opts.tenantId);
        if (v) found.set(v.findingArn, v);
      },
    );
    for (const s of batch) {
      const v = found.get(s.key);
      if (!v && s.status === 'CLOSED') {
        report.deleted++;
      } else if (!v) {
        add('unexpected', {
          findingArn: s.key,
          status: s.status ?? 'UNKNOWN',
          indexUpdatedAt: s.updatedAt,
        });
      } else if (v.updatedAt <= to) {
        // Held by AWS outside the listing's scope (e.g. CLOSED before the lookback): judge it.
        report.aws.findings++;
        bump(report.aws.byStatus, v.status);
        judge(v);
      }
      // else: changed after the window's end; not a discrepancy within this window.
    }
  };
  // Looked up 10 at a time with their region's client: one batch per region.
  const pending = new Map<InspectorClient, IndexFindingState[]>();
  for (const s of index.findings()) {
    const client = clientOf(s.key);
    if (!client || !inScope(s)) continue;
    report.index.findings++;
    bump(report.index.byStatus, s.status ?? 'UNKNOWN');
    if (seen.has(s.key)) continue;
    const batch = pending.get(client) ?? [];
    pending.set(client, batch);
    batch.push(s);
    if (batch.length === 10) await lookup(batch.splice(0));
  }
  for (const batch of pending.values()) if (batch.length > 0) await lookup(batch.splice(0));

  report.match = report.missing.count === 0 && report.stale.count === 0 && report.unexpected.count === 0;
  return report;
}

const iso = (t: number | null | undefined) =>
  t === null || t === undefined ? '-' : new Date(t).toISOString();
const byStatus = (m: Record<string, number>) =>
  Object.keys(m).length === 0
    ? ''
    : ` (${Object.entries(m)
        .sort()
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`;

/** The report as the CLI prints it (`reconcile` without `--json`). */
export function formatReport(name: string, r: ReconcileReport): string {
  const lines = [
    r.window.from === null
      ? `Reconcile ${name}: ACTIVE and SUPPRESSED findings updated up to ${iso(r.window.to)}, CLOSED since ${iso(r.window.closedFrom)}`
      : `Reconcile ${name}: findings updated from ${iso(r.window.from)} to ${iso(r.window.to)}`,
    `AWS:        ${r.aws.findings} findings${byStatus(r.aws.byStatus)} in ${r.pages} pages`,
    `Index:      ${r.index.findings} findings${byStatus(r.index.byStatus)}`,
    `Matched:    ${r.matched}`,
    `Missing:    ${r.missing.count}${byStatus(r.missing.byStatus)}`,
    `Stale:      ${r.stale.count}${byStatus(r.stale.byStatus)}`,
    `Unexpected: ${r.unexpected.count}${byStatus(r.unexpected.byStatus)}` +
      (r.unexpected.count > 0
        ? ' - open in the index, no longer reported by AWS: the next sweep closes them'
        : ''),
    `Deleted:    ${r.deleted} CLOSED in the index, deleted by AWS since (expected); swept as vanished: ${r.swept}`,
  ];
  for (const kind of ['missing', 'stale', 'unexpected'] as const) {
    for (const d of r[kind].sample) {
      lines.push(
        `  ${kind} ${d.findingArn} ${d.status} aws ${iso(d.awsUpdatedAt)} index ${iso(d.indexUpdatedAt)}`,
      );
    }
    if (r[kind].count > r[kind].sample.length)
      lines.push(`  ... ${r[kind].count - r[kind].sample.length} more ${kind}`);
  }
  lines.push(r.match ? 'MATCH: the index holds every finding version AWS holds' : 'MISMATCH');
  return lines.join('\n') + '\n';
}
