/**
 * AWS's partitions, regions and endpoint host names as the emulator enforces them (botocore's
 * data/endpoints.json, 2026): which host names exist, which region a request to each must be
 * signed for, and the partition its ARNs carry. The emulator keeps its own copy: it depends on
 * no product code.
 */

export interface Partition {
  name: 'aws' | 'aws-cn' | 'aws-us-gov';
  dnsSuffix: string;
  regions: readonly string[];
}

export const PARTITIONS: readonly Partition[] = [
  {
    name: 'aws',
    dnsSuffix: 'amazonaws.com',
    regions: [
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
  },
  { name: 'aws-cn', dnsSuffix: 'amazonaws.com.cn', regions: ['cn-north-1', 'cn-northwest-1'] },
  { name: 'aws-us-gov', dnsSuffix: 'amazonaws.com', regions: ['us-gov-east-1', 'us-gov-west-1'] },
];

/**
 * Opt-in regions (launched after 20 March 2019, disabled for an account until it enables them:
 * AWS Account Management guide, "Enable or disable AWS Regions in your account"). Requests to a
 * disabled one fail authentication: Inspector2 `UnrecognizedClientException` 403, STS
 * `InvalidClientTokenId` 403, "The security token included in the request is invalid."
 */
export const OPT_IN_REGIONS: readonly string[] = [
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
];

export function partitionOf(region: string): Partition | undefined {
  return PARTITIONS.find((p) => p.regions.includes(region));
}

export type EndpointService = 'inspector2' | 'sts';

/** An AWS endpoint the emulator stands in for, resolved from its host name. */
export interface Endpoint {
  host: string;
  service: EndpointService;
  /** The region requests to it must be signed for (us-east-1 for the global sts.amazonaws.com). */
  region: string;
  partition: Partition;
}

/** `inspector2.{region}.{dnsSuffix}`, `sts.{region}.{dnsSuffix}`. */
export function endpointHost(service: EndpointService, region: string): string {
  return `${service}.${region}.${partitionOf(region)?.dnsSuffix ?? 'amazonaws.com'}`;
}

/**
 * What an AWS host name names: a service, its region and partition, or nothing (unknown region,
 * wrong DNS suffix for the region's partition). Whether the service runs in that region is the
 * emulator's `regions` list (Inspector2); STS has an endpoint in every region.
 */
export function parseEndpointHost(host: string): Endpoint | undefined {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (h === 'sts.amazonaws.com')
    return { host: h, service: 'sts', region: 'us-east-1', partition: PARTITIONS[0]! };
  const m = /^(inspector2|sts)\.([a-z0-9-]+)\.(amazonaws\.com(?:\.cn)?)$/.exec(h);
  if (!m) return undefined;
  const partition = partitionOf(m[2]!);
  if (!partition || partition.dnsSuffix !== m[3]) return undefined;
  return { host: h, service: m[1] as EndpointService, region: m[2]!, partition };
}

/** An AWS host name as the first path segment (`/inspector2.eu-west-1.amazonaws.com/...`). */
export function splitEndpointPath(pathname: string): { host: string; rest: string } | undefined {
  const m = /^\/([a-z0-9-]+(?:\.[a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?)(\/.*)?$/i.exec(pathname);
  return m ? { host: m[1]!, rest: m[2] ?? '/' } : undefined;
}

/** `arn:aws:...` in another partition (`arn:aws-cn:...`); other strings unchanged. */
export function partitionArn(arn: string, partition: string): string {
  return partition === 'aws' ? arn : arn.replace(/^arn:aws:/, `arn:${partition}:`);
}

/** Every `arn:aws:` string (and resource `partition`) of a built finding, in the region's partition. */
export function inPartition<T>(value: T, partition: string): T {
  if (partition === 'aws') return value;
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === 'string') return key === 'partition' ? partition : partitionArn(v, partition);
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return walk(value) as T;
}
