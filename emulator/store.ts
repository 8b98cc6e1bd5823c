/**
 * The emulator's findings: compact columns (typed arrays) for what queries filter and sort on,
 * generated findings rebuilt on demand from (seed, i), stored documents only for findings that
 * came from fixtures or the control API. Mutations write the columns; nothing else is kept per
 * finding, so a million findings fit in ~40 MB.
 */
import type { Generator } from './generator.js';
import { sec, type GenMeta, type LiveState } from './generator.js';
import { partitionOf } from './regions.js';

/** Strings to small codes, so categorical columns fit in typed arrays. */
export class Interner {
  readonly values: string[] = [];
  private readonly codes = new Map<string, number>();
  code(v: string): number {
    let c = this.codes.get(v);
    if (c === undefined) {
      c = this.values.length;
      this.values.push(v);
      this.codes.set(v, c);
    }
    return c;
  }
  lookup(v: string): number | undefined {
    return this.codes.get(v);
  }
  value(c: number): string {
    return this.values[c] as string;
  }
}

/** Keys whose values are timestamps: fixture files carry ISO strings, the wire carries seconds. */
const TIMESTAMP_KEYS = new Set([
  'firstObservedAt',
  'lastObservedAt',
  'updatedAt',
  'vendorCreatedAt',
  'vendorUpdatedAt',
  'lastKnownExploitAt',
  'pushedAt',
  'lastInUseAt',
  'launchedAt',
  'lastModifiedAt',
]);

/** ISO-8601 strings (as the AWS CLI prints them) at timestamp keys -> epoch seconds. */
export function toWire(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => toWire(x));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toWire(x, k);
    return out;
  }
  if (typeof v === 'string' && TIMESTAMP_KEYS.has(key)) {
    const ms = Date.parse(v);
    if (!Number.isNaN(ms)) return sec(ms);
  }
  return v;
}

/** AWS deletes a CLOSED finding 30 days after it closed (Inspector user guide, "Understanding findings"). */
export const CLOSED_RETENTION_MS = 30 * 86_400_000;

export class FindingStore {
  n = 0;
  /** Findings [0, generated) come from the generator; the rest are documents. */
  generated = 0;
  private cap = 0;
  upd = new Float64Array(0);
  last = new Float64Array(0);
  first = new Float64Array(0);
  status = new Uint8Array(0);
  sev = new Uint8Array(0);
  type = new Uint8Array(0);
  rtype = new Uint8Array(0);
  acct = new Uint16Array(0);
  region = new Uint16Array(0);
  /** 1 = sent without `updatedAt` (`upd` then holds lastObservedAt, the default order's key). */
  noUpd = new Uint8Array(0);
  /** 1 = deleted by AWS: gone from every listing (indices stay stable for tokens). */
  gone = new Uint8Array(0);
  /** Scheduled deletion (epoch ms; 0 = none): a terminated resource, a disabled account. */
  dropAt = new Float64Array(0);
  /** Findings deleted so far. */
  deleted = 0;
  /**
   * A CLOSED finding is deleted 30 days after max(its updatedAt, this): generated data holds
   * CLOSED findings up to 90 days old, kept 30 days from the start so the seeded data stays whole.
   */
  retainFrom = 0;
  /** Earliest pending deletion (epoch ms): `expire` does nothing before it. */
  private nextDrop = Infinity;
  readonly statuses = new Interner();
  readonly severities = new Interner();
  readonly types = new Interner();
  readonly rtypes = new Interner();
  readonly accounts = new Interner();
  readonly regions = new Interner();
  private readonly docs = new Map<number, Record<string, unknown>>();
  private readonly arnIndex = new Map<string, number>();
  /** Bumped on every change; query caches key on it. */
  dataVersion = 0;
  /** Finding versions ever served: one per finding plus one per mutation. */
  versions = 0;
  /** EPSS score moves per finding, added up by rescans (rescans.ts); served scores include them. */
  readonly epssDrift = new Map<number, number>();
  /** Indices sorted by (updatedAt, index); rebuilt lazily after changes. */
  private order: Uint32Array | null = null;

  constructor(readonly gen: Generator) {}

  private grow(need: number): void {
    if (need <= this.cap) return;
    const cap = Math.max(need, Math.ceil(this.cap * 1.5), 1024);
    const g = <T extends Float64Array | Uint8Array | Uint16Array>(a: T, C: new (n: number) => T): T => {
      const b = new C(cap);
      b.set(a);
      return b;
    };
    this.upd = g(this.upd, Float64Array);
    this.last = g(this.last, Float64Array);
    this.first = g(this.first, Float64Array);
    this.status = g(this.status, Uint8Array);
    this.sev = g(this.sev, Uint8Array);
    this.type = g(this.type, Uint8Array);
    this.rtype = g(this.rtype, Uint8Array);
    this.acct = g(this.acct, Uint16Array);
    this.region = g(this.region, Uint16Array);
    this.noUpd = g(this.noUpd, Uint8Array);
    this.gone = g(this.gone, Uint8Array);
    this.dropAt = g(this.dropAt, Float64Array);
    this.cap = cap;
  }

  private setMeta(i: number, m: GenMeta): void {
    this.upd[i] = m.updatedAt;
    this.last[i] = m.lastObservedAt;
    this.first[i] = m.firstObservedAt;
    this.status[i] = this.statuses.code(m.status);
    this.sev[i] = this.severities.code(m.severity);
    this.type[i] = this.types.code(m.type);
    this.rtype[i] = this.rtypes.code(m.resourceType);
    this.acct[i] = this.accounts.code(m.account);
    this.region[i] = this.regions.code(m.region);
    this.noUpd[i] = m.noUpdatedAt ? 1 : 0;
  }

  /** Generate `count` findings; only valid before any document is added. */
  generate(count: number): void {
    if (this.n !== this.generated) throw new Error('generate() must come before documents are added');
    this.grow(this.n + count);
    for (let k = 0; k < count; k++) this.setMeta(this.n + k, this.gen.meta(this.n + k));
    this.n += count;
    for (let i = this.n - count; i < this.n; i++) this.scheduleFor(i);
    this.generated = this.n;
    this.versions += count;
    this.changed(true);
  }

  /** Add findings in wire format (ISO timestamps are converted). Returns their indices. */
  addDocuments(findings: Record<string, unknown>[]): number[] {
    const added: number[] = [];
    this.grow(this.n + findings.length);
    for (const raw of findings) {
      const doc = toWire(raw) as Record<string, unknown>;
      const arn = String(doc.findingArn);
      const existing = this.arnIndex.get(arn);
      const i = existing ?? this.n++;
      const res = Array.isArray(doc.resources)
        ? (doc.resources[0] as Record<string, unknown> | undefined)
        : undefined;
      const arnRegion = arn.split(':')[3] ?? '';
      const ms = (x: unknown, dflt: number): number => (typeof x === 'number' ? Math.round(x * 1000) : dflt);
      const lastObservedAt = ms(doc.lastObservedAt, 0);
      this.setMeta(i, {
        type: String(doc.type ?? ''),
        severity: String(doc.severity ?? ''),
        status: String(doc.status ?? ''),
        resourceType: String(res?.type ?? ''),
        account: String(doc.awsAccountId ?? ''),
        region: arnRegion || String(res?.region ?? ''),
        updatedAt: ms(doc.updatedAt, lastObservedAt),
        lastObservedAt,
        firstObservedAt: ms(doc.firstObservedAt, lastObservedAt),
        noUpdatedAt: typeof doc.updatedAt !== 'number',
      });
      this.docs.set(i, doc);
      this.arnIndex.set(arn, i);
      if (this.gone[i]) this.deleted--;
      this.gone[i] = 0;
      this.dropAt[i] = 0;
      this.scheduleFor(i);
      this.versions++;
      added.push(i);
    }
    this.changed(true);
    return added;
  }

  /** Record a change to finding columns; `reorder` when updatedAt moved or findings came. */
  changed(reorder: boolean): void {
    this.dataVersion++;
    if (reorder) this.order = null;
  }

  /** Apply a mutation to finding i: new status/severity, updatedAt (and lastObservedAt on a rescan). */
  mutate(i: number, m: { status?: string; severity?: string; now: number; observed: boolean }): void {
    if (m.status !== undefined) this.status[i] = this.statuses.code(m.status);
    if (m.severity !== undefined) this.sev[i] = this.severities.code(m.severity);
    this.upd[i] = m.now;
    // A change gives a finding its updatedAt (the emulator's reading of an optional member).
    this.noUpd[i] = 0;
    if (m.observed) this.last[i] = m.now;
    this.versions++;
    this.scheduleFor(i);
  }

  /** AWS's retention: CLOSED findings 30 days after closing (RETENTION_MS), or the scheduled drop. */
  deadline(i: number): number {
    const drop = this.dropAt[i] || Infinity;
    if (this.statuses.value(this.status[i]!) !== 'CLOSED') return drop;
    return Math.min(drop, Math.max(this.upd[i]!, this.retainFrom) + CLOSED_RETENTION_MS);
  }

  private scheduleFor(i: number): void {
    if (!this.gone[i]) this.nextDrop = Math.min(this.nextDrop, this.deadline(i));
  }

  /** Schedule finding i's deletion at `at` (the earlier of two schedules wins). */
  dropLater(i: number, at: number): void {
    if (this.gone[i]) return;
    this.dropAt[i] = this.dropAt[i] ? Math.min(this.dropAt[i]!, at) : at;
    this.scheduleFor(i);
  }

  /** Delete finding i now: it leaves every listing; its index stays taken. */
  remove(i: number): void {
    if (this.gone[i]) return;
    this.gone[i] = 1;
    this.deleted++;
    this.dataVersion++;
  }

  /**
   * Deletes the findings whose deadline passed at `now` (called before every page). A scan only
   * when the earliest deadline has come, so listing a million findings stays cheap.
   */
  expire(now: number): number {
    if (now < this.nextDrop) return 0;
    let next = Infinity;
    let n = 0;
    for (let i = 0; i < this.n; i++) {
      if (this.gone[i]) continue;
      const d = this.deadline(i);
      if (d <= now) {
        this.remove(i);
        n++;
      } else if (d < next) next = d;
    }
    this.nextDrop = next;
    return n;
  }

  /** Index of a finding still present, by ARN. */
  indexOf(arn: string): number | undefined {
    const d = this.arnIndex.get(arn);
    if (d !== undefined) return this.gone[d] ? undefined : d;
    for (let i = 0; i < this.generated; i++) if (!this.gone[i] && this.arnOf(i) === arn) return i;
    return undefined;
  }

  /** Finish a batch of mutations: appending to the order keeps it sorted when they moved to "now". */
  mutated(indices: number[]): void {
    if (this.order && indices.length > 0) {
      const moved = new Uint8Array(this.n);
      for (const i of indices) moved[i] = 1;
      const sorted = [...new Set(indices)].sort((a, b) => this.upd[a]! - this.upd[b]! || a - b);
      const next = new Uint32Array(this.order.length);
      let w = 0;
      for (const i of this.order) if (!moved[i]) next[w++] = i;
      const lastKept = w > 0 ? next[w - 1]! : -1;
      const first = sorted[0]!;
      if (
        lastKept < 0 ||
        this.upd[lastKept]! < this.upd[first]! ||
        (this.upd[lastKept] === this.upd[first] && lastKept < first)
      ) {
        for (const i of sorted) next[w++] = i;
        this.order = next;
        this.dataVersion++;
        return;
      }
    }
    this.changed(true);
  }

  /** Indices sorted by (updatedAt, index). */
  byUpdatedAt(): Uint32Array {
    if (!this.order || this.order.length !== this.n) {
      const n = this.n;
      const upd = this.upd;
      let min = Infinity;
      for (let i = 0; i < n; i++) if (upd[i]! < min) min = upd[i]!;
      // (updatedAt - min) << 24 | index in one 64-bit key: a native sort with no comparator is
      // several times faster than a comparator sort on a million findings.
      if (n < 1 << 24) {
        const keys = new BigUint64Array(n);
        for (let i = 0; i < n; i++) keys[i] = (BigInt(upd[i]! - min) << 24n) | BigInt(i);
        keys.sort();
        const o = new Uint32Array(n);
        for (let p = 0; p < n; p++) o[p] = Number(keys[p]! & 0xffffffn);
        this.order = o;
      } else {
        const o = new Uint32Array(n);
        for (let i = 0; i < n; i++) o[i] = i;
        o.sort((a, b) => upd[a]! - upd[b]! || a - b);
        this.order = o;
      }
    }
    return this.order;
  }

  arnOf(i: number): string {
    if (i >= this.generated) return String(this.docs.get(i)?.findingArn ?? '');
    const region = this.regions.value(this.region[i]!);
    return `arn:${partitionOf(region)?.name ?? 'aws'}:inspector2:${region}:${this.accounts.value(this.acct[i]!)}:finding/${this.gen.findingId(i)}`;
  }

  vulnerabilityIdOf(i: number): string {
    if (i >= this.generated) {
      const d = this.docs.get(i) as
        { packageVulnerabilityDetails?: { vulnerabilityId?: unknown } } | undefined;
      return String(d?.packageVulnerabilityDetails?.vulnerabilityId ?? '');
    }
    return this.gen.vulnerabilityId(i, this.types.value(this.type[i]!));
  }

  /** The finding as the service sends it. */
  build(i: number): Record<string, unknown> {
    const f = this.buildBase(i);
    const drift = this.epssDrift.get(i);
    const epss = f.epss as { score?: unknown } | undefined;
    if (drift !== undefined && typeof epss?.score === 'number') {
      const score = Math.round(Math.min(1, Math.max(0, epss.score + drift)) * 1e5) / 1e5;
      f.epss = { ...epss, score };
    }
    return f;
  }

  private buildBase(i: number): Record<string, unknown> {
    const live: LiveState = {
      status: this.statuses.value(this.status[i]!),
      severity: this.severities.value(this.sev[i]!),
      updatedAt: this.upd[i]!,
      lastObservedAt: this.last[i]!,
      firstObservedAt: this.first[i]!,
      ...(this.noUpd[i] ? { noUpdatedAt: true } : {}),
    };
    if (i >= this.generated) {
      const out: Record<string, unknown> = {
        ...this.docs.get(i),
        status: live.status,
        severity: live.severity,
        updatedAt: sec(live.updatedAt),
        lastObservedAt: sec(live.lastObservedAt),
      };
      if (live.noUpdatedAt) delete out.updatedAt;
      return out;
    }
    return this.gen.build(i, this.meta(i), live);
  }

  /** Generated finding i's columns as the generator's meta (its current status, severity, times). */
  meta(i: number): GenMeta {
    return {
      type: this.types.value(this.type[i]!),
      severity: this.severities.value(this.sev[i]!),
      status: this.statuses.value(this.status[i]!),
      resourceType: this.rtypes.value(this.rtype[i]!),
      account: this.accounts.value(this.acct[i]!),
      region: this.regions.value(this.region[i]!),
      updatedAt: this.upd[i]!,
      firstObservedAt: this.first[i]!,
      lastObservedAt: this.last[i]!,
      ...(this.noUpd[i] ? { noUpdatedAt: true } : {}),
    };
  }

  /** The document of an added finding (fixtures, control API), undefined for generated ones. */
  doc(i: number): Record<string, unknown> | undefined {
    return this.docs.get(i);
  }

  countBy(col: Uint8Array | Uint16Array, names: Interner): Record<string, number> {
    const counts = new Array<number>(names.values.length).fill(0);
    for (let i = 0; i < this.n; i++) if (!this.gone[i]) counts[col[i]!]!++;
    const out: Record<string, number> = {};
    names.values.forEach((v, c) => {
      if (counts[c]) out[v] = counts[c]!;
    });
    return out;
  }
}
