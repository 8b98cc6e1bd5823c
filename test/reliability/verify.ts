/**
 * The ground truth a run is checked against: every finding version AWS (the emulator) holds,
 * listed over HTTP with a minimal signed client, compared with the records in the index.
 */
import { signedListFindings } from '../bench/signed-fetch.js';
import { EMULATOR_KEYS, duplicates, indexVersions, type IndexVersion } from './helpers.js';

export interface AwsVersion {
  findingArn: string;
  updatedAt: number;
  status: string;
}

/** Seconds (wire) or ISO strings -> epoch ms, as the mapping does. */
function ms(v: unknown): number {
  if (typeof v === 'number') return v < 1e11 ? Math.round(v * 1000) : v;
  if (typeof v === 'string') return Date.parse(v);
  return NaN;
}

/**
 * Every finding the emulator holds now (updatedAt in [1970, now]) in one region (default
 * us-east-1, the region signed for), one filter, all pages.
 */
export async function awsVersions(url: string, keys = EMULATOR_KEYS, region?: string): Promise<AwsVersion[]> {
  const list = signedListFindings(url, keys, region);
  const filter = { updatedAt: [{ startInclusive: 0, endInclusive: Math.floor(Date.now() / 1000) + 1 }] };
  const out: AwsVersion[] = [];
  let token: string | undefined;
  for (let pages = 0; pages < 100_000; pages++) {
    const p = await list(filter, token);
    for (const f of p.findings as Record<string, unknown>[]) {
      out.push({
        findingArn: String(f.findingArn),
        updatedAt: ms(f.updatedAt ?? f.lastObservedAt),
        status: String(f.status),
      });
    }
    token = p.nextToken;
    if (!token) break;
  }
  return out;
}

export interface Comparison {
  aws: number;
  index: number;
  /** AWS versions with no record in the index. */
  lost: string[];
  /** Versions held twice in the index. */
  duplicated: string[];
  /** Records of versions AWS does not hold (older versions are history, not errors: counted apart). */
  history: number;
  unknown: string[];
}

/** Compares the index's records with AWS's current versions. */
export function compare(aws: AwsVersion[], dataDir: string, allVersions?: IndexVersion[]): Comparison {
  const idx = allVersions ?? indexVersions(dataDir);
  const held = new Set(idx.map((v) => `${v.findingArn}|${v.updatedAt}`));
  const current = new Map(aws.map((v) => [v.findingArn, v.updatedAt]));
  const lost = aws
    .filter((v) => !held.has(`${v.findingArn}|${v.updatedAt}`))
    .map((v) => `${v.findingArn}|${v.updatedAt}`);
  let history = 0;
  const unknown: string[] = [];
  for (const v of idx) {
    const cur = current.get(v.findingArn);
    if (cur === undefined) unknown.push(v.findingArn);
    else if (cur !== v.updatedAt) history++;
  }
  return { aws: aws.length, index: idx.length, lost, duplicated: duplicates(idx), history, unknown };
}

/** The region of a finding ARN (`arn:aws:inspector2:<region>:<account>:finding/<id>`). */
export const arnRegion = (arn: string): string => arn.split(':')[3] ?? '';

/**
 * Per region: the emulator's versions of that region (listed signed for it) against the
 * index's records whose finding ARN names it. Records of a region not in `regions` are
 * returned apart (`elsewhere`).
 */
export async function compareByRegion(
  url: string,
  dataDir: string,
  regions: readonly string[],
): Promise<{ byRegion: Record<string, Comparison>; elsewhere: number }> {
  const idx = indexVersions(dataDir);
  const split = new Map<string, IndexVersion[]>(regions.map((r) => [r, []]));
  let elsewhere = 0;
  for (const v of idx) {
    const list = split.get(arnRegion(v.findingArn));
    if (list) list.push(v);
    else elsewhere++;
  }
  const byRegion: Record<string, Comparison> = {};
  for (const r of regions)
    byRegion[r] = compare(await awsVersions(url, EMULATOR_KEYS, r), dataDir, split.get(r));
  return { byRegion, elsewhere };
}
