/**
 * Error classification with the SDK's own exception classes and Node's error codes, and the
 * small pure helpers. The client over HTTP(S) against the emulator is tested in
 * test/integration/collect*.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  AccessDeniedException,
  InternalServerException,
  ThrottlingException,
  ValidationException,
  ResourceNotFoundException,
} from '@aws-sdk/client-inspector2';
import { STSServiceException, ExpiredTokenException, RegionDisabledException } from '@aws-sdk/client-sts';
import { CodedError } from '../../core/errors.js';
import { classifyAwsError, explainEndpointError, roleSessionName, toSdkFilter } from './client.js';
import { connectorConfigSchema } from './config.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const KEY = 'AKIAIOSFODNN7EXAMPLE';
const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode, requestId: 'req-1' } });

function stsError(name: string, status: number): STSServiceException {
  return new STSServiceException({ name, $fault: 'client', message: `${name} happened`, ...meta(status) });
}

function nodeError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });
}

describe('classifyAwsError', () => {
  const cases: [string, unknown, string][] = [
    [
      'unknown key (Inspector)',
      Object.assign(new Error('x'), { name: 'UnrecognizedClientException', ...meta(403) }),
      'ERR_AUTH_INVALID',
    ],
    [
      'wrong secret (Inspector)',
      Object.assign(new Error('x'), { name: 'InvalidSignatureException', ...meta(403) }),
      'ERR_AUTH_INVALID',
    ],
    ['unknown key (STS)', stsError('InvalidClientTokenId', 403), 'ERR_AUTH_INVALID'],
    ['wrong secret (STS)', stsError('SignatureDoesNotMatch', 403), 'ERR_AUTH_INVALID'],
    [
      'expired token (STS)',
      new ExpiredTokenException({ message: 'expired', ...meta(403) }),
      'ERR_AUTH_INVALID',
    ],
    [
      'expired token (Inspector)',
      Object.assign(new Error('x'), { name: 'ExpiredTokenException', ...meta(403) }),
      'ERR_AUTH_INVALID',
    ],
    ['missing permission', new AccessDeniedException({ message: 'no', ...meta(403) }), 'ERR_PERMISSION'],
    ['role does not trust the user', stsError('AccessDenied', 403), 'ERR_PERMISSION'],
    ['throttled', new ThrottlingException({ message: 'slow', ...meta(429) }), 'ERR_THROTTLED'],
    ['any 429', Object.assign(new Error('x'), { name: 'Whatever', ...meta(429) }), 'ERR_THROTTLED'],
    [
      'validation of nextToken',
      new ValidationException({
        message: 'bad',
        reason: 'OTHER',
        fields: [{ name: 'nextToken', message: 'x' }],
        ...meta(400),
      }),
      'ERR_TOKEN_REJECTED',
    ],
    [
      'other validation',
      new ValidationException({ message: 'bad', reason: 'OTHER', ...meta(400) }),
      'ERR_CONFIG_INVALID',
    ],
    [
      'STS disabled in region',
      new RegionDisabledException({ message: 'off', ...meta(403) }),
      'ERR_CONFIG_INVALID',
    ],
    ['not found', new ResourceNotFoundException({ message: 'nf', ...meta(404) }), 'ERR_NOT_FOUND'],
    [
      'unknown path 404',
      Object.assign(new Error('x'), { name: 'UnknownError', ...meta(404) }),
      'ERR_NOT_FOUND',
    ],
    ['500', new InternalServerException({ message: 'boom', ...meta(500) }), 'ERR_AWS_SERVER'],
    ['503 without a name', Object.assign(new Error('x'), { name: 'Error', ...meta(503) }), 'ERR_AWS_SERVER'],
    ['self-signed', nodeError('DEPTH_ZERO_SELF_SIGNED_CERT'), 'ERR_TLS'],
    ['self-signed in chain', nodeError('SELF_SIGNED_CERT_IN_CHAIN'), 'ERR_TLS'],
    ['leaf', nodeError('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'ERR_TLS'],
    ['expired cert', nodeError('CERT_HAS_EXPIRED'), 'ERR_TLS'],
    ['dns', nodeError('ENOTFOUND'), 'ERR_DNS'],
    ['dns again', nodeError('EAI_AGAIN'), 'ERR_DNS'],
    ['refused', nodeError('ECONNREFUSED'), 'ERR_NETWORK'],
    ['reset', nodeError('ECONNRESET'), 'ERR_NETWORK'],
    ['timeout', Object.assign(new Error('t'), { name: 'TimeoutError' }), 'ERR_NETWORK'],
    ['wrapped cause', Object.assign(new Error('outer'), { cause: nodeError('ECONNREFUSED') }), 'ERR_NETWORK'],
    [
      'html from a proxy',
      Object.assign(new Error('x'), { name: 'SyntaxError', ...meta(200) }),
      'ERR_BAD_RESPONSE',
    ],
  ];
  it.each(cases)('%s', (_label, err, code) => {
    expect(classifyAwsError(err, { secrets: [] }).code).toBe(code);
  });

  it('never uses message text: the same message under another name classifies by the name', () => {
    const msg = 'The security token included in the request is invalid';
    expect(
      classifyAwsError(Object.assign(new Error(msg), { name: 'ThrottlingException', ...meta(400) }), {
        secrets: [],
      }).code,
    ).toBe('ERR_THROTTLED');
  });

  it('scrubs secrets from message and detail, and keeps coded errors as they are', () => {
    const err = Object.assign(new Error(`key ${KEY} secret ${SECRET}`), {
      name: 'InvalidSignatureException',
      ...meta(403),
    });
    const c = classifyAwsError(err, { secrets: [KEY, SECRET], operation: 'ListFindings' });
    expect(c.message).not.toContain(SECRET);
    expect(c.message).not.toContain(KEY);
    expect(c.detail).not.toContain(SECRET);
    expect(c.detail).not.toContain(KEY);
    expect(c.message).toContain('ListFindings');
    expect(c.cause).toBeUndefined();
    const coded = new CodedError('ERR_BAD_RESPONSE', 'not JSON');
    expect(classifyAwsError(coded, { secrets: [SECRET] })).toBe(coded);
    const leaky = classifyAwsError(new CodedError('ERR_BAD_RESPONSE', `x ${SECRET}`), { secrets: [SECRET] });
    expect(leaky.code).toBe('ERR_BAD_RESPONSE');
    expect(leaky.message).not.toContain(SECRET);
  });
});

describe('explainEndpointError', () => {
  const at = (region: string, endpoints: Record<string, string> = {}) =>
    connectorConfigSchema.parse({
      name: 'a-b',
      region,
      auth: { method: 'access_key', accessKeyId: KEY, secretAccessKey: SECRET },
      endpoints,
    });
  const explain = (e: unknown, region: string, service: 'inspector2' | 'sts', endpoints = {}) =>
    explainEndpointError(classifyAwsError(e, { secrets: [SECRET] }), e, at(region, endpoints), service);
  const dns = (host: string) =>
    Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host });

  it('DNS failure of the default Inspector2 host: not available in that region, or which host did not resolve', () => {
    const none = explain(dns('inspector2.ap-southeast-6.amazonaws.com'), 'ap-southeast-6', 'inspector2');
    expect(none.code).toBe('ERR_REGION_UNAVAILABLE');
    expect(none.message).toMatch(
      /^Amazon Inspector is not available in ap-southeast-6 \(the Amazon Inspector endpoint inspector2\.ap-southeast-6\.amazonaws\.com does not exist\)/,
    );
    const other = explain(dns('sts.cn-north-1.amazonaws.com.cn'), 'cn-north-1', 'sts');
    expect(other.code).toBe('ERR_DNS');
    expect(other.message).toMatch(/^the STS endpoint sts\.cn-north-1\.amazonaws\.com\.cn: /);
  });

  it('a scope AWS refuses for the region is ERR_REGION_MISMATCH, naming the override; a wrong secret stays 401', () => {
    const mismatch = explain(stsError('SignatureDoesNotMatch', 403), 'eu-west-1', 'sts', {
      sts: 'https://sts.amazonaws.com',
    });
    expect(mismatch.code).toBe('ERR_AUTH_INVALID'); // another message: a wrong secret
    const e = Object.assign(stsError('SignatureDoesNotMatch', 403), {
      message: "Credential should be scoped to a valid region, not 'eu-west-1'. ",
    });
    const m = explain(e, 'eu-west-1', 'sts', { sts: 'https://sts.amazonaws.com' });
    expect(m.code).toBe('ERR_REGION_MISMATCH');
    expect(m.message).toMatch(
      /^the STS endpoint override \(endpoints\.sts = sts\.amazonaws\.com:443\) does not serve the connector's Region eu-west-1: /,
    );
  });
});

describe('helpers', () => {
  it('roleSessionName identifies the connector within STS limits', () => {
    expect(roleSessionName('3f2a-11')).toBe('inspector-connector-3f2a-11');
    const odd = roleSessionName('a b/c:d' + 'x'.repeat(100));
    expect(odd).toMatch(/^[\w+=,.@-]{2,64}$/);
    expect(odd.startsWith('inspector-connector-a-b-c-d')).toBe(true);
  });

  it('toSdkFilter turns epoch ms into Dates and keeps the rest', () => {
    const f = toSdkFilter({
      updatedAt: [{ startInclusive: 0, endInclusive: 1_700_000_000_123 }],
      findingStatus: [{ comparison: 'EQUALS', value: 'ACTIVE' }],
    });
    expect(f.updatedAt![0]!.startInclusive).toEqual(new Date(0));
    expect(f.updatedAt![0]!.endInclusive).toEqual(new Date(1_700_000_000_123));
    expect(f.findingStatus).toEqual([{ comparison: 'EQUALS', value: 'ACTIVE' }]);
  });
});
