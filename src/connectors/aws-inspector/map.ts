/**
 * Inspector2 finding -> Interflow record, pure. One record per finding version.
 * docs/records.md documents every field this produces; keep the two in step.
 */
import { createHash } from 'node:crypto';
import { CodedError } from '../../core/errors.js';
import { tenantRecordId, type InterflowRecord } from '../../core/record.js';
import type { FindingState, MapContext } from '../types.js';
import { severityScore } from './severity.js';

export const MSG_CLASS = 'aws_inspector_finding';
export const LOG_SOURCE = 'aws_inspector';

/** Timestamp members of the Inspector2 service model (botocore 2020-06-08, walked from Finding). */
export const KNOWN_TIMESTAMP_KEYS: ReadonlySet<string> = new Set([
  'updatedAt',
  'firstObservedAt',
  'lastObservedAt',
  'vendorCreatedAt',
  'vendorUpdatedAt',
  'lastKnownExploitAt',
  'pushedAt',
  'lastInUseAt',
  'lastModifiedAt',
  'launchedAt',
]);

/**
 * Members holding user data (resource tags): copied verbatim, never converted, so a tag named
 * `deployedAt` keeps the user's own string.
 */
const OPAQUE_KEYS: ReadonlySet<string> = new Set(['tags']);

/** Seconds below this are epoch seconds (year 5138); larger numbers are taken as ms already. */
const MAX_EPOCH_SECONDS = 1e11;

/** ISO-8601 as the AWS CLI prints it (`T` or space, optional fraction, Z or offset). */
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

const CVE_ID = /^CVE-\d{4}-\d{4,}$/i;

/**
 * Whether a member name denotes a timestamp: a model member, or any camelCase name ending
 * in `At` (`createdAt`, members AWS adds later). Char codes instead of a regex: runs per key.
 */
export function isTimestampKey(key: string): boolean {
  if (KNOWN_TIMESTAMP_KEYS.has(key)) return true;
  const n = key.length;
  if (n < 3 || key.charCodeAt(n - 1) !== 116 /* t */ || key.charCodeAt(n - 2) !== 65 /* A */) return false;
  const c = key.charCodeAt(n - 3);
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
}

/**
 * Epoch ms for a wire timestamp (epoch seconds, fractional), an ISO-8601 string, or a number
 * that already is ms; undefined when the value does not look like a timestamp.
 */
export function toEpochMs(v: unknown): number | undefined {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return undefined;
    return Math.abs(v) < MAX_EPOCH_SECONDS ? Math.round(v * 1000) : Math.round(v);
  }
  if (typeof v === 'string') {
    const m = ISO_TIMESTAMP.exec(v);
    if (!m) return undefined;
    // Without an offset, a date-time would be read in the machine's zone: AWS means UTC.
    const hasTime = v.length > 10;
    const ms = Date.parse(hasTime && m[1] === undefined ? v + 'Z' : v);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

function setOwn(out: Record<string, unknown>, k: string, v: unknown): void {
  // JSON.parse makes "__proto__" an own member; plain assignment would set the prototype.
  if (k === '__proto__')
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  else out[k] = v;
}

/** Deep copy, verbatim (tags). */
function copyPlain(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copyPlain(v[i]);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) setOwn(out, k, copyPlain((v as Record<string, unknown>)[k]));
  return out;
}

/** The one deep copy of the finding, converting timestamps to epoch ms on the way. */
function copyFinding(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copyFinding(v[i]);
    return out;
  }
  const src = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(src)) {
    const val = src[k];
    if (val !== null && typeof val === 'object') {
      setOwn(out, k, OPAQUE_KEYS.has(k) ? copyPlain(val) : copyFinding(val));
    } else if ((typeof val === 'number' || typeof val === 'string') && isTimestampKey(k)) {
      setOwn(out, k, toEpochMs(val) ?? val);
    } else {
      setOwn(out, k, val);
    }
  }
  return out;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
const arr = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function pushUnique(list: string[], v: unknown): void {
  const s = str(v);
  if (s !== undefined && !list.includes(s)) list.push(s);
}

/** RFC 1918, CGNAT, loopback, link-local; IPv6 ULA, link-local, loopback. */
export function isPrivateIp(ip: string): boolean {
  if (ip.includes(':')) {
    const l = ip.toLowerCase();
    return l === '::1' || l.startsWith('fc') || l.startsWith('fd') || /^fe[89ab]/.test(l);
  }
  const p = ip.split('.');
  const a = Number(p[0]);
  const b = Number(p[1]);
  return (
    a === 10 ||
    a === 127 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254) ||
    (a === 100 && b >= 64 && b <= 127)
  );
}

/** Key order for the fallback id: the same JSON with members reordered is the same finding. */
function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return '[' + v.map(stableStringify).join(',') + ']';
  const o = v as Obj;
  return (
    '{' +
    Object.keys(o)
      .sort()
      .map((k) => JSON.stringify(k) + ':' + stableStringify(o[k]))
      .join(',') +
    '}'
  );
}

const sha256Hex32 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 32);

/** The finding ARN's region (`arn:aws:inspector2:<region>:<account>:finding/<id>`). */
export function arnRegion(arn: string | undefined): string | undefined {
  if (arn === undefined) return undefined;
  const parts = arn.split(':', 5);
  return parts.length === 5 && parts[0] === 'arn' ? str(parts[3]) : undefined;
}

/**
 * Maps one finding, exactly as it came in the response body, to one record. Never throws for
 * an object, whatever it holds (unknown types and enums, missing members); throws
 * ERR_BAD_RESPONSE only for a non-object.
 */
export function mapFinding(raw: unknown, ctx: MapContext): InterflowRecord {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    const got = raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw;
    throw new CodedError('ERR_BAD_RESPONSE', `finding must be a JSON object, got ${got}`);
  }
  const f = copyFinding(raw) as Obj;

  const findingArn = str(f.findingArn);
  const updatedAt = num(f.updatedAt);
  const lastObservedAt = num(f.lastObservedAt);
  const version = updatedAt ?? lastObservedAt;
  // The finding version's tenant-free key; the record's _id scopes it to the tenant.
  let versionKey: string;
  if (findingArn !== undefined && version !== undefined) versionKey = sha256Hex32(findingArn + '|' + version);
  // No version: the content itself tells versions apart. No ARN: the whole JSON is the identity.
  else if (findingArn !== undefined) versionKey = sha256Hex32(findingArn + '|content|' + stableStringify(f));
  else versionKey = sha256Hex32('content|' + stableStringify(f));
  const id = tenantRecordId(ctx.tenantId, versionKey);

  const timestamp = version ?? num(f.firstObservedAt) ?? ctx.writeTime;
  const type = str(f.type);
  const status = str(f.status);
  const severityLabel = str(f.severity);

  // Resources: scalars from the first (Inspector findings practically always have one),
  // lists gathered from all of them.
  const resources = arr(f.resources);
  const first = obj(resources[0]);
  const resourceType = str(first?.type);
  const resourceId = str(first?.id);
  const ip: string[] = [];
  const imageTags: string[] = [];
  let imageRepository: string | undefined;
  let imageHash: string | undefined;
  let functionName: string | undefined;
  let firstNaturalName: string | undefined;
  for (let i = 0; i < resources.length; i++) {
    const details = obj(obj(resources[i])?.details);
    if (details === undefined) continue;
    // AWS's own details, then the cloud-neutral ones (other clouds' resources): one flat field
    // per concept whichever member carries it.
    const ec2 = obj(details.awsEc2Instance);
    const vm = obj(details.vm);
    for (const host of [ec2, vm]) {
      if (host === undefined) continue;
      for (const a of arr(host.ipV4Addresses)) pushUnique(ip, a);
      for (const a of arr(host.ipV6Addresses)) pushUnique(ip, a);
    }
    const ecr = obj(details.awsEcrContainerImage);
    const image = obj(details.image);
    for (const img of [ecr, image]) {
      if (img === undefined) continue;
      imageRepository ??= str(img.repositoryName);
      imageHash ??= str(img.imageHash) ?? str(img.imageDigest);
      for (const t of arr(img.imageTags)) pushUnique(imageTags, t);
    }
    const lambda = obj(details.awsLambdaFunction);
    const serverless = obj(details.serverlessFunction);
    functionName ??= str(lambda?.functionName) ?? str(serverless?.serverlessFunctionName);
    if (i === 0) {
      firstNaturalName =
        str(lambda?.functionName) ??
        str(serverless?.serverlessFunctionName) ??
        str(vm?.vmName) ??
        str(ecr?.repositoryName) ??
        str(image?.repositoryName) ??
        str(obj(details.codeRepository)?.projectName);
    }
  }
  const resourceName = str(obj(first?.tags)?.Name) ?? firstNaturalName;

  const pvd = obj(f.packageVulnerabilityDetails);
  const vulnerabilityId = str(pvd?.vulnerabilityId);
  const cve: string[] = [];
  if (vulnerabilityId !== undefined && CVE_ID.test(vulnerabilityId)) cve.push(vulnerabilityId.toUpperCase());
  for (const r of arr(pvd?.relatedVulnerabilities)) {
    if (typeof r === 'string' && CVE_ID.test(r)) pushUnique(cve, r.toUpperCase());
  }
  const packageName: string[] = [];
  const packageVersion: string[] = [];
  const packageFixedVersion: string[] = [];
  for (const p of arr(pvd?.vulnerablePackages)) {
    const pkg = obj(p);
    if (pkg === undefined) continue;
    pushUnique(packageName, pkg.name);
    pushUnique(packageVersion, pkg.version);
    // AWS writes "NotAvailable" when there is no fix: not a version, so not a search value.
    if (typeof pkg.fixedInVersion !== 'string' || pkg.fixedInVersion.toLowerCase() !== 'notavailable') {
      pushUnique(packageFixedVersion, pkg.fixedInVersion);
    }
  }

  const cvd = obj(f.codeVulnerabilityDetails);
  const cwe: string[] = [];
  for (const c of arr(cvd?.cwes)) pushUnique(cwe, c);

  const nrd = obj(f.networkReachabilityDetails);
  const portRange = obj(nrd?.openPortRange);
  const begin = num(portRange?.begin);
  const end = num(portRange?.end);
  const portRangeText =
    begin === undefined ? undefined : end === undefined || end === begin ? String(begin) : `${begin}-${end}`;
  const protocol = str(nrd?.protocol);

  const title = str(f.title);
  let eventName: string;
  if (title !== undefined) eventName = title;
  else {
    const on = resourceId ?? resourceName ?? 'an unknown resource';
    if (vulnerabilityId !== undefined) {
      eventName =
        packageName.length > 0
          ? `${vulnerabilityId} in ${packageName.join(', ')}`
          : `${vulnerabilityId} on ${on}`;
    } else if (portRangeText !== undefined) {
      eventName = `Port ${portRangeText}${protocol === undefined ? '' : '/' + protocol} reachable on ${on}`;
    } else if (cvd !== undefined) {
      const what = str(cvd.detectorName) ?? str(cvd.ruleId) ?? cwe.join(', ');
      const where = str(obj(cvd.filePath)?.filePath) ?? str(obj(cvd.filePath)?.fileName) ?? on;
      eventName = `${what || 'Code vulnerability'} in ${where}`;
    } else {
      eventName = `${type ?? 'Amazon Inspector'} finding on ${on}`;
    }
  }

  const rec: InterflowRecord = {
    _id: id,
    timestamp,
    write_time: ctx.writeTime,
    tenantid: ctx.tenantId,
    tenant_name: ctx.tenantName,
    msg_class: MSG_CLASS,
    msg_origin: {
      source: LOG_SOURCE,
      vendor: 'aws',
      category: 'security_scan',
      processor: { type: 'log_collector', name: ctx.connectorName, id: ctx.connectorId },
    },
    event_name: eventName,
    event_status: status ?? 'UNKNOWN',
    severity: severityScore(f.severity),
  };
  // Normalized search fields: set only when the finding has a value (exists/not_exists work).
  const put = (k: string, v: unknown): void => {
    if (v === undefined || (Array.isArray(v) && v.length === 0)) return;
    rec[k] = v;
  };
  put('severity_label', severityLabel);
  put('finding_arn', findingArn);
  put('finding_type', type);
  put('aws_account_id', str(f.awsAccountId));
  put('aws_region', arnRegion(findingArn) ?? str(first?.region));
  put('resource_type', resourceType);
  put('resource_id', resourceId);
  put('resource_name', resourceName);
  // The cloud the resource lives in (Resource.provider*, named as AWS's cloudProvider* filters).
  put('cloud_provider', str(first?.provider));
  put('cloud_provider_account_id', str(first?.providerAccountId));
  put('cloud_provider_org_id', str(first?.providerOrgId));
  put('vulnerability_id', vulnerabilityId);
  put('cve', cve);
  put('cwe', cwe);
  put('package_name', packageName);
  put('package_version', packageVersion);
  put('package_fixed_version', packageFixedVersion);
  put('inspector_score', num(f.inspectorScore));
  put('epss_score', num(obj(f.epss)?.score));
  put('fix_available', str(f.fixAvailable));
  put('exploit_available', str(f.exploitAvailable));
  put('ip', ip);
  put('private_ip', ip.filter(isPrivateIp));
  put(
    'public_ip',
    ip.filter((a) => !isPrivateIp(a)),
  );
  put('image_repository', imageRepository);
  put('image_hash', imageHash);
  put('image_tags', imageTags);
  put('function_name', functionName);
  put('port_range', portRangeText);
  put('network_protocol', protocol);
  rec.aws_inspector = f;
  return rec;
}

/** EPSS scores are compared by band of this width: a drift inside a band is not material. */
export const EPSS_BAND = 0.1;

/**
 * What a user acts on in a finding version, hashed (`FindingState.fingerprint`, for
 * `recordVersions: material`): status, severity, inspector score, adjusted and vendor CVSS
 * scores, the EPSS score's band (floor(score / EPSS_BAND): 0.12 -> 0.15 is not material,
 * 0.19 -> 0.21 is), fix and exploit availability, the vulnerable packages (name, version,
 * fixedInVersion) and the resources (type, id). Not: updatedAt, lastObservedAt, a drift inside
 * an EPSS band, resource details (tags, lastInUseAt...), remediation text. Lists are sorted, so
 * order does not matter. 16 hex digits (64 bits) of SHA-256: compact in the state table.
 */
export function materialFingerprint(f: Obj): string {
  const sorted = (xs: string[]) => xs.sort().join('\u0001');
  const pvd = obj(f.packageVulnerabilityDetails);
  const epss = num(obj(f.epss)?.score);
  const parts = [
    f.status,
    f.severity,
    num(f.inspectorScore),
    num(obj(obj(f.inspectorScoreDetails)?.adjustedCvss)?.score),
    sorted(
      arr(pvd?.cvss).map((c) => {
        const o = obj(c);
        return `${String(o?.source)}|${String(o?.version)}|${String(o?.baseScore)}`;
      }),
    ),
    epss === undefined ? null : Math.floor(epss / EPSS_BAND + 1e-9),
    f.fixAvailable,
    f.exploitAvailable,
    sorted(
      arr(pvd?.vulnerablePackages).map((p) => {
        const o = obj(p);
        return `${String(o?.name)}|${String(o?.version)}|${String(o?.fixedInVersion)}`;
      }),
    ),
    sorted(
      arr(f.resources).map((r) => {
        const o = obj(r);
        return `${String(o?.type)}|${String(o?.id)}`;
      }),
    ),
  ];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/**
 * A mapped record's current state (the contract's `state`): the finding is the thing a record
 * is a version of, its ARN the state key, its material fingerprint what `recordVersions:
 * material` compares. Undefined for a record without a finding ARN.
 */
export function findingState(record: {
  aws_inspector?: unknown;
  timestamp: number;
}): FindingState | undefined {
  const f = record.aws_inspector as Record<string, unknown> | undefined;
  if (!f || typeof f.findingArn !== 'string') return undefined;
  return {
    key: f.findingArn,
    status: typeof f.status === 'string' ? f.status : null,
    severity: typeof f.severity === 'string' ? f.severity : null,
    updatedAt: record.timestamp,
    fingerprint: materialFingerprint(f),
  };
}

/** The message of a vanished finding's record (docs/records.md "Vanished findings"). */
export const VANISHED_MESSAGE = 'no longer reported by Amazon Inspector';

/**
 * A finding Amazon Inspector deleted (a sweep no longer found it): a copy of its last record,
 * CLOSED at `at`, saying why. Its version key (`arn|vanished|at`) is never a real version's
 * (`arn|<number>`), so it collides with none; the same disappearance gives the same `_id`.
 */
export function vanishedRecord(last: InterflowRecord, at: number, ctx: MapContext): InterflowRecord {
  const f = { ...(last.aws_inspector as Obj | undefined) };
  const arn = typeof f.findingArn === 'string' ? f.findingArn : String(last.finding_arn ?? last._id);
  f.status = 'CLOSED';
  return {
    ...last,
    _id: tenantRecordId(ctx.tenantId, sha256Hex32(arn + '|vanished|' + at)),
    timestamp: at,
    write_time: ctx.writeTime,
    tenantid: ctx.tenantId,
    tenant_name: ctx.tenantName,
    msg_origin: {
      ...last.msg_origin,
      processor: { type: 'log_collector', name: ctx.connectorName, id: ctx.connectorId },
    },
    event_status: 'CLOSED',
    aws_inspector_state: 'vanished',
    message: VANISHED_MESSAGE,
    aws_inspector: f,
  };
}
