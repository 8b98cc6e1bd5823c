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
import { QueryEngine, parseListFindings, type PageShape, type Scope } from './query.js';
import type { KeyRecord } from './sigv4.js';
import { FindingStore } from './store.js';
import { Sessions } from './sts.js';

export const RESOURCE_SCANS = ['ec2', 'ecr', 'lambda', 'lambdaCode', 'codeRepository'] as const;
const STATUS_VALUES = ['ENABLING', 'ENABLED', 'DISABLING', 'DISABLED', 'SUSPENDING', 'SUSPENDED'] as const;
type ScanStatus = (typeof STATUS_VALUES)[number];

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
}

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

export const accountStatusSchema = z
  .object({
    accountId: z.string().regex(/^\d{12}$/, '12 digits'),
    status: z.enum(STATUS_VALUES).optional(),
    resourceState: z.partialRecord(z.enum(RESOURCE_SCANS), z.enum(STATUS_VALUES)).optional(),
  })
  .strict();

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
  credentialSeconds: number | undefined;
  private readonly accountStatus = new Map<
    string,
    { status: ScanStatus; resources: Record<string, ScanStatus> }
  >();
  private readonly log: RequestLogEntry[] = [];
  private mutateCursor = 0;
  /** Seed of uneven paging (the emulator's seed). */
  private readonly seed: number;
  /** Full pages instead of AWS's uneven ones; switched at runtime by `POST /__emulator/paging`. */
  cleanPages: boolean;
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
    this.startedAt = Math.round(this.baseClock());
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
    const w = opts.withoutUpdatedAt ?? 0;
    if (!(w >= 0 && w <= 100)) throw new Error(`withoutUpdatedAt: a percent from 0 to 100, got ${w}`);
    this.store = new FindingStore(
      new Generator({ seed, accounts, regions, epoch: this.startedAt, withoutUpdatedAt: w }),
    );
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

  moveClock(b: { advanceMs?: number; setMs?: number }): number {
    if (b.setMs !== undefined) this.offsetMs = b.setMs - this.baseClock();
    if (b.advanceMs !== undefined) this.offsetMs += b.advanceMs;
    return this.now();
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
      now: this.now(),
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

  private accountState(id: string) {
    let s = this.accountStatus.get(id);
    if (!s) {
      s = { status: 'ENABLED', resources: Object.fromEntries(RESOURCE_SCANS.map((r) => [r, 'ENABLED'])) };
      this.accountStatus.set(id, s);
    }
    return s;
  }

  setAccountStatus(input: unknown): unknown {
    const r = accountStatusSchema.safeParse(input);
    if (!r.success)
      throw new Error(r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '));
    const s = this.accountState(r.data.accountId);
    if (r.data.status) {
      s.status = r.data.status;
      // Switching the account as a whole switches every scan type with it.
      for (const k of RESOURCE_SCANS) s.resources[k] = r.data.status;
    }
    for (const [k, v] of Object.entries(r.data.resourceState ?? {})) s.resources[k] = v as ScanStatus;
    return { accountId: r.data.accountId, ...s };
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
    const known = new Set([this.iam.account, ...this.store.accounts.values, ...this.accountStatus.keys()]);
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
      const visible =
        id === p.account || (this.iam.delegatedAdmin && p.account === this.iam.account && known.has(id));
      if (!visible) {
        failedAccounts.push({
          accountId: id,
          errorCode: 'ACCESS_DENIED',
          errorMessage:
            'The account is not a member of your organization or you are not its delegated administrator',
        });
        continue;
      }
      const s = this.accountState(id);
      accounts.push({
        accountId: id,
        state: state(s.status),
        resourceState: Object.fromEntries(
          RESOURCE_SCANS.map((k) => [k, state(s.resources[k] as ScanStatus)]),
        ),
      });
    }
    return { accounts, failedAccounts };
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
    const now = this.now();
    const picked: number[] = [];
    // Walk with a stride coprime to n from a rotating start, so repeated calls touch spread-out,
    // different findings, deterministically.
    const n = s.n;
    if (m.arns) {
      const want = new Set(m.arns);
      for (let i = 0; i < n && picked.length < want.size; i++) if (want.has(s.arnOf(i))) picked.push(i);
      if (picked.length < want.size) {
        const found = new Set(picked.map((i) => s.arnOf(i)));
        throw new Error(`arns: no finding ${m.arns.find((a) => !found.has(a))}`);
      }
    } else if (n > 0 && !(m.fromStatus !== undefined && fromCode === undefined)) {
      let stride = Math.max(1, Math.floor(n * 0.618)) | 1;
      while (gcd(stride, n) !== 1) stride += 2;
      for (let k = 0; k < n && picked.length < m.count!; k++) {
        const i = (this.mutateCursor + k * stride) % n;
        if (fromCode !== undefined && s.status[i] !== fromCode) continue;
        if (m.region !== undefined && s.region[i] !== regionCode) continue;
        if (m.account !== undefined && s.acct[i] !== acctCode) continue;
        picked.push(i);
      }
      this.mutateCursor = (this.mutateCursor + 7919) % n;
    }
    for (const i of picked)
      s.mutate(i, { status: m.status, severity: m.severity, now, observed: m.observed });
    s.mutated(picked);
    return { arns: picked.map((i) => s.arnOf(i)), updatedAt: now };
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
      const now = this.now();
      // `"updatedAt": null` adds a finding without updatedAt (optional in the model).
      const docs = r.data.findings.map(({ updatedAt, ...f }) => ({
        ...f,
        ...(updatedAt === null ? {} : { updatedAt: updatedAt ?? now / 1000 }),
        lastObservedAt: f.lastObservedAt ?? now / 1000,
        firstObservedAt: f.firstObservedAt ?? now / 1000,
      }));
      return { arns: s.addDocuments(docs).map((i) => s.arnOf(i)) };
    }
    // New findings: built by the generator at fresh indices, then frozen as documents updated now.
    const now = this.now();
    const docs: Record<string, unknown>[] = [];
    const gen = s.gen;
    const base = 1_000_000_000 + s.n;
    for (let k = 0; k < r.data.count; k++) {
      const m = gen.meta(base + k);
      const meta = { ...m, status: 'ACTIVE', updatedAt: now, lastObservedAt: now, firstObservedAt: now };
      docs.push(gen.build(base + k, meta, meta));
    }
    return { arns: s.addDocuments(docs).map((i) => s.arnOf(i)) };
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
    const s = this.store;
    return {
      findings: s.n,
      byStatus: s.countBy(s.status, s.statuses),
      bySeverity: s.countBy(s.sev, s.severities),
      byType: s.countBy(s.type, s.types),
      byResourceType: s.countBy(s.rtype, s.rtypes),
      byRegion: s.countBy(s.region, s.regions),
      regions: this.inspectorRegionList(),
      byAccount: s.countBy(s.acct, s.accounts),
      versions: s.versions,
      now: this.now(),
      startedAt: this.startedAt,
      credentialSeconds: this.credentialSeconds ?? null,
      paging: this.cleanPages ? 'clean' : 'uneven',
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

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
