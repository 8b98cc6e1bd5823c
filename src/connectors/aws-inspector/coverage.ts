/**
 * Scan coverage of a delegated administrator's organisation (docs/coverage.md): per account ×
 * region, Amazon Inspector's activation (BatchGetAccountStatus, 100 ids a call), the members
 * (ListMembers, 50 a page), the resources scanned / not scanned and why (ListCoverage, 200 a page,
 * bounded; ListCoverageStatistics grouped by account for exact totals when the listing was cut),
 * the last finding time from the current-state store, and the flags that say where "no findings"
 * means "not scanned". A call that fails (AccessDenied: the action is not in the policy) is a
 * note; nothing here ever throws for AWS's answers.
 */
import { createHash } from 'node:crypto';
import { CodedError } from '../../core/errors.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { tenantRecordId, type InterflowRecord } from '../../core/record.js';
import {
  SCAN_TYPES,
  type CoverageFlag,
  type CoverageNote,
  type CoverageOptions,
  type CoverageRegion,
  type CoverageRow,
  type CoverageSnapshot,
} from '../coverage-types.js';
import type { MapContext } from '../types.js';
import type { AccountStatus, InspectorClient, MemberAccount } from './client.js';
import { LOG_SOURCE } from './map.js';
import { partitionOf } from './regions.js';
import { mapBounded } from '../../core/concurrency.js';

export const COVERAGE_MSG_CLASS = 'aws_inspector_coverage';
export const DEFAULT_STALE_DAYS = 7;
export const DEFAULT_MAX_ACCOUNTS = 1000;
export const DEFAULT_MAX_COVERAGE_PAGES = 25;
/** The model's bounds: AccountIdSet (BatchGetAccountStatus) 0-100, ListMembers 1-50, ListCoverage 1-200. */
const STATUS_BATCH = 100;
const MEMBERS_PAGE = 50;
const COVERAGE_PAGE = 200;
/** ListCoverageStatistics pages (of groups) read per region and status code. */
const MAX_STATISTICS_PAGES = 200;
const DAY = 86_400_000;
/** Relationships that no longer belong to the organisation: not rows. */
const GONE = new Set(['REMOVED', 'RESIGNED', 'DELETED']);

/** The key prefix of an account × region's findings in the current-state store (the finding ARN). */
export function findingKeyPrefix(region: string, accountId: string): string {
  return `arn:${partitionOf(region) ?? 'aws'}:inspector2:${region}:${accountId}:`;
}

const dayText = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The flags of one account × region (pure). `scanTimes`: whether ListCoverage answered for the
 * region in full (`read`), was cut at its bound (`partial`) or refused (`unread`): then a missing
 * `lastScannedAt` is unknown rather than absent, and the reason says so.
 */
export function flagRow(
  row: Omit<CoverageRow, 'flags'>,
  o: { now: number; staleDays: number; scanTimes: 'read' | 'partial' | 'unread' },
): CoverageFlag[] {
  const flags: CoverageFlag[] = [];
  const where = `${row.accountId} in ${row.region}`;
  if (row.relationship && row.relationship !== 'ADMINISTRATOR' && row.relationship !== 'ENABLED') {
    flags.push({
      code: 'NOT_ASSOCIATED',
      level: 'high',
      reason: `member ${where} is ${row.relationship}, not ENABLED: the delegated administrator does not see its findings`,
    });
  }
  if (row.state === undefined) {
    flags.push({
      code: 'STATUS_UNKNOWN',
      level: 'high',
      reason: `Amazon Inspector's state for ${where} could not be read: no result there does not mean nothing was found`,
    });
  } else if (row.state !== 'ENABLED') {
    flags.push({
      code: 'INSPECTOR_DISABLED',
      level: 'high',
      reason: `Amazon Inspector is ${row.state} for ${where}: nothing is scanned there`,
    });
  } else {
    const off = SCAN_TYPES.filter((k) => row.scans?.[k] !== undefined && row.scans[k] !== 'ENABLED');
    if (off.length) {
      flags.push({
        code: 'SCAN_TYPE_DISABLED',
        level: 'low',
        reason: `${off.map((k) => `${k} ${row.scans![k]}`).join(', ')} for ${where}: those resources are not scanned`,
      });
    }
  }
  if (row.state === 'ENABLED') {
    const last = Math.max(row.lastFindingAt ?? -Infinity, row.lastScannedAt ?? -Infinity);
    const limit = o.now - o.staleDays * DAY;
    const unknownScan =
      o.scanTimes === 'unread'
        ? ' (coverage scan times could not be read)'
        : o.scanTimes === 'partial'
          ? ' (the resource listing was cut at its bound: scan times of the resources listed only)'
          : '';
    if (!Number.isFinite(last)) {
      flags.push({
        code: 'STOPPED_REPORTING',
        level: 'high',
        reason: `no finding and no coverage scan known for ${where}${unknownScan}`,
      });
    } else if (last < limit) {
      flags.push({
        code: 'STOPPED_REPORTING',
        level: 'high',
        reason: `no finding update and no coverage scan for ${where} in more than ${o.staleDays} days (last ${dayText(last)})${unknownScan}`,
      });
    }
  }
  return flags;
}

export interface ReadCoverageOptions extends CoverageOptions {
  connectorId: string;
  regions: readonly string[];
  /** A client signed for one region (the caller destroys nothing: each is destroyed here). */
  clientFor(region: string): InspectorClient;
  /** Newest finding version time among the current states whose key starts with the prefix. */
  newestFindingAt(keyPrefix: string): number | undefined;
  clock: Clock;
  logger?: Logger;
  signal?: AbortSignal;
  /** Regions read at once (default 4). */
  concurrency?: number;
}

type CoveragePage = Awaited<ReturnType<NonNullable<InspectorClient['listCoveragePage']>>>;
type StatisticsPage = Awaited<ReturnType<NonNullable<InspectorClient['listCoverageStatisticsPage']>>>;

interface RegionResult {
  region: CoverageRegion;
  rows: CoverageRow[];
  notes: CoverageNote[];
  leftOut: number;
}

/** Reads coverage for every region of the config, bounded; never throws for AWS's answers. */
export async function readCoverage(o: ReadCoverageOptions): Promise<CoverageSnapshot> {
  const staleDays = o.staleDays ?? DEFAULT_STALE_DAYS;
  const results = await mapBounded(o.regions, Math.max(1, o.concurrency ?? 4), (region) =>
    readRegion(o, region),
  );
  const now = o.clock.now();
  const rows = results.flatMap((r) => r.rows);
  for (const row of rows) {
    const lf = o.newestFindingAt(findingKeyPrefix(row.region, row.accountId));
    if (lf !== undefined) row.lastFindingAt = lf;
  }
  for (const r of results) {
    const scanTimes = r.notes.some((n) => n.operation === 'ListCoverage')
      ? 'unread'
      : r.region.truncated
        ? 'partial'
        : 'read';
    for (const row of r.rows) {
      if (row.flags.some((f) => f.code === 'REGION_UNREACHABLE')) continue;
      row.flags = flagRow(row, { now, staleDays, scanTimes });
    }
  }
  const leftOut = results.reduce((n, r) => n + r.leftOut, 0);
  return {
    connectorId: o.connectorId,
    generatedAt: now,
    staleDays,
    regions: results.map((r) => r.region),
    rows,
    notes: results.flatMap((r) => r.notes),
    ...(leftOut ? { accountsLeftOut: leftOut } : {}),
  };
}

async function readRegion(o: ReadCoverageOptions, region: string): Promise<RegionResult> {
  const notes: CoverageNote[] = [];
  const callOpts = o.signal ? { abortSignal: o.signal } : {};
  const note = (operation: string, e: unknown) => {
    const c =
      e instanceof CodedError ? e : new CodedError('ERR_INTERNAL', String((e as Error)?.message ?? e));
    notes.push({ region, operation, code: c.code, message: c.message });
  };
  const regionOut: CoverageRegion = { region, status: 'ok', accounts: 0, covered: 0, notCovered: 0 };
  let client: InspectorClient;
  try {
    client = o.clientFor(region);
  } catch (e) {
    note('client', e);
    return { region: { ...regionOut, status: 'failed' }, rows: [], notes, leftOut: 0 };
  }
  try {
    // 1. The caller's own account and its state.
    let self: AccountStatus | undefined;
    try {
      self = (await client.batchGetAccountStatus(callOpts)).accounts[0];
    } catch (e) {
      note('BatchGetAccountStatus', e);
    }
    // 2. Members (delegated administrator), bounded.
    const members = new Map<string, MemberAccount>();
    let leftOut = 0;
    if (client.listMembersPage) {
      try {
        let token: string | undefined;
        let pages = 0;
        const maxAccounts = o.maxAccounts ?? DEFAULT_MAX_ACCOUNTS;
        do {
          const page = await client.listMembersPage(
            { maxResults: MEMBERS_PAGE, onlyAssociated: false, ...(token ? { nextToken: token } : {}) },
            callOpts,
          );
          for (const m of page.members) {
            if (GONE.has(m.relationshipStatus) || m.accountId === self?.accountId) continue;
            if (members.size < maxAccounts) members.set(m.accountId, m);
            else leftOut++;
          }
          token = page.nextToken;
          // Bound: the pages the account bound needs, plus one.
        } while (token && ++pages <= maxAccounts / MEMBERS_PAGE + 1);
      } catch (e) {
        note('ListMembers', e);
      }
    } else {
      note('ListMembers', new CodedError('ERR_NOT_FOUND', 'ListMembers: not supported by this client'));
    }
    // 3. The members' states, 100 ids a call.
    const states = new Map<string, AccountStatus>();
    if (self) states.set(self.accountId, self);
    const ids = [...members.keys()];
    for (let i = 0; i < ids.length; i += STATUS_BATCH) {
      try {
        const out = await client.batchGetAccountStatus(callOpts, ids.slice(i, i + STATUS_BATCH));
        for (const a of out.accounts) states.set(a.accountId, a);
      } catch (e) {
        note('BatchGetAccountStatus', e);
        break;
      }
    }
    const accountIds = [...(self ? [self.accountId] : []), ...ids];
    if (accountIds.length === 0) {
      // Neither our own state nor members: the region answered nothing.
      const reason = notes.map((n) => `${n.operation}: ${n.code}`).join('; ');
      return {
        region: { ...regionOut, status: 'failed' },
        rows: [
          {
            accountId: '*',
            region,
            flags: [
              {
                code: 'REGION_UNREACHABLE',
                level: 'high',
                reason: `no coverage could be read in ${region} (${reason}): no result there does not mean nothing was found`,
              },
            ],
          },
        ],
        notes,
        leftOut,
      };
    }
    const rows = new Map<string, CoverageRow>();
    for (const id of accountIds) {
      const st = states.get(id);
      const scans: CoverageRow['scans'] = {};
      for (const k of SCAN_TYPES) if (st?.resources[k]) scans[k] = st.resources[k].status;
      rows.set(id, {
        accountId: id,
        region,
        relationship:
          id === self?.accountId ? 'ADMINISTRATOR' : (members.get(id)?.relationshipStatus ?? 'UNKNOWN'),
        ...(st ? { state: st.state, scans } : {}),
        flags: [],
      });
    }
    // 4. Resources covered / not covered, bounded pages.
    let truncated = false;
    if (client.listCoveragePage) {
      try {
        let token: string | undefined;
        let pages = 0;
        const maxPages = o.maxCoveragePages ?? DEFAULT_MAX_COVERAGE_PAGES;
        do {
          const page: CoveragePage = await client.listCoveragePage(
            { maxResults: COVERAGE_PAGE, ...(token ? { nextToken: token } : {}) },
            callOpts,
          );
          for (const r of page.resources) {
            const row = rows.get(r.accountId);
            if (!row) continue;
            const active = r.statusCode === 'ACTIVE';
            row.covered = (row.covered ?? 0) + (active ? 1 : 0);
            row.notCovered = (row.notCovered ?? 0) + (active ? 0 : 1);
            const t = ((row.byResourceType ??= {})[r.resourceType] ??= { covered: 0, notCovered: 0 });
            if (active) t.covered++;
            else {
              t.notCovered++;
              const why = r.reason ?? 'UNKNOWN';
              (row.notCoveredReasons ??= {})[why] = (row.notCoveredReasons[why] ?? 0) + 1;
            }
            if (r.lastScannedAt !== undefined && r.lastScannedAt > (row.lastScannedAt ?? -Infinity))
              row.lastScannedAt = r.lastScannedAt;
          }
          token = page.nextToken;
          if (token && ++pages >= maxPages) truncated = true;
        } while (token && !truncated);
        for (const row of rows.values()) {
          row.covered ??= 0;
          row.notCovered ??= 0;
        }
      } catch (e) {
        note('ListCoverage', e);
      }
    } else {
      note('ListCoverage', new CodedError('ERR_NOT_FOUND', 'ListCoverage: not supported by this client'));
    }
    // 5. Exact totals per account when the listing was cut (or could not be read).
    if (
      (truncated || notes.some((n) => n.operation === 'ListCoverage')) &&
      client.listCoverageStatisticsPage
    ) {
      try {
        for (const [code, field] of [
          ['ACTIVE', 'covered'],
          ['INACTIVE', 'notCovered'],
        ] as const) {
          let token: string | undefined;
          let pages = 0;
          const counts = new Map<string, number>();
          do {
            const page: StatisticsPage = await client.listCoverageStatisticsPage(
              { groupBy: 'ACCOUNT_ID', scanStatusCode: code, ...(token ? { nextToken: token } : {}) },
              callOpts,
            );
            for (const c of page.counts) counts.set(c.groupKey, c.count);
            token = page.nextToken;
          } while (token && ++pages < MAX_STATISTICS_PAGES);
          for (const row of rows.values()) row[field] = counts.get(row.accountId) ?? 0;
        }
      } catch (e) {
        note('ListCoverageStatistics', e);
      }
    }
    const list = [...rows.values()];
    return {
      region: {
        region,
        status: notes.length ? 'partial' : 'ok',
        accounts: list.length,
        covered: list.reduce((n, r) => n + (r.covered ?? 0), 0),
        notCovered: list.reduce((n, r) => n + (r.notCovered ?? 0), 0),
        ...(truncated ? { truncated } : {}),
      },
      rows: list,
      notes,
      leftOut,
    };
  } finally {
    client.destroy();
  }
}

/** What decides whether a coverage row changed (timestamps left out: they move every scan). */
function materialOf(row: CoverageRow): unknown {
  return [
    row.accountId,
    row.region,
    row.relationship ?? null,
    row.state ?? null,
    row.scans ?? null,
    row.covered ?? null,
    row.notCovered ?? null,
    row.byResourceType ?? null,
    row.notCoveredReasons ?? null,
    row.flags.map((f) => f.code).sort(),
  ];
}

/** Stable JSON (sorted object keys) for hashing. */
function stable(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stable(o[k])}`)
    .join(',')}}`;
}

/**
 * One record per account × region of a snapshot (docs/records.md "Coverage records"). The `_id`
 * hashes the connector, the account × region and its material content: an unchanged row gives the
 * `_id` already stored, which the index drops as a duplicate, so a refresh stores only changes.
 */
export function coverageRecords(snap: CoverageSnapshot, ctx: MapContext): InterflowRecord[] {
  return snap.rows.map((row) => {
    const material = createHash('sha256')
      .update(stable(materialOf(row)))
      .digest('hex')
      .slice(0, 32);
    const high = row.flags.some((f) => f.level === 'high');
    const low = row.flags.length > 0;
    return {
      _id: tenantRecordId(
        ctx.tenantId,
        `coverage|${snap.connectorId}|${row.accountId}|${row.region}|${material}`,
      ),
      timestamp: snap.generatedAt,
      write_time: ctx.writeTime,
      tenantid: ctx.tenantId,
      tenant_name: ctx.tenantName,
      msg_class: COVERAGE_MSG_CLASS,
      msg_origin: {
        source: LOG_SOURCE,
        vendor: 'aws',
        category: 'security_scan',
        processor: { type: 'log_collector', name: ctx.connectorName, id: ctx.connectorId },
      },
      event_name: `coverage ${row.accountId} ${row.region}`,
      event_status: high ? 'FLAGGED' : low ? 'PARTIAL' : 'OK',
      severity: high ? 70 : low ? 40 : 0,
      aws_account_id: row.accountId,
      aws_region: row.region,
      aws_inspector_coverage: {
        ...row,
        flagCodes: row.flags.map((f) => f.code),
      },
      ...(row.flags.length ? { message: row.flags.map((f) => f.reason).join('; ') } : {}),
    };
  });
}
