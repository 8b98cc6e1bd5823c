/**
 * ListFindings: request validation per the service model, filterCriteria compiled to predicates
 * over the store's columns (documents are built only for filters on deep fields), sorting, and
 * pagination with opaque nextTokens bound to the exact query: uneven pages as AWS serves them
 * (short, empty, a token on the last page), drawn from the seed, or clean full pages.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AwsError, validation } from './errors.js';
import { Rng, mix32 } from './rng.js';
import type { FindingStore, Interner } from './store.js';

type Kind = 'string' | 'date' | 'number' | 'map' | 'port' | 'package';

/**
 * FilterCriteria members and their filter kinds: botocore inspector2 2020-06-08, then the 19
 * newer keys of the AWS SDK's model (3.1085) for other clouds' resources.
 */
export const FILTER_KEYS: Record<string, Kind> = {
  findingArn: 'string',
  awsAccountId: 'string',
  findingType: 'string',
  severity: 'string',
  firstObservedAt: 'date',
  lastObservedAt: 'date',
  updatedAt: 'date',
  findingStatus: 'string',
  title: 'string',
  inspectorScore: 'number',
  resourceType: 'string',
  resourceId: 'string',
  resourceTags: 'map',
  ec2InstanceImageId: 'string',
  ec2InstanceVpcId: 'string',
  ec2InstanceSubnetId: 'string',
  ecrImagePushedAt: 'date',
  ecrImageArchitecture: 'string',
  ecrImageRegistry: 'string',
  ecrImageRepositoryName: 'string',
  ecrImageTags: 'string',
  ecrImageHash: 'string',
  ecrImageLastInUseAt: 'date',
  ecrImageInUseCount: 'number',
  portRange: 'port',
  networkProtocol: 'string',
  componentId: 'string',
  componentType: 'string',
  vulnerabilityId: 'string',
  vulnerabilitySource: 'string',
  vendorSeverity: 'string',
  vulnerablePackages: 'package',
  relatedVulnerabilities: 'string',
  fixAvailable: 'string',
  lambdaFunctionName: 'string',
  lambdaFunctionLayers: 'string',
  lambdaFunctionRuntime: 'string',
  lambdaFunctionLastModifiedAt: 'date',
  lambdaFunctionExecutionRoleArn: 'string',
  exploitAvailable: 'string',
  codeVulnerabilityDetectorName: 'string',
  codeVulnerabilityDetectorTags: 'string',
  codeVulnerabilityFilePath: 'string',
  epssScore: 'number',
  codeRepositoryProjectName: 'string',
  codeRepositoryProviderType: 'string',
  cloudProvider: 'string',
  cloudProviderRegion: 'string',
  cloudProviderAccountId: 'string',
  cloudProviderOrgId: 'string',
  cloudVmImageReference: 'string',
  cloudVmNetworkId: 'string',
  cloudVmSubnetIds: 'string',
  cloudImageRepositoryName: 'string',
  cloudImageRegistry: 'string',
  cloudImageDigest: 'string',
  cloudImageTags: 'string',
  cloudImagePushedAt: 'date',
  cloudImageArchitecture: 'string',
  cloudImageLastInUseAt: 'date',
  cloudImageInUseCount: 'number',
  cloudServerlessFunctionName: 'string',
  cloudServerlessFunctionRuntime: 'string',
  cloudServerlessFunctionLastModifiedAt: 'date',
  cloudServerlessFunctionExecutionRole: 'string',
};

export const SORT_FIELDS = [
  'AWS_ACCOUNT_ID',
  'FINDING_TYPE',
  'SEVERITY',
  'FIRST_OBSERVED_AT',
  'LAST_OBSERVED_AT',
  'FINDING_STATUS',
  'RESOURCE_TYPE',
  'ECR_IMAGE_PUSHED_AT',
  'ECR_IMAGE_REPOSITORY_NAME',
  'ECR_IMAGE_REGISTRY',
  'NETWORK_PROTOCOL',
  'COMPONENT_TYPE',
  'VULNERABILITY_ID',
  'VULNERABILITY_SOURCE',
  'INSPECTOR_SCORE',
  'VENDOR_SEVERITY',
  'EPSS_SCORE',
] as const;

/** Dates must lie in [1970-01-01, 2033-01-01). */
const MAX_DATE_S = Date.UTC(2033, 0, 1) / 1000;

export interface StringFilter {
  comparison: 'EQUALS' | 'PREFIX' | 'NOT_EQUALS';
  value: string;
}
interface DateFilter {
  startInclusive?: number;
  endInclusive?: number;
}
interface NumberFilter {
  lowerInclusive?: number;
  upperInclusive?: number;
}
interface MapFilter {
  comparison: 'EQUALS';
  key: string;
  value?: string;
}
interface PortFilter {
  beginInclusive?: number;
  endInclusive?: number;
}
type PackageFilter = Record<string, StringFilter | NumberFilter>;

export interface ListFindingsRequest {
  maxResults?: number;
  nextToken?: string;
  filterCriteria?: Record<string, unknown[]>;
  sortCriteria?: { field: string; sortOrder: 'ASC' | 'DESC' };
}

export const constraint = (field: string, value: unknown, rule: string): AwsError =>
  validation(
    `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: ${rule}`,
    'FIELD_VALIDATION_FAILED',
    field,
  );

export function serialization(message: string): AwsError {
  return new AwsError('SerializationException', 400, message);
}

export function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function expectType(v: unknown, t: 'string' | 'number' | 'integer', path: string): void {
  const ok =
    t === 'string'
      ? typeof v === 'string'
      : typeof v === 'number' && Number.isFinite(v) && (t === 'number' || Number.isInteger(v));
  if (!ok) {
    const got =
      typeof v === 'string'
        ? 'STRING_VALUE'
        : typeof v === 'number'
          ? 'NUMBER_VALUE'
          : Array.isArray(v)
            ? 'START_ARRAY'
            : isObj(v)
              ? 'START_OBJECT'
              : String(v).toUpperCase() + '_VALUE';
    throw serialization(
      `${got} can not be converted to ${t === 'string' ? 'a String' : t === 'integer' ? 'an Integer' : 'a Double'} at '${path}'`,
    );
  }
}

export function onlyKeys(o: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      throw validation(
        `Unknown field '${path ? `${path}.` : ''}${k}'; allowed: ${allowed.join(', ')}`,
        'FIELD_VALIDATION_FAILED',
        path ? `${path}.${k}` : k,
      );
    }
  }
}

/** A StringFilter; CoverageStringFilter allows EQUALS and NOT_EQUALS only. */
export function checkStringFilter(
  f: unknown,
  path: string,
  comparisons: readonly string[] = ['EQUALS', 'PREFIX', 'NOT_EQUALS'],
): StringFilter {
  if (!isObj(f)) throw serialization(`Expected an object at '${path}'`);
  onlyKeys(f, ['comparison', 'value'], path);
  if (f.comparison === undefined) throw constraint(`${path}.comparison`, 'null', 'Member must not be null');
  expectType(f.comparison, 'string', `${path}.comparison`);
  if (!comparisons.includes(f.comparison as string)) {
    throw constraint(
      `${path}.comparison`,
      f.comparison,
      `Member must satisfy enum value set: [${comparisons.join(', ')}]`,
    );
  }
  if (f.value === undefined) throw constraint(`${path}.value`, 'null', 'Member must not be null');
  expectType(f.value, 'string', `${path}.value`);
  const len = (f.value as string).length;
  if (len < 1 || len > 1024)
    throw constraint(`${path}.value`, f.value, 'Member must have length between 1 and 1024');
  return f as unknown as StringFilter;
}

/** A MapFilter (ListFindings) or CoverageMapFilter: `{comparison: EQUALS, key, value?}`. */
export function checkMapFilter(f: unknown, p: string): { key: string; value?: string } {
  if (!isObj(f)) throw serialization(`Expected an object at '${p}'`);
  onlyKeys(f, ['comparison', 'key', 'value'], p);
  if (f.comparison !== 'EQUALS')
    throw constraint(
      `${p}.comparison`,
      f.comparison ?? 'null',
      'Member must satisfy enum value set: [EQUALS]',
    );
  if (f.key === undefined) throw constraint(`${p}.key`, 'null', 'Member must not be null');
  expectType(f.key, 'string', `${p}.key`);
  if (f.value !== undefined) expectType(f.value, 'string', `${p}.value`);
  return f as { key: string; value?: string };
}

/** A DateFilter (ListFindings) or CoverageDateFilter: `{startInclusive?, endInclusive?}` in range. */
export function checkDateFilter(f: unknown, p: string): { startInclusive?: number; endInclusive?: number } {
  if (!isObj(f)) throw serialization(`Expected an object at '${p}'`);
  onlyKeys(f, ['startInclusive', 'endInclusive'], p);
  if (f.startInclusive !== undefined) checkDate(f.startInclusive, `${p}.startInclusive`);
  if (f.endInclusive !== undefined) checkDate(f.endInclusive, `${p}.endInclusive`);
  return f as { startInclusive?: number; endInclusive?: number };
}

export function checkDate(v: unknown, path: string): void {
  expectType(v, 'number', path);
  if ((v as number) < 0 || (v as number) >= MAX_DATE_S) {
    throw validation(
      `Invalid date at '${path}': dates must be between 1970-01-01 and 2033-01-01`,
      'FIELD_VALIDATION_FAILED',
      path,
    );
  }
}

function checkNumberFilter(f: unknown, path: string): NumberFilter {
  if (!isObj(f)) throw serialization(`Expected an object at '${path}'`);
  onlyKeys(f, ['lowerInclusive', 'upperInclusive'], path);
  if (f.lowerInclusive !== undefined) expectType(f.lowerInclusive, 'number', `${path}.lowerInclusive`);
  if (f.upperInclusive !== undefined) expectType(f.upperInclusive, 'number', `${path}.upperInclusive`);
  return f as NumberFilter;
}

/** Validate a ListFindings body; throws AwsError with AWS's codes. */
export function parseListFindings(body: unknown): ListFindingsRequest {
  if (!isObj(body)) throw serialization('Expected a JSON object as the request body');
  onlyKeys(body, ['maxResults', 'nextToken', 'filterCriteria', 'sortCriteria'], '');
  const req: ListFindingsRequest = {};
  if (body.maxResults !== undefined && body.maxResults !== null) {
    expectType(body.maxResults, 'integer', 'maxResults');
    const m = body.maxResults as number;
    if (m < 1) throw constraint('maxResults', m, 'Member must have value greater than or equal to 1');
    if (m > 100) throw constraint('maxResults', m, 'Member must have value less than or equal to 100');
    req.maxResults = m;
  }
  if (body.nextToken !== undefined && body.nextToken !== null) {
    expectType(body.nextToken, 'string', 'nextToken');
    if ((body.nextToken as string).length > 1_000_000)
      throw constraint('nextToken', '...', 'Member must have length less than or equal to 1000000');
    if (body.nextToken !== '') req.nextToken = body.nextToken as string;
  }
  if (body.filterCriteria !== undefined && body.filterCriteria !== null) {
    const fc = body.filterCriteria;
    if (!isObj(fc)) throw serialization("Expected an object at 'filterCriteria'");
    onlyKeys(fc, Object.keys(FILTER_KEYS), 'filterCriteria');
    const out: Record<string, unknown[]> = {};
    for (const [key, list] of Object.entries(fc)) {
      const path = `filterCriteria.${key}`;
      if (list === null) continue;
      if (!Array.isArray(list)) throw serialization(`Expected a list at '${path}'`);
      if (list.length < 1 || list.length > 10)
        throw constraint(path, `[${list.length} items]`, 'Member must have length between 1 and 10');
      list.forEach((f, n) => {
        const p = `${path}.${n + 1}.member`;
        switch (FILTER_KEYS[key]) {
          case 'string':
            checkStringFilter(f, p);
            break;
          case 'date':
            checkDateFilter(f, p);
            break;
          case 'number':
            checkNumberFilter(f, p);
            break;
          case 'map':
            checkMapFilter(f, p);
            break;
          case 'port':
            if (!isObj(f)) throw serialization(`Expected an object at '${p}'`);
            onlyKeys(f, ['beginInclusive', 'endInclusive'], p);
            for (const b of ['beginInclusive', 'endInclusive'] as const) {
              if (f[b] === undefined) continue;
              expectType(f[b], 'integer', `${p}.${b}`);
              if ((f[b] as number) < 0 || (f[b] as number) > 65535)
                throw constraint(`${p}.${b}`, f[b], 'Member must have value between 0 and 65535');
            }
            break;
          case 'package':
            if (!isObj(f)) throw serialization(`Expected an object at '${p}'`);
            onlyKeys(
              f,
              [
                'name',
                'version',
                'epoch',
                'release',
                'architecture',
                'sourceLayerHash',
                'sourceLambdaLayerArn',
                'filePath',
              ],
              p,
            );
            for (const [k, sub] of Object.entries(f)) {
              if (k === 'epoch') checkNumberFilter(sub, `${p}.epoch`);
              else checkStringFilter(sub, `${p}.${k}`);
            }
            break;
        }
      });
      out[key] = list;
    }
    req.filterCriteria = out;
  }
  if (body.sortCriteria !== undefined && body.sortCriteria !== null) {
    const sc = body.sortCriteria;
    if (!isObj(sc)) throw serialization("Expected an object at 'sortCriteria'");
    onlyKeys(sc, ['field', 'sortOrder'], 'sortCriteria');
    if (sc.field === undefined) throw constraint('sortCriteria.field', 'null', 'Member must not be null');
    expectType(sc.field, 'string', 'sortCriteria.field');
    if (!(SORT_FIELDS as readonly string[]).includes(sc.field as string)) {
      throw constraint(
        'sortCriteria.field',
        sc.field,
        `Member must satisfy enum value set: [${SORT_FIELDS.join(', ')}]`,
      );
    }
    if (sc.sortOrder === undefined)
      throw constraint('sortCriteria.sortOrder', 'null', 'Member must not be null');
    expectType(sc.sortOrder, 'string', 'sortCriteria.sortOrder');
    if (sc.sortOrder !== 'ASC' && sc.sortOrder !== 'DESC')
      throw constraint(
        'sortCriteria.sortOrder',
        sc.sortOrder,
        'Member must satisfy enum value set: [ASC, DESC]',
      );
    req.sortCriteria = { field: sc.field as string, sortOrder: sc.sortOrder };
  }
  return req;
}

// ---------------------------------------------------------------------------------------------
// Filter evaluation

function matchString(filters: StringFilter[], values: string[]): boolean {
  let positive = false;
  let hit = false;
  for (const f of filters) {
    if (f.comparison === 'NOT_EQUALS') {
      if (values.includes(f.value)) return false;
    } else {
      positive = true;
      if (!hit) hit = values.some((v) => (f.comparison === 'EQUALS' ? v === f.value : v.startsWith(f.value)));
    }
  }
  return !positive || hit;
}

function inRange(ms: number, f: DateFilter): boolean {
  return (
    (f.startInclusive === undefined || ms >= Math.round(f.startInclusive * 1000)) &&
    (f.endInclusive === undefined || ms <= Math.round(f.endInclusive * 1000))
  );
}

function matchDates(filters: DateFilter[], values: number[]): boolean {
  return values.some((ms) => filters.some((f) => inRange(ms, f)));
}

function matchNumbers(filters: NumberFilter[], values: number[]): boolean {
  return values.some((x) =>
    filters.some(
      (f) =>
        (f.lowerInclusive === undefined || x >= f.lowerInclusive) &&
        (f.upperInclusive === undefined || x <= f.upperInclusive),
    ),
  );
}

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const str = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
const num = (v: unknown): number[] => (typeof v === 'number' ? [v] : []);
const secToMs = (v: unknown): number[] => (typeof v === 'number' ? [Math.round(v * 1000)] : []);
const resources = (d: Doc): Doc[] => (Array.isArray(d.resources) ? d.resources : []);
const details = (d: Doc, k: string): Doc[] =>
  resources(d)
    .map((r) => r?.details?.[k])
    .filter((x) => x && typeof x === 'object');

/** Values of deep fields, read from the built document. */
const DEEP: Record<string, (d: Doc) => unknown[]> = {
  title: (d) => str(d.title),
  inspectorScore: (d) => num(d.inspectorScore),
  resourceId: (d) => resources(d).flatMap((r) => str(r?.id)),
  ec2InstanceImageId: (d) => details(d, 'awsEc2Instance').flatMap((x) => str(x.imageId)),
  ec2InstanceVpcId: (d) => details(d, 'awsEc2Instance').flatMap((x) => str(x.vpcId)),
  ec2InstanceSubnetId: (d) => details(d, 'awsEc2Instance').flatMap((x) => str(x.subnetId)),
  ecrImagePushedAt: (d) => details(d, 'awsEcrContainerImage').flatMap((x) => secToMs(x.pushedAt)),
  ecrImageArchitecture: (d) => details(d, 'awsEcrContainerImage').flatMap((x) => str(x.architecture)),
  ecrImageRegistry: (d) => details(d, 'awsEcrContainerImage').flatMap((x) => str(x.registry)),
  ecrImageRepositoryName: (d) => details(d, 'awsEcrContainerImage').flatMap((x) => str(x.repositoryName)),
  ecrImageTags: (d) => details(d, 'awsEcrContainerImage').flatMap((x) => str(x.imageTags)),
  ecrImageHash: (d) => details(d, 'awsEcrContainerImage').flatMap((x) => str(x.imageHash)),
  ecrImageLastInUseAt: (d) => details(d, 'awsEcrContainerImage').flatMap((x) => secToMs(x.lastInUseAt)),
  ecrImageInUseCount: (d) => details(d, 'awsEcrContainerImage').flatMap((x) => num(x.inUseCount)),
  networkProtocol: (d) => str(d.networkReachabilityDetails?.protocol),
  componentId: (d) =>
    (d.networkReachabilityDetails?.networkPath?.steps ?? []).flatMap((s: Doc) => str(s?.componentId)),
  componentType: (d) =>
    (d.networkReachabilityDetails?.networkPath?.steps ?? []).flatMap((s: Doc) => str(s?.componentType)),
  vulnerabilitySource: (d) => str(d.packageVulnerabilityDetails?.source),
  vendorSeverity: (d) => str(d.packageVulnerabilityDetails?.vendorSeverity),
  relatedVulnerabilities: (d) => str(d.packageVulnerabilityDetails?.relatedVulnerabilities),
  fixAvailable: (d) => str(d.fixAvailable),
  exploitAvailable: (d) => str(d.exploitAvailable),
  lambdaFunctionName: (d) => details(d, 'awsLambdaFunction').flatMap((x) => str(x.functionName)),
  lambdaFunctionLayers: (d) => details(d, 'awsLambdaFunction').flatMap((x) => str(x.layers)),
  lambdaFunctionRuntime: (d) => details(d, 'awsLambdaFunction').flatMap((x) => str(x.runtime)),
  lambdaFunctionLastModifiedAt: (d) =>
    details(d, 'awsLambdaFunction').flatMap((x) => secToMs(x.lastModifiedAt)),
  lambdaFunctionExecutionRoleArn: (d) =>
    details(d, 'awsLambdaFunction').flatMap((x) => str(x.executionRoleArn)),
  codeVulnerabilityDetectorName: (d) => str(d.codeVulnerabilityDetails?.detectorName),
  codeVulnerabilityDetectorTags: (d) => str(d.codeVulnerabilityDetails?.detectorTags),
  codeVulnerabilityFilePath: (d) => str(d.codeVulnerabilityDetails?.filePath?.filePath),
  epssScore: (d) => num(d.epss?.score),
  codeRepositoryProjectName: (d) => details(d, 'codeRepository').flatMap((x) => str(x.projectName)),
  codeRepositoryProviderType: (d) => details(d, 'codeRepository').flatMap((x) => str(x.providerType)),
  // The cloud-neutral members (Resource.provider*, details.vm | image | serverlessFunction). The
  // model documents them only as "filter criteria for the cloud provider region" and the like:
  // each reads the member of that name, and the AWS-specific details are not consulted.
  cloudProvider: (d) => resources(d).flatMap((r) => str(r?.provider)),
  cloudProviderRegion: (d) => resources(d).flatMap((r) => str(r?.region)),
  cloudProviderAccountId: (d) => resources(d).flatMap((r) => str(r?.providerAccountId)),
  cloudProviderOrgId: (d) => resources(d).flatMap((r) => str(r?.providerOrgId)),
  cloudVmImageReference: (d) => details(d, 'vm').flatMap((x) => str(x.vmImageReference)),
  cloudVmNetworkId: (d) => details(d, 'vm').flatMap((x) => str(x.networkId)),
  cloudVmSubnetIds: (d) => details(d, 'vm').flatMap((x) => str(x.subnetIds)),
  cloudImageRepositoryName: (d) => details(d, 'image').flatMap((x) => str(x.repositoryName)),
  cloudImageRegistry: (d) => details(d, 'image').flatMap((x) => str(x.registry)),
  cloudImageDigest: (d) => details(d, 'image').flatMap((x) => str(x.imageDigest)),
  cloudImageTags: (d) => details(d, 'image').flatMap((x) => str(x.imageTags)),
  cloudImagePushedAt: (d) => details(d, 'image').flatMap((x) => secToMs(x.pushedAt)),
  cloudImageArchitecture: (d) => details(d, 'image').flatMap((x) => str(x.architecture)),
  cloudImageLastInUseAt: (d) => details(d, 'image').flatMap((x) => secToMs(x.lastInUseAt)),
  cloudImageInUseCount: (d) => details(d, 'image').flatMap((x) => num(x.inUseCount)),
  cloudServerlessFunctionName: (d) =>
    details(d, 'serverlessFunction').flatMap((x) => str(x.serverlessFunctionName)),
  cloudServerlessFunctionRuntime: (d) => details(d, 'serverlessFunction').flatMap((x) => str(x.runtime)),
  cloudServerlessFunctionLastModifiedAt: (d) =>
    details(d, 'serverlessFunction').flatMap((x) => secToMs(x.lastModifiedAt)),
  cloudServerlessFunctionExecutionRole: (d) =>
    details(d, 'serverlessFunction').flatMap((x) => str(x.executionRole)),
};

type Pred = (i: number, doc: () => Doc) => boolean;

/** A column filter: evaluate the filter once per distinct value, then test codes. */
function columnPred(col: Uint8Array | Uint16Array, names: Interner, filters: StringFilter[]): Pred {
  const allowed = names.values.map((v) => matchString(filters, [v]));
  return (i) => allowed[col[i]!] === true;
}

function packageMatches(pkgs: Doc[], filters: PackageFilter[]): boolean {
  const field: Record<string, string> = { architecture: 'arch' };
  return filters.some((f) =>
    pkgs.some((p) =>
      Object.entries(f).every(([k, sub]) =>
        k === 'epoch'
          ? matchNumbers([sub as NumberFilter], num(p.epoch))
          : matchString([sub as StringFilter], str(p[field[k] ?? k])),
      ),
    ),
  );
}

export interface Scope {
  region: string;
  /** Accounts whose findings the caller sees; null = all (a delegated administrator). */
  accounts: string[] | null;
}

function compile(store: FindingStore, fc: Record<string, unknown[]>, scope: Scope): Pred[] {
  const preds: Pred[] = [];
  const regionCode = store.regions.lookup(scope.region);
  const gone = store.gone;
  // A deleted finding is in no listing (store.ts `expire`).
  preds.push((i) => store.region[i] === regionCode && gone[i] === 0);
  if (scope.accounts) {
    const allowed = store.accounts.values.map((a) => scope.accounts!.includes(a));
    preds.push((i) => allowed[store.acct[i]!] === true);
  }
  for (const [key, list] of Object.entries(fc)) {
    switch (key) {
      case 'updatedAt':
      case 'lastObservedAt':
      case 'firstObservedAt': {
        const col = key === 'updatedAt' ? store.upd : key === 'lastObservedAt' ? store.last : store.first;
        const fs = list as DateFilter[];
        // A finding without updatedAt has no value to match (its upd is lastObservedAt).
        if (key === 'updatedAt')
          preds.push((i) => store.noUpd[i] === 0 && fs.some((f) => inRange(col[i]!, f)));
        else preds.push((i) => fs.some((f) => inRange(col[i]!, f)));
        break;
      }
      case 'findingStatus':
        preds.push(columnPred(store.status, store.statuses, list as StringFilter[]));
        break;
      case 'severity':
        preds.push(columnPred(store.sev, store.severities, list as StringFilter[]));
        break;
      case 'findingType':
        preds.push(columnPred(store.type, store.types, list as StringFilter[]));
        break;
      case 'resourceType':
        preds.push(columnPred(store.rtype, store.rtypes, list as StringFilter[]));
        break;
      case 'awsAccountId':
        preds.push(columnPred(store.acct, store.accounts, list as StringFilter[]));
        break;
      case 'findingArn':
        preds.push((i) => matchString(list as StringFilter[], [store.arnOf(i)]));
        break;
      case 'vulnerabilityId':
        preds.push((i) => matchString(list as StringFilter[], [store.vulnerabilityIdOf(i)]));
        break;
      case 'resourceTags': {
        const fs = list as MapFilter[];
        preds.push((_i, doc) =>
          resources(doc()).some((r) =>
            fs.some(
              (f) =>
                r?.tags &&
                Object.hasOwn(r.tags, f.key) &&
                (f.value === undefined || r.tags[f.key] === f.value),
            ),
          ),
        );
        break;
      }
      case 'portRange': {
        const fs = list as PortFilter[];
        preds.push((_i, doc) => {
          const r = doc().networkReachabilityDetails?.openPortRange;
          if (!r) return false;
          return fs.some(
            (f) =>
              (f.beginInclusive === undefined || r.begin >= f.beginInclusive) &&
              (f.endInclusive === undefined || r.end <= f.endInclusive),
          );
        });
        break;
      }
      case 'vulnerablePackages': {
        const fs = list as PackageFilter[];
        preds.push((_i, doc) =>
          packageMatches(doc().packageVulnerabilityDetails?.vulnerablePackages ?? [], fs),
        );
        break;
      }
      default: {
        const get = DEEP[key]!;
        const kind = FILTER_KEYS[key];
        if (kind === 'date')
          preds.push((_i, doc) => matchDates(list as DateFilter[], get(doc()) as number[]));
        else if (kind === 'number')
          preds.push((_i, doc) => matchNumbers(list as NumberFilter[], get(doc()) as number[]));
        else preds.push((_i, doc) => matchString(list as StringFilter[], get(doc()) as string[]));
      }
    }
  }
  return preds;
}

// ---------------------------------------------------------------------------------------------
// Sorting

type Key = number | string | null;

const SEVERITY_RANK: Record<string, number> = {
  UNTRIAGED: 0,
  INFORMATIONAL: 1,
  LOW: 2,
  MEDIUM: 3,
  HIGH: 4,
  CRITICAL: 5,
};

function sortKey(store: FindingStore, field: string | undefined): (i: number) => Key {
  const first = <T>(a: T[]): T | null => (a.length ? (a[0] as T) : null);
  const deep = (f: (d: Doc) => Key) => (i: number) => f(store.build(i));
  switch (field) {
    case undefined:
      return (i) => store.upd[i]!;
    case 'AWS_ACCOUNT_ID':
      return (i) => store.accounts.value(store.acct[i]!);
    case 'FINDING_TYPE':
      return (i) => store.types.value(store.type[i]!);
    case 'SEVERITY':
      return (i) => SEVERITY_RANK[store.severities.value(store.sev[i]!)] ?? -1;
    case 'FIRST_OBSERVED_AT':
      return (i) => store.first[i]!;
    case 'LAST_OBSERVED_AT':
      return (i) => store.last[i]!;
    case 'FINDING_STATUS':
      return (i) => store.statuses.value(store.status[i]!);
    case 'RESOURCE_TYPE':
      return (i) => store.rtypes.value(store.rtype[i]!);
    case 'VULNERABILITY_ID':
      return (i) => store.vulnerabilityIdOf(i) || null;
    case 'ECR_IMAGE_PUSHED_AT':
      return deep((d) => first(DEEP.ecrImagePushedAt!(d) as number[]));
    case 'ECR_IMAGE_REPOSITORY_NAME':
      return deep((d) => first(DEEP.ecrImageRepositoryName!(d) as string[]));
    case 'ECR_IMAGE_REGISTRY':
      return deep((d) => first(DEEP.ecrImageRegistry!(d) as string[]));
    case 'NETWORK_PROTOCOL':
      return deep((d) => first(DEEP.networkProtocol!(d) as string[]));
    case 'COMPONENT_TYPE':
      return deep((d) => first(DEEP.componentType!(d) as string[]));
    case 'VULNERABILITY_SOURCE':
      return deep((d) => first(DEEP.vulnerabilitySource!(d) as string[]));
    case 'VENDOR_SEVERITY':
      return deep((d) => first(DEEP.vendorSeverity!(d) as string[]));
    case 'INSPECTOR_SCORE':
      return deep((d) => first(DEEP.inspectorScore!(d) as number[]));
    case 'EPSS_SCORE':
      return deep((d) => first(DEEP.epssScore!(d) as number[]));
    default:
      throw validation(`Unsupported sort field ${field}`, 'FIELD_VALIDATION_FAILED', 'sortCriteria.field');
  }
}

function cmpKey(a: Key, b: Key): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

// ---------------------------------------------------------------------------------------------
// Pages

interface Result {
  indices: Uint32Array;
  keys: Key[];
}

export interface PageOptions {
  now: number;
  /** Tokens older than this are rejected (a fault); undefined = never. */
  tokenTtlMs?: number;
  /**
   * Uneven pages as AWS serves them, drawn from this seed (README "Paging"); undefined = clean
   * pages (every page holds maxResults findings while more remain, the last one has no token).
   */
  unevenSeed?: number;
}

/**
 * How a page came out: `full` (maxResults, or the rest), `short` (fewer than maxResults while
 * more remain, a token), `empty` (no findings, a token), `trailing` (the last findings, yet a
 * token: the next page is empty).
 */
export type PageShape = 'full' | 'short' | 'empty' | 'trailing';

export interface Page {
  indices: number[];
  nextToken?: string;
  shape: PageShape;
  /** A fresh token for this request's own position (the emptyPage fault answers with it). */
  emptyToken: string;
}

/** Uneven paging: chances per page. An empty page at most twice in a row (then a real page). */
const P_EMPTY = 0.15;
const P_SHORT = 0.35;
const P_TRAILING = 0.3;
const MAX_EMPTY_RUN = 2;

/**
 * The uneven shape of page `n` of a listing whose cursor sits after finding `i`: a pure function
 * of (seed, n, i, maxResults), so the same seed pages the same data the same way.
 */
function unevenDraw(
  seed: number,
  n: number,
  i: number,
  max: number,
  emptyRun: number,
): { empty: boolean; limit: number; trailing: boolean } {
  const r = Rng.of(mix32(seed ^ Math.imul(n + 1, 0x9e3779b1)) ^ max, i + 1, 0x9a6e);
  const u = r.next();
  const size = r.next();
  const trailing = r.next() < P_TRAILING;
  if (emptyRun < MAX_EMPTY_RUN && u < P_EMPTY) return { empty: true, limit: 0, trailing };
  if (max > 1 && u < P_EMPTY + P_SHORT)
    return { empty: false, limit: 1 + Math.floor(size * (max - 1)), trailing };
  return { empty: false, limit: max, trailing };
}

/**
 * A position in the query's order, not a snapshot: (sort key, finding index) of the last finding
 * served. It stays valid whatever changes between pages (README "Paging" states the guarantee).
 */
interface Cursor {
  h: string;
  k: Key;
  i: number;
  /** Issued at (emulator ms). */
  t: number;
  /** Set on a token that points before the first result. */
  s?: 1;
  /** Pages of this listing served before the one this token asks for (absent = 0). */
  n?: number;
  /** Empty pages served in a row just before (absent = 0). */
  e?: number;
}

/** Runs ListFindings queries over a store; caches each query's sorted result until data changes. */
export class QueryEngine {
  private readonly secret = randomBytes(32);
  private readonly cache = new Map<string, Result>();

  constructor(private readonly store: FindingStore) {}

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url').slice(0, 32);
  }

  private encode(c: Cursor): string {
    const p = Buffer.from(JSON.stringify(c)).toString('base64url');
    return `${p}.${this.sign(p)}`;
  }

  private decode(token: string): Cursor {
    // Built only on failure: an Error captures a stack, too costly for every page.
    const bad = () =>
      validation(
        'Invalid nextToken: the token is malformed or was not issued for this query',
        'OTHER',
        'nextToken',
      );
    const [p, mac] = token.split('.');
    if (!p || !mac) throw bad();
    const want = Buffer.from(this.sign(p));
    const got = Buffer.from(mac);
    if (want.length !== got.length || !timingSafeEqual(want, got)) throw bad();
    try {
      return JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Cursor;
    } catch {
      throw bad();
    }
  }

  /** The whole sorted result of an explicitly sorted query, cached until the data changes. */
  private result(
    req: ListFindingsRequest & { sortCriteria: { field: string; sortOrder: string } },
    scope: Scope,
    hash: string,
  ): Result {
    const key = `${hash}|${this.store.dataVersion}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const store = this.store;
    const preds = compile(store, req.filterCriteria ?? {}, scope);
    const out = new Uint32Array(store.n);
    let w = 0;
    // One accessor for the whole scan (not a closure per finding): builds the document lazily.
    let cur = 0;
    let doc: Doc | undefined;
    const get = (): Doc => (doc ??= store.build(cur));
    for (let i = 0; i < store.n; i++) {
      cur = i;
      doc = undefined;
      let ok = true;
      for (const pred of preds) {
        if (!pred(i, get)) {
          ok = false;
          break;
        }
      }
      if (ok) out[w++] = i;
    }
    const kf = sortKey(store, req.sortCriteria.field);
    const dir = req.sortCriteria.sortOrder === 'DESC' ? -1 : 1;
    const ks: Key[] = new Array<Key>(store.n);
    for (let p = 0; p < w; p++) ks[out[p]!] = kf(out[p]!);
    const indices = out.slice(0, w).sort((a, b) => dir * (cmpKey(ks[a]!, ks[b]!) || a - b));
    const res: Result = { indices, keys: Array.from(indices, (i) => ks[i]!) };
    this.cache.set(key, res);
    while (this.cache.size > 8) this.cache.delete(this.cache.keys().next().value as string);
    return res;
  }

  /**
   * The default order: walk the (updatedAt, index) order from just after the cursor, collecting
   * up to `max` matches; `last` is set when one more match exists (then a nextToken is due).
   */
  private scanDefault(
    req: ListFindingsRequest,
    scope: Scope,
    cursor: Cursor | undefined,
    max: number,
  ): { indices: number[]; last?: number } {
    const store = this.store;
    const order = store.byUpdatedAt();
    const upd = store.upd;
    const fc = req.filterCriteria ?? {};
    const preds = compile(store, fc, scope);
    const bounds = updatedAtBounds(order, upd, fc.updatedAt as DateFilter[] | undefined);
    let lo = bounds[0];
    const hi = bounds[1];
    if (cursor && !cursor.s && typeof cursor.k === 'number') {
      const k = cursor.k;
      const ci = cursor.i;
      // First position whose (updatedAt, index) is after the cursor's.
      let a = lo;
      let b = hi;
      while (a < b) {
        const mid = (a + b) >>> 1;
        const i = order[mid]!;
        if (upd[i]! < k || (upd[i] === k && i <= ci)) a = mid + 1;
        else b = mid;
      }
      lo = a;
    }
    const indices: number[] = [];
    let cur = 0;
    let doc: Doc | undefined;
    const get = (): Doc => (doc ??= store.build(cur));
    for (let p = lo; p < hi; p++) {
      const i = order[p]!;
      cur = i;
      doc = undefined;
      let ok = true;
      for (const pred of preds) {
        if (!pred(i, get)) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      if (indices.length === max) return { indices, last: indices[indices.length - 1]! };
      indices.push(i);
    }
    return { indices };
  }

  /** One page of a query; throws AwsError on a bad or foreign token. */
  page(req: ListFindingsRequest, scope: Scope, opts: PageOptions): Page {
    const hash = createHash('sha256')
      .update(
        JSON.stringify([req.filterCriteria ?? null, req.sortCriteria ?? null, scope.region, scope.accounts]),
      )
      .digest('base64url')
      .slice(0, 22);
    let cursor: Cursor | undefined;
    if (req.nextToken) {
      cursor = this.decode(req.nextToken);
      if (cursor.h !== hash) {
        throw validation(
          'Invalid nextToken: Input Query has changed since the token was issued',
          'OTHER',
          'nextToken',
        );
      }
      if (opts.tokenTtlMs !== undefined && opts.now - cursor.t > opts.tokenTtlMs) {
        throw validation('Invalid nextToken: the pagination token has expired', 'OTHER', 'nextToken');
      }
    }
    const max = req.maxResults ?? 100;
    const t = opts.now;
    const n = cursor?.n ?? 0;
    const emptyRun = cursor?.e ?? 0;
    // The request's own position, and tokens that continue from a position. Every token is
    // fresh (n counts up): botocore's paginator fails on a token it has seen before.
    const here: Pick<Cursor, 'k' | 'i' | 's'> =
      cursor && !cursor.s ? { k: cursor.k, i: cursor.i } : { k: null, i: -1, s: 1 };
    const emptyToken = this.encode({ h: hash, ...here, t, n: n + 1, e: emptyRun + 1 });
    const after = (k: Key, i: number) => this.encode({ h: hash, k, i, t, n: n + 1 });
    const draw =
      opts.unevenSeed === undefined
        ? { empty: false, limit: max, trailing: false }
        : unevenDraw(opts.unevenSeed, n, here.i, max, emptyRun);
    if (draw.empty) return { indices: [], nextToken: emptyToken, shape: 'empty', emptyToken };
    /** The page of `indices`; `more` when findings remain; `lastAt`: the last one's position. */
    const finish = (indices: number[], more: boolean, lastAt: () => [Key, number]): Page => {
      if (more) {
        const shape: PageShape = draw.limit < max ? 'short' : 'full';
        return { indices, nextToken: after(...lastAt()), shape, emptyToken };
      }
      if (draw.trailing && indices.length > 0)
        return { indices, nextToken: after(...lastAt()), shape: 'trailing', emptyToken };
      return { indices, shape: 'full', emptyToken };
    };
    if (!req.sortCriteria) {
      // The default order streams from the (updatedAt, index) order: no per-query state, so any
      // number of concurrent collectors page in O(log n + page) each.
      const { indices, last } = this.scanDefault(req, scope, cursor, draw.limit);
      const l = indices[indices.length - 1]!;
      return finish(indices, last !== undefined, () => [this.store.upd[l]!, l]);
    }
    const res = this.result({ ...req, sortCriteria: req.sortCriteria }, scope, hash);
    const dir = req.sortCriteria?.sortOrder === 'DESC' ? -1 : 1;
    const at = (p: number): [Key, number] => [res.keys[p] as Key, res.indices[p]!];
    // First position after the cursor, comparing by (key, index) in the query's direction.
    let start = 0;
    if (cursor && !cursor.s) {
      let a = 0;
      let b = res.indices.length;
      while (a < b) {
        const mid = (a + b) >>> 1;
        const [k, i] = at(mid);
        const c = dir * (cmpKey(k, cursor.k) || i - cursor.i);
        if (c <= 0) a = mid + 1;
        else b = mid;
      }
      start = a;
    }
    const end = Math.min(res.indices.length, start + draw.limit);
    const indices = Array.from(res.indices.subarray(start, end));
    return finish(indices, end < res.indices.length, () => at(end - 1));
  }
}

/** The slice of the (updatedAt, index) order that an updatedAt filter can match. */
function updatedAtBounds(
  order: Uint32Array,
  upd: Float64Array,
  fs: DateFilter[] | undefined,
): [number, number] {
  if (!fs) return [0, order.length];
  const from = Math.min(
    ...fs.map((f) => (f.startInclusive === undefined ? -Infinity : Math.round(f.startInclusive * 1000))),
  );
  const to = Math.max(
    ...fs.map((f) => (f.endInclusive === undefined ? Infinity : Math.round(f.endInclusive * 1000))),
  );
  return [lowerBound(order, upd, from), lowerBound(order, upd, to + 0.5)];
}

function lowerBound(order: Uint32Array, col: Float64Array, value: number): number {
  let a = 0;
  let b = order.length;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (col[order[mid]!]! < value) a = mid + 1;
    else b = mid;
  }
  return a;
}
