/**
 * Scan coverage as a connector type reports it (Amazon Inspector: docs/coverage.md): one row per
 * account × region, each with the flags that say why "no findings" there is not a clean bill of
 * health, and the notes on what could not be read. Types only: the API, the CLI, the UI and the
 * metrics read these; `src/connectors/aws-inspector/coverage.ts` makes them.
 */

/** Why an account × region is flagged. */
export type CoverageFlagCode =
  /** Amazon Inspector is not ENABLED for the account in the region (DISABLED, SUSPENDED, ...). */
  | 'INSPECTOR_DISABLED'
  /** The account is ENABLED but one of the EC2 / ECR / Lambda / Lambda code scans is not. */
  | 'SCAN_TYPE_DISABLED'
  /** A member whose relationship with the delegated administrator is not ENABLED. */
  | 'NOT_ASSOCIATED'
  /** No finding update and no coverage scan for more than `staleDays` (or none known at all). */
  | 'STOPPED_REPORTING'
  /** The account's activation state could not be read (failedAccounts, AccessDenied, an error). */
  | 'STATUS_UNKNOWN'
  /** The region answered no coverage call (not opted in, unreachable, ...). */
  | 'REGION_UNREACHABLE';

export interface CoverageFlag {
  code: CoverageFlagCode;
  /** `high`: nothing (or nothing known) is scanned there; `low`: part of the scans is off. */
  level: 'high' | 'low';
  reason: string;
}

/** Scan types whose activation coverage reports (BatchGetAccountStatus's resourceState). */
export const SCAN_TYPES = ['ec2', 'ecr', 'lambda', 'lambdaCode'] as const;
export type ScanTypeKey = (typeof SCAN_TYPES)[number];

export interface CoverageRow {
  accountId: string;
  region: string;
  /** `ADMINISTRATOR` for the connector's own account, else the member's relationshipStatus. */
  relationship?: string;
  /** Amazon Inspector's overall state for the account in the region (ENABLED, DISABLED, ...). */
  state?: string;
  /** Per scan type: ENABLED, DISABLED, ... */
  scans?: Partial<Record<ScanTypeKey, string>>;
  /** Resources scanned (ListCoverage ACTIVE). */
  covered?: number;
  /** Resources not scanned (ListCoverage INACTIVE), with why below. */
  notCovered?: number;
  /** Per resource type (AWS_EC2_INSTANCE, ...): covered / not covered. */
  byResourceType?: Record<string, { covered: number; notCovered: number }>;
  /** Not covered resources by scanStatus.reason (UNMANAGED_EC2_INSTANCE, EXCLUDED_BY_TAG, ...). */
  notCoveredReasons?: Record<string, number>;
  /** Newest `lastScannedAt` of its resources, epoch ms. */
  lastScannedAt?: number;
  /** Newest finding version time in this tenant's current-state store, epoch ms. */
  lastFindingAt?: number;
  flags: CoverageFlag[];
}

/** A coverage call that failed: what was not read, and why (never fails the snapshot). */
export interface CoverageNote {
  region: string;
  /** The AWS operation (ListMembers, BatchGetAccountStatus, ListCoverage, ListCoverageStatistics). */
  operation: string;
  /** Registry code: ERR_PERMISSION for AccessDenied (the action is missing from the policy). */
  code: string;
  message: string;
}

export interface CoverageRegion {
  region: string;
  status: 'ok' | 'partial' | 'failed';
  accounts: number;
  covered: number;
  notCovered: number;
  /** ListCoverage was cut at its page bound: per-type counts and reasons are of the first resources only. */
  truncated?: boolean;
}

export interface CoverageSnapshot {
  connectorId: string;
  /** Epoch ms. */
  generatedAt: number;
  /** Days without finding update or coverage scan after which an account × region is flagged. */
  staleDays: number;
  regions: CoverageRegion[];
  rows: CoverageRow[];
  notes: CoverageNote[];
  /** Rows cut at the account bound (maxAccounts per region): how many were left out. */
  accountsLeftOut?: number;
}

/** What the host gives a coverage refresh. */
export interface CoverageOptions {
  /** Days (default 7). */
  staleDays?: number;
  /** Member accounts read per region (bound, default 1000). */
  maxAccounts?: number;
  /** ListCoverage pages (200 resources each) read per region (bound, default 25). */
  maxCoveragePages?: number;
}
