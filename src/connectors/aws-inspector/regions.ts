/** AWS regions offered in the Region drop-down (from botocore's endpoints.json, 2026). */
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
