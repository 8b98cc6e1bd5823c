/**
 * SigV4 verification: parse the Authorization header, find the key, and re-sign the request with
 * the SDK's own signer (`@smithy/signature-v4`, `@smithy/hash-node`) over exactly the headers the
 * client signed; the signatures must match. Region and service come from the credential scope.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsError } from './errors.js';
import type { Principal } from './iam.js';

export type Service = 'inspector2' | 'sts';

/** A key the emulator knows: a user's long-term key or an STS session. */
export interface KeyRecord {
  secretAccessKey: string;
  sessionToken?: string;
  expiresAt?: number;
  principal: Principal;
}

export interface SignedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Verified {
  principal: Principal;
  region: string;
  accessKeyId: string;
}

type Failure =
  | 'missing'
  | 'incomplete'
  | 'unknownKey'
  | 'badSignature'
  | 'expired'
  | 'skew'
  | 'wrongService'
  | 'wrongRegion';

const MESSAGES: Record<Failure, string> = {
  missing: 'Missing Authentication Token',
  incomplete:
    "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters and an 'X-Amz-Date' header.",
  unknownKey: 'The security token included in the request is invalid.',
  badSignature:
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  expired: 'The security token included in the request is expired',
  skew: 'Signature expired',
  wrongService: 'Credential should be scoped to correct service',
  wrongRegion: 'Credential should be scoped to a valid region',
};

/** AWS's codes differ by protocol: restJson1 (inspector2) and awsQuery (sts). */
const CODES: Record<Service, Record<Failure, [string, number]>> = {
  inspector2: {
    missing: ['MissingAuthenticationTokenException', 403],
    incomplete: ['IncompleteSignatureException', 400],
    unknownKey: ['UnrecognizedClientException', 403],
    badSignature: ['InvalidSignatureException', 403],
    expired: ['ExpiredTokenException', 403],
    skew: ['InvalidSignatureException', 403],
    wrongService: ['InvalidSignatureException', 403],
    wrongRegion: ['InvalidSignatureException', 403],
  },
  sts: {
    missing: ['MissingAuthenticationToken', 403],
    incomplete: ['IncompleteSignature', 400],
    unknownKey: ['InvalidClientTokenId', 403],
    badSignature: ['SignatureDoesNotMatch', 403],
    // 403, as AWS answers (aws-sdk-java-v2 #1649; the model's ExpiredTokenException 400 is
    // AssumeRoleWithWebIdentity's expired web identity token, not an expired session).
    expired: ['ExpiredToken', 403],
    skew: ['SignatureDoesNotMatch', 403],
    wrongService: ['SignatureDoesNotMatch', 403],
    wrongRegion: ['SignatureDoesNotMatch', 403],
  },
};

/**
 * What a disabled opt-in region answers to any request, before looking at the key (as an unknown
 * key): Inspector2 UnrecognizedClientException 403, STS InvalidClientTokenId 403.
 */
export function optInRegionDisabled(service: Service): AwsError {
  return fail(service, 'unknownKey');
}

function fail(service: Service, f: Failure, message = MESSAGES[f]): AwsError {
  const [code, status] = CODES[service][f];
  return new AwsError(code, status, message, {}, undefined, CORAL);
}

const SKEW_MS = 5 * 60_000;
/** As AWS's front end sends it (`Code:namespace`): clients must keep only the part before ':'. */
const CORAL = 'http://internal.amazon.com/coral/com.amazon.coral.service/';

/** 20260101T000000Z <-> ms */
export function amzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** The region of the Authorization header's credential scope, without verifying anything. */
export function scopeRegion(headers: IncomingHttpHeaders): string | undefined {
  return /Credential=[^/,\s]+\/\d{8}\/([^/,\s]+)\//.exec(header(headers, 'authorization') ?? '')?.[1];
}

/**
 * `endpointRegion`: the region of the endpoint the request was sent to (the scope must name it,
 * as AWS checks); undefined for the emulator's multi-region address (the scope names the region).
 */
export async function verifySigV4(
  req: SignedRequest,
  service: Service,
  now: number,
  lookup: (accessKeyId: string) => KeyRecord | undefined,
  endpointRegion?: string,
): Promise<Verified> {
  const auth = header(req.headers, 'authorization');
  if (!auth) throw fail(service, 'missing');
  const m = /^AWS4-HMAC-SHA256\s+(.*)$/.exec(auth.trim());
  if (!m)
    throw fail(
      service,
      'incomplete',
      `Authorization header format is not AWS4-HMAC-SHA256: expected 'AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...'.`,
    );
  const parts: Record<string, string> = {};
  for (const p of m[1]!.split(',')) {
    const eq = p.indexOf('=');
    if (eq > 0) parts[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
  }
  const dateHeader = header(req.headers, 'x-amz-date');
  const credential = parts.Credential?.split('/');
  if (
    !credential ||
    credential.length !== 5 ||
    !parts.SignedHeaders ||
    !parts.Signature ||
    !dateHeader ||
    credential[4] !== 'aws4_request'
  ) {
    throw fail(service, 'incomplete');
  }
  const [accessKeyId, , region, scopeService] = credential as [string, string, string, string, string];
  const signedAt = parseAmzDate(dateHeader);
  if (signedAt === undefined)
    throw fail(service, 'incomplete', `Invalid X-Amz-Date '${dateHeader}': expected YYYYMMDD'T'HHMMSS'Z'.`);

  const key = lookup(accessKeyId);
  if (!key) throw fail(service, 'unknownKey');
  const token = header(req.headers, 'x-amz-security-token');
  // A session key is only valid with its own token; a long-term key must come without one.
  if (key.sessionToken !== undefined ? token !== key.sessionToken : token !== undefined)
    throw fail(service, 'unknownKey');
  if (scopeService !== service) {
    throw fail(service, 'wrongService', `Credential should be scoped to correct service: '${service}'. `);
  }
  if (endpointRegion !== undefined && region !== endpointRegion) {
    // AWS's wording, trailing space included (STS and JSON services alike).
    throw fail(service, 'wrongRegion', `Credential should be scoped to a valid region, not '${region}'. `);
  }

  const signedHeaders = parts.SignedHeaders.toLowerCase().split(';');
  if (!signedHeaders.includes('host'))
    throw fail(service, 'badSignature', "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  const headers: Record<string, string> = {};
  for (const h of signedHeaders) {
    const v = header(req.headers, h);
    if (v === undefined) throw fail(service, 'badSignature');
    headers[h] = v;
  }
  const declaredHash = headers['x-amz-content-sha256'];
  if (declaredHash && declaredHash !== 'UNSIGNED-PAYLOAD') {
    const h = new Hash('sha256');
    h.update(req.body);
    if (Buffer.from(await h.digest()).toString('hex') !== declaredHash) throw fail(service, 'badSignature');
  }
  const signer = new SignatureV4({
    credentials: {
      accessKeyId,
      secretAccessKey: key.secretAccessKey,
      ...(signedHeaders.includes('x-amz-security-token') && token ? { sessionToken: token } : {}),
    },
    region,
    service: scopeService,
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false,
    uriEscapePath: true,
  });
  const resigned = await signer.sign(
    new HttpRequest({
      method: req.method,
      protocol: 'http:',
      hostname: 'localhost',
      path: req.path,
      query: req.query,
      headers,
      body: req.body,
    }),
    { signingDate: new Date(signedAt), signableHeaders: new Set(signedHeaders) },
  );
  const want = /Signature=([0-9a-f]+)/.exec(String(resigned.headers.authorization))?.[1] ?? '';
  const wantList = /SignedHeaders=([^,]+)/.exec(String(resigned.headers.authorization))?.[1] ?? '';
  const got = parts.Signature;
  if (
    wantList !== signedHeaders.join(';') ||
    want.length !== got.length ||
    !timingSafeEqual(Buffer.from(want), Buffer.from(got))
  ) {
    throw fail(service, 'badSignature');
  }
  if (key.expiresAt !== undefined && now >= key.expiresAt) throw fail(service, 'expired');
  if (signedAt < now - SKEW_MS) {
    throw fail(
      service,
      'skew',
      `Signature expired: ${dateHeader} is now earlier than ${amzDate(now - SKEW_MS)} (${amzDate(now)} - 5 min.)`,
    );
  }
  if (signedAt > now + SKEW_MS) {
    throw fail(
      service,
      'skew',
      `Signature not yet current: ${dateHeader} is still later than ${amzDate(now + SKEW_MS)} (${amzDate(now)} + 5 min.)`,
    );
  }
  return { principal: key.principal, region, accessKeyId };
}
