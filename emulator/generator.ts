/**
 * The deterministic finding generator: finding i = f(seed, i). `meta()` draws the few columns the
 * store keeps in typed arrays (type, severity, status, times...); `build()` draws everything else
 * (resources, packages, CVSS, EPSS, tags, IPs) on demand from streams seeded by (seed, i), so a
 * million findings cost only their columns. Shared pools (vulnerabilities, resources) make many
 * findings point at the same CVE or instance, as on a real account.
 */
import { inPartition, partitionOf } from './regions.js';
import { Rng, hash3 } from './rng.js';

export const FINDING_TYPES = ['PACKAGE_VULNERABILITY', 'NETWORK_REACHABILITY', 'CODE_VULNERABILITY'] as const;
export const SEVERITIES = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL', 'UNTRIAGED'] as const;
export const STATUSES = ['ACTIVE', 'SUPPRESSED', 'CLOSED'] as const;
/** The last one is not in the service model: it proves clients treat the enum as open. */
export const RESOURCE_TYPES = [
  'AWS_EC2_INSTANCE',
  'AWS_ECR_CONTAINER_IMAGE',
  'AWS_ECR_REPOSITORY',
  'AWS_LAMBDA_FUNCTION',
  'CODE_REPOSITORY',
  'AWS_NEW_RESOURCE',
] as const;
/**
 * Resource types of other clouds (SDK model 3.1085 `ResourceType`), described by the newer
 * `ResourceDetails.vm | image | serverlessFunction` members and `Resource.provider*`.
 */
export const CLOUD_RESOURCE_TYPES = [
  'Microsoft.Compute/virtualMachines',
  'Microsoft.ContainerRegistry/registry/containerImage',
  'Microsoft.Web/sites',
] as const;
/**
 * Lambda runtimes: every value of the SDK model's `Runtime` (3.1085, a superset of botocore's) and
 * two newer than both models (real data carries them). model.test.ts keeps this in step with the
 * models; the list is written out rather than read from the SDK so that a dependency upgrade
 * never changes what a seed generates.
 */
export const RUNTIMES = [
  'NODEJS',
  'NODEJS_12_X',
  'NODEJS_14_X',
  'NODEJS_16_X',
  'NODEJS_18_X',
  'NODEJS_22_X',
  'NODEJS_24_X',
  'JAVA_8',
  'JAVA_8_AL2',
  'JAVA_11',
  'JAVA_17',
  'JAVA_21',
  'JAVA_25',
  'PYTHON_3_7',
  'PYTHON_3_8',
  'PYTHON_3_9',
  'PYTHON_3_10',
  'PYTHON_3_11',
  'PYTHON_3_12',
  'PYTHON_3_13',
  'GO_1_X',
  'DOTNETCORE_3_1',
  'DOTNET_6',
  'DOTNET_7',
  'DOTNET_10',
  'RUBY_2_7',
  'RUBY_3_2',
  'UNSUPPORTED',
] as const;
/** Current runtimes are common, deprecated ones rare (as on a real account). */
const RUNTIME_WEIGHTS = RUNTIMES.map((rt) =>
  ['NODEJS_18_X', 'NODEJS_22_X', 'PYTHON_3_11', 'PYTHON_3_12', 'JAVA_17', 'JAVA_21'].includes(rt) ? 8 : 1,
);
export const DEFAULT_ACCOUNTS = ['123456789012', '210987654321', '111122223333', '444455556666'] as const;

const DAY = 86_400_000;

export interface GenMeta {
  type: string;
  severity: string;
  status: string;
  resourceType: string;
  account: string;
  region: string;
  updatedAt: number; // epoch ms
  firstObservedAt: number;
  lastObservedAt: number;
  /**
   * No `updatedAt` member (optional in the model): `updatedAt` above then holds lastObservedAt,
   * the finding's place in the default order; updatedAt filters never match it.
   */
  noUpdatedAt?: boolean;
}

/** The mutable part of a finding, kept in the store's columns and applied when building. */
export interface LiveState {
  status: string;
  severity: string;
  updatedAt: number;
  lastObservedAt: number;
  firstObservedAt: number;
  /** Sent without `updatedAt` (until a change gives it one). */
  noUpdatedAt?: boolean;
}

export interface GeneratorOptions {
  seed: number;
  accounts: readonly string[];
  regions: readonly string[];
  /** Epoch ms the 90-day spread ends at (the emulator's start). */
  epoch: number;
  /** Percent (0-100) of findings sent without `updatedAt` (optional in the model); default 0. */
  withoutUpdatedAt?: number;
}

const S_META = 1;
const S_DETAIL = 2;
const S_ARN = 3;
const S_VULN = 4;
const S_RES = 5;
/** Newer kinds (other clouds, findings without updatedAt): their own streams, so adding them left
 * every older draw of a seed unchanged. */
const S_KIND = 6;
const S_RES_NEW = 7;
const S_CLOUD = 8;

/** Resources without findings (coverage.ts). */
const S_SPARE = 9;

function regionKey(region: string): number {
  let h = 0;
  for (const ch of region) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

/** Share of package findings on other clouds' resources. */
const P_CLOUD = 0.06;

export class Generator {
  /** The seed's pool of 6000 vulnerabilities, built as they are first used (bounded). */
  private readonly vulns = new Map<number, Vuln>();

  constructor(readonly opts: GeneratorOptions) {}

  meta(i: number): GenMeta {
    const r = Rng.of(this.opts.seed, i, S_META);
    const t = r.weighted([80, 10, 10]);
    const type = FINDING_TYPES[t] as string;
    let resourceType: string;
    if (t === 1) resourceType = 'AWS_EC2_INSTANCE';
    else if (t === 2) resourceType = r.chance(0.5) ? 'AWS_LAMBDA_FUNCTION' : 'CODE_REPOSITORY';
    else resourceType = RESOURCE_TYPES[r.weighted([34, 40, 4, 20, 0, 2])] as string;
    const k = Rng.of(this.opts.seed, i, S_KIND);
    const onCloud = t === 0 && k.chance(P_CLOUD);
    const cloudType = CLOUD_RESOURCE_TYPES[k.weighted([3, 2, 2])] as string;
    const noUpdatedAt = k.chance((this.opts.withoutUpdatedAt ?? 0) / 100);
    const severity = SEVERITIES[
      t === 1 ? r.weighted([2, 10, 70, 15, 3, 0]) : r.weighted([3, 20, 40, 25, 8, 4])
    ] as string;
    const status = STATUSES[r.weighted([70, 5, 25])] as string;
    const account = this.opts.accounts[
      r.weighted(this.opts.accounts.map((_, k) => (k === 0 ? 4 : 2)))
    ] as string;
    const region = r.pick(this.opts.regions);
    // Other clouds' resources only in the commercial partition (none in GovCloud or China).
    if (onCloud && (partitionOf(region)?.name ?? 'aws') === 'aws') resourceType = cloudType;
    const updatedAt = this.opts.epoch - 1 - Math.floor(r.next() * 90 * DAY);
    const age = r.next();
    const firstObservedAt = updatedAt - Math.floor(age * age * 180 * DAY);
    // A rescan moves lastObservedAt with updatedAt; a status change moves only updatedAt.
    const lastObservedAt =
      status === 'ACTIVE' ? updatedAt : Math.max(firstObservedAt, updatedAt - Math.floor(r.next() * 7 * DAY));
    return {
      type,
      severity,
      status,
      resourceType,
      account,
      region,
      updatedAt: noUpdatedAt ? lastObservedAt : updatedAt,
      firstObservedAt,
      lastObservedAt,
      ...(noUpdatedAt ? { noUpdatedAt } : {}),
    };
  }

  findingId(i: number): string {
    const r = Rng.of(this.opts.seed, i, S_ARN);
    return r.hex(32);
  }

  vulnIndex(i: number): number {
    return hash3(this.opts.seed, i, S_VULN) % 6000;
  }

  /** packageVulnerabilityDetails.vulnerabilityId ('' for findings without one), cheaply. */
  vulnerabilityId(i: number, type: string): string {
    if (type !== 'PACKAGE_VULNERABILITY') return '';
    return vulnerability(this.opts.seed, this.vulnIndex(i), this.vulns).id;
  }

  /** Which pooled resource finding i is on (with its account and resource type): its first detail draw. */
  resourceKey(i: number): number {
    return Rng.of(this.opts.seed, i, S_DETAIL).int(40_000);
  }

  /**
   * Finding i's resource, exactly as `build` draws it (its detail stream's first draws), without
   * the rest of the finding: what coverage is derived from (coverage.ts).
   */
  resource(i: number, m: GenMeta): Record<string, unknown> {
    const res = buildResource(this.opts.seed, Rng.of(this.opts.seed, i, S_DETAIL), m);
    return inPartition(res, partitionOf(m.region)?.name ?? 'aws');
  }

  /**
   * The k-th resource of `m.resourceType` in (m.account, m.region) that has no finding (a clean
   * or unscanned resource of coverage), from a stream of its own: findings' draws stay unchanged.
   */
  spareResource(m: GenMeta, k: number): Record<string, unknown> {
    const key = hash3(hash3(this.opts.seed, Number(m.account.slice(-9)), k), regionKey(m.region), S_SPARE);
    const res = buildAwsResource(
      Rng.of(this.opts.seed, key, S_SPARE),
      Rng.of(this.opts.seed, key, S_SPARE + 1),
      m,
    );
    return inPartition(res, partitionOf(m.region)?.name ?? 'aws');
  }

  /** The whole finding in wire format (timestamps as epoch seconds). */
  build(i: number, m: GenMeta, live: LiveState): Record<string, unknown> {
    const { seed } = this.opts;
    const r = Rng.of(seed, i, S_DETAIL);
    const id = this.findingId(i);
    const arn = `arn:aws:inspector2:${m.region}:${m.account}:finding/${id}`;
    const resource = buildResource(seed, r, m);
    const f: Record<string, unknown> = {
      awsAccountId: m.account,
      findingArn: arn,
      type: m.type,
      severity: live.severity,
      status: live.status,
      firstObservedAt: sec(live.firstObservedAt),
      lastObservedAt: sec(live.lastObservedAt),
      ...(live.noUpdatedAt ? {} : { updatedAt: sec(live.updatedAt) }),
      resources: [resource],
    };
    if (m.type === 'PACKAGE_VULNERABILITY')
      buildPackageFinding(r, vulnerability(seed, this.vulnIndex(i), this.vulns), m, live, f);
    else if (m.type === 'NETWORK_REACHABILITY') buildNetworkFinding(r, m, resource, f);
    else buildCodeFinding(r, this.vulnIndex(i), m, resource, f);
    // Built with `arn:aws:`; GovCloud and China findings carry their own partition.
    return inPartition(f, partitionOf(m.region)?.name ?? 'aws');
  }
}

/** Epoch ms -> epoch seconds with millisecond precision, as restJson1 sends timestamps. */
export function sec(ms: number): number {
  return Math.round(ms) / 1000;
}

const SCORE_BY_SEVERITY: Record<string, [number, number]> = {
  INFORMATIONAL: [0, 0],
  LOW: [1, 3.9],
  MEDIUM: [4, 6.9],
  HIGH: [7, 8.9],
  CRITICAL: [9, 10],
  UNTRIAGED: [0, 0],
};

function scoreFor(r: Rng, severity: string): number {
  const [lo, hi] = SCORE_BY_SEVERITY[severity] ?? [0, 10];
  return Math.round((lo + r.next() * (hi - lo)) * 10) / 10;
}

interface Vuln {
  id: string;
  source: string;
  packages: { name: string; manager: string; version: string; fixed: string }[];
  sentences: string[];
  vector: string;
  refs: string[];
  related: string[];
  vendorCreatedAt: number;
  epss: number;
  exploit: boolean;
}

/** Vulnerability k of the seed's pool of 6000 CVEs (memoised; small and bounded). */
function vulnerability(seed: number, k: number, cache: Map<number, Vuln>): Vuln {
  const hit = cache.get(k);
  if (hit) return hit;
  const r = Rng.of(seed, k, 100);
  const year = 2014 + r.int(12);
  const isGhsa = r.chance(0.08);
  const id = isGhsa ? `GHSA-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}` : `CVE-${year}-${r.range(1000, 52999)}`;
  // Newer ecosystems and managers from their own stream: r draws what it always drew.
  const k2 = Rng.of(seed, k, 101);
  const first = r.pick(ECOSYSTEMS);
  const eco = k2.chance(0.05) ? k2.pick(NEWER_ECOSYSTEMS) : first;
  const alternatives = PACKAGE_MANAGER_ALTERNATIVES[eco.manager];
  const manager = alternatives && k2.chance(0.35) ? k2.pick(alternatives) : eco.manager;
  const npk = r.weighted([40, 25, 15, 10, 6, 4]) + 1;
  const packages = [];
  for (let p = 0; p < npk; p++) {
    const name = r.pick(eco.packages);
    const v = `${r.range(0, 9)}.${r.range(0, 30)}.${r.range(0, 40)}`;
    packages.push({
      name,
      manager,
      version: v,
      fixed: `${v.split('.')[0]}.${r.range(1, 40)}.${r.range(0, 9)}`,
    });
  }
  const ns = r.range(3, 7);
  const sentences = [];
  for (let s = 0; s < ns; s++) sentences.push(r.pick(SENTENCES));
  const refs = [];
  for (let u = 0, n = r.range(1, 8); u < n; u++)
    refs.push(`${r.pick(REF_HOSTS)}/${id}${u ? `/${r.hex(8)}` : ''}`);
  const related = [];
  for (let u = 0, n = r.int(3); u < n; u++) related.push(`CVE-${year}-${r.range(1000, 52999)}`);
  const v: Vuln = {
    id,
    source: isGhsa ? 'GITHUB' : eco.source,
    packages,
    sentences,
    vector: `CVSS:3.1/AV:${r.pick(['N', 'A', 'L'])}/AC:${r.pick(['L', 'H'])}/PR:${r.pick(['N', 'L', 'H'])}/UI:${r.pick(['N', 'R'])}/S:${r.pick(['U', 'C'])}/C:${r.pick(['N', 'L', 'H'])}/I:${r.pick(['N', 'L', 'H'])}/A:${r.pick(['N', 'L', 'H'])}`,
    refs,
    related,
    vendorCreatedAt: Date.UTC(year, r.int(12), r.range(1, 28), r.int(24), r.int(60)),
    epss: Math.round(r.next() ** 4 * 100000) / 100000,
    exploit: r.chance(0.12),
  };
  cache.set(k, v);
  return v;
}

function buildPackageFinding(r: Rng, v: Vuln, m: GenMeta, live: LiveState, f: Record<string, unknown>): void {
  const names = v.packages.map((p) => p.name);
  f.title = `${v.id} - ${[...new Set(names)].join(', ')}`.slice(0, 1024);
  f.description = `${v.id}: ${v.sentences.join(' ')}`.slice(0, 1024);
  const score = scoreFor(r, live.severity);
  const fixable = v.packages.map(() => r.chance(0.7));
  const isLambda = m.resourceType === 'AWS_LAMBDA_FUNCTION';
  const isFunctionApp = m.resourceType === 'Microsoft.Web/sites';
  const isEcr =
    m.resourceType === 'AWS_ECR_CONTAINER_IMAGE' ||
    m.resourceType === 'Microsoft.ContainerRegistry/registry/containerImage';
  f.packageVulnerabilityDetails = {
    vulnerabilityId: v.id,
    source: v.source,
    sourceUrl: v.source === 'NVD' ? `https://nvd.nist.gov/vuln/detail/${v.id}` : `${v.refs[0]}`,
    vendorSeverity: r.pick(['LOW', 'MEDIUM', 'HIGH', 'CRITICAL', 'Important', 'Moderate', 'unimportant']),
    vendorCreatedAt: sec(v.vendorCreatedAt),
    vendorUpdatedAt: sec(v.vendorCreatedAt + r.int(400) * DAY),
    cvss: [
      { baseScore: score, scoringVector: v.vector, source: 'NVD', version: '3.1' },
      ...(r.chance(0.5)
        ? [
            {
              baseScore: Math.min(10, score + 0.3),
              scoringVector: 'AV:N/AC:L/Au:N/C:P/I:P/A:P',
              source: 'NVD',
              version: '2.0',
            },
          ]
        : []),
    ],
    referenceUrls: v.refs,
    relatedVulnerabilities: v.related,
    vulnerablePackages: v.packages.map((p, n) => ({
      name: p.name,
      version: p.version,
      epoch: 0,
      ...(p.manager === 'OS'
        ? { release: `${r.range(1, 30)}.amzn2023`, arch: r.pick(['X86_64', 'AARCH64', 'NOARCH']) }
        : {}),
      packageManager: p.manager,
      ...(fixable[n]
        ? { fixedInVersion: p.fixed, remediation: `Upgrade ${p.name} to ${p.fixed}` }
        : { fixedInVersion: 'NotAvailable' }),
      ...(p.manager !== 'OS'
        ? {
            filePath: `${isLambda ? 'var/task' : isFunctionApp ? 'home/site/wwwroot' : 'app'}/${NODE_MANAGERS.has(p.manager) ? 'node_modules/' : ''}${p.name}/${r.pick(['package.json', 'METADATA', 'pom.properties', 'go.mod'])}`,
          }
        : {}),
      ...(isEcr ? { sourceLayerHash: `sha256:${r.hex(64)}` } : {}),
      ...(isLambda && r.chance(0.3)
        ? {
            sourceLambdaLayerArn: `arn:aws:lambda:${m.region}:${m.account}:layer:${r.pick(WORDS)}-deps:${r.range(1, 40)}`,
          }
        : {}),
    })),
  };
  const nFix = fixable.filter(Boolean).length;
  f.fixAvailable = nFix === fixable.length ? 'YES' : nFix === 0 ? 'NO' : 'PARTIAL';
  f.exploitAvailable = v.exploit ? 'YES' : 'NO';
  if (v.exploit) f.exploitabilityDetails = { lastKnownExploitAt: sec(v.vendorCreatedAt + r.int(300) * DAY) };
  f.epss = { score: v.epss };
  f.inspectorScore = score;
  f.inspectorScoreDetails = {
    adjustedCvss: {
      adjustments: r.chance(0.3)
        ? [
            {
              metric: 'attackVector',
              reason: 'Amazon Inspector adjusted the score: the resource is not reachable from the internet.',
            },
          ]
        : [],
      cvssSource: 'NVD',
      score,
      scoreSource: 'NVD',
      scoringVector: v.vector,
      version: '3.1',
    },
  };
  f.remediation = {
    recommendation: {
      text:
        nFix > 0
          ? `Upgrade the affected packages: ${v.packages.map((p) => `${p.name} to ${p.fixed}`).join(', ')}.`
          : 'None Provided',
      ...(r.chance(0.5)
        ? { Url: `https://alas.aws.amazon.com/AL2023/ALAS-${2023 + r.int(3)}-${r.range(100, 999)}.html` }
        : {}),
    },
  };
}

function buildNetworkFinding(
  r: Rng,
  m: GenMeta,
  resource: Record<string, unknown>,
  f: Record<string, unknown>,
): void {
  const [port, service] = r.pick(PORTS);
  const protocol = r.chance(0.9) ? 'TCP' : 'UDP';
  const vpc = (resource.details as { awsEc2Instance: { vpcId: string; subnetId: string } }).awsEc2Instance;
  const igw = `igw-${r.hex(17)}`;
  const steps = [
    {
      componentId: igw,
      componentType: 'AWS::EC2::InternetGateway',
      componentArn: `arn:aws:ec2:${m.region}:${m.account}:internet-gateway/${igw}`,
    },
    { componentId: `acl-${r.hex(17)}`, componentType: 'AWS::EC2::NetworkAcl' },
    { componentId: `sg-${r.hex(17)}`, componentType: 'AWS::EC2::SecurityGroup' },
    { componentId: `eni-${r.hex(17)}`, componentType: 'AWS::EC2::NetworkInterface' },
    { componentId: String(resource.id), componentType: 'AWS::EC2::Instance' },
  ];
  f.title = `Port ${port} is reachable from an Internet Gateway - ${protocol}`;
  f.description = `On the instance ${String(resource.id)}, the port range ${port}-${port} (${service}) is reachable from the Internet Gateway ${igw} through the VPC ${vpc.vpcId} and the subnet ${vpc.subnetId}. An open port exposes the instance to network attacks; restrict the security group rules and network ACLs to the addresses that need access.`;
  f.networkReachabilityDetails = {
    openPortRange: { begin: port, end: port },
    protocol,
    networkPath: { steps },
  };
  f.remediation = {
    recommendation: {
      text: 'You can restrict access to your instance by modifying the Security Groups or ACLs in the network path.',
    },
  };
  f.inspectorScore = scoreFor(r, m.severity);
}

function buildCodeFinding(
  r: Rng,
  k: number,
  m: GenMeta,
  resource: Record<string, unknown>,
  f: Record<string, unknown>,
): void {
  const cwe = CWES[k % CWES.length] as number;
  const [detector, tags] = DETECTORS[k % DETECTORS.length] as [string, string[]];
  const lang = r.pick(['python', 'javascript', 'java']);
  const file = `${r.pick(WORDS)}_${r.pick(['handler', 'service', 'client', 'utils'])}.${lang === 'python' ? 'py' : lang === 'java' ? 'java' : 'js'}`;
  const startLine = r.range(1, 900);
  const repo = m.resourceType === 'CODE_REPOSITORY';
  f.title = `CWE-${cwe} - ${detector}`;
  f.description =
    `${detector}: ${r.pick(SENTENCES)} ${r.pick(SENTENCES)} The code at line ${startLine} of ${file} matches the detector's pattern for CWE-${cwe}: ` +
    `untrusted data reaches a sensitive operation without validation or encoding. Review the data flow from its source to this line and apply the recommended fix.`;
  f.codeVulnerabilityDetails = {
    cwes: [`CWE-${cwe}`],
    detectorId: `${lang}/${detector.toLowerCase().replace(/[^a-z]+/g, '-')}@v1.0`,
    detectorName: detector,
    detectorTags: tags,
    filePath: {
      fileName: file,
      filePath: `${repo ? 'src' : 'var/task'}/${file}`,
      startLine,
      endLine: startLine + r.int(12),
    },
    referenceUrls: [
      `https://cwe.mitre.org/data/definitions/${cwe}.html`,
      `https://docs.aws.amazon.com/codeguru/detector-library/${lang}/${detector.toLowerCase().replace(/[^a-z]+/g, '-')}/`,
      ...(r.chance(0.5) ? ['https://owasp.org/Top10/'] : []),
    ],
    ruleId: `${lang}-${r.pick(['hardcoded', 'injection', 'crypto', 'path'])}-${r.hex(6)}`,
    ...(repo
      ? {}
      : r.chance(0.2)
        ? {
            sourceLambdaLayerArn: `arn:aws:lambda:${m.region}:${m.account}:layer:${r.pick(WORDS)}:${r.range(1, 9)}`,
          }
        : {}),
  };
  f.remediation = {
    recommendation: {
      text: `Apply the fix suggested for ${detector}: validate and sanitise untrusted input before it reaches ${file} line ${startLine}, prefer the library's safe API, and keep secrets in a secrets manager rather than in code.`,
      Url: `https://docs.aws.amazon.com/codeguru/detector-library/${lang}/`,
    },
  };
  f.inspectorScore = scoreFor(r, m.severity);
  f.fixAvailable = 'NO';
}

function buildResource(seed: number, fr: Rng, m: GenMeta): Record<string, unknown> {
  // Findings share resources: a pool of 40,000 per account and resource type.
  const pool = fr.int(40_000);
  const cloud = CLOUD_RESOURCE_TYPES.indexOf(m.resourceType as never);
  const acctKey = hash3(0, Number(m.account.slice(-6)), 9) % 8;
  if (cloud >= 0) return buildCloudResource(seed, Rng.of(seed, pool * 64 + cloud * 8 + acctKey, S_CLOUD), m);
  const key = pool * 64 + RESOURCE_TYPES.indexOf(m.resourceType as never) * 8 + acctKey;
  const res = buildAwsResource(Rng.of(seed, key, S_RES), Rng.of(seed, key, S_RES_NEW), m);
  // The newer Resource.provider* members, on a share of AWS resources (AWS fills them in as it
  // moves to the multi-cloud model); a resource always carries them or never.
  const c = Rng.of(seed, key, S_RES_NEW + 100);
  if (c.chance(0.3)) {
    res.provider = 'AWS';
    res.providerAccountId = m.account;
    if (c.chance(0.7)) res.providerOrgId = `o-${Rng.of(seed, 0, S_CLOUD).hex(10)}`;
  }
  return res;
}

/** An AWS resource: `r` draws what it always drew, `c` what newer members need. */
function buildAwsResource(r: Rng, c: Rng, m: GenMeta): Record<string, unknown> {
  const name = `${r.pick(WORDS)}-${r.pick(WORDS)}-${r.range(1, 99)}`;
  const env = r.pick(['prod', 'staging', 'dev', 'test']);
  const tags: Record<string, string> = { Name: name, Environment: env };
  if (r.chance(0.5)) tags.Team = r.pick(['payments', 'platform', 'search', 'identity', 'data']);
  if (r.chance(0.3)) tags['aws:cloudformation:stack-name'] = `${name}-stack`;
  const base = { partition: m.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws', region: m.region, tags };
  switch (m.resourceType) {
    case 'AWS_EC2_INSTANCE': {
      const id = `i-0${r.hex(16)}`;
      const ipCount = r.range(1, 3);
      const ips = [];
      for (let k = 0; k < ipCount; k++)
        ips.push(
          k === 0
            ? `10.${r.int(256)}.${r.int(256)}.${r.range(1, 254)}`
            : `${r.range(3, 54)}.${r.int(256)}.${r.int(256)}.${r.range(1, 254)}`,
        );
      return {
        type: m.resourceType,
        id,
        ...base,
        details: {
          awsEc2Instance: {
            type: r.pick(['t3.micro', 't3.large', 'm5.xlarge', 'c6i.2xlarge', 'r6g.large']),
            imageId: `ami-0${r.hex(16)}`,
            ipV4Addresses: ips,
            ipV6Addresses: r.chance(0.2) ? [`2600:1f18:${r.hex(4)}:${r.hex(4)}::${r.hex(4)}`] : [],
            keyName: `${env}-key`,
            iamInstanceProfileArn: `arn:aws:iam::${m.account}:instance-profile/${name}`,
            vpcId: `vpc-0${r.hex(16)}`,
            subnetId: `subnet-0${r.hex(16)}`,
            launchedAt: sec(m.firstObservedAt - r.int(400) * DAY),
            platform: r.pick([
              'AMAZON_LINUX_2023',
              'AMAZON_LINUX_2',
              'UBUNTU_22_04',
              'WINDOWS_SERVER_2022',
              'DEBIAN_12',
            ]),
          },
        },
      };
    }
    case 'AWS_ECR_CONTAINER_IMAGE':
    case 'AWS_ECR_REPOSITORY': {
      const repositoryName = `${r.pick(WORDS)}/${r.pick(WORDS)}`;
      const imageHash = `sha256:${r.hex(64)}`;
      if (m.resourceType === 'AWS_ECR_REPOSITORY') {
        return {
          type: m.resourceType,
          id: `arn:aws:ecr:${m.region}:${m.account}:repository/${repositoryName}`,
          ...base,
        };
      }
      return {
        type: m.resourceType,
        id: `arn:aws:ecr:${m.region}:${m.account}:repository/${repositoryName}/${imageHash}`,
        ...base,
        details: {
          awsEcrContainerImage: {
            architecture: r.pick(['amd64', 'arm64']),
            author: r.chance(0.5) ? `${r.pick(WORDS)} <${r.pick(WORDS)}@example.com>` : '',
            imageHash,
            imageTags: [r.pick(['latest', 'v1.2.3', 'main', `build-${r.range(100, 9999)}`])],
            platform: r.pick(['AMAZON_LINUX_2023', 'DEBIAN_12', 'ALPINE_LINUX_3_19', 'UBUNTU_22_04']),
            pushedAt: sec(m.firstObservedAt - r.int(30) * DAY),
            registry: m.account,
            repositoryName,
            ...(r.chance(0.6)
              ? { lastInUseAt: sec(m.updatedAt - r.int(5) * DAY), inUseCount: r.range(0, 40) }
              : {}),
          },
        },
      };
    }
    case 'AWS_LAMBDA_FUNCTION': {
      const functionName = name;
      // A container-image function has no layers.
      const image = c.chance(0.15);
      return {
        type: m.resourceType,
        id: `arn:aws:lambda:${m.region}:${m.account}:function:${functionName}:$LATEST`,
        ...base,
        details: {
          awsLambdaFunction: {
            functionName,
            runtime: RUNTIMES[r.weighted(RUNTIME_WEIGHTS)],
            codeSha256: Buffer.from(r.hex(64), 'hex').toString('base64'),
            version: '$LATEST',
            executionRoleArn: `arn:aws:iam::${m.account}:role/${functionName}-role`,
            ...(r.chance(0.4) && !image
              ? {
                  layers: [
                    `arn:aws:lambda:${m.region}:${m.account}:layer:${r.pick(WORDS)}:${r.range(1, 30)}`,
                  ],
                }
              : {}),
            packageType: image ? 'IMAGE' : 'ZIP',
            architectures: [r.pick(['X86_64', 'ARM64'])],
            lastModifiedAt: sec(m.firstObservedAt - r.int(60) * DAY),
            ...(r.chance(0.3)
              ? {
                  vpcConfig: {
                    subnetIds: [`subnet-0${r.hex(16)}`],
                    securityGroupIds: [`sg-0${r.hex(16)}`],
                    vpcId: `vpc-0${r.hex(16)}`,
                  },
                }
              : {}),
          },
        },
      };
    }
    case 'CODE_REPOSITORY': {
      const projectName = `${r.pick(WORDS)}-${r.pick(WORDS)}`;
      return {
        type: m.resourceType,
        id: `arn:aws:inspector2:${m.region}:${m.account}:code-repository/${r.hex(16)}`,
        ...base,
        details: {
          codeRepository: {
            projectName,
            providerType: r.chance(0.8) ? 'GITHUB' : 'GITLAB_SELF_MANAGED',
            integrationArn: `arn:aws:inspector2:${m.region}:${m.account}:codesecurity-integration/${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}`,
          },
        },
      };
    }
    default: {
      // A resource type (and details member) newer than every client's model.
      return {
        type: m.resourceType,
        id: `arn:aws:newservice:${m.region}:${m.account}:thing/${r.hex(20)}`,
        ...base,
        details: {
          awsNewResource: { thingName: name, generation: r.range(1, 5), labels: [env, r.pick(WORDS)] },
        },
      };
    }
  }
}

const AZURE_LOCATIONS = ['eastus', 'eastus2', 'westeurope', 'northeurope', 'westus2', 'southeastasia'];

function uuid(r: Rng): string {
  return `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-${r.pick(['8', '9', 'a', 'b'])}${r.hex(3)}-${r.hex(12)}`;
}

/**
 * A resource of another cloud (Azure): `Resource.provider*` and the cloud-neutral details
 * (`vm`, `image`, `serverlessFunction`). The finding itself stays in the AWS account and region
 * whose Inspector reports it; the resource's `region` is the cloud's own location.
 */
function buildCloudResource(seed: number, r: Rng, m: GenMeta): Record<string, unknown> {
  // One Azure subscription per AWS account, one Entra tenant per seed.
  const subscription = uuid(Rng.of(seed, Number(m.account.slice(-6)), S_CLOUD + 1));
  const tenant = uuid(Rng.of(seed, 0, S_CLOUD + 2));
  const env = r.pick(['prod', 'staging', 'dev', 'test']);
  const name = `${r.pick(WORDS)}-${r.pick(WORDS)}-${r.range(1, 99)}`;
  const group = `rg-${r.pick(WORDS)}-${env}`;
  const scope = `/subscriptions/${subscription}/resourceGroups/${group}/providers`;
  const tags: Record<string, string> = { Environment: env };
  if (r.chance(0.5)) tags.Team = r.pick(['payments', 'platform', 'search', 'identity', 'data']);
  const vnet = `${scope}/Microsoft.Network/virtualNetworks/vnet-${env}`;
  const identity = `${scope}/Microsoft.ManagedIdentity/userAssignedIdentities/${name}-id`;
  const base = {
    region: r.pick(AZURE_LOCATIONS),
    tags,
    provider: 'AZURE',
    providerAccountId: subscription,
    providerOrgId: tenant,
  };
  switch (m.resourceType) {
    case 'Microsoft.Compute/virtualMachines': {
      const windows = r.chance(0.3);
      return {
        type: m.resourceType,
        id: `${scope}/Microsoft.Compute/virtualMachines/${name}`,
        ...base,
        details: {
          vm: {
            type: r.pick(['Standard_B2s', 'Standard_D2s_v5', 'Standard_D4s_v5', 'Standard_E4s_v5']),
            vmName: name,
            vmImageReference: windows
              ? 'MicrosoftWindowsServer:WindowsServer:2022-datacenter-azure-edition:latest'
              : r.pick([
                  'Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest',
                  'Canonical:ubuntu-24_04-lts:server:latest',
                  'RedHat:RHEL:9-lvm-gen2:latest',
                  'Debian:debian-12:12-gen2:latest',
                ]),
            ipV4Addresses: [
              `10.${r.int(256)}.${r.int(256)}.${r.range(4, 254)}`,
              ...(r.chance(0.3) ? [`${r.range(20, 52)}.${r.int(256)}.${r.int(256)}.${r.range(1, 254)}`] : []),
            ],
            ipV6Addresses: [],
            networkId: vnet,
            subnetIds: [`${vnet}/subnets/${r.pick(['default', 'app', 'data'])}`],
            securityGroupIds: [`${scope}/Microsoft.Network/networkSecurityGroups/${name}-nsg`],
            launchedAt: sec(m.firstObservedAt - r.int(400) * DAY),
            platform: windows
              ? 'WINDOWS_SERVER_2022'
              : r.pick(['UBUNTU_22_04', 'UBUNTU_24_04', 'RHEL_9', 'DEBIAN_12']),
            ...(r.chance(0.5) ? { executionRole: identity } : {}),
            ...(windows ? {} : { keyName: `${name}-key` }),
          },
        },
      };
    }
    case 'Microsoft.ContainerRegistry/registry/containerImage': {
      const registry = `${r.pick(WORDS)}${r.pick(WORDS)}acr`;
      const repositoryName = `${r.pick(WORDS)}/${r.pick(WORDS)}`;
      const imageDigest = `sha256:${r.hex(64)}`;
      return {
        type: m.resourceType,
        id: `${scope}/Microsoft.ContainerRegistry/registries/${registry}/repositories/${repositoryName}@${imageDigest}`,
        ...base,
        details: {
          image: {
            repositoryName,
            registry: `${registry}.azurecr.io`,
            imageTags: [r.pick(['latest', 'v2.4.1', 'main', `build-${r.range(100, 9999)}`])],
            imageDigest,
            pushedAt: sec(m.firstObservedAt - r.int(30) * DAY),
            architecture: r.pick(['amd64', 'arm64']),
            ...(r.chance(0.4) ? { author: `${r.pick(WORDS)}@example.com` } : {}),
            ...(r.chance(0.6)
              ? { inUseCount: r.range(0, 25), lastInUseAt: sec(m.updatedAt - r.int(5) * DAY) }
              : {}),
            platform: r.pick(['DEBIAN_12', 'UBUNTU_22_04', 'ALPINE_LINUX_3_19', 'AZURE_LINUX_3']),
          },
        },
      };
    }
    default: {
      // Microsoft.Web/sites: a function app.
      const image = r.chance(0.2);
      return {
        type: m.resourceType,
        id: `${scope}/Microsoft.Web/sites/${name}`,
        ...base,
        details: {
          serverlessFunction: {
            serverlessFunctionName: name,
            runtime: r.pick(['NODEJS_22_X', 'NODEJS_18_X', 'PYTHON_3_11', 'JAVA_21', 'DOTNET_10']),
            version: `~${r.range(3, 4)}`,
            codeDigest: `sha256:${r.hex(64)}`,
            lastModifiedAt: sec(m.firstObservedAt - r.int(60) * DAY),
            ...(r.chance(0.4)
              ? { networkId: vnet, subnetIds: [`${vnet}/subnets/functions`], securityGroupIds: [] }
              : {}),
            executionRole: identity,
            packageType: image ? 'IMAGE' : 'ZIP',
            architectures: [r.chance(0.8) ? 'X86_64' : 'ARM64'],
          },
        },
      };
    }
  }
}

/**
 * Package managers for the newer ecosystems (SDK model `PackageManager`): a share of each
 * vulnerability's ecosystem is recorded under an alternative manager of the same family.
 */
export const PACKAGE_MANAGER_ALTERNATIVES: Record<string, string[]> = {
  NPM: ['YARN', 'NODEPKG'],
  PYTHONPKG: ['PIP', 'PIPENV', 'POETRY'],
  JAR: ['POM'],
  GOBINARY: ['GOMOD'],
  NUGET: ['DOTNET_CORE'],
  GEMSPEC: ['BUNDLER'],
};

/** Ecosystems newer than the first generator (drawn from their own stream). */
const NEWER_ECOSYSTEMS: { manager: string; source: string; packages: string[] }[] = [
  { manager: 'CARGO', source: 'NVD', packages: ['tokio', 'hyper', 'openssl', 'regex', 'time', 'h2'] },
  {
    manager: 'COMPOSER',
    source: 'NVD',
    packages: ['laravel/framework', 'symfony/http-kernel', 'guzzlehttp/guzzle', 'twig/twig'],
  },
];

/** Every package manager the generator produces (model.test.ts checks it covers the model's). */
export function packageManagers(): string[] {
  return [
    ...new Set([
      ...ECOSYSTEMS.map((e) => e.manager),
      ...Object.values(PACKAGE_MANAGER_ALTERNATIVES).flat(),
      ...NEWER_ECOSYSTEMS.map((e) => e.manager),
    ]),
  ];
}

const ECOSYSTEMS: { manager: string; source: string; packages: string[] }[] = [
  {
    manager: 'OS',
    source: 'NVD',
    packages: [
      'openssl',
      'glibc',
      'curl',
      'libcurl',
      'linux',
      'kernel',
      'libxml2',
      'zlib',
      'sudo',
      'bash',
      'systemd',
      'openssh',
      'expat',
      'sqlite',
      'krb5-libs',
      'python3',
      'perl',
      'git',
      'vim-minimal',
      'tar',
    ],
  },
  {
    manager: 'OS',
    source: 'DEBIAN_CVE',
    packages: [
      'libssl3',
      'libc6',
      'libgnutls30',
      'libtiff6',
      'libpng16-16',
      'libwebp7',
      'libsqlite3-0',
      'libx11-6',
      'ncurses-base',
    ],
  },
  {
    manager: 'NPM',
    source: 'NVD',
    packages: [
      'lodash',
      'axios',
      'minimist',
      'express',
      'jsonwebtoken',
      'semver',
      'ws',
      'follow-redirects',
      'tough-cookie',
      'braces',
      'micromatch',
      'undici',
    ],
  },
  {
    manager: 'PYTHONPKG',
    source: 'NVD',
    packages: [
      'requests',
      'urllib3',
      'django',
      'flask',
      'cryptography',
      'pyyaml',
      'jinja2',
      'werkzeug',
      'setuptools',
      'idna',
      'certifi',
      'aiohttp',
    ],
  },
  {
    manager: 'JAR',
    source: 'NVD',
    packages: [
      'log4j-core',
      'jackson-databind',
      'spring-core',
      'commons-text',
      'netty-codec-http',
      'snakeyaml',
      'guava',
      'tomcat-embed-core',
    ],
  },
  {
    manager: 'GOBINARY',
    source: 'NVD',
    packages: [
      'golang.org/x/net',
      'google.golang.org/grpc',
      'golang.org/x/crypto',
      'stdlib',
      'github.com/docker/docker',
      'k8s.io/apimachinery',
    ],
  },
  {
    manager: 'NUGET',
    source: 'NVD',
    packages: ['Newtonsoft.Json', 'System.Text.Json', 'Microsoft.Data.SqlClient', 'System.Net.Http'],
  },
  { manager: 'GEMSPEC', source: 'NVD', packages: ['rack', 'nokogiri', 'rails', 'actionpack', 'puma'] },
];

const NODE_MANAGERS = new Set(['NPM', 'YARN', 'NODEPKG']);

const SENTENCES = [
  'A flaw was found in the way the library parses crafted input, which can lead to an out-of-bounds read.',
  'A remote attacker could exploit this to cause a denial of service or possibly execute arbitrary code.',
  'An integer overflow in the length calculation allows a heap-based buffer overflow when processing large headers.',
  'Improper validation of certificate chains allows a man-in-the-middle attacker to spoof trusted servers.',
  'The affected versions do not properly sanitize user-supplied paths, allowing directory traversal outside the intended root.',
  'A use-after-free in the connection cleanup code can be triggered by a malicious peer closing the stream early.',
  'Prototype pollution in the merge function allows an attacker to inject properties into Object.prototype.',
  'Uncontrolled recursion when parsing deeply nested documents leads to stack exhaustion.',
  'A race condition in the temporary file handling allows local users to overwrite arbitrary files.',
  'Insufficient entropy in the session identifier generator makes session tokens predictable.',
  'The decompression routine does not bound the output size, allowing a small payload to exhaust memory.',
  'Server-side request forgery is possible through redirects to internal addresses that are followed without checks.',
  'This vulnerability exists because of an incomplete fix for an earlier issue in the same component.',
  'Exploitation requires the attacker to control the content of a configuration file read at startup.',
  'Regular expression backtracking on crafted input causes excessive CPU consumption (ReDoS).',
  'SQL statements are built by concatenating untrusted input, which allows SQL injection.',
  'Hardcoded credentials were detected in the source; anyone with read access to the code can use them.',
  'Sensitive information is written to log files in clear text.',
];

const REF_HOSTS = [
  'https://nvd.nist.gov/vuln/detail',
  'https://security-tracker.debian.org/tracker',
  'https://access.redhat.com/security/cve',
  'https://github.com/advisories',
  'https://ubuntu.com/security',
  'https://alas.aws.amazon.com/cve/html',
];

const WORDS = [
  'orders',
  'billing',
  'search',
  'gateway',
  'auth',
  'catalog',
  'inventory',
  'reports',
  'web',
  'api',
  'worker',
  'ingest',
  'notify',
  'ledger',
  'media',
  'profile',
  'checkout',
  'analytics',
  'edge',
  'batch',
];

const PORTS: [number, string][] = [
  [22, 'SSH'],
  [3389, 'RDP'],
  [80, 'HTTP'],
  [443, 'HTTPS'],
  [3306, 'MySQL'],
  [5432, 'PostgreSQL'],
  [6379, 'Redis'],
  [9200, 'Elasticsearch'],
  [27017, 'MongoDB'],
];

const CWES = [798, 89, 79, 22, 78, 327, 502, 611, 918, 117, 400, 20];
const DETECTORS: [string, string[]][] = [
  ['Hardcoded credentials', ['secrets', 'security']],
  ['SQL injection', ['injection', 'sql', 'owasp-top10']],
  ['Cross-site scripting', ['injection', 'xss', 'owasp-top10']],
  ['Path traversal', ['injection', 'owasp-top10']],
  ['OS command injection', ['injection', 'subprocess']],
  ['Insecure cryptography', ['cryptography']],
  ['Deserialization of untrusted data', ['deserialization']],
  ['XML external entity', ['xml', 'owasp-top10']],
  ['Server-side request forgery', ['ssrf', 'networking']],
  ['Log injection', ['logging', 'injection']],
  ['Resource leak', ['resource-leak']],
  ['Improper input validation', ['validation']],
];
