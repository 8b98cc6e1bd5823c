/**
 * A minimal signed ListFindings call for the benchmark: Node's fetch + the SDK's own SigV4
 * signer, no SDK client, no retries. Not product code (the product never hand-signs).
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';

export interface RawPage {
  findings: unknown[];
  nextToken?: string;
}

/** The wire wants epoch seconds where the collector's checkpoint keeps epoch ms. */
export function wireFilter(f: Record<string, unknown[]>): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const [k, list] of Object.entries(f)) {
    out[k] = list.map((item) => {
      const o = { ...(item as Record<string, unknown>) };
      for (const d of ['startInclusive', 'endInclusive']) {
        if (typeof o[d] === 'number') o[d] = (o[d] as number) / 1000;
      }
      return o;
    });
  }
  return out;
}

export function signedListFindings(
  baseUrl: string,
  keys: { accessKeyId: string; secretAccessKey: string },
  /** The region signed for (the emulator's bare URL serves the region of the credential scope). */
  region = 'us-east-1',
): (filterCriteria: Record<string, unknown[]>, nextToken?: string) => Promise<RawPage> {
  const url = new URL('/findings/list', baseUrl);
  const signer = new SignatureV4({
    service: 'inspector2',
    region,
    sha256: Hash.bind(null, 'sha256'),
    credentials: keys,
  });
  return async (filterCriteria, nextToken) => {
    const body = JSON.stringify({ maxResults: 100, filterCriteria, ...(nextToken ? { nextToken } : {}) });
    const req = new HttpRequest({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      headers: { 'content-type': 'application/json', host: url.host },
      body,
    });
    const signed = await signer.sign(req);
    const res = await fetch(url, { method: 'POST', headers: signed.headers, body });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`ListFindings HTTP ${res.status}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as RawPage;
  };
}
