/**
 * An AWS emulator for Inspector2 (restJson1) and STS (awsQuery) on node:http(s): SigV4 checked
 * on every request, IAM enforced, faults injectable at runtime, and a control API under
 * /__emulator/ (no signature). Test, benchmark and demo infrastructure: it depends on no product
 * code, because it stands in for AWS.
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { handleControl } from './control.js';
import { AwsError } from './errors.js';
import type { Operation } from './faults.js';
import type { IamModel } from './iam.js';
import { parseEndpointHost, partitionOf, splitEndpointPath, type Endpoint } from './regions.js';
import { optInRegionDisabled, scopeRegion, verifySigV4, type Service } from './sigv4.js';
import type { Bucket } from './org.js';
import { EmulatorState, type StateOptions } from './state.js';
import { handleSts, stsErrorXml } from './sts.js';
import { selfSignedCert } from './tls.js';

export type { IamModel } from './iam.js';
export { DEFAULT_IAM } from './iam.js';
export type { Faults } from './faults.js';
export { EmulatorState } from './state.js';
export { endpointHost } from './regions.js';

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  tls?: boolean;
  findings?: number;
  /** true: the shipped real findings (test/fixtures/aws-inspector2); a string: another folder. */
  fixtures?: boolean | string;
  seed?: number;
  /** The IAM model, or a JSON/YAML file holding it. */
  iam?: IamModel | string;
  clock?: () => number;
  /** Regions where Inspector2 is available, and generated findings live (default us-east-1). */
  regions?: string[];
  accounts?: string[];
  /** Full pages instead of AWS's uneven ones (README "Paging"); the control API can switch it. */
  cleanPages?: boolean;
  /** Percent (0-100) of generated findings sent without `updatedAt`; default 0. */
  withoutUpdatedAt?: number;
  /** Fraction (0-1) of ACTIVE findings rescanned per emulator day, nothing material changed (README "Rescans"). */
  rescanRate?: number;
  /**
   * A version written at T is listed from emulator time T + this (default 0); before that the
   * previous version is (README "Indexing lag"). The control API can change it.
   */
  indexLagSeconds?: number;
  /** The emulator's clock = host time + this, may be negative (README "Clock offset"). */
  clockOffsetSeconds?: number;
  /** Opt-in regions enabled for the account (default all); others answer as AWS (README "Opt-in regions"). */
  optInRegions?: string[];
  /** Member accounts of the delegated administrator (default: `accounts` but the admin). */
  members?: string[];
  /** Each region's own token bucket for Inspector2 requests (default: no limit). */
  regionRate?: Bucket;
  /** Called with unexpected errors (answered as a generic 500 without details). */
  onError?: (e: unknown) => void;
}

export interface Emulator {
  url: string;
  port: number;
  /** PEM of the self-signed certificate when tls. */
  ca?: string;
  /** Direct access to the emulator's state (the same as the control API). */
  state: EmulatorState;
  /**
   * The URL of one AWS endpoint on this emulator: `url/{host}` (e.g.
   * `http://127.0.0.1:4566/inspector2.eu-west-1.amazonaws.com`), strict about its region as AWS is.
   */
  endpoint(host: string): string;
  close(): Promise<void>;
}

const MAX_BODY = 8 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      // Past the limit keep draining (so the client reads our answer) but keep nothing.
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY)
        reject(new AwsError('SerializationException', 413, `Request body larger than ${MAX_BODY} bytes`));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Route {
  service: Service;
  op: Operation | 'Unknown';
}

/** Inspector2's restJson1 operations served, by path (all POST). */
const INSPECTOR2_PATHS: Record<string, Operation> = {
  '/findings/list': 'ListFindings',
  '/status/batch/get': 'BatchGetAccountStatus',
  '/members/list': 'ListMembers',
  '/coverage/list': 'ListCoverage',
  '/coverage/statistics/list': 'ListCoverageStatistics',
  '/delegatedadminaccounts/get': 'GetDelegatedAdminAccount',
};

function route(method: string, pathname: string, params: URLSearchParams): Route | undefined {
  const op = INSPECTOR2_PATHS[pathname];
  if (op) return { service: 'inspector2', op: method === 'POST' ? op : 'Unknown' };
  if (pathname === '/') {
    const a = params.get('Action');
    return { service: 'sts', op: a === 'AssumeRole' || a === 'GetCallerIdentity' ? a : 'Unknown' };
  }
  return undefined;
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const state = new EmulatorState(opts as StateOptions);
  const host = opts.host ?? '127.0.0.1';
  let ca: string | undefined;

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    handle(state, req, res).catch((e: unknown) => {
      // Never a stack trace on the wire: the last resort is AWS's generic 500.
      if (!res.headersSent) {
        res.writeHead(500, {
          'content-type': 'application/json',
          'x-amzn-errortype': 'InternalServerException',
        });
        res.end(JSON.stringify({ message: 'Internal server error' }));
      } else res.destroy();
      opts.onError?.(e);
    });
  };

  let server: http.Server | https.Server;
  if (opts.tls) {
    const cert = await selfSignedCert(host);
    ca = cert.cert;
    server = https.createServer({ key: cert.key, cert: cert.cert }, handler);
  } else {
    server = http.createServer(handler);
  }
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${opts.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    port,
    ...(ca ? { ca } : {}),
    state,
    endpoint: (h) => `${url}/${h}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function baseHeaders(state: EmulatorState, requestId: string): Record<string, string> {
  return { 'x-amzn-requestid': requestId, date: new Date(state.now()).toUTCString() };
}

function sendRestError(state: EmulatorState, res: ServerResponse, e: AwsError, requestId: string): void {
  const body = JSON.stringify({ message: e.message, ...e.extra });
  res.writeHead(e.status, {
    ...baseHeaders(state, requestId),
    'content-type': 'application/json',
    'x-amzn-errortype': e.namespace ? `${e.code}:${e.namespace}` : e.code,
    ...(e.retryAfterSeconds !== undefined ? { 'retry-after': String(e.retryAfterSeconds) } : {}),
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function sendStsError(state: EmulatorState, res: ServerResponse, e: AwsError, requestId: string): void {
  const body = stsErrorXml(e, requestId);
  res.writeHead(e.status, {
    ...baseHeaders(state, requestId),
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * The error for a request to an endpoint AWS does not have, or undefined. `hostName`: the AWS host
 * the request was addressed to; without one (the multi-region address) the endpoint is that of
 * the credential scope's region.
 */
function noSuchEndpoint(
  state: EmulatorState,
  hostName: string | undefined,
  endpoint: Endpoint | undefined,
  service: Service | undefined,
  region: string | undefined,
): AwsError | undefined {
  const missing = (host: string, why: string) =>
    new AwsError(
      'NoSuchEndpoint',
      404,
      `No such endpoint: ${host} (${why}). On AWS this host name does not resolve (DNS); the emulator answers 404 instead.`,
    );
  if (hostName !== undefined) {
    if (!endpoint) {
      const m = /^(?:[a-z0-9-]+)\.([a-z0-9-]+)\./i.exec(hostName);
      const p = m ? partitionOf(m[1]!) : undefined;
      return missing(
        hostName,
        p
          ? `the DNS suffix of ${m![1]!} (partition ${p.name}) is ${p.dnsSuffix}`
          : 'not an Inspector2 or STS endpoint of a known region',
      );
    }
    service = endpoint.service;
    region = endpoint.region;
  }
  if (service === undefined || region === undefined) return undefined;
  const p = partitionOf(region);
  if (!p) return missing(`${service}.${region}.amazonaws.com`, `'${region}' is not an AWS region`);
  if (service === 'inspector2' && !state.servesInspector(region))
    return missing(`inspector2.${region}.${p.dnsSuffix}`, `Amazon Inspector is not available in ${region}`);
  return undefined;
}

async function handle(state: EmulatorState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  const url = new URL(req.url ?? '/', 'http://emulator');
  if (url.pathname === '/__emulator' || url.pathname.startsWith('/__emulator/')) {
    return handleControl(state, req, res, url);
  }
  // Which AWS endpoint the request was sent to: an AWS host name as the first path segment or
  // as the Host header (README "Regions and endpoints"); none: the multi-region address.
  const byPath = splitEndpointPath(url.pathname);
  const hostName =
    byPath?.host ?? /^([^:]+\.amazonaws\.com(?:\.cn)?)(?::\d+)?$/i.exec(req.headers.host ?? '')?.[1];
  const pathname = byPath?.rest ?? url.pathname;
  let body: Buffer;
  let r = route(req.method ?? 'GET', pathname, url.searchParams);
  let endpoint: Endpoint | undefined;
  if (hostName !== undefined) {
    endpoint = parseEndpointHost(hostName);
    // A named endpoint serves its own service only: another service's path is an unknown operation.
    if (endpoint && r?.service !== endpoint.service) r = { service: endpoint.service, op: 'Unknown' };
  }
  try {
    body = await readBody(req);
  } catch (e) {
    if (e instanceof AwsError && r) {
      if (r.service === 'sts') sendStsError(state, res, e, requestId);
      else sendRestError(state, res, e, requestId);
    } else res.destroy();
    return;
  }
  // awsQuery takes parameters from the form body or the query string.
  const params = new URLSearchParams(url.searchParams);
  if (r?.service === 'sts' && body.length > 0) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.set(k, v);
    if (pathname === '/') r.op = route('POST', '/', params)!.op;
  }
  const entry: {
    op: string;
    status: number;
    errorCode?: string;
    caller?: string;
    region?: string;
    extra?: Record<string, unknown>;
  } = {
    op: r?.op ?? 'Unknown',
    status: 200,
  };
  const finish = () =>
    state.record({
      at: state.now(),
      operation: entry.op,
      status: entry.status,
      ...(entry.errorCode ? { errorCode: entry.errorCode } : {}),
      ...(entry.caller ? { caller: entry.caller } : {}),
      ...(entry.region ? { region: entry.region } : {}),
      ...entry.extra,
    });
  // The region the request is for: its endpoint's, or the credential scope's at the bare URL.
  const reqRegion = hostName !== undefined ? endpoint?.region : scopeRegion(req.headers);
  // An opt-in region the account has not enabled: AWS refuses the credentials there, whatever
  // they are (README "Opt-in regions").
  if (r && reqRegion !== undefined && state.org.optInDisabled(reqRegion)) {
    const e = optInRegionDisabled(endpoint?.service ?? r.service);
    entry.status = e.status;
    entry.errorCode = e.code;
    entry.region = reqRegion;
    entry.extra = { fault: 'optInRegionDisabled' };
    finish();
    if ((endpoint?.service ?? r.service) === 'sts') return sendStsError(state, res, e, requestId);
    return sendRestError(state, res, e, requestId);
  }
  // An endpoint AWS does not have: its host name does not resolve there (unknown region, wrong
  // DNS suffix, Inspector2 not in this region); the emulator can only answer, with a 404.
  const missing = noSuchEndpoint(state, hostName, endpoint, r?.service, scopeRegion(req.headers));
  if (missing) {
    entry.status = missing.status;
    entry.errorCode = missing.code;
    finish();
    if (r?.service === 'sts' || endpoint?.service === 'sts')
      return sendStsError(state, res, missing, requestId);
    return sendRestError(state, res, missing, requestId);
  }
  if (!r) {
    const e = new AwsError(
      'UnknownOperationException',
      404,
      `No operation is bound to ${req.method} ${url.pathname}`,
    );
    entry.status = 404;
    entry.errorCode = e.code;
    finish();
    return sendRestError(state, res, e, requestId);
  }
  const op = r.op;
  const fail = (e: AwsError) => {
    entry.status = e.status;
    entry.errorCode = e.code;
    finish();
    if (r.service === 'sts') sendStsError(state, res, e, requestId);
    else sendRestError(state, res, e, requestId);
  };
  try {
    if (op !== 'Unknown') {
      const latency = state.faults.latencyMs(op, reqRegion);
      if (latency > 0) await sleep(latency);
    }
    const signed = await verifySigV4(
      {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body,
      },
      r.service,
      state.now(),
      (k) => state.lookupKey(k),
      endpoint?.region,
    );
    const partition = partitionOf(signed.region)?.name ?? 'aws';
    entry.caller = signed.principal.arn;
    entry.region = signed.region;
    if (op === 'Unknown') {
      if (r.service === 'sts')
        throw new AwsError(
          'InvalidAction',
          400,
          `Could not find operation ${params.get('Action') ?? ''} for version 2011-06-15`,
        );
      throw new AwsError(
        'UnknownOperationException',
        404,
        `No operation is bound to ${req.method} ${pathname}`,
      );
    }
    const now = state.now();
    const region = signed.region;
    // Each region's own token bucket (README "Throttling per region").
    if (r.service === 'inspector2' && !state.org.admit(region, now)) {
      entry.extra = { fault: 'regionThrottle' };
      throw new AwsError('ThrottlingException', 429, 'Rate exceeded', {}, 1);
    }
    if (state.faults.hit('reset', op, now, region)) {
      entry.status = 0;
      entry.extra = { fault: 'reset' };
      finish();
      req.socket.destroy();
      return;
    }
    if (state.faults.hit('throttle', op, now, region)) {
      const ra = state.faults.retryAfterSeconds;
      entry.extra = { fault: 'throttle' };
      if (r.service === 'sts') throw new AwsError('Throttling', 400, 'Rate exceeded');
      throw new AwsError('ThrottlingException', 429, 'Rate exceeded', {}, ra);
    }
    if (state.faults.hit('error500', op, now, region)) {
      entry.extra = { fault: 'error500' };
      if (r.service === 'sts')
        throw new AwsError(
          'InternalFailure',
          500,
          'The request processing has failed because of an unknown error, exception or failure.',
        );
      throw new AwsError('InternalServerException', 500, 'Internal server error', {});
    }

    if (r.service === 'sts') {
      const xml = handleSts(
        params,
        signed.principal,
        {
          iam: state.iam,
          sessions: state.sessions,
          now: state.now(),
          credentialSeconds: state.credentialSeconds,
          partition,
        },
        requestId,
      );
      finish();
      res.writeHead(200, {
        ...baseHeaders(state, requestId),
        'content-type': 'text/xml',
        'content-length': Buffer.byteLength(xml),
      });
      res.end(xml);
      return;
    }

    let json: unknown = {};
    const text = body.toString('utf8').trim();
    if (text.length > 0) {
      try {
        json = JSON.parse(text);
      } catch {
        throw new AwsError(
          'SerializationException',
          400,
          'Start of structure or map found where not expected: the request body is not valid JSON',
        );
      }
    }
    let out: unknown;
    if (op === 'ListFindings') {
      const pageFault = state.faults.hit('emptyPage', op, now, region)
        ? 'emptyPage'
        : state.faults.hit('shortPage', op, now, region)
          ? 'shortPage'
          : undefined;
      const { shape, ...page } = state.listFindings(json, signed.principal, signed.region, pageFault);
      const q = (json ?? {}) as Record<string, unknown>;
      entry.extra = {
        filterCriteria: q.filterCriteria,
        ...(q.sortCriteria ? { sortCriteria: q.sortCriteria } : {}),
        ...(typeof q.maxResults === 'number' ? { maxResults: q.maxResults } : {}),
        hasNextToken: typeof q.nextToken === 'string' && q.nextToken.length > 0,
        returned: page.findings.length,
        ...(pageFault ? { fault: pageFault } : shape !== 'full' ? { shape } : {}),
      };
      out = page;
    } else if (op === 'BatchGetAccountStatus') {
      out = state.batchGetAccountStatus(json, signed.principal, signed.region);
    } else if (op === 'ListMembers') {
      out = state.listMembers(json, signed.principal, signed.region);
    } else if (op === 'ListCoverage') {
      out = state.listCoverage(json, signed.principal, signed.region);
    } else if (op === 'ListCoverageStatistics') {
      out = state.listCoverageStatistics(json, signed.principal, signed.region);
    } else {
      out = state.getDelegatedAdminAccount(json, signed.principal, signed.region);
    }
    let payload = JSON.stringify(out);
    if (op === 'ListFindings' && state.faults.hit('truncate', op, now, region)) {
      payload = payload.slice(0, Math.max(1, Math.floor(payload.length / 2)));
      entry.extra = { ...entry.extra, fault: 'truncate' };
    } else if (op === 'ListFindings' && state.faults.hit('malformed', op, now, region)) {
      payload = `{"findings":[{"findingArn":,"<html>502 Bad Gateway</html>`;
      entry.extra = { ...entry.extra, fault: 'malformed' };
    }
    state.stats.bytesServed += payload.length;
    finish();
    res.writeHead(200, {
      ...baseHeaders(state, requestId),
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
    });
    res.end(payload);
  } catch (e) {
    if (e instanceof AwsError) return fail(e);
    throw e;
  }
}
