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
