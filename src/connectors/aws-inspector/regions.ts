/** AWS regions per partition, as `regions` takes them and the wizard offers them (from botocore's endpoints.json, 2026). */
export const AWS_REGIONS = {
  aws: [
    'af-south-1',
    'ap-east-1',
    'ap-east-2',
    'ap-northeast-1',
    'ap-northeast-2',
    'ap-northeast-3',
    'ap-south-1',
    'ap-south-2',
    'ap-southeast-1',
    'ap-southeast-2',
    'ap-southeast-3',
    'ap-southeast-4',
    'ap-southeast-5',
    'ap-southeast-6',
    'ap-southeast-7',
    'ca-central-1',
    'ca-west-1',
    'eu-central-1',
    'eu-central-2',
    'eu-north-1',
    'eu-south-1',
    'eu-south-2',
    'eu-west-1',
    'eu-west-2',
    'eu-west-3',
    'il-central-1',
    'me-central-1',
    'me-south-1',
    'mx-central-1',
    'sa-east-1',
    'us-east-1',
    'us-east-2',
    'us-west-1',
    'us-west-2',
  ],
  'aws-cn': ['cn-north-1', 'cn-northwest-1'],
  'aws-us-gov': ['us-gov-east-1', 'us-gov-west-1'],
} as const;

export const REGIONS: readonly string[] = Object.values(AWS_REGIONS).flat();

export type PartitionName = keyof typeof AWS_REGIONS;

/** The partitions, as `partition` takes them. */
export const PARTITIONS = ['aws', 'aws-us-gov', 'aws-cn'] as const satisfies readonly PartitionName[];

/**
 * Each partition's first region to collect with `regions: "all"` (the SDK's default region of
 * the partition): the region a run without parts (part '') stands for.
 */
export const HOME_REGION: Record<PartitionName, string> = {
  aws: 'us-east-1',
  'aws-us-gov': 'us-gov-west-1',
  'aws-cn': 'cn-north-1',
};

/**
 * Opt-in regions (launched after March 2019: an account must enable them). Where one is not
 * enabled, AWS refuses every signed request (STS and services) with 403
 * UnrecognizedClientException / InvalidClientTokenId, "The security token included in the
 * request is invalid": the client reports ERR_REGION_NOT_ENABLED there instead of bad keys.
 */
export const OPT_IN_REGIONS: ReadonlySet<string> = new Set([
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-south-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-west-1',
  'eu-central-2',
  'eu-south-1',
  'eu-south-2',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
]);

/** The DNS suffix of each partition's endpoints (botocore's partitions.json). */
export const DNS_SUFFIX: Record<PartitionName, string> = {
  aws: 'amazonaws.com',
  'aws-cn': 'amazonaws.com.cn',
  'aws-us-gov': 'amazonaws.com',
};

/**
 * Regions of the drop-down where AWS has no Inspector2 endpoint (botocore 1.43 endpoints.json:
 * every other region has one). Only used to name the cause when a request fails there; a
 * region AWS adds Inspector2 to later is never refused because of this list.
 */
export const NO_INSPECTOR2: ReadonlySet<string> = new Set(['ap-southeast-6']);

/** The partition of a region of the drop-down, or undefined for anything else. */
export function partitionOf(region: string): PartitionName | undefined {
  for (const [p, list] of Object.entries(AWS_REGIONS) as [PartitionName, readonly string[]][])
    if (list.includes(region)) return p;
  return undefined;
}

/**
 * The endpoints the AWS SDK resolves for a region without overrides (checked against the SDK's
 * own resolver in endpoints.test.ts): regional STS, also in us-east-1.
 */
export function defaultEndpoints(region: string): { inspector2: string; sts: string } {
  const suffix = DNS_SUFFIX[partitionOf(region) ?? 'aws'];
  return { inspector2: `https://inspector2.${region}.${suffix}`, sts: `https://sts.${region}.${suffix}` };
}

/** What `regionsOf` needs of a config (parsed). */
export interface RegionsConfig {
  regions: readonly string[] | 'all';
  partition?: PartitionName | undefined;
}

/** The partition a config reads: its regions' (a list holds one), or `partition` (default aws) with "all". */
export function configPartition(cfg: RegionsConfig): PartitionName {
  if (cfg.regions !== 'all') return partitionOf(cfg.regions[0] ?? '') ?? 'aws';
  return cfg.partition ?? 'aws';
}

/**
 * The regions a run collects, in the order to start them: a list as given; "all" = every region
 * of the partition with Inspector2 (not `NO_INSPECTOR2`), its home region first, then by name.
 * Decided at each run's start, so a region added to this table is picked up by `all`.
 */
export function regionsOf(cfg: RegionsConfig): string[] {
  if (cfg.regions !== 'all') return [...cfg.regions];
  const p = configPartition(cfg);
  const home = HOME_REGION[p];
  return [home, ...AWS_REGIONS[p].filter((r) => r !== home && !NO_INSPECTOR2.has(r))];
}

/** The region a call for `part` is for: the part, or (part '', a host without parts) the first. */
export function regionOfPart(cfg: RegionsConfig, part: string): string {
  return part === '' ? regionsOf(cfg)[0]! : part;
}
