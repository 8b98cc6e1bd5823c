/**
 * The organisation around the emulator's IAM account (README "Organisation, members and
 * coverage"): member accounts of the delegated administrator, Amazon Inspector's activation per
 * account, region and scan type, accounts that stopped reporting, opt-in regions enabled for the
 * account, per-region throttling, and the opaque offset tokens of the small list operations.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { validation } from './errors.js';
import { OPT_IN_REGIONS, partitionOf } from './regions.js';

export const RESOURCE_SCANS = ['ec2', 'ecr', 'lambda', 'lambdaCode', 'codeRepository'] as const;
export type ScanKey = (typeof RESOURCE_SCANS)[number];
export const STATUS_VALUES = [
  'ENABLING',
  'ENABLED',
  'DISABLING',
  'DISABLED',
  'SUSPENDING',
  'SUSPENDED',
] as const;
export type ScanStatus = (typeof STATUS_VALUES)[number];
/** RelationshipStatus of the service model. */
export const RELATIONSHIP_STATUSES = [
  'CREATED',
  'INVITED',
  'DISABLED',
  'ENABLED',
  'REMOVED',
  'RESIGNED',
  'DELETED',
  'EMAIL_VERIFICATION_IN_PROGRESS',
  'EMAIL_VERIFICATION_FAILED',
  'REGION_DISABLED',
  'ACCOUNT_SUSPENDED',
  'CANNOT_CREATE_DETECTOR_IN_ORG_MASTER',
] as const;
export type RelationshipStatus = (typeof RELATIONSHIP_STATUSES)[number];

export interface AccountState {
  status: ScanStatus;
  resources: Record<ScanKey, ScanStatus>;
}

const ALL = '*';
const accountId = z.string().regex(/^\d{12}$/, '12 digits');
const region = z
  .string()
  .refine((r) => partitionOf(r) !== undefined, 'an AWS region of the aws, aws-cn or aws-us-gov partition');

export const accountStatusSchema = z
  .object({
    accountId,
    /** Only this region (default: every region). */
    region: region.optional(),
    status: z.enum(STATUS_VALUES).optional(),
    resourceState: z.partialRecord(z.enum(RESOURCE_SCANS), z.enum(STATUS_VALUES)).optional(),
  })
  .strict();

export const disableSchema = z
  .object({
    region: region.optional(),
    /** Only these scan types (default: Amazon Inspector as a whole). */
    resourceTypes: z.array(z.enum(RESOURCE_SCANS)).min(1).max(5).optional(),
  })
  .strict();

export const reportingSchema = z.object({ region: region.optional(), reporting: z.boolean() }).strict();

export const membersSchema = z
  .object({
    members: z
      .array(
        z
          .object({
            accountId,
            relationshipStatus: z.enum(RELATIONSHIP_STATUSES).default('ENABLED'),
            /** Only this region's relationship (default: every region). */
            region: region.optional(),
          })
          .strict(),
      )
      .max(10_000)
      .optional(),
    /** Accounts that are no members any more (every region). */
    remove: z.array(accountId).max(10_000).optional(),
  })
  .strict();

const bucketSchema = z
  .object({
    ratePerSecond: z.number().positive().max(100_000),
    /** Requests allowed at once (default: one second's worth, at least 1). */
    burst: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();
export const throttlingSchema = z
  .object({
    /** Every region's bucket (null: no limit). */
    default: bucketSchema.nullable().optional(),
    /** Buckets of single regions (null: back to the default). */
    regions: z.record(region, bucketSchema.nullable()).optional(),
  })
  .strict();
export type Bucket = z.output<typeof bucketSchema>;

export const optInSchema = z.object({ regions: z.record(region, z.boolean()) }).strict();

/**
 * The `--opt-in-regions` flag: `all` (default: every opt-in region enabled, the emulator's old
 * behaviour), `none`, or a comma-separated list. Throws naming the flag and what is allowed.
 */
export function parseOptInFlag(v: string): string[] | undefined {
  const t = v.trim();
  if (t === 'all') return undefined;
  if (t === 'none') return [];
  const list = t
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  for (const r of list)
    if (!OPT_IN_REGIONS.includes(r))
      throw new Error(
        `--opt-in-regions: '${r}' is not an opt-in region; use all, none or some of ${OPT_IN_REGIONS.join(', ')}`,
      );
  return list;
}

/** The `--region-rate` / `--region-burst` flags: a bucket, or none when the rate is 0. */
export function parseRateFlags(rate: string, burst?: string): Bucket | undefined {
  const r = Number(rate);
  if (!/^\d*\.?\d+$/.test(rate.trim()) || !(r >= 0) || r > 100_000)
    throw new Error(`--region-rate: requests per second per region, 0 (no limit) to 100000, got '${rate}'`);
  if (r === 0) return undefined;
  if (burst === undefined) return { ratePerSecond: r };
  const b = Number(burst);
  if (!/^\d+$/.test(burst.trim()) || b < 1 || b > 100_000)
    throw new Error(`--region-burst: an integer from 1 to 100000, got '${burst}'`);
  return { ratePerSecond: r, burst: b };
}

export function issues(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
}

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw new Error(issues(r.error));
  return r.data;
}

const fresh = (): AccountState => ({
  status: 'ENABLED',
  resources: Object.fromEntries(RESOURCE_SCANS.map((k) => [k, 'ENABLED'])) as Record<ScanKey, ScanStatus>,
});
const ENABLED_STATE: AccountState = Object.freeze({
  ...fresh(),
  resources: Object.freeze(fresh().resources),
}) as AccountState;
const copy = (s: AccountState): AccountState => ({ status: s.status, resources: { ...s.resources } });

/** A token bucket of `rate` requests per second holding at most `burst`. */
class TokenBucket {
  private tokens: number;
  private at: number | undefined;
  constructor(readonly b: Bucket) {
    this.tokens = this.cap;
  }
  get cap(): number {
    return this.b.burst ?? Math.max(1, Math.floor(this.b.ratePerSecond));
  }
  take(now: number): boolean {
    if (this.at !== undefined)
      this.tokens = Math.min(this.cap, this.tokens + ((now - this.at) / 1000) * this.b.ratePerSecond);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export interface OrgOptions {
  admin: string;
  delegatedAdmin: boolean;
  /** Member accounts (ENABLED); default set by the state: the generated accounts but the admin. */
  members: string[];
  /** Opt-in regions enabled for the account; undefined = all (the emulator's old behaviour). */
  optInRegions?: string[];
  /** Per-region throttling of Inspector2 requests (undefined: no limit). */
  regionRate?: Bucket;
  startedAt: number;
}

export class Organization {
  readonly admin: string;
  readonly delegatedAdmin: boolean;
  /** Bumped on every change (coverage caches key on it). */
  version = 0;
  /** region ('*' = every region) -> account -> activation. */
  private readonly states = new Map<string, Map<string, AccountState>>();
  /** account -> region ('*' = every region) -> relationship. */
  private readonly members = new Map<
    string,
    Map<string, { status: RelationshipStatus; updatedAt: number }>
  >();
  /** `${region}|${account}` ('*' region = every region) -> since when it stopped reporting. */
  private readonly silent = new Map<string, number>();
  private readonly optIn: Set<string>;
  private defaultBucket: Bucket | undefined;
  private readonly regionBuckets = new Map<string, Bucket>();
  private readonly buckets = new Map<string, TokenBucket>();
  /** Requests refused by per-region throttling, by region. */
  readonly throttled: Record<string, number> = {};

  constructor(o: OrgOptions) {
    this.admin = o.admin;
    this.delegatedAdmin = o.delegatedAdmin;
    for (const r of o.optInRegions ?? [])
      if (!OPT_IN_REGIONS.includes(r))
        throw new Error(
          `optInRegions: '${r}' is not an opt-in region; opt-in regions: ${OPT_IN_REGIONS.join(', ')}`,
        );
    this.optIn = new Set(o.optInRegions ?? OPT_IN_REGIONS);
    for (const m of o.members)
      if (!/^\d{12}$/.test(m)) throw new Error(`members: '${m}' is not a 12-digit account id`);
    if (o.delegatedAdmin)
      for (const m of o.members)
        if (m !== o.admin)
          this.members.set(m, new Map([[ALL, { status: 'ENABLED', updatedAt: o.startedAt }]]));
    this.defaultBucket = o.regionRate;
  }

  // ---- opt-in regions

  /** Whether requests to `region` fail because it is an opt-in region the account has not enabled. */
  optInDisabled(region: string): boolean {
    return OPT_IN_REGIONS.includes(region) && !this.optIn.has(region);
  }

  optInState(): { enabled: string[]; disabled: string[] } {
    return {
      enabled: OPT_IN_REGIONS.filter((r) => this.optIn.has(r)),
      disabled: OPT_IN_REGIONS.filter((r) => !this.optIn.has(r)),
    };
  }

  setOptIn(input: unknown): { enabled: string[]; disabled: string[] } {
    const b = parse(optInSchema, input);
    for (const [r, on] of Object.entries(b.regions)) {
      if (!OPT_IN_REGIONS.includes(r))
        throw new Error(
          `regions.${r}: not an opt-in region (always enabled); opt-in regions: ${OPT_IN_REGIONS.join(', ')}`,
        );
      if (on) this.optIn.add(r);
      else this.optIn.delete(r);
    }
    return this.optInState();
  }

  // ---- activation per account, region and scan type

  /** The activation of `account` in `region` (read-only: change it with setAccountStatus). */
  state(region: string, account: string): AccountState {
    return this.states.get(region)?.get(account) ?? this.states.get(ALL)?.get(account) ?? ENABLED_STATE;
  }

  /** Accounts whose activation was set through the control API (they are known accounts). */
  configuredAccounts(): string[] {
    return [...new Set([...this.states.values()].flatMap((m) => [...m.keys()]))];
  }

  setAccountStatus(input: unknown): { accountId: string; region?: string } & AccountState {
    const b = parse(accountStatusSchema, input);
    const apply = (s: AccountState) => {
      if (b.status) {
        s.status = b.status;
        // Switching the account as a whole switches every scan type with it.
        for (const k of RESOURCE_SCANS) s.resources[k] = b.status;
      }
      for (const [k, v] of Object.entries(b.resourceState ?? {})) s.resources[k as ScanKey] = v;
    };
    this.version++;
    if (b.region === undefined) {
      // Every region: the default and every region that has a state of its own.
      for (const [r, m] of this.states) {
        if (r === ALL) continue;
        const s = m.get(b.accountId);
        if (s) apply(s);
      }
      const all = this.regionMap(ALL);
      const s = all.get(b.accountId) ?? fresh();
      apply(s);
      all.set(b.accountId, s);
      return { accountId: b.accountId, ...copy(s) };
    }
    const s = copy(this.state(b.region, b.accountId));
    apply(s);
    this.regionMap(b.region).set(b.accountId, s);
    return { accountId: b.accountId, region: b.region, ...copy(s) };
  }

  private regionMap(r: string): Map<string, AccountState> {
    let m = this.states.get(r);
    if (!m) this.states.set(r, (m = new Map()));
    return m;
  }

  // ---- members

  /** Members as seen from `region`: relationship, delegated admin, when it last changed. */
  memberList(
    region: string,
  ): { accountId: string; relationshipStatus: RelationshipStatus; updatedAt: number }[] {
    const out = [];
    for (const [accountId, byRegion] of this.members) {
      const m = byRegion.get(region) ?? byRegion.get(ALL);
      if (m) out.push({ accountId, relationshipStatus: m.status, updatedAt: m.updatedAt });
    }
    return out.sort((a, b) => a.accountId.localeCompare(b.accountId));
  }

  /** Whether `account` is an associated (ENABLED) member in `region`. */
  isMember(region: string, account: string): boolean {
    const m = this.members.get(account);
    return (m?.get(region) ?? m?.get(ALL))?.status === 'ENABLED';
  }

  knownMembers(): string[] {
    return [...this.members.keys()];
  }

  setMembers(input: unknown, now: number): { members: unknown[] } {
    const b = parse(membersSchema, input);
    if (!this.delegatedAdmin && (b.members?.length ?? 0) > 0)
      throw new Error(
        'members: the IAM model says delegatedAdmin: false (a standalone account has no members)',
      );
    for (const m of b.members ?? []) {
      if (m.accountId === this.admin)
        throw new Error(`members: ${m.accountId} is the delegated administrator itself`);
      let byRegion = this.members.get(m.accountId);
      if (!byRegion) this.members.set(m.accountId, (byRegion = new Map()));
      if (m.region === undefined) byRegion.clear();
      byRegion.set(m.region ?? ALL, { status: m.relationshipStatus, updatedAt: now });
    }
    for (const id of b.remove ?? []) this.members.delete(id);
    this.version++;
    return { members: this.memberDump() };
  }

  memberDump(): unknown[] {
    return [...this.members].map(([accountId, byRegion]) => ({
      accountId,
      relationships: Object.fromEntries([...byRegion].map(([r, m]) => [r === ALL ? 'default' : r, m.status])),
    }));
  }

  // ---- accounts that stopped reporting

  setReporting(
    account: string,
    input: unknown,
    now: number,
  ): { accountId: string; region?: string; reporting: boolean; since?: number } {
    if (!/^\d{12}$/.test(account)) throw new Error('accountId: 12 digits');
    const b = parse(reportingSchema, input);
    const key = `${b.region ?? ALL}|${account}`;
    if (b.reporting) {
      this.silent.delete(key);
      if (b.region === undefined)
        for (const k of [...this.silent.keys()]) if (k.endsWith(`|${account}`)) this.silent.delete(k);
    } else if (!this.silent.has(key)) this.silent.set(key, now);
    this.version++;
    const since = this.silentSince(b.region ?? ALL, account);
    return {
      accountId: account,
      ...(b.region ? { region: b.region } : {}),
      reporting: since === undefined,
      ...(since !== undefined ? { since } : {}),
    };
  }

  /** Since when `account` stopped reporting in `region` (undefined: it reports). */
  silentSince(region: string, account: string): number | undefined {
    if (this.silent.size === 0) return undefined;
    const a = this.silent.get(`${region}|${account}`);
    const b = this.silent.get(`${ALL}|${account}`);
    return a === undefined ? b : b === undefined ? a : Math.min(a, b);
  }

  get anySilent(): boolean {
    return this.silent.size > 0;
  }

  silentDump(): { accountId: string; region: string; since: number }[] {
    return [...this.silent].map(([k, since]) => {
      const [region, accountId] = k.split('|') as [string, string];
      return { accountId, region: region === ALL ? 'every region' : region, since };
    });
  }

  // ---- per-region throttling

  throttling(): {
    default: Bucket | null;
    regions: Record<string, Bucket>;
    throttled: Record<string, number>;
  } {
    return {
      default: this.defaultBucket ?? null,
      regions: Object.fromEntries(this.regionBuckets),
      throttled: { ...this.throttled },
    };
  }

  setThrottling(input: unknown): ReturnType<Organization['throttling']> {
    const b = parse(throttlingSchema, input);
    if (b.default !== undefined) this.defaultBucket = b.default ?? undefined;
    for (const [r, v] of Object.entries(b.regions ?? {})) {
      if (v) this.regionBuckets.set(r, v);
      else this.regionBuckets.delete(r);
    }
    this.buckets.clear();
    return this.throttling();
  }

  /** Takes a token of `region`'s bucket; false when the region's rate is exceeded (a 429). */
  admit(region: string, now: number): boolean {
    const conf = this.regionBuckets.get(region) ?? this.defaultBucket;
    if (!conf) return true;
    let b = this.buckets.get(region);
    if (!b) this.buckets.set(region, (b = new TokenBucket(conf)));
    if (b.take(now)) return true;
    this.throttled[region] = (this.throttled[region] ?? 0) + 1;
    return false;
  }
}

/**
 * Opaque nextTokens of the small list operations (ListMembers, ListCoverage,
 * ListCoverageStatistics): an offset, HMAC-signed and bound to the query (its hash), never
 * repeated (botocore's paginator refuses a token it has seen).
 */
export class OffsetTokens {
  private readonly secret = randomBytes(32);

  private sign(p: string): string {
    return createHmac('sha256', this.secret).update(p).digest('base64url').slice(0, 32);
  }

  issue(query: string, offset: number): string {
    const p = Buffer.from(JSON.stringify({ q: this.hash(query), o: offset })).toString('base64url');
    return `${p}.${this.sign(p)}`;
  }

  /** The offset a token names; ValidationException when forged or issued for another query. */
  offset(token: string | undefined, query: string): number {
    if (token === undefined || token === '') return 0;
    const bad = (why: string) => validation(`Invalid nextToken: ${why}`, 'OTHER', 'nextToken');
    const [p, mac] = token.split('.');
    if (!p || !mac) throw bad('the token is malformed or was not issued for this query');
    const want = Buffer.from(this.sign(p));
    const got = Buffer.from(mac);
    if (want.length !== got.length || !timingSafeEqual(want, got))
      throw bad('the token is malformed or was not issued for this query');
    const c = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { q: string; o: number };
    if (c.q !== this.hash(query)) throw bad('Input Query has changed since the token was issued');
    return c.o;
  }

  private hash(q: string): string {
    return createHmac('sha256', this.secret).update(`q:${q}`).digest('base64url').slice(0, 22);
  }
}
