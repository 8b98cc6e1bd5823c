/**
 * Faults switched on at runtime through the control API: throttling (a rate limit, a fraction or
 * the next N requests), 500s, latency, connection resets, truncated or malformed JSON, empty pages
 * that still carry a nextToken, and nextTokens that expire. Fractions draw from a seeded stream,
 * so a run is repeatable.
 */
import { z } from 'zod';
import { Rng } from './rng.js';

export const OPERATIONS = [
  'ListFindings',
  'BatchGetAccountStatus',
  'ListMembers',
  'ListCoverage',
  'ListCoverageStatistics',
  'GetDelegatedAdminAccount',
  'AssumeRole',
  'GetCallerIdentity',
] as const;
/**
 * What faults apply to by default: the Inspector2 operations a collector made before org-wide
 * collection (so existing fault tests keep their counts); name the others in `operations`.
 */
export const DEFAULT_FAULT_OPERATIONS: readonly Operation[] = ['ListFindings', 'BatchGetAccountStatus'];
export type Operation = (typeof OPERATIONS)[number];

const trigger = z
  .object({
    /** Probability per matching request, 0-1. */
    fraction: z.number().min(0).max(1).optional(),
    /** The next `count` matching requests get the fault. */
    count: z.number().int().min(0).optional(),
  })
  .strict();

export const faultsSchema = z
  .object({
    throttle: trigger
      .extend({
        /** Token-bucket limit on requests per second (of the emulator's clock). */
        ratePerSecond: z.number().positive().optional(),
        retryAfterSeconds: z.number().int().min(0).max(3600).default(1),
      })
      .strict()
      .optional(),
    error500: trigger.optional(),
    reset: trigger.optional(),
    truncate: trigger.optional(),
    malformed: trigger.optional(),
    emptyPage: trigger.optional(),
    /** Pages shorter than maxResults (but not empty) that still carry a nextToken when more remain. */
    shortPage: trigger.optional(),
    latencyMs: z.number().int().min(0).max(120_000).optional(),
    tokenTtlSeconds: z.number().min(0).optional(),
    /** Operations the faults apply to; default ListFindings and BatchGetAccountStatus. */
    operations: z.array(z.enum(OPERATIONS)).min(1).optional(),
    /** Regions (of the request's credential scope) the faults apply to; default every region. */
    regions: z
      .array(z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'a region name like eu-west-1'))
      .min(1)
      .max(64)
      .optional(),
  })
  .strict();

export type Faults = z.input<typeof faultsSchema>;
type FaultState = z.output<typeof faultsSchema>;
type Trigger = z.output<typeof trigger>;
export type FaultKind =
  'throttle' | 'error500' | 'reset' | 'truncate' | 'malformed' | 'emptyPage' | 'shortPage';

export class FaultInjector {
  private state: FaultState = {};
  private rng: Rng;
  private bucket = { tokens: 0, at: 0 };
  readonly injected: Record<FaultKind | 'latency', number> = {
    throttle: 0,
    error500: 0,
    reset: 0,
    truncate: 0,
    malformed: 0,
    emptyPage: 0,
    shortPage: 0,
    latency: 0,
  };

  constructor(private readonly seed: number) {
    this.rng = new Rng(seed ^ 0x5eed);
  }

  /** Merge new settings (a key set to null is not accepted: use reset()). */
  set(input: unknown): FaultState {
    const parsed = faultsSchema.safeParse(input);
    if (!parsed.success) {
      throw new Error(
        parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
      );
    }
    this.state = { ...this.state, ...parsed.data };
    if (parsed.data.throttle?.ratePerSecond)
      this.bucket = { tokens: Math.max(1, parsed.data.throttle.ratePerSecond), at: -1 };
    return this.state;
  }

  get current(): FaultState {
    return this.state;
  }

  reset(): void {
    this.state = {};
    this.rng = new Rng(this.seed ^ 0x5eed);
    for (const k of Object.keys(this.injected) as (keyof typeof this.injected)[]) this.injected[k] = 0;
  }

  applies(op: Operation, region?: string): boolean {
    const ops = this.state.operations ?? DEFAULT_FAULT_OPERATIONS;
    if (!ops.includes(op)) return false;
    return !this.state.regions || (region !== undefined && this.state.regions.includes(region));
  }

  latencyMs(op: Operation, region?: string): number {
    const l = this.applies(op, region) ? (this.state.latencyMs ?? 0) : 0;
    if (l > 0) this.injected.latency++;
    return l;
  }

  get tokenTtlMs(): number | undefined {
    return this.state.tokenTtlSeconds === undefined ? undefined : this.state.tokenTtlSeconds * 1000;
  }

  get retryAfterSeconds(): number {
    return this.state.throttle?.retryAfterSeconds ?? 1;
  }

  private fire(t: Trigger | undefined): boolean {
    if (!t) return false;
    if (t.count) {
      t.count--;
      return true;
    }
    return t.fraction !== undefined && t.fraction > 0 && this.rng.next() < t.fraction;
  }

  /** A number in [1, n) from the seeded stream (the size of a short page). */
  shortSize(n: number): number {
    return n <= 1 ? n : 1 + Math.floor(this.rng.next() * (n - 1));
  }

  /** Whether this request gets fault `kind` (counts it when it does). */
  hit(kind: FaultKind, op: Operation, now: number, region?: string): boolean {
    if (!this.applies(op, region)) return false;
    let yes = this.fire(this.state[kind]);
    if (!yes && kind === 'throttle' && this.state.throttle?.ratePerSecond) {
      const rate = this.state.throttle.ratePerSecond;
      if (this.bucket.at < 0) this.bucket.at = now;
      // A bucket of one second's worth of requests (at least one), refilled at `rate`.
      this.bucket.tokens = Math.min(
        Math.max(1, rate),
        this.bucket.tokens + ((now - this.bucket.at) / 1000) * rate,
      );
      this.bucket.at = now;
      if (this.bucket.tokens >= 1) this.bucket.tokens -= 1;
      else yes = true;
    }
    if (yes) this.injected[kind]++;
    return yes;
  }
}
