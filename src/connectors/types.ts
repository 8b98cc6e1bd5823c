/**
 * The connector contract: what a source of findings implements to plug into the Data Processor.
 * The runner, the scheduler, the API (`/meta`, connectors, the Test), the CLI and the UI wizard
 * know connectors only through this interface and the registry (`registry.ts`); everything a
 * source knows (its API, credentials, paging, checkpoint shape, record mapping) stays in its
 * folder under `src/connectors/<type>/`. docs/connectors.md is the guide to adding a type.
 */
import type { z } from 'zod';
import type { Clock } from '../core/clock.js';
import type { ErrorCode, FieldError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { InterflowRecord } from '../core/record.js';
import type { RunPart } from '../store/index.js';
import type { CoverageOptions, CoverageSnapshot } from './coverage-types.js';

/**
 * The fields every connector type's config has (the schema declares them, with the same names):
 * the generic layers read only these. `name` and `tenant` are fixed after create.
 */
export interface BaseConnectorConfig {
  name: string;
  tenant: string;
  /** Minutes between the starts of two runs (the scheduler). */
  intervalMinutes: number;
  /**
   * Optional (a type whose `state` gives fingerprints may offer it, `recordVersionsField`):
   * `material` = a version whose fingerprint equals the stored state's is not stored as a record
   * (its finding's current state still moves forward); `all` (absent) = one record per version.
   */
  recordVersions?: 'all' | 'material';
  [field: string]: unknown;
}

/** The result of a connector Test (the API returns it as is, the CLI prints it). */
export interface TestResult {
  ok: boolean;
  httpStatus: number;
  /** `OK` on success, else a registry code. */
  code: 'OK' | ErrorCode;
  summary: string;
  explanation: string;
  recommendation: string;
  /** The "Show more" text: which step failed and the source's own words, without secrets. */
  detail: string;
  identity?: unknown;
  warnings: string[];
  /**
   * A type with parts (AWS Inspector: regions) tests each and reports a row per part, in the
   * parts' order; `ok`, `code`... above are then the whole Test's (the type documents its rule).
   * `status` names the row's outcome for a table: `ok`, `not_activated` (reachable, nothing
   * scanned there: ok), `not_enabled` (an opt-in region the account has not enabled),
   * `access_denied`, `failed`. Absent: the type has no parts.
   */
  parts?: Array<{
    part: string;
    ok: boolean;
    status: 'ok' | 'not_activated' | 'not_enabled' | 'access_denied' | 'failed';
    httpStatus: number;
    code: 'OK' | ErrorCode;
    summary: string;
    explanation: string;
    recommendation: string;
  }>;
}

/** What the host gives a Test and a collection: injected, never global. */
export interface ConnectorContext {
  logger: Logger;
  clock: Clock;
  /** The saved connector's id (`test` for an unsaved configuration). */
  connectorId: string;
  signal?: AbortSignal;
  /**
   * The server's allow-list of endpoint overrides (`host` or `host:port`); absent = no check
   * (the CLI on its own machine). A type with endpoint overrides refuses the others before any
   * request (ERR_ENDPOINT_NOT_ALLOWED).
   */
  allowedEndpointHosts?: readonly string[];
}

/** Tuning of one collection run (page size, retries); a type uses what applies to it. */
export interface CollectTuning {
  /** Items per page requested from the source. */
  maxResults?: number;
  /** Attempts per page after a retryable failure. */
  pageRetries?: number;
  throttleRetries?: number;
  /** Injected pause for those retries (tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Type-specific client options (tests: short timeouts, fewer attempts). */
  clientOptions?: Record<string, unknown>;
  /** Sweep in this run even if none is due (`collect --once --sweep`); types without sweeps ignore it. */
  sweep?: boolean;
}

export interface CollectProgress {
  pages: number;
  /** Items (findings) received so far. */
  findings: number;
  elapsedMs: number;
  /** items per second since the start of this run */
  rate: number;
  /** The type's name for the part being collected (a query, a file). */
  query: string;
}

export interface CollectRun<C> extends ConnectorContext {
  config: C;
  /**
   * The part this call collects (`ConnectorType.parts`: AWS Inspector's region); '' for a type
   * without parts. Everything of the call (pages, checkpoint, sweep) is this part's alone.
   */
  part: string;
  /** This part's stored checkpoint, exactly as this type last saved it (absent on its first run). */
  checkpoint: unknown;
  /**
   * Stores the page's items and the checkpoint that is true once they are stored, in ONE
   * transaction; may be slow (a slow store slows the collection down). The checkpoint is opaque
   * to everyone else: JSON the type alone reads back.
   */
  onPage(page: {
    items: unknown[];
    checkpoint: unknown;
    /** The source listed these items at this time or later (sweeps: see `sweep`). */
    seenAt?: number;
    /**
     * Items whose version (`FindingState.updatedAt`) is older than this and that turn out new to
     * the index arrived later than the type's window logic allows: the run counts them as
     * `lateVersions` and warns. Absent = the page detects nothing.
     */
    lateBefore?: number;
  }): Promise<void> | void;
  onProgress?: (p: CollectProgress) => void;
  tuning?: CollectTuning;
  /**
   * The host's side of a sweep (docs/connectors.md "Sweep"), for a source that deletes
   * findings: a type lists everything the source still reports (its pages say `seenAt`: the
   * source listed these items at that time or later, and the host marks their states seen in
   * the page's transaction), then asks for the states not seen since, confirms each with the
   * source, and hands those the source no longer knows to `vanished`. Absent: no sweeps.
   */
  sweep?: SweepSupport;
}

/** What the host does for a type's sweep: its current states, and closing vanished findings. */
export interface SweepSupport {
  /**
   * Keys of this connector's current states in its tenant with one of `statuses`, not seen
   * since `before` (a version older than it too), after `after` in key order. Pages handed
   * to `onPage` before are stored first. With parts, the keys are the connector's, of every
   * part: the type keeps those of its part (AWS: the region in the finding ARN).
   */
  unseen(q: { statuses: readonly string[]; before: number; after: string; limit: number }): Promise<string[]>;
  /**
   * These findings are gone from the source: for each, a new record from its last stored one
   * (the type's `vanish`) and its state, stored with `checkpoint` in ONE transaction, after
   * the pages handed to `onPage` before.
   */
  vanished(v: { keys: string[]; at: number; checkpoint: unknown }): Promise<void>;
}

export interface CollectOutcome {
  /** True when stopped by the abort signal (the checkpoint says where to resume). */
  stopped: boolean;
  /** Pagination restarts (a rejected continuation token); counted in the metrics. */
  tokenRestarts?: number;
  /** Findings closed as vanished by a sweep in this run. */
  vanished?: number;
  /** What late versions (see `onPage`'s `lateBefore`) mean and what to do, for the warning. */
  lateHint?: string;
}

/**
 * How one run of a connector splits into parts (`ConnectorType.parts`): each part is collected
 * by its own `collect` call with its own checkpoint, retries and status, up to `concurrency` at
 * a time; a failing part does not stop the others.
 */
export interface PartPlan {
  /** The parts to collect in this run, in the order to start them; at least one. */
  parts: string[];
  /** How many parts run at once (1 = one after the other). */
  concurrency: number;
}

/**
 * How one part of a run ended (the run history keeps one per part: the store's `RunPart`; the
 * API and UI show them): status ok / failed / stopped, received, stored, vanished, durationMs.
 */
export interface PartOutcome extends Omit<RunPart, 'error'> {
  error?: { code: ErrorCode; message: string };
}

/** The tenant and connector a record is written for. */
export interface MapContext {
  connectorId: string;
  connectorName: string;
  tenantId: string;
  tenantName: string;
  /** Ingest time, epoch ms. */
  writeTime: number;
}

/** A finding's current state as one record tells it; the store keeps the newest per tenant and key. */
export interface FindingState {
  /** What identifies "a finding" of this type (AWS: the finding ARN). */
  key: string;
  status: string | null;
  severity: string | null;
  /** The version's time, epoch ms. */
  updatedAt: number;
  /**
   * A compact hash of what a user acts on in this version (status, severity, scores...): equal
   * fingerprints = nothing material changed (`recordVersions: material`). Absent = unknown.
   */
  fingerprint?: string;
}

/**
 * A connector type. `C` is its parsed config (the schema's output type). Everything here is
 * pure or takes its dependencies as arguments: a type object holds no state between calls.
 */
export interface ConnectorType<C extends BaseConnectorConfig = BaseConnectorConfig> {
  /** Stable id, stored in the `connectors.type` column and sent as the API's `type`: `aws-inspector`. */
  readonly id: string;
  /** What the API and the UI show as the type: `AWS Inspector`. */
  readonly label: string;
  /** The General tab's category: `Vulnerability Scanner`. */
  readonly category: string;
  /**
   * The config schema (zod): the TS type, validation, the API/OpenAPI schema and the UI form.
   * Declares the `BaseConnectorConfig` fields; fields marked `.meta({ secret: true })` are
   * sealed at rest, write-only in the API and redacted.
   */
  readonly configSchema: z.ZodObject;
  /** The secret fields by dotted path, derived from the schema's marks (`secretFieldPaths`). */
  readonly secretFields: readonly string[];
  /**
   * Discriminator fields by dotted path (`auth.method`): a PATCH that switches one keeps only the
   * secret fields of that object (the other variant's fields would not validate).
   */
  readonly switchFields: readonly string[];
  /** What `/meta` serves beside the schema for the UI (AWS: `{ regions }`). */
  readonly metadata?: Record<string, unknown>;
  /** Config fields the API lists at the top level of a connector (AWS: `{ region }`). */
  summary?(config: C): Record<string, string | number | boolean>;
  /**
   * Checks the API adds to the schema for configs that arrive over the network (AWS: endpoint
   * overrides against the allow-list). Each issue names its field.
   */
  apiIssues?(config: unknown, opts: { allowedEndpointHosts: readonly string[] }): FieldError[];
  /**
   * Resolves references a CLI config file may hold instead of secrets (`${ENV:NAME}`); throws
   * ERR_CONFIG_INVALID (FieldsError) naming the field. The API refuses them (`secretRefIssues`).
   */
  resolveRefs?(config: C, env: NodeJS.ProcessEnv): C;
  /** The Test: authentication and connectivity, never data flow. Never throws: a failure is the result. */
  test(config: C, ctx: ConnectorContext & { clientOptions?: Record<string, unknown> }): Promise<TestResult>;
  /** One collection run: pages in, each handed to `onPage` with its checkpoint. Throws CodedErrors. */
  collect(run: CollectRun<C>): Promise<CollectOutcome>;
  /** One item as collected -> one record, pure. Throws ERR_BAD_RESPONSE for an item it cannot map. */
  map(item: unknown, ctx: MapContext): InterflowRecord;
  /** The finding state a record carries; undefined = the record updates no finding state. */
  state(record: InterflowRecord): FindingState | undefined;
  /**
   * With sweeps: the record saying a finding is gone from the source at `at`, made from its
   * last stored record (a new `_id` no real version can have; its state closed at `at`). Pure.
   */
  vanish?(last: InterflowRecord, at: number, ctx: MapContext): InterflowRecord;
  /**
   * Optional: the independent parts of this config's collection (AWS Inspector: its regions),
   * decided at the start of each run (`all` regions may grow without a config change). Absent:
   * one part, '' (the connector's checkpoint and status are the part's).
   */
  parts?(config: C): PartPlan;
  /**
   * Optional, with `parts`: the part a checkpoint saved before this type had parts (part '')
   * belongs to (AWS: the old single `region`); the host moves it there once. Absent or
   * undefined: such a checkpoint is dropped.
   */
  legacyPart?(config: C): string | undefined;
  /** Optional: compares what the source holds with the index (CLI `reconcile`). */
  readonly reconcile?: ReconcileSupport<C>;
  /** Optional: scan coverage per account × region (Amazon Inspector: docs/coverage.md). */
  readonly coverage?: CoverageSupport<C>;
}

/** A type's scan coverage: read from the source (never throws for its answers), and as records. */
export interface CoverageSupport<C> {
  read(opts: {
    config: C;
    ctx: ConnectorContext;
    /** Newest finding version time among the tenant's current states whose key starts with the prefix. */
    newestFindingAt(keyPrefix: string): number | undefined;
    options?: CoverageOptions;
  }): Promise<CoverageSnapshot>;
  /** One record per row (`msg_class` of the type's coverage), deduplicated by `_id` when unchanged. */
  records(snapshot: CoverageSnapshot, ctx: MapContext): InterflowRecord[];
}

/** A type's reconcile, behind the narrow index interface the CLI builds on the store. */
export interface ReconcileSupport<C> {
  run(opts: {
    config: C;
    ctx: ConnectorContext;
    index: ReconcileIndex;
    tenantId: string;
    from?: number;
    to: number;
    listLimit: number;
  }): Promise<{ match: boolean; report: unknown; text: string }>;
}

export interface IndexFindingState {
  /** The finding's state key (`FindingState.key`). */
  key: string;
  status: string | null;
  updatedAt: number;
  /** `_id` of the record the state is from: the last one stored for the finding. */
  recordId?: string;
}

/** What reconcile needs from the index (the store implements it in the CLI). */
export interface ReconcileIndex {
  /** Is the record with this `_id` (the tenant's) in the Syslog index? */
  hasRecord(recordId: string): boolean;
  /** The finding's current state as the index holds it, for the connector's tenant. */
  finding(key: string): IndexFindingState | undefined;
  /** Every finding's current state the connector wrote last, in its tenant (streamed). */
  findings(): Iterable<IndexFindingState>;
  /** Oldest version (epoch ms) among the connector's findings in this status, if any. */
  oldestWithStatus(status: string): number | undefined;
  /** Records of the tenant written by this connector that match a search query (docs/search). */
  countRecords?(q: string): number;
}

/** Any type, whatever its config: the registry's element. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a registry holds types of different configs
export type AnyConnectorType = ConnectorType<any>;
