import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FieldsError } from '../../core/errors.js';
import { createLogger, silentLogger } from '../../core/logger.js';
import { configIssues } from '../../core/schema.js';
import {
  AUTH_SECRET_KEYS,
  SECRET_FIELDS,
  configSecrets,
  connectorConfigSchema,
  partitionIssues,
  resolveEnvRefs,
} from './config.js';
import { createInspectorClient } from './client.js';
import { awsInspector } from './index.js';

const valid = {
  name: 'acme-inspector',
  region: 'us-east-1',
  auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' },
};

describe('connector config schema', () => {
  it('applies the documented defaults', () => {
    const c = connectorConfigSchema.parse(valid);
    expect(c).toMatchObject({
      tenant: 'Root Tenant',
      intervalMinutes: 5,
      disableSslVerification: false,
      initialLookbackDays: 7,
      logFilters: [],
    });
  });

  it('reports every invalid field at once, each by name', () => {
    const r = connectorConfigSchema.safeParse({
      name: 'tenant-名前',
      region: 'mars-1',
      auth: { method: 'iam_role', accessKeyId: 'x', secretAccessKey: '', roleArn: 'arn:aws:iam::1:user/x' },
      intervalMinutes: -3,
      surprise: true,
    });
    expect(r.success).toBe(false);
    const fields = configIssues(r.error!).map((i) => i.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'name',
        'region',
        'auth.accessKeyId',
        'auth.secretAccessKey',
        'auth.roleArn',
        'intervalMinutes',
        'surprise',
      ]),
    );
  });

  it('accepts GovCloud and China regions and role ARNs in their partitions', () => {
    for (const [region, arn] of [
      ['us-gov-west-1', 'arn:aws-us-gov:iam::123456789012:role/Reader'],
      ['cn-north-1', 'arn:aws-cn:iam::123456789012:role/path/Reader'],
    ]) {
      const r = connectorConfigSchema.safeParse({
        ...valid,
        region,
        auth: { method: 'iam_role', accessKeyId: 'AKIAI44QH8DHBEXAMPLE', secretAccessKey: 's', roleArn: arn },
      });
      expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
    }
  });

  it("refuses a role ARN of another partition than the region's, naming both, before any request", () => {
    for (const [region, arn, want] of [
      ['cn-north-1', 'arn:aws:iam::123456789012:role/Reader', 'aws-cn'],
      ['us-gov-east-1', 'arn:aws-cn:iam::123456789012:role/Reader', 'aws-us-gov'],
      ['eu-west-1', 'arn:aws-us-gov:iam::123456789012:role/Reader', 'aws'],
    ]) {
      const cfg = connectorConfigSchema.parse({
        ...valid,
        region,
        auth: { method: 'iam_role', accessKeyId: 'AKIAI44QH8DHBEXAMPLE', secretAccessKey: 's', roleArn: arn },
      });
      const issues = [
        {
          field: 'auth.roleArn',
          message: expect.stringContaining(`region ${region} is in ${want}: use arn:${want}:iam::`),
        },
      ];
      // The API's write-time check, and the client factory (the Test, the CLI, every run).
      expect(awsInspector().apiIssues!(cfg, { allowedEndpointHosts: [] })).toEqual(issues);
      expect(() => createInspectorClient(cfg, { logger: silentLogger(), connectorId: 't' })).toThrow(
        expect.objectContaining({ code: 'ERR_CONFIG_INVALID', fields: issues }),
      );
    }
    expect(partitionIssues({ ...valid, region: 'cn-north-1' })).toEqual([]);
  });

  it('resolves ${ENV:NAME} secrets and names the field when the variable is missing', () => {
    const c = connectorConfigSchema.parse({
      ...valid,
      auth: { method: 'access_key', accessKeyId: '${ENV:AK}', secretAccessKey: '${ENV:SK}' },
    });
    expect(resolveEnvRefs(c, { AK: 'AKIAIOSFODNN7EXAMPLE', SK: 'shh' }).auth.secretAccessKey).toBe('shh');
    expect(() => resolveEnvRefs(c, { AK: 'AKIAIOSFODNN7EXAMPLE' })).toThrow(/auth.secretAccessKey.*SK/);
    // A value read from a file often ends with a newline: refused, naming field and variable, not the value.
    expect(() => resolveEnvRefs(c, { AK: 'AKIAIOSFODNN7EXAMPLE', SK: 'shh-secret\n' })).toThrow(
      /^auth\.secretAccessKey: environment variable SK contains control characters/,
    );
  });

  it('an unusable ${ENV:NAME} is ERR_CONFIG_INVALID with the field in `fields` (no message parsing)', () => {
    const c = connectorConfigSchema.parse({
      ...valid,
      auth: { method: 'access_key', accessKeyId: '${ENV:AK}', secretAccessKey: 'shh' },
    });
    let err: unknown;
    try {
      resolveEnvRefs(c, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FieldsError);
    expect(err).toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      fields: [{ field: 'auth.accessKeyId', message: 'environment variable AK is not set' }],
    });
  });

  it('refuses blank names and secrets with control characters, naming the field', () => {
    const r = connectorConfigSchema.safeParse({
      ...valid,
      name: '    ',
      auth: { method: 'iam_role', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'a\u0000b' },
      logFilters: [{ name: ' ', conditions: [{ field: 'a', operator: 'exists' }] }],
    });
    expect(r.success).toBe(false);
    const issues = configIssues(r.error!);
    expect(issues).toEqual(
      expect.arrayContaining([
        { field: 'name', message: 'name must not be blank (only spaces)' },
        {
          field: 'auth.secretAccessKey',
          message: 'Source Account Secret Key must not contain control characters (newline, tab, ...)',
        },
        { field: 'logFilters.0.name', message: 'name must not be blank (only spaces)' },
      ]),
    );
    expect(JSON.stringify(issues)).not.toContain('a\u0000b');
  });
});

describe('secret fields: one list, from the schema marks', () => {
  it('the connector config: both source keys, under auth', () => {
    expect(SECRET_FIELDS).toEqual(['auth.accessKeyId', 'auth.secretAccessKey']);
    expect(AUTH_SECRET_KEYS).toEqual(['accessKeyId', 'secretAccessKey']);
    const c = connectorConfigSchema.parse(valid);
    expect(configSecrets(c)).toEqual(['AKIAIOSFODNN7EXAMPLE', 'secret']);
  });

  it('the JSON schema (/meta, the wizard) shows the key IDs as text, still secret; the secret keys masked', () => {
    const json = JSON.stringify(z.toJSONSchema(connectorConfigSchema, { io: 'input' }));
    const auth = (JSON.parse(json) as { properties: { auth: { oneOf?: unknown[]; anyOf?: unknown[] } } })
      .properties.auth;
    const variants = (auth.oneOf ?? auth.anyOf ?? []) as {
      properties: Record<string, Record<string, unknown>>;
    }[];
    expect(variants).toHaveLength(2);
    for (const v of variants) {
      expect(v.properties.accessKeyId).toMatchObject({ secret: true, display: 'text' });
      expect(v.properties.secretAccessKey).toMatchObject({ secret: true });
      expect(v.properties.secretAccessKey!.display).toBeUndefined();
    }
  });

  it('the logger redacts every secret field, at the depths a config is logged', () => {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        out += chunk.toString();
        cb();
      },
    });
    const log = createLogger({ level: 'info', secretFields: SECRET_FIELDS }, sink);
    const c = connectorConfigSchema.parse({ ...valid, auth: { ...valid.auth, secretAccessKey: 'Zq9-Sk' } });
    log.info({ auth: c.auth, cfg: c }, 'config');
    expect(out).toContain('[REDACTED]');
    for (const s of configSecrets(c)) expect(out).not.toContain(s);
  });
});

describe('regions', () => {
  const base = { name: 'multi', auth: valid.auth };
  const issues = (input: Record<string, unknown>) => {
    const r = connectorConfigSchema.safeParse({ ...base, ...input });
    expect(r.success).toBe(false);
    return configIssues(r.error!);
  };

  it('an older config with region reads as regions: [region], without region', () => {
    const c = connectorConfigSchema.parse(valid);
    expect(c.regions).toEqual(['us-east-1']);
    expect('region' in c).toBe(false);
    expect(c.regionConcurrency).toBe(4);
    // Parsing the parsed config again (the store re-validates) keeps it.
    expect(connectorConfigSchema.parse(c).regions).toEqual(['us-east-1']);
  });

  it('a list keeps its order; "all" is every Inspector2 region of the partition, home region first', () => {
    const t = awsInspector();
    const list = connectorConfigSchema.parse({
      ...base,
      regions: ['eu-west-1', 'us-east-1'],
      regionConcurrency: 2,
    });
    expect(t.parts!(list)).toEqual({ parts: ['eu-west-1', 'us-east-1'], concurrency: 2 });
    expect(t.legacyPart!(list)).toBe('eu-west-1');
    expect(t.summary!(list)).toEqual({ regions: 'eu-west-1, us-east-1', region: 'eu-west-1' });

    const all = connectorConfigSchema.parse({ ...base, regions: 'all' });
    const parts = t.parts!(all).parts;
    expect(parts[0]).toBe('us-east-1');
    expect(parts).toContain('eu-west-1');
    expect(parts).not.toContain('ap-southeast-6'); // no Inspector2 endpoint
    expect(parts.some((r) => r.startsWith('us-gov-') || r.startsWith('cn-'))).toBe(false);
    expect(new Set(parts).size).toBe(parts.length);
    expect(t.legacyPart!(all)).toBeUndefined();
    expect(t.summary!(all)).toMatchObject({ regions: 'all (aws)' });

    const gov = connectorConfigSchema.parse({ ...base, regions: 'all', partition: 'aws-us-gov' });
    expect(t.parts!(gov).parts).toEqual(['us-gov-west-1', 'us-gov-east-1']);
  });

  it('bad entries, duplicates, mixed partitions and bounds name the field', () => {
    expect(issues({ regions: ['us-east-1', 'mars-1'] })).toEqual([
      { field: 'regions.1', message: expect.stringMatching(/^regions\[1\]: 'mars-1' is not an AWS region/) },
    ]);
    expect(issues({ regions: ['us-east-1', 'eu-west-1', 'us-east-1'] })).toEqual([
      { field: 'regions.2', message: 'regions[2]: us-east-1 is already regions[0]: name each region once' },
    ]);
    const mixed = issues({ regions: ['us-east-1', 'us-gov-west-1', 'cn-north-1'] });
    expect(mixed).toHaveLength(1);
    expect(mixed[0]!.field).toBe('regions');
    expect(mixed[0]!.message).toMatch(
      /mixes partitions .*us-gov-west-1 is in aws-us-gov.*cn-north-1 is in aws-cn/,
    );
    expect(issues({ regions: [] })[0]).toMatchObject({
      field: 'regions',
      message: expect.stringMatching(/at least one/),
    });
    const tooMany = issues({ regions: Array.from({ length: 40 }, () => 'us-east-1') });
    expect(tooMany[0]).toMatchObject({
      field: 'regions',
      message: expect.stringMatching(/at most 38 regions \(every known region\), not 40/),
    });
    expect(issues({ regions: 'some' })[0]!.field).toBe('regions');
    expect(issues({})).toEqual([
      { field: 'regions', message: expect.stringMatching(/^regions is required/) },
    ]);
    expect(issues({ regions: ['us-east-1'], partition: 'aws-cn' })[0]).toMatchObject({ field: 'partition' });
    expect(issues({ regions: 'all', partition: 'aws-moon' })[0]!.field).toBe('partition');
    expect(issues({ regions: ['us-east-1'], regionConcurrency: 17 })[0]!.field).toBe('regionConcurrency');
    expect(issues({ regions: ['us-east-1'], regionConcurrency: 0 })[0]!.field).toBe('regionConcurrency');
  });

  it("the role ARN's partition is checked against the regions' (list, all with partition, older region)", () => {
    const role = (roleArn: string) => ({
      method: 'iam_role',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 's',
      roleArn,
    });
    const gov = 'arn:aws-us-gov:iam::123456789012:role/R';
    expect(partitionIssues({ regions: ['us-gov-west-1'], auth: role(gov) })).toEqual([]);
    expect(partitionIssues({ regions: ['us-east-1', 'eu-west-1'], auth: role(gov) })[0]).toMatchObject({
      field: 'auth.roleArn',
      message: expect.stringMatching(/partition aws-us-gov but region us-east-1 is in aws/),
    });
    expect(partitionIssues({ regions: 'all', partition: 'aws-us-gov', auth: role(gov) })).toEqual([]);
    expect(partitionIssues({ regions: 'all', auth: role(gov) })[0]!.message).toMatch(
      /regions "all" are in aws/,
    );
    expect(partitionIssues({ region: 'cn-north-1', auth: role(gov) })[0]!.field).toBe('auth.roleArn');
  });

  it('endpoint overrides with {region} are checked against the allow-list for each region', () => {
    const t = awsInspector();
    const endpoints = { inspector2: 'https://inspector2.{region}.example.internal' };
    const allowed = ['inspector2.us-east-1.example.internal', 'inspector2.eu-west-1.example.internal'];
    expect(
      t.apiIssues!({ regions: ['us-east-1', 'eu-west-1'], endpoints }, { allowedEndpointHosts: allowed }),
    ).toEqual([]);
    expect(
      t.apiIssues!({ regions: ['us-east-1', 'eu-west-2'], endpoints }, { allowedEndpointHosts: allowed }),
    ).toEqual([
      {
        field: 'endpoints.inspector2',
        message: expect.stringMatching(/inspector2\.eu-west-2\.example\.internal/),
      },
    ]);
    expect(
      t.apiIssues!({ region: 'us-east-1', regions: ['us-east-1'] }, { allowedEndpointHosts: [] }),
    ).toEqual([{ field: 'region', message: expect.stringMatching(/not both/) }]);
  });
});
