import { describe, expect, it } from 'vitest';
import { CodedError, FieldsError } from '../../core/errors.js';
import type { ClientFactory, InspectorClient } from './client.js';
import { connectorConfigSchema } from './config.js';
import { endpointAllowed, parseAllowedEndpoints } from '../endpoints.js';
import { allowEndpoints, endpointIssues } from './endpoints.js';
import { Inspector2Client } from '@aws-sdk/client-inspector2';
import { STSClient } from '@aws-sdk/client-sts';
import { REGIONS, defaultEndpoints } from './regions.js';

describe('INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS entries', () => {
  it('a bare host allows its default port only; host:port that port only', () => {
    const allowed = parseAllowedEndpoints(' VPCE.example.com , 127.0.0.1:4566,[::1]:8443, fd00::1 ');
    expect(allowed).toEqual(['vpce.example.com', '127.0.0.1:4566', '[::1]:8443', 'fd00::1']);
    expect(endpointAllowed('https://vpce.example.com', allowed)).toBe(true);
    expect(endpointAllowed('https://VPCE.example.com:443/', allowed)).toBe(true);
    expect(endpointAllowed('http://vpce.example.com', allowed)).toBe(true); // http's default, 80
    expect(endpointAllowed('https://vpce.example.com:8443', allowed)).toBe(false);
    expect(endpointAllowed('http://vpce.example.com:443', allowed)).toBe(false);
    expect(endpointAllowed('http://127.0.0.1:4566', allowed)).toBe(true);
    expect(endpointAllowed('http://127.0.0.1:4567', allowed)).toBe(false);
    expect(endpointAllowed('http://127.0.0.1', allowed)).toBe(false);
    expect(endpointAllowed('https://[::1]:8443', allowed)).toBe(true);
    expect(endpointAllowed('https://[::1]', allowed)).toBe(false);
    expect(endpointAllowed('https://[fd00::1]', allowed)).toBe(true);
    expect(endpointAllowed('https://evil.vpce.example.com', allowed)).toBe(false);
  });

  it('a malformed entry is an error naming the variable and the entry', () => {
    for (const bad of ['host:port', 'a b', 'host:0', 'host:70000', 'https://host']) {
      expect(() => parseAllowedEndpoints(`ok.example.com,${bad}`)).toThrow(
        new RegExp(`INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS: "${bad.replace(/[.:/]/g, '\\$&')}"`),
      );
    }
    expect(parseAllowedEndpoints(undefined)).toEqual([]);
    expect(parseAllowedEndpoints(' , ')).toEqual([]);
  });

  it('issues name the field, the host:port and the variable', () => {
    expect(
      endpointIssues({ inspector2: 'http://127.0.0.1:9', sts: 'https://sts.example.com' }, ['127.0.0.1']),
    ).toEqual([
      {
        field: 'endpoints.inspector2',
        message: expect.stringMatching(
          /^127\.0\.0\.1:9 is not allowed .*INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS allows: 127\.0\.0\.1/,
        ),
      },
      { field: 'endpoints.sts', message: expect.stringMatching(/^sts\.example\.com:443 is not allowed/) },
    ]);
    expect(endpointIssues({ sts: 'https://sts.example.com' }, [])[0]!.message).toMatch(
      /disabled on this server \(set INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS/,
    );
  });
});

describe('allow-list parsing', () => {
  it('a list is parsed once, not at every check (every Test and run checks it)', () => {
    let reads = 0;
    const list = new Proxy(['127.0.0.1:4566', 'vpce.example.com'], {
      get(t, k, r) {
        if (typeof k === 'string' && /^\d+$/.test(k)) reads++;
        return Reflect.get(t, k, r) as unknown;
      },
    });
    for (let i = 0; i < 5; i++) {
      expect(
        endpointIssues({ inspector2: 'http://127.0.0.1:4566', sts: 'https://vpce.example.com' }, list),
      ).toEqual([]);
      expect(endpointAllowed('http://127.0.0.1:4567', list)).toBe(false);
    }
    expect(reads).toBe(2); // each entry read (and parsed) once
  });
});

describe('allowEndpoints (every client the server builds)', () => {
  const cfg = (endpoints: Record<string, string>) =>
    connectorConfigSchema.parse({
      name: 'c',
      region: 'us-east-1',
      auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' },
      endpoints,
    });
  const built: string[] = [];
  const inner: ClientFactory = (c) => {
    built.push(c.name);
    return {} as InspectorClient;
  };

  it('refuses a config whose override is not allowed, before any client exists', () => {
    const factory = allowEndpoints(inner, ['127.0.0.1:4566']);
    let err: unknown;
    try {
      factory(cfg({ sts: 'http://127.0.0.1:4567' }), { logger: undefined as never, connectorId: 'x' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CodedError);
    expect(err).toBeInstanceOf(FieldsError); // the fields, not only a joined message
    expect((err as FieldsError).fields.map((f) => f.field)).toEqual(['endpoints.sts']);
    expect((err as CodedError).code).toBe('ERR_ENDPOINT_NOT_ALLOWED');
    expect((err as CodedError).message).toMatch(
      /^endpoints\.sts: 127\.0\.0\.1:4567 is not allowed .*INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS/,
    );
    expect(built).toEqual([]);
    factory(cfg({ sts: 'http://127.0.0.1:4566' }), { logger: undefined as never, connectorId: 'x' });
    factory(cfg({}), { logger: undefined as never, connectorId: 'x' }); // no override: AWS's own endpoints
    expect(built).toEqual(['c', 'c']);
  });
});

describe('default endpoints per region', () => {
  it("are the AWS SDK's own (regional STS; amazonaws.com.cn in China)", () => {
    const creds = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' };
    for (const region of REGIONS) {
      const params = { Region: region, UseFIPS: false, UseDualStack: false };
      const inspector = new Inspector2Client({ region, credentials: creds });
      const sts = new STSClient({ region, credentials: creds });
      const got = {
        inspector2: inspector.config.endpointProvider(params).url.origin,
        sts: sts.config.endpointProvider({ ...params, UseGlobalEndpoint: false }).url.origin,
      };
      expect(got, region).toEqual(defaultEndpoints(region));
      inspector.destroy();
      sts.destroy();
    }
    expect(defaultEndpoints('cn-northwest-1').sts).toBe('https://sts.cn-northwest-1.amazonaws.com.cn');
  });
});
