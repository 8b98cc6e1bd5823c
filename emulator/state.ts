/**
 * Everything the emulator knows, behind methods the HTTP layer and the control API share:
 * findings, IAM, STS sessions, faults, the (movable) clock, account activation and statistics.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { AwsError, validation } from './errors.js';
import { FaultInjector } from './faults.js';
import { DEFAULT_ACCOUNTS, Generator, SEVERITIES, STATUSES } from './generator.js';
import {
  DEFAULT_IAM,
  allows,
  loadIam,
  parseIam,
  userPrincipal,
  type Iam,
  type IamModel,
  type Principal,
} from './iam.js';
import { partitionArn, partitionOf } from './regions.js';
import {
  QueryEngine,
  constraint,
  expectType,
  isObj,
  onlyKeys,
  parseListFindings,
  serialization,
  type PageShape,
  type Scope,
} from './query.js';
import { GROUP_KEYS, coverageFilter, coverageOf, type CoveredResource } from './coverage.js';
import {
  OffsetTokens,
  Organization,
  RESOURCE_SCANS,
  disableSchema,
  issues as orgIssues,
  type Bucket,
  type ScanKey,
  type ScanStatus,
} from './org.js';
import type { KeyRecord } from './sigv4.js';
import { Rescans } from './rescans.js';
import { FindingStore } from './store.js';
import { Sessions } from './sts.js';

export { RESOURCE_SCANS, accountStatusSchema } from './org.js';

export interface StateOptions {
  findings?: number;
  fixtures?: boolean | string;
  seed?: number;
  iam?: IamModel | string;
  clock?: () => number;
  /**
   * Regions where Inspector2 is available, and generated findings live in (default us-east-1
   * only). Elsewhere the Inspector2 endpoint does not exist (README "Regions and endpoints").
   */
  regions?: string[];
  /** Accounts generated findings belong to (default: the IAM account and three members). */
  accounts?: string[];
  /**
   * Full pages (the old behaviour) instead of AWS's uneven ones: short pages and empty pages
   * that carry a nextToken, and a nextToken on the last page (README "Paging").
   */
  cleanPages?: boolean;
  /** Percent (0-100) of generated findings sent without `updatedAt` (README "Generated findings"). */
  withoutUpdatedAt?: number;
  /**
   * Fraction (0-1) of ACTIVE findings rescanned per emulator day without a material change:
   * `updatedAt`/`lastObservedAt` move and the EPSS score drifts (rescans.ts). Default 0.
   */
  rescanRate?: number;
  /**
   * AWS's eventually consistent index: a version written at T is listed only from emulator time
   * T + lag; until then ListFindings shows the previous version, if any (README "Indexing lag").
   */
  indexLagSeconds?: number;
  /** The emulator's now = host time + this (README "Clock offset"); may be negative. */
  clockOffsetSeconds?: number;
  /**
   * Opt-in regions enabled for the IAM account (README "Opt-in regions"); default all of them.
   * Requests to another opt-in region fail as AWS fails them (UnrecognizedClientException).
   */
  optInRegions?: string[];
  /** Member accounts of the delegated administrator (default: `accounts` but the admin). */
  members?: string[];
  /** Every region's token bucket for Inspector2 requests (default: none, no limit). */
  regionRate?: Bucket;
}

/** Bounds of the lag and offset options (a day either way: far beyond any overlap). */
export const MAX_INDEX_LAG_SECONDS = 86_400;
export const MAX_CLOCK_OFFSET_SECONDS = 86_400;

/** Checks a lag or offset value (options, CLI, control API); throws naming the field. */
export function checkSeconds(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new Error(`${name}: an integer number of seconds from ${min} to ${max}`);
  return v;
}

/** A write not indexed yet: a mutation of finding `i`, or added documents. */
type PendingWrite = { seq: number; at: number } & (
  { i: number; status?: string; severity?: string; observed: boolean } | { docs: Record<string, unknown>[] }
);

export const mutateSchema = z
  .object({
    count: z.number().int().min(1).max(1_000_000).optional(),
    /** Exactly these findings (instead of `count` picked ones). */
    arns: z.array(z.string()).min(1).max(100_000).optional(),
    status: z.enum(STATUSES).optional(),
    fromStatus: z.enum(STATUSES).optional(),
    severity: z.enum(SEVERITIES).optional(),
    /** A rescan: lastObservedAt moves with updatedAt (a status change moves only updatedAt). */
    observed: z.boolean().default(false),
    region: z.string().optional(),
    account: z
      .string()
      .regex(/^\d{12}$/)
      .optional(),
  })
  .strict()
  .refine((m) => (m.count === undefined) !== (m.arns === undefined), {
    message: 'give either count or arns',
    path: ['count'],
  });

/** AWS deletes the findings of a terminated resource 3 days later, an account's 24 h after Inspector is disabled. */
export const TERMINATED_RETENTION_MS = 3 * 86_400_000;
export const DISABLED_RETENTION_MS = 86_400_000;

const arnsSchema = z.object({ arns: z.array(z.string()).min(1).max(100_000) }).strict();
const terminateSchema = z
  .object({ resourceIds: z.array(z.string().min(1).max(1024)).min(1).max(10_000) })
  .strict();
const issues = (e: z.ZodError): string =>
  e.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');

export interface RequestLogEntry {
  at: number;
  operation: string;
  status: number;
  errorCode?: string;
  caller?: string;
  region?: string;
  filterCriteria?: unknown;
  sortCriteria?: unknown;
  maxResults?: number;
  hasNextToken?: boolean;
  returned?: number;
  fault?: string;
  /** Uneven paging's shape of the page when not a full one: short, empty or trailing. */
  shape?: string;
}

/** Find the shipped fixtures folder, from source (emulator/) or build (dist/emulator/). */
export function findFixturesDir(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let k = 0; k < 4; k++) {
    const cand = path.join(dir, 'test', 'fixtures', 'aws-inspector2');
    if (fs.existsSync(cand)) return cand;
    dir = path.dirname(dir);
  }
  return undefined;
}

export function loadFixtures(dir: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const f of fs.readdirSync(dir).sort()) {
    if (!/^aws_inspector2_.*\.json$/.test(f)) continue;
    const data = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as {
      findings?: Record<string, unknown>[];
    };
    out.push(...(data.findings ?? []));
  }
  return out;
}

export class EmulatorState {
  readonly store: FindingStore;
  readonly engine: QueryEngine;
  readonly iam: Iam;
  readonly sessions = new Sessions();
  readonly faults: FaultInjector;
  readonly startedAt: number;
  /** The `regions` option (see `servesInspector`). */
  private readonly inspectorRegions: ReadonlySet<string>;
  private readonly baseClock: () => number;
  private offsetMs = 0;
  /** Indexing lag (ms); switched at runtime by `POST /__emulator/indexing`. */
  indexLagMs = 0;
  /** Writes not visible to ListFindings yet, in the order they were made. */
  private pending: PendingWrite[] = [];
  private pendingSeq = 0;
  /** First generator index free for findings added by count. */
  private nextAddBase = 0;
  credentialSeconds: number | undefined;
  /** Members, activation per account / region / scan type, opt-in regions, per-region throttling. */
  readonly org: Organization;
  private readonly tokens = new OffsetTokens();
  /** Resources terminated through the control API: gone from coverage. */
  private readonly terminated = new Set<string>();
  private coverageCache = new Map<string, CoveredResource[]>();
  private readonly log: RequestLogEntry[] = [];
  private mutateCursor = 0;
  /** Seed of uneven paging (the emulator's seed). */
  private readonly seed: number;
  /** Full pages instead of AWS's uneven ones; switched at runtime by `POST /__emulator/paging`. */
  cleanPages: boolean;
  /** Immaterial rescans at a daily rate (rescans.ts), applied as the clock moves. */
  private readonly rescans: Rescans;
  readonly stats = {
    requests: 0,
    pages: 0,
    findingsServed: 0,
    bytesServed: 0,
    /** Pages served by shape under uneven paging (full pages not counted). */
    shapes: { short: 0, empty: 0, trailing: 0 },
    errors: {} as Record<string, number>,
  };

  constructor(opts: StateOptions = {}) {
    this.baseClock = opts.clock ?? Date.now;
    this.offsetMs =
      checkSeconds(
        'clockOffsetSeconds',
        opts.clockOffsetSeconds ?? 0,
        -MAX_CLOCK_OFFSET_SECONDS,
        MAX_CLOCK_OFFSET_SECONDS,
      ) * 1000;
    this.indexLagMs =
      checkSeconds('indexLagSeconds', opts.indexLagSeconds ?? 0, 0, MAX_INDEX_LAG_SECONDS) * 1000;
    // Generated findings are dated from the emulator's (offset) clock, as AWS dates them.
    this.startedAt = this.now();
    this.iam = typeof opts.iam === 'string' ? loadIam(opts.iam) : parseIam(opts.iam ?? DEFAULT_IAM);
    const seed = (opts.seed ?? 1) >>> 0;
    this.seed = seed;
    this.cleanPages = opts.cleanPages ?? false;
    const regions = opts.regions ?? ['us-east-1'];
    for (const r of regions)
      if (!partitionOf(r))
        throw new Error(`regions: '${r}' is not an AWS region of the aws, aws-cn or aws-us-gov partition`);
    this.inspectorRegions = new Set(regions);
    const accounts = opts.accounts ?? [
      this.iam.account,
      ...DEFAULT_ACCOUNTS.filter((a) => a !== this.iam.account).slice(0, 3),
    ];
    this.org = new Organization({
      admin: this.iam.account,
      delegatedAdmin: this.iam.delegatedAdmin,
      members: opts.members ?? accounts,
      ...(opts.optInRegions ? { optInRegions: opts.optInRegions } : {}),
      ...(opts.regionRate ? { regionRate: opts.regionRate } : {}),
      startedAt: this.startedAt,
    });
    const w = opts.withoutUpdatedAt ?? 0;
    if (!(w >= 0 && w <= 100)) throw new Error(`withoutUpdatedAt: a percent from 0 to 100, got ${w}`);
    this.store = new FindingStore(
      new Generator({ seed, accounts, regions, epoch: this.startedAt, withoutUpdatedAt: w }),
    );
    this.store.retainFrom = this.startedAt;
    this.store.generate(opts.findings ?? 0);
    if (opts.fixtures) {
      const dir = typeof opts.fixtures === 'string' ? opts.fixtures : findFixturesDir();
      if (!dir) throw new Error('fixtures: cannot find test/fixtures/aws-inspector2 next to the emulator');
      this.store.addDocuments(loadFixtures(dir));
    }
    this.engine = new QueryEngine(this.store);
    // Build the (updatedAt, index) order now, so the first page does not pay for it.
    this.store.byUpdatedAt();
    this.faults = new FaultInjector(seed);
    this.rescans = new Rescans(seed, this.startedAt, opts.rescanRate ?? 0);
  }

  /**
   * Whether Inspector2 is available in a region: one of `regions`, or one holding findings
   * (fixtures and added findings carry their own regions). Elsewhere its endpoint does not exist.
   */
  servesInspector(region: string): boolean {
    return this.inspectorRegions.has(region) || this.store.regions.lookup(region) !== undefined;
  }

  inspectorRegionList(): string[] {
    return [...new Set([...this.inspectorRegions, ...this.store.regions.values])].filter((r) =>
      partitionOf(r),
    );
  }

  /** The emulator's clock in whole milliseconds (moved by the control API). */
  now(): number {
    return Math.round(this.baseClock() + this.offsetMs);
  }

  /**
   * The clock, after the writes indexed, the rescans and the deletions due by then: what every
   * read and change starts with.
   */
  private tick(): number {
    this.indexDue();
    const now = this.now();
    this.rescans.advance(
      this.store,
      now,
      this.org.anySilent ? (i) => this.silentAt(i) !== undefined : undefined,
    );
    this.store.expire(now);
    return now;
  }

  moveClock(b: { advanceMs?: number; setMs?: number; offsetSeconds?: number }): number {
    if (b.offsetSeconds !== undefined) this.offsetMs = b.offsetSeconds * 1000;
    if (b.setMs !== undefined) this.offsetMs = b.setMs - this.baseClock();
    if (b.advanceMs !== undefined) this.offsetMs += b.advanceMs;
    return this.tick();
  }

  /** The rescan rate and the versions rescans made so far; `rate` given: changed from now on. */
  rescan(rate?: number): { rate: number; applied: number } {
    if (rate !== undefined) this.rescans.setRate(this.store, this.now(), rate);
    else this.tick();
    return { rate: this.rescans.rate, applied: this.rescans.applied };
  }

  /** The emulator's clock minus the host's (ms): the clock offset plus every move. */
  clockOffsetMs(): number {
    return Math.round(this.offsetMs);
  }

  /** Writes made and not yet visible to ListFindings. */
  pendingWrites(): number {
    return this.pending.length;
  }

  /**
   * Makes visible every write whose time + lag has come, in the order written. Called before
   * anything reads or picks findings, so visibility depends on the emulator's clock alone.
   * An older version never replaces a newer one (possible only when the clock was moved back).
   */
  indexDue(): void {
    if (this.pending.length === 0) return;
    const now = this.now();
    const s = this.store;
    const due = this.pending.filter((w) => w.at + this.indexLagMs <= now);
    if (due.length === 0) return;
    const rest = this.pending.filter((w) => w.at + this.indexLagMs > now);
    const mutated: number[] = [];
    const appliedSeq = new Map<string, number>();
    for (const w of due) {
      if ('docs' in w) {
        // Indices of documents change the order: finish the mutations' batch first.
        if (mutated.length > 0) s.mutated(mutated.splice(0));
        s.addDocuments(w.docs);
        for (const d of w.docs) appliedSeq.set(String(d.findingArn), w.seq);
      } else {
        s.mutate(w.i, { status: w.status, severity: w.severity, now: w.at, observed: w.observed });
        mutated.push(w.i);
        appliedSeq.set(s.arnOf(w.i), w.seq);
      }
    }
    if (mutated.length > 0) s.mutated(mutated);
    const older = (arn: string, seq: number) => (appliedSeq.get(arn) ?? -1) > seq;
    this.pending = rest.flatMap((w): PendingWrite[] => {
      if (!('docs' in w)) return older(s.arnOf(w.i), w.seq) ? [] : [w];
      const docs = w.docs.filter((d) => !older(String(d.findingArn), w.seq));
      return docs.length === 0 ? [] : [{ ...w, docs }];
    });
  }

  /** The truth a mutation picks by: each finding's status in writes not indexed yet (the last one). */
  private pendingStatuses(): Map<number, number> {
    const out = new Map<number, number>();
    for (const w of this.pending)
      if (!('docs' in w) && w.status !== undefined) out.set(w.i, this.store.statuses.code(w.status));
    return out;
  }

  lookupKey(accessKeyId: string): KeyRecord | undefined {
    const u = this.iam.users.find((x) => x.accessKeyId === accessKeyId);
    if (u) return { secretAccessKey: u.secretAccessKey, principal: userPrincipal(this.iam, u) };
    return this.sessions.get(accessKeyId);
  }

  authorize(p: Principal, action: string, resource: string): void {
    if (!allows(p, action)) {
      // ARNs as the caller's partition writes them (the resource's region names it).
      const partition = partitionOf(resource.split(':')[3] ?? '')?.name ?? 'aws';
      throw new AwsError(
        'AccessDeniedException',
        403,
        `User: ${partitionArn(p.arn, partition)} is not authorized to perform: ${action} on resource: ${partitionArn(resource, partition)}`,
      );
    }
  }

  scope(p: Principal, region: string): Scope {
    return {
      region,
      accounts: this.iam.delegatedAdmin && p.account === this.iam.account ? null : [p.account],
    };
  }

  /**
   * ListFindings: returns the response object and the page's shape. `pageFault` shapes the page
   * as a fault, on top of the paging mode.
   */
  listFindings(
    body: unknown,
    p: Principal,
    region: string,
    pageFault?: 'emptyPage' | 'shortPage',
  ): { findings: Record<string, unknown>[]; nextToken?: string; shape: PageShape } {
    this.authorize(p, 'inspector2:ListFindings', `arn:aws:inspector2:${region}:${p.account}:/findings/list`);
    const req = parseListFindings(body);
    const opts = {
      now: this.tick(),
      tokenTtlMs: this.faults.tokenTtlMs,
      ...(this.cleanPages ? {} : { unevenSeed: this.seed }),
    };
    // A short page is a smaller maxResults: its token (bound to the query, not the page size)
    // resumes right after it.
    const max = req.maxResults ?? 100;
    const page = this.engine.page(
      pageFault === 'shortPage' ? { ...req, maxResults: this.faults.shortSize(max) } : req,
      this.scope(p, region),
      opts,
    );
    this.stats.pages++;
    if (pageFault === 'emptyPage') return { findings: [], nextToken: page.emptyToken, shape: 'empty' };
    if (page.shape !== 'full') this.stats.shapes[page.shape]++;
    const findings = page.indices.map((i) => this.store.build(i));
    this.stats.findingsServed += findings.length;
    return page.nextToken
      ? { findings, nextToken: page.nextToken, shape: page.shape }
      : { findings, shape: page.shape };
  }

  /** Since when finding i's account stopped reporting in its region (undefined: it reports). */
  private silentAt(i: number): number | undefined {
    const st = this.store;
    return this.org.silentSince(st.regions.value(st.region[i]!), st.accounts.value(st.acct[i]!));
  }

  setAccountStatus(input: unknown): unknown {
    return this.org.setAccountStatus(input);
  }

  /** Whether `p` is the delegated administrator (sees its members' data). */
  private isAdmin(p: Principal): boolean {
    return this.iam.delegatedAdmin && p.account === this.iam.account;
  }

  /** Accounts whose data `p` may read in `region`: its own, and an admin's associated members. */
  private visible(p: Principal, region: string, id: string): boolean {
    if (id === p.account) return true;
    if (!this.isAdmin(p)) return false;
    // Accounts never made members (added findings of other accounts) stay visible, as findings are.
    return this.org.isMember(region, id) || !this.org.knownMembers().includes(id);
  }

  batchGetAccountStatus(body: unknown, p: Principal, region: string): unknown {
    this.authorize(
      p,
      'inspector2:BatchGetAccountStatus',
      `arn:aws:inspector2:${region}:${p.account}:/status/batch/get`,
    );
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw new AwsError('SerializationException', 400, 'Expected a JSON object as the request body');
    const b = body as Record<string, unknown>;
    for (const k of Object.keys(b))
      if (k !== 'accountIds')
        throw validation(`Unknown field '${k}'; allowed: accountIds`, 'FIELD_VALIDATION_FAILED', k);
    let ids: string[] = [p.account];
    if (b.accountIds !== undefined && b.accountIds !== null) {
      if (!Array.isArray(b.accountIds))
        throw new AwsError('SerializationException', 400, "Expected a list at 'accountIds'");
      if (b.accountIds.length > 100)
        throw validation(
          `1 validation error detected: Value at 'accountIds' failed to satisfy constraint: Member must have length less than or equal to 100`,
          'FIELD_VALIDATION_FAILED',
          'accountIds',
        );
      b.accountIds.forEach((a, n) => {
        if (typeof a !== 'string')
          throw new AwsError(
            'SerializationException',
            400,
            `Expected a string at 'accountIds.${n + 1}.member'`,
          );
        if (!/^\d{12}$/.test(a)) {
          throw validation(
            `1 validation error detected: Value '${a}' at 'accountIds.${n + 1}.member' failed to satisfy constraint: Member must satisfy regular expression pattern: \\d{12}`,
            'FIELD_VALIDATION_FAILED',
            `accountIds.${n + 1}.member`,
          );
        }
      });
      if (b.accountIds.length > 0) ids = b.accountIds as string[];
    }
    const known = new Set([
      this.iam.account,
      ...this.store.accounts.values,
      ...this.org.knownMembers(),
      ...this.org.configuredAccounts(),
    ]);
    const accounts: unknown[] = [];
    const failedAccounts: unknown[] = [];
    const state = (s: ScanStatus) =>
      s === 'ENABLED'
        ? { status: s, errorCode: 'ALREADY_ENABLED', errorMessage: 'Amazon Inspector is enabled' }
        : {
            status: s,
            errorCode: 'RESOURCE_NOT_FOUND',
            errorMessage: `Amazon Inspector scanning is ${s.toLowerCase()}`,
          };
    for (const id of [...new Set(ids)]) {
      if (!known.has(id) || !this.visible(p, region, id)) {
        failedAccounts.push({
          accountId: id,
          errorCode: 'ACCESS_DENIED',
          errorMessage:
            'The account is not a member of your organization or you are not its delegated administrator',
        });
        continue;
      }
      const s = this.org.state(region, id);
      accounts.push({
        accountId: id,
        state: state(s.status),
        resourceState: Object.fromEntries(RESOURCE_SCANS.map((k) => [k, state(s.resources[k])])),
      });
    }
    return { accounts, failedAccounts };
  }

  /** ListMembers: the delegated administrator's members in `region`, 1-50 per page. */
  listMembers(body: unknown, p: Principal, region: string): unknown {
    this.authorize(p, 'inspector2:ListMembers', `arn:aws:inspector2:${region}:${p.account}:/members/list`);
    if (!isObj(body)) throw serialization('Expected a JSON object as the request body');
    onlyKeys(body, ['onlyAssociated', 'maxResults', 'nextToken'], '');
    if (
      body.onlyAssociated !== undefined &&
      body.onlyAssociated !== null &&
      typeof body.onlyAssociated !== 'boolean'
    )
      throw serialization(
        `${String(body.onlyAssociated).toUpperCase()}_VALUE can not be converted to a Boolean at 'onlyAssociated'`,
      );
    const max = this.maxResults(body.maxResults, 50, 50);
    const token = this.nextToken(body.nextToken);
    // Not documented; the emulator's reading (as Security Hub's ListMembers): associated only.
    const onlyAssociated = body.onlyAssociated !== false;
    const all = this.isAdmin(p)
      ? this.org.memberList(region).filter((m) => !onlyAssociated || m.relationshipStatus === 'ENABLED')
      : [];
    const q = JSON.stringify(['ListMembers', region, p.account, onlyAssociated]);
    const from = this.tokens.offset(token, q);
    const page = all.slice(from, from + max);
    return {
      members: page.map((m) => ({
        accountId: m.accountId,
        relationshipStatus: m.relationshipStatus,
        delegatedAdminAccountId: this.iam.account,
        updatedAt: m.updatedAt / 1000,
      })),
      ...(from + max < all.length ? { nextToken: this.tokens.issue(q, from + max) } : {}),
    };
  }

  /** GetDelegatedAdminAccount: the organisation's delegated administrator (none for a standalone account). */
  getDelegatedAdminAccount(body: unknown, p: Principal, region: string): unknown {
    this.authorize(
      p,
      'inspector2:GetDelegatedAdminAccount',
      `arn:aws:inspector2:${region}:${p.account}:/delegatedadminaccounts/get`,
    );
    if (!isObj(body)) throw serialization('Expected a JSON object as the request body');
    onlyKeys(body, [], '');
    if (!this.iam.delegatedAdmin) return {};
    return { delegatedAdmin: { accountId: this.iam.account, relationshipStatus: 'ENABLED' } };
  }

  /** The coverage rows of `region` that `p` may see (cached per data and organisation change). */
  private coverage(p: Principal, region: string): CoveredResource[] {
    const now = this.tick();
    // The rows change with findings added, the organisation and terminations; lastScannedAt
    // (rescans) is refreshed once per emulator minute, so a busy store is not rescanned per page.
    const key = `${region}|${this.store.n}|${this.org.version}|${this.terminated.size}|${Math.floor(now / 60_000)}`;
    let rows = this.coverageCache.get(key);
    if (!rows) {
      if (this.coverageCache.size > 16) this.coverageCache = new Map();
      rows = coverageOf(
        {
          store: this.store,
          org: this.org,
          startedAt: this.startedAt,
          terminated: this.terminated,
          accountsIn: (r) => [
            this.iam.account,
            ...this.org
              .memberList(r)
              .filter((m) => m.relationshipStatus === 'ENABLED')
              .map((m) => m.accountId),
          ],
        },
        region,
      );
      this.coverageCache.set(key, rows);
    }
    const seen = new Map<string, boolean>();
    return rows.filter((r) => {
      let v = seen.get(r.accountId);
      if (v === undefined) seen.set(r.accountId, (v = this.visible(p, region, r.accountId)));
      return v;
    });
  }

  /** ListCoverage: covered resources of `region` (1-200 per page, default 100), filtered. */
  listCoverage(body: unknown, p: Principal, region: string): unknown {
    this.authorize(p, 'inspector2:ListCoverage', `arn:aws:inspector2:${region}:${p.account}:/coverage/list`);
    if (!isObj(body)) throw serialization('Expected a JSON object as the request body');
    onlyKeys(body, ['maxResults', 'nextToken', 'filterCriteria'], '');
    const max = this.maxResults(body.maxResults, 200, 100);
    const token = this.nextToken(body.nextToken);
    const pred = coverageFilter(body.filterCriteria);
    const q = JSON.stringify(['ListCoverage', region, p.account, body.filterCriteria ?? null]);
    const from = this.tokens.offset(token, q);
    const rows = this.coverage(p, region).filter(pred);
    return {
      coveredResources: rows.slice(from, from + max),
      ...(from + max < rows.length ? { nextToken: this.tokens.issue(q, from + max) } : {}),
    };
  }

  /**
   * ListCoverageStatistics: `totalCounts` of matching rows and, with `groupBy`, their counts per
   * group value, at most 5 groups per page (the model's CountsList maximum), ordered by value.
   */
  listCoverageStatistics(body: unknown, p: Principal, region: string): unknown {
    this.authorize(
      p,
      'inspector2:ListCoverageStatistics',
      `arn:aws:inspector2:${region}:${p.account}:/coverage/statistics/list`,
    );
    if (!isObj(body)) throw serialization('Expected a JSON object as the request body');
    onlyKeys(body, ['filterCriteria', 'groupBy', 'nextToken'], '');
    let groupBy: string | undefined;
    if (body.groupBy !== undefined && body.groupBy !== null) {
      expectType(body.groupBy, 'string', 'groupBy');
      if (!(String(body.groupBy) in GROUP_KEYS))
        throw constraint(
          'groupBy',
          body.groupBy,
          `Member must satisfy enum value set: [${Object.keys(GROUP_KEYS).join(', ')}]`,
        );
      groupBy = body.groupBy as string;
    }
    const token = this.nextToken(body.nextToken);
    const pred = coverageFilter(body.filterCriteria);
    const rows = this.coverage(p, region).filter(pred);
    if (!groupBy) {
      if (token)
        throw validation('Invalid nextToken: the token was not issued for this query', 'OTHER', 'nextToken');
      return { totalCounts: rows.length };
    }
    const counts = new Map<string, number>();
    for (const r of rows) {
      const v = GROUP_KEYS[groupBy]!(r);
      if (v !== undefined && v !== '') counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    const groups = [...counts].sort(([a], [b]) => a.localeCompare(b));
    const q = JSON.stringify([
      'ListCoverageStatistics',
      region,
      p.account,
      groupBy,
      body.filterCriteria ?? null,
    ]);
    const from = this.tokens.offset(token, q);
    const page = groups.slice(from, from + 5);
    return {
      ...(page.length > 0 ? { countsByGroup: page.map(([groupKey, count]) => ({ count, groupKey })) } : {}),
      totalCounts: rows.length,
      ...(from + 5 < groups.length ? { nextToken: this.tokens.issue(q, from + 5) } : {}),
    };
  }

  private maxResults(v: unknown, max: number, dflt: number): number {
    if (v === undefined || v === null) return dflt;
    expectType(v, 'integer', 'maxResults');
    const m = v as number;
    if (m < 1) throw constraint('maxResults', m, 'Member must have value greater than or equal to 1');
    if (m > max) throw constraint('maxResults', m, `Member must have value less than or equal to ${max}`);
    return m;
  }

  private nextToken(v: unknown): string | undefined {
    if (v === undefined || v === null || v === '') return undefined;
    expectType(v, 'string', 'nextToken');
    if ((v as string).length > 1_000_000)
      throw constraint('nextToken', '...', 'Member must have length less than or equal to 1000000');
    return v as string;
  }

  /** Change K findings (status, severity, rescan); updatedAt moves to now. Returns their ARNs. */
  mutate(input: unknown): { arns: string[]; updatedAt: number } {
    const r = mutateSchema.safeParse(input);
    if (!r.success)
      throw new Error(r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '));
    const m = r.data;
    const s = this.store;
    const fromCode = m.fromStatus === undefined ? undefined : s.statuses.lookup(m.fromStatus);
    const regionCode = m.region === undefined ? undefined : s.regions.lookup(m.region);
    const acctCode = m.account === undefined ? undefined : s.accounts.lookup(m.account);
    const now = this.tick();
    const lagged = this.pending.length > 0 || this.indexLagMs > 0;
    const truth = this.pendingStatuses();
    const picked: number[] = [];
    // Walk with a stride coprime to n from a rotating start, so repeated calls touch spread-out,
    // different findings, deterministically.
    const n = s.n;
    if (m.arns) {
      picked.push(...this.indicesOf(m.arns));
    } else if (n > 0 && !(m.fromStatus !== undefined && fromCode === undefined)) {
      let stride = Math.max(1, Math.floor(n * 0.618)) | 1;
      while (gcd(stride, n) !== 1) stride += 2;
      for (let k = 0; k < n && picked.length < m.count!; k++) {
        const i = (this.mutateCursor + k * stride) % n;
        if (s.gone[i]) continue;
        if (fromCode !== undefined && (truth.get(i) ?? s.status[i]) !== fromCode) continue;
        if (m.region !== undefined && s.region[i] !== regionCode) continue;
        if (m.account !== undefined && s.acct[i] !== acctCode) continue;
        // An account that stopped reporting gets no new versions.
        if (this.org.anySilent && this.silentAt(i) !== undefined) continue;
        picked.push(i);
      }
      this.mutateCursor = (this.mutateCursor + 7919) % n;
    }
    if (lagged) {
      for (const i of picked)
        this.pending.push({
          seq: this.pendingSeq++,
          at: now,
          i,
          ...(m.status !== undefined ? { status: m.status } : {}),
          ...(m.severity !== undefined ? { severity: m.severity } : {}),
          observed: m.observed,
        });
      this.indexDue();
    } else {
      for (const i of picked)
        s.mutate(i, { status: m.status, severity: m.severity, now, observed: m.observed });
      s.mutated(picked);
    }
    return { arns: picked.map((i) => s.arnOf(i)), updatedAt: now };
  }

  /** Delete findings outright (`{arns}`): gone from ListFindings at once. */
  deleteFindings(input: unknown): { arns: string[] } {
    const r = arnsSchema.safeParse(input);
    if (!r.success) throw new Error(issues(r.error));
    const idx = this.indicesOf(r.data.arns);
    for (const i of idx) this.store.remove(i);
    return { arns: idx.map((i) => this.store.arnOf(i)) };
  }

  /**
   * Terminate resources (`{resourceIds}`): their open findings close now (a new version) and every
   * finding of theirs is deleted TERMINATED_RETENTION_MS later, as AWS does.
   */
  terminateResources(input: unknown): {
    arns: string[];
    closed: number;
    updatedAt: number;
    deleteAt: number;
  } {
    const r = terminateSchema.safeParse(input);
    if (!r.success) throw new Error(issues(r.error));
    const s = this.store;
    const now = this.tick();
    const ids = new Set(r.data.resourceIds);
    for (const id of ids) this.terminated.add(id);
    const closed = s.statuses.code('CLOSED');
    const hit: number[] = [];
    const changed: number[] = [];
    for (let i = 0; i < s.n; i++) {
      if (s.gone[i]) continue;
      const res = s.build(i).resources;
      if (!Array.isArray(res) || !res.some((x) => ids.has((x as { id?: unknown })?.id as string))) continue;
      hit.push(i);
      if (s.status[i] !== closed) {
        s.mutate(i, { status: 'CLOSED', now, observed: false });
        changed.push(i);
      }
      s.dropLater(i, now + TERMINATED_RETENTION_MS);
    }
    if (hit.length === 0) {
      for (const id of ids) this.terminated.delete(id);
      throw new Error(`resourceIds: no finding on ${r.data.resourceIds.join(', ')}`);
    }
    s.mutated(changed);
    return {
      arns: hit.map((i) => s.arnOf(i)),
      closed: changed.length,
      updatedAt: now,
      deleteAt: now + TERMINATED_RETENTION_MS,
    };
  }

  /**
   * Disable Amazon Inspector in an account (`body.region`: in one region; default every region),
   * or only some scan types (`body.resourceTypes`): those scans become DISABLED and the findings
   * they produced (all of the account's, for the account as a whole) are deleted
   * DISABLED_RETENTION_MS later (re-enabling does not keep them).
   */
  disableAccount(
    accountId: string,
    body: unknown = {},
  ): { accountId: string; region?: string; resourceTypes?: string[]; findings: number; deleteAt: number } {
    if (!/^\d{12}$/.test(accountId)) throw new Error('accountId: 12 digits');
    const r = disableSchema.safeParse(body ?? {});
    if (!r.success) throw new Error(orgIssues(r.error));
    const { region, resourceTypes } = r.data;
    this.setAccountStatus({
      accountId,
      ...(region ? { region } : {}),
      ...(resourceTypes
        ? { resourceState: Object.fromEntries(resourceTypes.map((k) => [k, 'DISABLED'])) }
        : { status: 'DISABLED' }),
    });
    const s = this.store;
    const now = this.tick();
    const code = s.accounts.lookup(accountId);
    const regionCode = region === undefined ? undefined : s.regions.lookup(region);
    const scans = resourceTypes ? new Set<ScanKey>(resourceTypes) : undefined;
    let n = 0;
    if (code !== undefined && (region === undefined || regionCode !== undefined)) {
      for (let i = 0; i < s.n; i++) {
        if (s.gone[i] || s.acct[i] !== code) continue;
        if (regionCode !== undefined && s.region[i] !== regionCode) continue;
        if (scans) {
          const k = scanOf(s.rtypes.value(s.rtype[i]!), s.types.value(s.type[i]!));
          if (!k || !scans.has(k)) continue;
        }
        s.dropLater(i, now + DISABLED_RETENTION_MS);
        n++;
      }
    }
    return {
      accountId,
      ...(region ? { region } : {}),
      ...(resourceTypes ? { resourceTypes } : {}),
      findings: n,
      deleteAt: now + DISABLED_RETENTION_MS,
    };
  }

  /** Indices of present findings by ARN; an unknown (or deleted) one is an error naming it. */
  private indicesOf(arns: string[]): number[] {
    const s = this.store;
    const want = new Set(arns);
    const out: number[] = [];
    for (let i = 0; i < s.n && out.length < want.size; i++)
      if (!s.gone[i] && want.has(s.arnOf(i))) out.push(i);
    if (out.length < want.size) {
      const found = new Set(out.map((i) => s.arnOf(i)));
      throw new Error(`arns: no finding ${arns.find((a) => !found.has(a))}`);
    }
    return out;
  }

  /** Add findings: `{findings: [...]}` documents, or `{count: K}` new generated-like ones updated now. */
  addFindings(input: unknown): { arns: string[] } {
    const schema = z.union([
      z.object({ findings: z.array(z.record(z.string(), z.unknown())).min(1).max(100_000) }).strict(),
      z.object({ count: z.number().int().min(1).max(1_000_000) }).strict(),
    ]);
    const r = schema.safeParse(input);
    if (!r.success) throw new Error('body: expected {"findings": [finding, ...]} or {"count": N}');
    const s = this.store;
    if ('findings' in r.data) {
      r.data.findings.forEach((f, k) => {
        for (const req of ['findingArn', 'awsAccountId', 'type', 'severity', 'status', 'resources']) {
          if (f[req] === undefined) throw new Error(`findings.${k}.${req}: required`);
        }
        if (
          typeof f.findingArn !== 'string' ||
          !/^arn:aws[a-z-]*:inspector2:[a-z0-9-]+:\d{12}:finding\/[a-f0-9]{32}$/.test(f.findingArn)
        ) {
          throw new Error(
            `findings.${k}.findingArn: expected arn:aws:inspector2:<region>:<account>:finding/<32 hex>`,
          );
        }
      });
      const now = this.tick();
      // `"updatedAt": null` adds a finding without updatedAt (optional in the model).
      const docs = r.data.findings.map(({ updatedAt, ...f }) => ({
        ...f,
        ...(updatedAt === null ? {} : { updatedAt: updatedAt ?? now / 1000 }),
        lastObservedAt: f.lastObservedAt ?? now / 1000,
        firstObservedAt: f.firstObservedAt ?? now / 1000,
      }));
      return { arns: this.addDocs(docs) };
    }
    // New findings: built by the generator at fresh indices, then frozen as documents updated now.
    const now = this.tick();
    const docs: Record<string, unknown>[] = [];
    const gen = s.gen;
    // Fresh indices also past findings added and not indexed yet.
    const notIndexed = this.pending.reduce((a, w) => a + ('docs' in w ? w.docs.length : 0), 0);
    const base = Math.max(1_000_000_000 + s.n + notIndexed, this.nextAddBase);
    this.nextAddBase = base + r.data.count;
    for (let k = 0; k < r.data.count; k++) {
      const m = gen.meta(base + k);
      const meta = { ...m, status: 'ACTIVE', updatedAt: now, lastObservedAt: now, firstObservedAt: now };
      docs.push(gen.build(base + k, meta, meta));
    }
    return { arns: this.addDocs(docs) };
  }

  /** Adds documents now, or once indexed when there is a lag. Returns their ARNs. */
  private addDocs(docs: Record<string, unknown>[]): string[] {
    this.indexDue();
    if (this.indexLagMs === 0 && this.pending.length === 0) {
      const s = this.store;
      return s.addDocuments(docs).map((i) => s.arnOf(i));
    }
    this.pending.push({ seq: this.pendingSeq++, at: this.now(), docs });
    this.indexDue();
    return docs.map((d) => String(d.findingArn));
  }

  record(e: RequestLogEntry): void {
    this.stats.requests++;
    if (e.errorCode) this.stats.errors[e.errorCode] = (this.stats.errors[e.errorCode] ?? 0) + 1;
    this.log.push(e);
    if (this.log.length > 2000) this.log.splice(0, this.log.length - 1000);
  }

  requests(): RequestLogEntry[] {
    return [...this.log];
  }

  clearRequests(): void {
    this.log.length = 0;
  }

  summary(): Record<string, unknown> {
    const now = this.tick();
    const s = this.store;
    return {
      findings: s.n - s.deleted,
      deleted: s.deleted,
      byStatus: s.countBy(s.status, s.statuses),
      bySeverity: s.countBy(s.sev, s.severities),
      byType: s.countBy(s.type, s.types),
      byResourceType: s.countBy(s.rtype, s.rtypes),
      byRegion: s.countBy(s.region, s.regions),
      regions: this.inspectorRegionList(),
      byAccount: s.countBy(s.acct, s.accounts),
      optIn: this.org.optInState(),
      members: this.org.memberDump(),
      notReporting: this.org.silentDump(),
      throttling: this.org.throttling(),
      versions: s.versions,
      rescans: { rate: this.rescans.rate, applied: this.rescans.applied },
      now,
      startedAt: this.startedAt,
      credentialSeconds: this.credentialSeconds ?? null,
      paging: this.cleanPages ? 'clean' : 'uneven',
      clockOffsetMs: this.clockOffsetMs(),
      indexing: { lagSeconds: this.indexLagMs / 1000, pending: this.pending.length },
      faults: this.faults.current,
      injected: this.faults.injected,
      stats: this.stats,
      // CPU of this process (the emulator's alone when it runs in its own process).
      cpuMs: (() => {
        const c = process.cpuUsage();
        return Math.round((c.user + c.system) / 1000);
      })(),
    };
  }
}

/** The scan type that produces a finding: its resource type (and, for Lambda, package or code scanning). */
function scanOf(resourceType: string, findingType: string): ScanKey | undefined {
  switch (resourceType) {
    case 'AWS_EC2_INSTANCE':
      return 'ec2';
    case 'AWS_ECR_CONTAINER_IMAGE':
    case 'AWS_ECR_REPOSITORY':
      return 'ecr';
    case 'AWS_LAMBDA_FUNCTION':
      return findingType === 'CODE_VULNERABILITY' ? 'lambdaCode' : 'lambda';
    case 'CODE_REPOSITORY':
      return 'codeRepository';
    default:
      return undefined;
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
