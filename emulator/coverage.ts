/**
 * Scan coverage (ListCoverage, ListCoverageStatistics) derived from the findings' resources:
 * every EC2 instance, ECR image and repository, Lambda function and code repository a finding of
 * the region is on, plus a few resources without findings per account and region (clean ones and
 * ones Amazon Inspector cannot scan, with the model's reasons). Activation per account, region and
 * scan type decides what is listed and how (README "Organisation, members and coverage").
 */
import { hash3 } from './rng.js';
import {
  checkDateFilter,
  checkMapFilter,
  checkStringFilter,
  constraint,
  expectType,
  isObj,
  onlyKeys,
  serialization,
} from './query.js';
import type { FindingStore } from './store.js';
import type { GenMeta } from './generator.js';
import type { Organization, ScanKey } from './org.js';

export interface CoveredResource {
  resourceType: string;
  resourceId: string;
  accountId: string;
  scanType: 'PACKAGE' | 'CODE' | 'NETWORK';
  scanStatus: { statusCode: 'ACTIVE' | 'INACTIVE'; reason: string };
  resourceMetadata?: Record<string, unknown>;
  lastScannedAt?: number;
  scanMode?: string;
}

const COVERED_TYPES: Record<string, ScanKey> = {
  AWS_EC2_INSTANCE: 'ec2',
  AWS_ECR_CONTAINER_IMAGE: 'ecr',
  AWS_ECR_REPOSITORY: 'ecr',
  AWS_LAMBDA_FUNCTION: 'lambda',
  CODE_REPOSITORY: 'codeRepository',
};

/** Lambda code scanning reads Java, Node.js and Python functions only (Inspector user guide). */
const CODE_RUNTIME = /^(JAVA|NODEJS|PYTHON)/;

/**
 * Resources without findings per account and region: [resource type, status code, reason].
 * Extra tags mark the ones excluded by tag.
 */
const SPARES: [string, 'ACTIVE' | 'INACTIVE', string][] = [
  ['AWS_EC2_INSTANCE', 'ACTIVE', 'SUCCESSFUL'],
  ['AWS_EC2_INSTANCE', 'INACTIVE', 'UNMANAGED_EC2_INSTANCE'],
  ['AWS_EC2_INSTANCE', 'INACTIVE', 'EC2_INSTANCE_STOPPED'],
  ['AWS_ECR_CONTAINER_IMAGE', 'ACTIVE', 'SUCCESSFUL'],
  ['AWS_ECR_CONTAINER_IMAGE', 'INACTIVE', 'SCAN_ELIGIBILITY_EXPIRED'],
  ['AWS_ECR_REPOSITORY', 'INACTIVE', 'NO_RESOURCES_FOUND'],
  ['AWS_LAMBDA_FUNCTION', 'ACTIVE', 'SUCCESSFUL'],
  ['AWS_LAMBDA_FUNCTION', 'INACTIVE', 'EXCLUDED_BY_TAG'],
];

const HOUR = 3_600_000;
const sec = (ms: number) => Math.round(ms) / 1000;

type Res = Record<string, unknown> & { id?: string; type?: string; tags?: Record<string, string> };
type Details = Record<string, Record<string, unknown> | undefined>;

function uuidOf(s: string): string {
  const h = (k: number) => (hash3(0x5eed, k, s.length) >>> 0).toString(16).padStart(8, '0');
  let x = 0;
  for (const ch of s) x = Math.imul(x ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  const a = h(x);
  const b = h(x + 1);
  const c = h(x + 2);
  const d = h(x + 3);
  return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
}

/** The coverage rows of one resource, or none (types coverage does not know). */
function rowsOf(
  res: Res,
  account: string,
  status: { statusCode: 'ACTIVE' | 'INACTIVE'; reason: string },
  lastScannedAt: number | undefined,
): CoveredResource[] {
  const type = String(res.type ?? '');
  const d = (res.details ?? {}) as Details;
  const id = String(res.id ?? '');
  const tags = res.tags ?? {};
  const base = { resourceType: type, resourceId: id, accountId: account };
  const when = (s: typeof status) =>
    lastScannedAt !== undefined && s.reason !== 'PENDING_INITIAL_SCAN'
      ? { lastScannedAt: sec(lastScannedAt) }
      : {};
  switch (type) {
    case 'AWS_EC2_INSTANCE': {
      const e = d.awsEc2Instance ?? {};
      const platform = String(e.platform ?? '');
      return [
        {
          ...base,
          scanType: 'PACKAGE',
          scanStatus: status,
          resourceMetadata: {
            ec2: {
              tags,
              ...(typeof e.imageId === 'string' ? { amiId: e.imageId } : {}),
              platform: platform.startsWith('WINDOWS') ? 'WINDOWS' : platform ? 'LINUX' : 'UNKNOWN',
            },
          },
          ...when(status),
          scanMode: 'EC2_SSM_AGENT_BASED',
        },
      ];
    }
    case 'AWS_ECR_CONTAINER_IMAGE': {
      const e = d.awsEcrContainerImage ?? {};
      return [
        {
          ...base,
          scanType: 'PACKAGE',
          scanStatus: status,
          resourceMetadata: {
            ecrRepository: { name: String(e.repositoryName ?? ''), scanFrequency: 'CONTINUOUS_SCAN' },
            ecrImage: {
              tags: Array.isArray(e.imageTags) ? e.imageTags : [],
              // Last pulled: when it was last in use (the generator keeps no separate pull time).
              ...(typeof e.lastInUseAt === 'number' ? { imagePulledAt: e.lastInUseAt } : {}),
              ...(typeof e.lastInUseAt === 'number' ? { lastInUseAt: e.lastInUseAt } : {}),
              ...(typeof e.inUseCount === 'number' ? { inUseCount: e.inUseCount } : {}),
            },
          },
          ...when(status),
        },
      ];
    }
    case 'AWS_ECR_REPOSITORY': {
      const name = /:repository\/(.+)$/.exec(id)?.[1] ?? '';
      return [
        {
          ...base,
          scanType: 'PACKAGE',
          scanStatus: status,
          resourceMetadata: { ecrRepository: { name, scanFrequency: 'CONTINUOUS_SCAN' } },
          ...when(status),
        },
      ];
    }
    case 'AWS_LAMBDA_FUNCTION': {
      const e = d.awsLambdaFunction ?? {};
      const runtime = String(e.runtime ?? '');
      const meta = {
        lambdaFunction: {
          functionTags: tags,
          layers: Array.isArray(e.layers) ? e.layers : [],
          functionName: String(e.functionName ?? ''),
          runtime,
        },
      };
      const pkg: typeof status =
        status.statusCode === 'ACTIVE' && runtime === 'UNSUPPORTED'
          ? { statusCode: 'INACTIVE', reason: 'UNSUPPORTED_RUNTIME' }
          : status;
      const code: typeof status =
        status.statusCode === 'ACTIVE' && !CODE_RUNTIME.test(runtime)
          ? { statusCode: 'INACTIVE', reason: 'UNSUPPORTED_RUNTIME' }
          : status;
      return [
        { ...base, scanType: 'PACKAGE', scanStatus: pkg, resourceMetadata: meta, ...when(pkg) },
        { ...base, scanType: 'CODE', scanStatus: code, resourceMetadata: meta, ...when(code) },
      ];
    }
    case 'CODE_REPOSITORY': {
      const e = d.codeRepository ?? {};
      const integrationArn = String(e.integrationArn ?? '');
      if (!integrationArn) return [];
      return [
        {
          ...base,
          // The model's resource id of a code repository: its integration and project.
          resourceId: `${integrationArn}/project-${uuidOf(id)}`,
          scanType: 'CODE',
          scanStatus: status,
          resourceMetadata: {
            codeRepository: {
              projectName: String(e.projectName ?? 'project'),
              providerType: String(e.providerType ?? 'GITHUB'),
              providerTypeVisibility: 'PRIVATE',
              integrationArn,
            },
          },
          ...when(status),
        },
      ];
    }
    default:
      return [];
  }
}

/** The scan key of a row (Lambda's CODE rows are Lambda code scanning). */
function scanKeyOf(row: CoveredResource): ScanKey {
  if (row.resourceType === 'AWS_LAMBDA_FUNCTION' && row.scanType === 'CODE') return 'lambdaCode';
  return COVERED_TYPES[row.resourceType]!;
}

export interface CoverageSource {
  store: FindingStore;
  org: Organization;
  startedAt: number;
  /** Resource ids terminated through the control API (gone from coverage). */
  terminated: ReadonlySet<string>;
  /** Accounts present in a region besides those with findings: the admin and its members. */
  accountsIn(region: string): string[];
}

/**
 * Every coverage row of `region`, sorted by (account, resource type, resource id, scan type).
 * Built from the findings' resources once per data and organisation change (cached by the caller).
 */
export function coverageOf(src: CoverageSource, region: string): CoveredResource[] {
  const { store, org } = src;
  const code = store.regions.lookup(region);
  const seen = new Map<string, { res: Res; account: string; last: number }>();
  const gen = store.gen;
  if (code !== undefined) {
    for (let i = 0; i < store.n; i++) {
      if (store.region[i] !== code) continue;
      const rtype = store.rtypes.value(store.rtype[i]!);
      if (!(rtype in COVERED_TYPES)) continue;
      const account = store.accounts.value(store.acct[i]!);
      let key: string;
      let make: () => Res;
      if (i < store.generated) {
        key = `${account}|${rtype}|${gen.resourceKey(i)}`;
        make = () => gen.resource(i, store.meta(i) as GenMeta) as Res;
      } else {
        const r = ((store.doc(i)?.resources as Res[] | undefined) ?? [])[0];
        if (!r || typeof r.id !== 'string') continue;
        key = `${account}|${rtype}|${r.id}`;
        make = () => r;
      }
      const hit = seen.get(key);
      if (hit) hit.last = Math.max(hit.last, store.last[i]!);
      else seen.set(key, { res: make(), account, last: store.last[i]! });
    }
  }
  const rows: CoveredResource[] = [];
  const emit = (res: Res, account: string, status: CoveredResource['scanStatus'], last: number) => {
    if (src.terminated.has(String(res.id))) return;
    const silent = org.silentSince(region, account);
    const lastScannedAt = silent === undefined ? last : Math.min(last, silent);
    for (const row of rowsOf(res, account, status, lastScannedAt)) {
      const s = org.state(region, account);
      const scan = s.resources[scanKeyOf(row)];
      // Not activated (or suspended): Amazon Inspector lists no coverage for that scan type.
      if (s.status === 'DISABLED' || s.status === 'SUSPENDED' || scan === 'DISABLED' || scan === 'SUSPENDED')
        continue;
      if (
        scan === 'DISABLING' ||
        scan === 'SUSPENDING' ||
        s.status === 'DISABLING' ||
        s.status === 'SUSPENDING'
      )
        row.scanStatus = { statusCode: 'INACTIVE', reason: 'PENDING_DISABLE' };
      else if (scan === 'ENABLING' || s.status === 'ENABLING') {
        row.scanStatus = { statusCode: 'ACTIVE', reason: 'PENDING_INITIAL_SCAN' };
        delete row.lastScannedAt;
      }
      rows.push(row);
    }
  };
  for (const { res, account, last } of seen.values())
    emit(res, account, { statusCode: 'ACTIVE', reason: 'SUCCESSFUL' }, last);
  // Resources without findings, in every account present in the region.
  const accounts = new Set([...src.accountsIn(region), ...[...seen.values()].map((v) => v.account)]);
  for (const account of accounts) {
    SPARES.forEach(([resourceType, statusCode, reason], k) => {
      const m: GenMeta = {
        type: 'PACKAGE_VULNERABILITY',
        severity: 'LOW',
        status: 'ACTIVE',
        resourceType,
        account,
        region,
        updatedAt: src.startedAt - (k + 1) * HOUR,
        firstObservedAt: src.startedAt - 30 * 24 * HOUR,
        lastObservedAt: src.startedAt - (k + 1) * HOUR,
      };
      const res = gen.spareResource(m, k) as Res;
      if (reason === 'EXCLUDED_BY_TAG')
        res.tags = { ...res.tags, InspectorExclusion: 'LambdaStandardScanning' };
      const last = statusCode === 'ACTIVE' ? m.lastObservedAt : src.startedAt - (3 + k) * 24 * HOUR;
      emit(res, account, { statusCode, reason }, last);
    });
  }
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return rows.sort(
    (a, b) =>
      cmp(a.accountId, b.accountId) ||
      cmp(a.resourceType, b.resourceType) ||
      cmp(a.resourceId, b.resourceId) ||
      cmp(a.scanType, b.scanType),
  );
}

// ---- CoverageFilterCriteria

type Getter = (r: CoveredResource) => unknown;
const md = (r: CoveredResource, k: string) => (r.resourceMetadata?.[k] ?? {}) as Record<string, unknown>;

/** The string filters: each reads one member of a row (a list member matches on any element). */
const STRING_KEYS: Record<string, Getter> = {
  scanStatusCode: (r) => r.scanStatus.statusCode,
  scanStatusReason: (r) => r.scanStatus.reason,
  accountId: (r) => r.accountId,
  resourceId: (r) => r.resourceId,
  resourceType: (r) => r.resourceType,
  scanType: (r) => r.scanType,
  ecrRepositoryName: (r) => md(r, 'ecrRepository').name,
  ecrImageTags: (r) => md(r, 'ecrImage').tags,
  lambdaFunctionName: (r) => md(r, 'lambdaFunction').functionName,
  lambdaFunctionRuntime: (r) => md(r, 'lambdaFunction').runtime,
  scanMode: (r) => r.scanMode,
  codeRepositoryProjectName: (r) => md(r, 'codeRepository').projectName,
  codeRepositoryProviderType: (r) => md(r, 'codeRepository').providerType,
  codeRepositoryProviderTypeVisibility: (r) => md(r, 'codeRepository').providerTypeVisibility,
};
const MAP_KEYS: Record<string, Getter> = {
  ec2InstanceTags: (r) => md(r, 'ec2').tags,
  lambdaFunctionTags: (r) => md(r, 'lambdaFunction').functionTags,
};
const DATE_KEYS: Record<string, Getter> = {
  lastScannedAt: (r) => r.lastScannedAt,
  imagePulledAt: (r) => md(r, 'ecrImage').imagePulledAt,
  ecrImageLastInUseAt: (r) => md(r, 'ecrImage').lastInUseAt,
};
const NUMBER_KEYS: Record<string, Getter> = {
  ecrImageInUseCount: (r) => md(r, 'ecrImage').inUseCount,
};
/** In the model, but the emulator keeps no commit ids: refused rather than silently ignored. */
const UNSUPPORTED_KEYS = ['lastScannedCommitId'];
export const COVERAGE_FILTER_KEYS = [
  ...Object.keys(STRING_KEYS),
  ...Object.keys(MAP_KEYS),
  ...Object.keys(DATE_KEYS),
  ...Object.keys(NUMBER_KEYS),
];

export type CoveragePredicate = (r: CoveredResource) => boolean;

/** Validates CoverageFilterCriteria and compiles it: filters of one key OR-ed (NOT_EQUALS AND-ed), keys AND-ed. */
export function coverageFilter(fc: unknown, path = 'filterCriteria'): CoveragePredicate {
  if (fc === undefined || fc === null) return () => true;
  if (!isObj(fc)) throw serialization(`Expected an object at '${path}'`);
  onlyKeys(fc, [...COVERAGE_FILTER_KEYS, ...UNSUPPORTED_KEYS], path);
  const preds: CoveragePredicate[] = [];
  for (const [key, list] of Object.entries(fc)) {
    const p = `${path}.${key}`;
    if (list === null) continue;
    if (UNSUPPORTED_KEYS.includes(key))
      throw constraint(
        p,
        '[...]',
        `the emulator does not support this filter (it keeps no commit ids); supported: ${COVERAGE_FILTER_KEYS.join(', ')}`,
      );
    if (!Array.isArray(list)) throw serialization(`Expected a list at '${p}'`);
    if (list.length < 1 || list.length > 10)
      throw constraint(p, `[${list.length} items]`, 'Member must have length between 1 and 10');
    if (key in STRING_KEYS) {
      const get = STRING_KEYS[key]!;
      const fs = list.map((f, n) => {
        const c = checkStringFilter(f, `${p}.${n + 1}.member`, ['EQUALS', 'NOT_EQUALS']);
        return { eq: c.comparison === 'EQUALS', value: c.value };
      });
      const has = (r: CoveredResource, v: string) => {
        const x = get(r);
        return Array.isArray(x) ? x.includes(v) : x === v;
      };
      const pos = fs.filter((f) => f.eq);
      const neg = fs.filter((f) => !f.eq);
      preds.push(
        (r) => (pos.length === 0 || pos.some((f) => has(r, f.value))) && neg.every((f) => !has(r, f.value)),
      );
    } else if (key in MAP_KEYS) {
      const get = MAP_KEYS[key]!;
      const fs = list.map((f, n) => checkMapFilter(f, `${p}.${n + 1}.member`));
      preds.push((r) => {
        const tags = (get(r) ?? {}) as Record<string, string>;
        return fs.some((f) => f.key in tags && (f.value === undefined || tags[f.key] === f.value));
      });
    } else if (key in DATE_KEYS) {
      const get = DATE_KEYS[key]!;
      const fs = list.map((f, n) => {
        const d = checkDateFilter(f, `${p}.${n + 1}.member`);
        return { from: d.startInclusive ?? -Infinity, to: d.endInclusive ?? Infinity };
      });
      preds.push((r) => {
        const v = get(r);
        return typeof v === 'number' && fs.some((f) => v >= f.from && v <= f.to);
      });
    } else {
      const get = NUMBER_KEYS[key]!;
      const fs = list.map((f, n) => {
        const q = `${p}.${n + 1}.member`;
        if (!isObj(f)) throw serialization(`Expected an object at '${q}'`);
        onlyKeys(f, ['lowerInclusive', 'upperInclusive'], q);
        for (const b of ['lowerInclusive', 'upperInclusive'] as const)
          if (f[b] !== undefined) expectType(f[b], 'integer', `${q}.${b}`);
        return {
          lo: (f.lowerInclusive as number | undefined) ?? -Infinity,
          hi: (f.upperInclusive as number | undefined) ?? Infinity,
        };
      });
      preds.push((r) => {
        const v = get(r);
        return typeof v === 'number' && fs.some((f) => v >= f.lo && v <= f.hi);
      });
    }
  }
  return (r) => preds.every((p) => p(r));
}

/** ListCoverageStatistics' GroupKey -> the value a row is grouped by. */
export const GROUP_KEYS: Record<string, (r: CoveredResource) => string | undefined> = {
  SCAN_STATUS_CODE: (r) => r.scanStatus.statusCode,
  SCAN_STATUS_REASON: (r) => r.scanStatus.reason,
  ACCOUNT_ID: (r) => r.accountId,
  RESOURCE_TYPE: (r) => r.resourceType,
  ECR_REPOSITORY_NAME: (r) => md(r, 'ecrRepository').name as string | undefined,
};
