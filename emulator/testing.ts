/**
 * Test helpers: raw SigV4-signed requests (with the SDK's signer) to see exactly what the emulator
 * sends, including members model-based clients drop, and the documented example keys.
 */
import http from 'node:http';
import https from 'node:https';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/** Parsed JSON of unknown shape, read field by field in tests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export const READER = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
export const SOURCE = {
  accessKeyId: 'AKIAI44QH8DHBEXAMPLE',
  secretAccessKey: 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY',
};
export const ACCOUNT = '123456789012';
export const ROLE = `arn:aws:iam::${ACCOUNT}:role/InspectorReadOnly`;
export const ROLE_EXTERNAL_ID = `arn:aws:iam::${ACCOUNT}:role/InspectorReadOnlyExternalId`;
export const ROLE_UNTRUSTED = `arn:aws:iam::${ACCOUNT}:role/Untrusted`;

export interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RawRequest {
  url: string;
  path: string;
  body: string;
  creds: Creds;
  service?: 'inspector2' | 'sts';
  region?: string;
  method?: string;
  contentType?: string;
  /** Sign as if at this time (ms). */
  signingDate?: number;
  ca?: string;
  /** Headers added after signing (not signed). */
  extraHeaders?: Record<string, string>;
}

/** The error code of a raw restJson1 response (`x-amzn-errortype`, without its `:namespace`). */
export function errType(r: RawResponse): string | undefined {
  const h = r.headers['x-amzn-errortype'];
  return typeof h === 'string' ? h.split(':')[0] : undefined;
}

/** Send one SigV4-signed request and return status, headers and the raw body. */
export async function signedRequest(r: RawRequest): Promise<RawResponse> {
  const u = new URL(r.url);
  const signer = new SignatureV4({
    credentials: r.creds,
    region: r.region ?? 'us-east-1',
    service: r.service ?? 'inspector2',
    sha256: Hash.bind(null, 'sha256'),
  });
  const req = new HttpRequest({
    method: r.method ?? 'POST',
    protocol: u.protocol,
    hostname: u.hostname,
    port: Number(u.port),
    path: r.path,
    headers: {
      host: u.host,
      'content-type':
        r.contentType ?? (r.service === 'sts' ? 'application/x-www-form-urlencoded' : 'application/json'),
    },
    body: r.body,
  });
  const signed = await signer.sign(req, r.signingDate ? { signingDate: new Date(r.signingDate) } : {});
  const headers = {
    ...signed.headers,
    ...r.extraHeaders,
    'content-length': String(Buffer.byteLength(r.body)),
  };
  return rawRequest(r.url, r.path, r.method ?? 'POST', headers, r.body, r.ca);
}

export function rawRequest(
  url: string,
  path: string,
  method: string,
  headers: Record<string, string>,
  body: string,
  ca?: string,
): Promise<RawResponse> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      { host: u.hostname, port: u.port, path, method, headers, ...(ca ? { ca } : {}), agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The control API (no signature). */
export async function control(
  url: string,
  path: string,
  method = 'GET',
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  const r = await rawRequest(
    url,
    `/__emulator/${path}`,
    method,
    { 'content-type': 'application/json' },
    body === undefined ? '' : JSON.stringify(body),
  );
  return { status: r.status, json: r.body ? JSON.parse(r.body) : undefined };
}

/** Page through ListFindings with raw requests; returns every finding as sent. */
export async function listAllRaw(
  url: string,
  creds: Creds,
  request: Record<string, unknown>,
  opts: { region?: string; ca?: string; signingDate?: number } = {},
): Promise<{ findings: Record<string, unknown>[]; pages: number }> {
  const findings: Record<string, unknown>[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const res = await signedRequest({
      url,
      path: '/findings/list',
      body: JSON.stringify({ ...request, ...(token ? { nextToken: token } : {}) }),
      creds,
      region: opts.region ?? 'us-east-1',
      ...(opts.ca ? { ca: opts.ca } : {}),
      ...(opts.signingDate !== undefined ? { signingDate: opts.signingDate } : {}),
    });
    if (res.status !== 200) throw new Error(`ListFindings ${res.status}: ${res.body}`);
    const page = JSON.parse(res.body) as { findings: Record<string, unknown>[]; nextToken?: string };
    findings.push(...page.findings);
    token = page.nextToken;
    pages++;
  } while (token);
  return { findings, pages };
}

/** Page through ListCoverage with raw requests (200 a page unless `maxResults`); every row as sent. */
export async function listCoverageRaw(
  url: string,
  creds: Creds,
  request: Record<string, unknown>,
  opts: { region?: string; signingDate?: number } = {},
): Promise<Json[]> {
  const rows: Json[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const res = await signedRequest({
      url,
      path: '/coverage/list',
      body: JSON.stringify({ maxResults: 200, ...request, ...(token ? { nextToken: token } : {}) }),
      creds,
      region: opts.region ?? 'us-east-1',
      ...(opts.signingDate !== undefined ? { signingDate: opts.signingDate } : {}),
    });
    if (res.status !== 200) throw new Error(`ListCoverage ${res.status}: ${res.body}`);
    const page = JSON.parse(res.body) as { coveredResources: Json[]; nextToken?: string };
    rows.push(...page.coveredResources);
    token = page.nextToken;
    if (++pages > 10_000) throw new Error('ListCoverage: more than 10,000 pages');
  } while (token);
  return rows;
}
