/**
 * The storage contract: what the rest of the product uses of a store, whichever backend holds
 * the data (src/store/sqlite/ is the embedded one). Repositories, committing records with their
 * checkpoint (one page at a time, or through a page sink that groups pages), the Syslog index's
 * search/count/histogram, a health ping, key rotation, close. No raw database handle: a backend
 * keeps its connection to itself. test/conformance/store-conformance.ts is the contract's proof.
 */
import type { InterflowRecord } from '../core/record.js';
import type { Logger } from '../core/logger.js';
import type { LogFilter } from '../core/log-filter.js';
import type { KeySource } from './secrets.js';
import type { HistoryInput, SavedSearchInput, SavedTimeRange } from '../core/saved-search.js';

// ---------------------------------------------------------------- tenants, profiles, log filters, runs, checkpoints, findings
export interface Tenant {
  id: string;
  name: string;
}

export const ROOT_TENANT: Tenant = { id: 'root', name: 'Root Tenant' };

export interface TenantsRepo {
  list(): Tenant[];
  get(id: string): Tenant | undefined;
  getByName(name: string): Tenant | undefined;
  create(name: string): Tenant;
  /**
   * A new name, carried in one transaction to what refers to the tenant by name (its connectors
   * and log filters). Records already stored keep the name they were written with (they are
   * scoped by tenant id). The Root Tenant keeps its name.
   */
  rename(id: string, name: string): Tenant;
  /**
   * Deletes a tenant that has no connectors and no users (ERR_CONFLICT naming them otherwise),
   * with its own log filters. Its stored records stay in the index (root admins still find them).
   * The Root Tenant cannot be deleted.
   */
  delete(id: string): void;
}

export interface Profile {
  id: string;
  name: string;
  connectorIds: string[];
}

export interface ProfilesRepo {
  list(): Profile[];
  get(id: string): Profile | undefined;
  /** True when the connector was not in the profile before (the scheduler pulls at once then). */
  addConnector(profileId: string, connectorId: string): boolean;
  removeConnector(profileId: string, connectorId: string): boolean;
  profilesOf(connectorId: string): string[];
  /** Active AND in at least one profile: only then does a connector collect. */
  isEligible(connectorId: string): boolean;
}

export type StoredLogFilter = LogFilter & { id: string };

export interface LogFiltersRepo {
  list(): StoredLogFilter[];
  get(id: string): StoredLogFilter | undefined;
  create(input: unknown): StoredLogFilter;
  /** Replaces the given keys of the definition (name, tenant, logSource, conditions). */
  update(id: string, patch: Record<string, unknown>): StoredLogFilter;
  delete(id: string): boolean;
  setForConnector(connectorId: string, filterIds: readonly string[]): void;
  idsForConnector(connectorId: string): string[];
  /** The filters to apply for a connector: attached ones, then the config's inline logFilters. */
  forConnector(connectorId: string): LogFilter[];
}

export interface RunCounts {
  received: number;
  stored: number;
  duplicates: number;
  /**
   * New versions not stored as records because nothing material changed (the connector's
   * `recordVersions: material`): their finding's current state moved forward all the same.
   */
  unchanged: number;
  discarded: number;
  discardedByFilter: Record<string, number>;
  pages: number;
  /** Findings a sweep closed as vanished (gone from the source); their records are in `stored`. */
  vanished: number;
}

/**
 * A run's counts as users read them (connector status line, run history, CLI):
 * "received N, new M, already stored K", plus ", unchanged U" when versions with nothing
 * material changed were not stored, ", discarded D" when log filters dropped any and
 * ", vanished V" when a sweep closed findings the source deleted.
 * `stored` = new records, `duplicates` = versions the tenant's index already held.
 */
export function runCountsText(
  c: Pick<RunCounts, 'received' | 'stored' | 'duplicates' | 'discarded'> & {
    unchanged?: number;
    vanished?: number;
  },
): string {
  return (
    `received ${c.received}, new ${c.stored}, already stored ${c.duplicates}` +
    ((c.unchanged ?? 0) > 0 ? `, unchanged ${c.unchanged}` : '') +
    (c.discarded > 0 ? `, discarded ${c.discarded}` : '') +
    ((c.vanished ?? 0) > 0 ? `, vanished ${c.vanished}` : '')
  );
}

/**
 * How one part of a run ended (src/connectors/types.ts `PartOutcome` is this with a coded
 * error): a run of a connector whose type has parts keeps one per part.
 */
export interface RunPart {
  part: string;
  status: 'ok' | 'failed' | 'stopped';
  received: number;
  stored: number;
  vanished: number;
  durationMs: number;
  error?: { code: string; message: string };
}

export interface Run extends RunCounts {
  id: number;
  connectorId: string;
  startedAt: number;
  finishedAt?: number;
  /** `failed` when the run failed, or (with parts) when any of its parts failed (`parts` says which). */
  status: 'running' | 'ok' | 'failed';
  error?: { code: string; message: string };
  /** With parts (a type's `parts`, not the single part ''): how each part ended, in plan order. */
  parts?: RunPart[];
}

export interface RunTotals {
  runs: number;
  received: number;
  stored: number;
  duplicates: number;
  unchanged: number;
  discarded: number;
  pages: number;
  vanished: number;
}

export interface RunsRepo {
  start(connectorId: string): number;
  /** counts given = the run's final counts; absent = keep what commitPage accumulated. */
  finish(
    runId: number,
    result: {
      status: 'ok' | 'failed';
      counts?: Partial<RunCounts>;
      error?: { code: string; message: string };
      /** How each part ended (kept as given, in order). */
      parts?: readonly RunPart[];
    },
  ): void;
  get(runId: number): Run | undefined;
  list(connectorId: string, opts?: { limit?: number }): Run[];
  totals(connectorId: string): RunTotals;
  /** Added to the run inside commitPage's transaction (so counts survive a crash with the data). */
  addCounts(runId: number, c: Partial<RunCounts>): void;
}

/**
 * A checkpoint per (connector, part): each part of a connector (its type's `parts`, AWS
 * Inspector: a region) resumes from its own. Part '' (the default) is a type without parts.
 */
export interface CheckpointsRepo {
  /** The collector's own JSON (it defines the shape); undefined = never checkpointed. */
  get(connectorId: string, part?: string): unknown;
  set(connectorId: string, data: unknown, part?: string): void;
  /** Without `part`: every part's checkpoint of the connector; with it, that part's only. */
  clear(connectorId: string, part?: string): void;
  /** The parts that have a checkpoint, sorted. */
  parts(connectorId: string): string[];
}

/** A stored current state: the newest `RecordState` given for its (tenant, key), and where from. */
export interface FindingState extends RecordState {
  /** The connector that wrote it last. */
  connectorId: string;
  tenantId: string;
  firstSeenAt: number;
  lastSeenAt: number;
}

/** The current state of each finding, per tenant (a tenant's connectors share it). */
export interface FindingsRepo {
  get(tenantId: string, key: string): FindingState | undefined;
  countByStatus(connectorId?: string): Record<string, number>;
  /**
   * One page of a tenant's current states in key order, those after `after` (keyset
   * paging: the caller may use the store between pages, as reconcile does). Default limit 1000.
   */
  page(q: { tenantId: string; connectorId?: string; after?: string; limit?: number }): FindingState[];
  /** The oldest `updatedAt` among a tenant's states with this status (of `connectorId` when given). */
  oldestUpdatedAt(q: { tenantId: string; connectorId?: string; status: string }): number | undefined;
  /**
   * The newest `updatedAt` among a tenant's states whose key starts with `keyPrefix` (the key
   * is opaque to the store: Amazon Inspector's coverage passes `arn:<partition>:inspector2:
   * <region>:<account>:`, i.e. one account × region), or undefined when there is none. A range
   * of the (tenant, key) primary key: cheap enough to ask once per account × region.
   */
  newestUpdatedAt(q: { tenantId: string; keyPrefix: string }): number | undefined;
  /**
   * A sweep's candidates (docs/connectors.md "Sweep"): the connector's states in the tenant
   * with one of `statuses`, last seen (`CommitPageInput.seen`) before `before` or never, and a
   * version older than `before`; in key order, those after `after` (keyset). Default limit 100.
   */
  unseen(q: {
    tenantId: string;
    connectorId: string;
    statuses: readonly string[];
    before: number;
    after?: string;
    limit?: number;
  }): FindingState[];
}

// ---------------------------------------------------------------- connectors
/**
 * What the store needs to know about connector types, injected by the caller (the registry):
 * it imports no type itself.
 */
export interface ConnectorTypes {
  /** The type of a connector created without one. */
  readonly defaultType: string;
  /**
   * The config parsed (defaults applied), or ERR_CONFIG_INVALID (FieldsError) naming every
   * invalid field; an unknown type names `type`.
   */
  validate(type: string, config: unknown): StoredConfig;
  /** The type's secret fields by dotted path: sealed at rest, masked on read. */
  secretFields(type: string): readonly string[];
  /** Its discriminator fields (`auth.method`): switching one keeps only that object's secrets. */
  switchFields(type: string): readonly string[];
}

/** The fields every type's config has (src/connectors/types.ts `BaseConnectorConfig`). */
export interface StoredConfig {
  name: string;
  tenant: string;
  intervalMinutes: number;
  [field: string]: unknown;
}

/**
 * `partial`: the last run of a connector with parts finished with some parts ok and some failed
 * (`ConnectorStatus.parts` says which); `failed` = every part failed (or the run itself did).
 */
export type ConnectorState = 'never_run' | 'ok' | 'partial' | 'failed';

/** The state of one part of a connector (its last run of that part). */
export type PartState = 'never_run' | 'ok' | 'failed';

export interface PartStatus {
  part: string;
  state: PartState;
  lastError?: { code: string; message: string; at: number };
  lastSuccessAt?: number;
  lastRunAt?: number;
}

export interface ConnectorStatus {
  state: ConnectorState;
  lastError?: { code: string; message: string; at: number };
  lastSuccessAt?: number;
  lastRunAt?: number;
  /**
   * Per part, sorted by part, when the connector's type has parts (absent for a type without
   * them: its one part '' is the connector's status itself).
   */
  parts?: PartStatus[];
}

export interface StoredConnector {
  id: string;
  /** The connector type's id (`aws-inspector`). */
  type: string;
  name: string;
  tenant: string;
  active: boolean;
  /** Secrets are "********" except from getDecrypted. */
  config: StoredConfig;
  status: ConnectorStatus;
  createdAt: number;
  updatedAt: number;
}

export interface StatusPatch {
  state?: ConnectorState;
  /** null clears the last error. */
  lastError?: { code: string; message: string; at: number } | null;
  lastSuccessAt?: number;
  lastRunAt?: number;
  /**
   * The parts' statuses, in the same transaction: each listed part's fields as in this patch
   * (a part not stored yet starts as never_run); `keep` given: the parts not in it are removed
   * (a part the plan no longer has: a region taken out of the config).
   */
  parts?: {
    set?: readonly (Omit<StatusPatch, 'state' | 'parts'> & { part: string; state?: PartState })[];
    keep?: readonly string[];
  };
}

export interface ConnectorsRepo {
  /** `type` defaults to `ConnectorTypes.defaultType`. */
  create(input: unknown, opts?: { active?: boolean; id?: string; type?: string }): StoredConnector;
  get(id: string): StoredConnector | undefined;
  /** Names are unique per tenant, case-insensitively; `tenant` defaults to the Root Tenant. */
  getByName(name: string, tenant?: string): StoredConnector | undefined;
  /** With the real secrets: for the collector and the Test only, never for a response or a log. */
  getDecrypted(id: string): StoredConnector | undefined;
  list(): StoredConnector[];
  /** Partial config (+ optional `active`). Secrets absent, empty or "********" keep the stored value. */
  update(id: string, patch: Record<string, unknown>): StoredConnector;
  delete(id: string): boolean;
  setActive(id: string, active: boolean): StoredConnector;
  setStatus(id: string, patch: StatusPatch): StoredConnector;
}

// ---------------------------------------------------------------- the Syslog index
export type TimeField = 'timestamp' | 'write_time';

/** Sortable fields: each has an index that yields its order, so a sorted page never sorts the matches. */
export const SORT_FIELDS = ['timestamp', 'write_time', 'severity'] as const;

export type SortField = (typeof SORT_FIELDS)[number];

export interface SearchFilter {
  /** Lucene-style query; empty or absent = everything. */
  q?: string;
  /** Inclusive bounds on `timeField`, epoch ms. */
  from?: number;
  to?: number;
  timeField?: TimeField;
  /** Restrict to these tenants (undefined = all; [] = none). */
  tenantIds?: readonly string[];
  /**
   * Time budget, ms (0 / absent = none): past it the check functions throw ERR_QUERY_TIMEOUT,
   * which aborts the statement. A statement that calls none of them (FTS lookups, index walks)
   * is checked when it returns; the server's search threads (search-pool.ts) also enforce the
   * budget from outside.
   */
  timeoutMs?: number;
}

export interface SearchOptions extends SearchFilter {
  /** Page size; 0 = all (the CLI). Default 100. */
  limit?: number;
  offset?: number;
  /** `field:asc|desc`, field one of SORT_FIELDS. Default `timestamp:desc`. */
  sort?: string;
}

export type HistogramOptions = SearchFilter & {
  buckets?: number;
  /**
   * Without from and to (all time): buckets over the span of the matching records less their
   * earliest and latest 1% when those are outliers (the whole span is over 4x the rest), so a
   * few records years away do not squash the others into one bar; `span` then says so.
   */
  robust?: boolean;
};

export interface SearchResult {
  total: number;
  records: InterflowRecord[];
  /**
   * Fields the query names that no record in the index has (a typo such as `sevrity:>=70`
   * gives a warning, not a silent 0). Absent when there are none.
   */
  unknownFields?: string[];
}

/** Where a keyset page ends: the last row's sort values (see ExportPageOptions). */
export type SortCursor = [unknown, unknown, number];

/**
 * One page of an export: no OFFSET (each page starts after the previous page's last row, so
 * a 1,000,000-record export costs no more per page at the end than at the start).
 */
export interface ExportPageOptions extends SearchFilter {
  sort?: string;
  /** Rows in this page (1..10,000). */
  limit: number;
  /** The previous page's `next`; absent = the first page. */
  after?: SortCursor;
  /** The first page's `total` (picks the plan without counting again). */
  total?: number;
}

export interface ExportPage {
  /** The records' JSON text, in sort order. */
  docs: string[];
  /** Where the next page starts; null when this page is the last. */
  next: SortCursor | null;
  /** Records matching the whole filter (counted on the first page, else echoed). */
  total: number;
}

export interface FieldStatsOptions extends SearchFilter {
  sort?: string;
  /** How many of the first matching records (in sort order) are looked at (1..1,000). */
  sample: number;
  /** Top values kept per field (1..20). */
  top: number;
}

export interface FieldStat {
  /** Dotted path (arrays are looked through). */
  path: string;
  /** Sampled records that have the field. */
  count: number;
  /** Most frequent values, as text (objects and arrays are not values). */
  top: { value: string; count: number }[];
  /** Distinct values seen (at most 1,000 are tracked). */
  distinct: number;
}

export interface FieldStats {
  /** Records matching the query. */
  total: number;
  /** Records looked at (min(total, sample)). */
  sampled: number;
  fields: FieldStat[];
}

export interface HistogramResult {
  /** Bucket width, ms. */
  interval: number;
  buckets: { start: number; count: number }[];
  /**
   * Set when a robust histogram left outliers out: the records' real first and last time, and
   * how many matching records fall before the first bucket and after the last.
   */
  span?: { min: number; max: number; before: number; after: number };
}

export interface SyslogIndex {
  search(opts: SearchOptions): SearchResult;
  count(filter: SearchFilter): number;
  /** Matching records' JSON text, in order, without building them all in memory (CLI NDJSON). */
  stream(opts: SearchOptions): IterableIterator<string>;
  /** One keyset page of an export (the API's streamed /search/export). */
  exportPage(opts: ExportPageOptions): ExportPage;
  /** Fields present in a sample of the matching records, with their top values. */
  fieldStats(opts: FieldStatsOptions): FieldStats;
  histogram(opts: HistogramOptions): HistogramResult;
  /** The last `limit` records stored (newest first): the log filter preview. */
  recent(limit: number): InterflowRecord[];
  get(id: string): InterflowRecord | undefined;
  /** Does the tenant's index hold the record with this `_id`? (No document is read.) */
  has(id: string, tenantId: string): boolean;
  /** Total records in the index. */
  size(): number;
}

// ---------------------------------------------------------------- committing records
/**
 * A record's current-state update, given by the caller with each record that carries one:
 * `key` identifies the thing the record is a version of (Amazon Inspector: the finding ARN).
 * The store keeps one state per (the record's tenant, key), and only moves it forward.
 */
export interface RecordState {
  key: string;
  status: string | null;
  severity: string | null;
  /** Version time (epoch ms): a state older than the stored one is ignored. */
  updatedAt: number;
  /** `_id` of the record (in the same page) this state is from. */
  recordId: string;
  /**
   * What a user acts on in this version, summed up by the connector type (a hash): opaque to
   * the store, which only compares it with the stored state's (`CommitPageInput.skipUnchanged`).
   * Absent/null = unknown (never equal to anything).
   */
  fingerprint?: string | null;
}

export interface CommitPageInput {
  connectorId: string;
  /** The part whose checkpoint `checkpoint` is (CheckpointsRepo); default '' (no parts). */
  part?: string;
  records: readonly InterflowRecord[];
  /** Saved in the same transaction; undefined = leave the checkpoint as it is. */
  checkpoint?: unknown;
  /** The records' state updates (none for records without one): the store reads no source's fields. */
  states: readonly RecordState[];
  /** When given, the page's counts are added to this run in the same transaction. */
  runId?: number;
  /** Extra counts for the run (received, discarded, discardedByFilter); stored/duplicates/unchanged/pages are added automatically. */
  counts?: Partial<Pick<RunCounts, 'received' | 'discarded' | 'discardedByFilter' | 'vanished'>>;
  /**
   * The source listed these keys (every item of the page, also those discarded or already
   * stored) at `at` or later: their states in the tenant are marked seen at `at`, after the
   * page's own state updates, in the same transaction (a sweep's proof that they still exist:
   * `FindingsRepo.unseen`). A key without a state is ignored; a mark never moves back.
   */
  seen?: { tenantId: string; keys: readonly string[]; at: number };
  /**
   * Store only versions that changed something material (a connector's `recordVersions:
   * material`): a record whose state carries a fingerprint equal to the stored state's is not
   * inserted. A newer one still moves the state forward (updatedAt, lastSeenAt; `recordId` keeps
   * naming the last record stored) and counts as `unchanged`; one not newer than the stored
   * state counts as a duplicate. Versions are compared in page order, so two versions of one
   * finding in one group compare with each other. Default false: every version is a record.
   */
  skipUnchanged?: boolean;
}

export interface CommitPageResult {
  stored: number;
  duplicates: number;
  /** Versions not inserted because nothing material changed (`skipUnchanged`). */
  unchanged: number;
  /** `_id`s of the records actually inserted (for `collect --output -`). */
  storedIds: string[];
}

// ---------------------------------------------------------------- page sink (group commit)
/** One page as a collector run hands it over: its records, their states, the checkpoint after it. */
export type SinkPage = Omit<CommitPageInput, 'connectorId' | 'runId' | 'part'>;

export interface PageSinkOptions {
  connectorId: string;
  /**
   * The part the pages' checkpoints are saved for (default ''). Sinks of several parts of one
   * connector may write at the same time: each commits its own groups, with its own checkpoint.
   */
  part?: string;
  /** The run the pages' counts are added to, in each commit's transaction. */
  runId?: number;
  /**
   * Pages are stored together, in one transaction with the last page's checkpoint, once this
   * many records are buffered (default 1000; 1 = every page alone). A crash loses at most the
   * buffered pages, which the checkpoint makes the next run fetch again.
   */
  commitRecords?: number;
  /** ...or once the oldest buffered page has waited this long, ms (default 1000; 0 = no timer). */
  commitDelayMs?: number;
  /** Hand each commit's stored records to onCommitted as their JSON texts (`collect --output -`). */
  docs?: boolean;
  /**
   * After each commit, in commit order. A returned promise is awaited before the next commit
   * is posted: a slow consumer slows the run. A throw fails the sink like a failed commit.
   */
  onCommitted?: (c: CommittedGroup) => void | Promise<void>;
}

/** What one commit (one transaction, one or more pages) stored. */
export interface CommittedGroup extends CommitPageResult {
  pages: number;
  /** The pages' own counts, added up. */
  received: number;
  discarded: number;
  discardedByFilter: Record<string, number>;
  vanished: number;
  /** With `docs`: the JSON texts of the records stored (not the duplicates), in page order. */
  docs?: string[];
}

/**
 * Where a run writes its pages: the backend buffers them (its own way: prepared off the
 * caller's objects, committed on a writer thread...) and commits groups of them, at most one
 * commit in flight, each with the last page's checkpoint in the same transaction.
 */
export interface PageSink {
  /**
   * Buffers the page. Resolves at once, or, when the page completes a group, once that group
   * is posted: after the previous commit succeeded (so a later checkpoint is never saved after
   * an earlier page failed). That wait is the backpressure a slow store puts on the collector.
   * Rejects with an earlier commit's failure (nothing is buffered then).
   */
  write(page: SinkPage): Promise<void>;
  /** Commits what is buffered and waits for every commit; rejects with a commit failure. */
  finish(): Promise<void>;
  /** Stops the delay timer; what is still buffered is dropped (call finish first to keep it). */
  cancel(): void;
}

// ---------------------------------------------------------------- users and sessions (persistence only)
/** An API user as stored; the password rules, hashing and roles' meaning are src/auth's. */
export interface StoredUser {
  id: string;
  username: string;
  /** One of src/auth's ROLES. */
  role: string;
  tenantId: string;
  /** Cannot log in; the password is kept (locked like `passwd -l`: the hash is prefixed with "!"). */
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface StoredUsersRepo {
  count(): number;
  /** By user name; `tenantId` given: that tenant's users only. */
  list(tenantId?: string): StoredUser[];
  get(id: string): StoredUser | undefined;
  getByUsername(username: string): StoredUser | undefined;
  /** The user and its password hash (log-in; also a disabled user's); never returned by the other calls. */
  credentials(username: string): { user: StoredUser; passwordHash: string } | undefined;
  /** The new user; undefined when the user name is taken (names are global). */
  insert(
    user: Omit<StoredUser, 'createdAt' | 'updatedAt' | 'disabled'> & { passwordHash: string },
    now: number,
  ): StoredUser | undefined;
  /** A new password hash and every session of the user ended, in one transaction. */
  setPasswordHash(id: string, passwordHash: string, now: number): void;
  /**
   * A new role and/or tenant; the user's sessions end (their rights changed). A move to another
   * tenant makes the user's shared saved searches private (in the same transaction): they are
   * never published to the new tenant, nor left behind without an owner in the old one.
   */
  update(id: string, change: { role?: string; tenantId?: string }, now: number): StoredUser | undefined;
  /** Disabling ends every session of the user; enabling restores the same password. */
  setDisabled(id: string, disabled: boolean, now: number): StoredUser | undefined;
  delete(id: string): boolean;
}

/** A log-in session as stored: only the token's hash (the token itself is never stored). */
export interface StoredSession {
  tokenHash: string;
  userId: string;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
}

export interface StoredSessionsRepo {
  insert(session: StoredSession): void;
  get(tokenHash: string): StoredSession | undefined;
  delete(tokenHash: string): void;
  /** Removes the sessions expired at `now`; returns how many. */
  purgeExpired(now: number): number;
}

// ---------------------------------------------------------------- saved searches and search history (Threat Hunting)
/**
 * A saved search as stored (src/core/saved-search.ts holds its schema and bounds). It belongs to
 * its owner; its tenant is the owner's tenant (it follows the owner). `tenant` visibility shares
 * it read-only with every user of that tenant.
 */
export interface SavedSearch extends Omit<SavedSearchInput, 'visibility'> {
  id: string;
  visibility: 'private' | 'tenant';
  ownerId: string;
  /** The owner's user name. */
  owner: string;
  /** The owner's tenant. */
  tenantId: string;
  createdAt: number;
  updatedAt: number;
}

export interface SavedSearchesRepo {
  /** What the user sees: their own searches and their tenant's shared ones, by name (ignoring case). */
  listVisible(userId: string): SavedSearch[];
  get(id: string): SavedSearch | undefined;
  /**
   * Validates `input` (ERR_VALIDATION naming each bad field); a name the owner already uses
   * (ignoring case) is ERR_VALIDATION on `name`; an owner with SAVED_PER_USER searches gets
   * ERR_CONFLICT; an unknown owner ERR_NOT_FOUND_RESOURCE. Visibility defaults to private.
   */
  create(ownerId: string, input: unknown): SavedSearch;
  /** The given fields replaced, the whole validated again; the owner stays. */
  update(id: string, patch: unknown): SavedSearch;
  delete(id: string): boolean;
}

/** One search a user ran. */
export interface HistoryEntry {
  query: string;
  timeRange: SavedTimeRange;
  timeField?: HistoryInput['timeField'];
  ranAt: number;
}

/**
 * Each user's last HISTORY_MAX distinct queries (src/core/saved-search.ts), newest first: the
 * same query text again moves to the top with its latest time range.
 */
export interface SearchHistoryRepo {
  list(userId: string): HistoryEntry[];
  /** Validates `entry` (ERR_VALIDATION naming the field), records it at `at`, keeps the newest HISTORY_MAX. */
  add(userId: string, entry: unknown, at: number): HistoryEntry;
  /** Removes the user's history; returns how many entries. */
  clear(userId: string): number;
}

// ---------------------------------------------------------------- searches off the caller's thread
/** The index calls a search service answers. */
export type SearchOp = 'search' | 'count' | 'histogram' | 'exportPage' | 'fieldStats';
type Threaded = {
  [K in SearchOp]: (arg: Parameters<SyslogIndex[K]>[0]) => Promise<ReturnType<SyslogIndex[K]>>;
};
/** What the API needs of the index: the same calls, answered asynchronously. */
export interface SearchService extends Threaded {
  /** Resolves once the service can answer (the server waits for it at start). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export interface SearchServiceOptions {
  /** Searches running at once. Default 2: one slow search leaves room for the others. */
  threads?: number;
  /** Searches waiting for a thread; one more is refused with ERR_SEARCH_BUSY. Default 16. */
  queue?: number;
  /** Time budget per search, ms (0 = none). Default DEFAULT_SEARCH_TIMEOUT_MS (5 s). */
  timeoutMs?: number;
  logger?: Logger;
  /**
   * Tests only: each search first waits (blocking its thread, as a long statement does) while
   * element 0 of this Int32Array's buffer is 1; set it to 0 and Atomics.notify to release.
   */
  testHold?: SharedArrayBuffer;
}

// ---------------------------------------------------------------- key rotation
export interface RotateKeyOptions {
  /** The new key; default: generated (only when the key is a file). */
  newKey?: Buffer;
  /** Tests: called after the commit, before the key file is swapped (to simulate a crash there). */
  afterCommit?: () => void;
}

export interface RotateResult {
  /** Where the new key is: the key file, or (key from the environment) nowhere but the caller's file. */
  source: KeySource['kind'];
  connectors: number;
  secrets: number;
  /** Connectors with secrets that did not decrypt before (left as they were: re-enter them). */
  unreadable: string[];
}

// ---------------------------------------------------------------- the store
export interface Store {
  /** The data directory (key file, owner lock; the embedded backend's database file). */
  readonly dataDir: string;
  readonly tenants: TenantsRepo;
  readonly connectors: ConnectorsRepo;
  readonly profiles: ProfilesRepo;
  readonly logFilters: LogFiltersRepo;
  readonly runs: RunsRepo;
  readonly checkpoints: CheckpointsRepo;
  readonly findings: FindingsRepo;
  readonly users: StoredUsersRepo;
  readonly sessions: StoredSessionsRepo;
  /** Threat Hunting's saved searches; a user's go with the user (deleted with them). */
  readonly savedSearches: SavedSearchesRepo;
  /** Threat Hunting's per-user search history (deleted with the user). */
  readonly searchHistory: SearchHistoryRepo;
  readonly index: SyslogIndex;
  /** ONE transaction: records (deduped on _id), their current state, checkpoint, run counts. */
  commitPage(input: CommitPageInput): CommitPageResult;
  /** A run's writer: pages grouped into commits (see PageSink). */
  pageSink(opts: PageSinkOptions): PageSink;
  /** Runs `fn` in one transaction (several repository calls that stand or fall together). */
  transaction<T>(fn: () => T): T;
  /** Searches answered off the caller's thread, each with a time budget (the server's). */
  searchService(opts?: SearchServiceOptions): SearchService;
  /** Re-encrypts every connector secret under a new key in ONE transaction, then swaps the key. */
  rotateKey(opts?: RotateKeyOptions): RotateResult;
  /** Throws (ERR_STORE) when the store cannot answer a trivial query: the health check. */
  ping(): void;
  close(): void;
}
