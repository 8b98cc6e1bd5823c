/**
 * The registry and the schema readers: type lookup by id or label, unknown types named as the
 * `type` field, the lists derived from a schema's marks, and the store's view of the types.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { awsInspector } from './aws-inspector/index.js';
import { createRegistry, productionRegistry, storeTypes } from './registry.js';
import { secretFieldPaths, secretRefIssues, switchFieldPaths } from './schema.js';

describe('connector registry', () => {
  it('lists aws-inspector only in production; finds a type by id or label', () => {
    const r = productionRegistry();
    expect(r.types.map((t) => t.id)).toEqual(['aws-inspector']);
    expect(r.find('AWS Inspector')?.id).toBe('aws-inspector');
    expect(r.find('aws-inspector')?.label).toBe('AWS Inspector');
    expect(r.find('guardduty')).toBeUndefined();
    expect(() => createRegistry([awsInspector(), awsInspector()])).toThrow(/unique/);
  });

  it('an unknown type is ERR_CONFIG_INVALID naming `type`; parse names every invalid field', () => {
    const r = productionRegistry();
    expect(() => r.get('guardduty')).toThrow(
      expect.objectContaining({
        code: 'ERR_CONFIG_INVALID',
        fields: [{ field: 'type', message: 'type must be one of: aws-inspector' }],
      }),
    );
    try {
      r.parse('aws-inspector', { name: 'x', region: 'mars-1', extra: 1 });
      expect.unreachable();
    } catch (e) {
      const fields = (e as { fields: { field: string }[] }).fields.map((f) => f.field).sort();
      expect(fields).toEqual(['auth', 'extra', 'region']);
    }
  });

  it("gives the store the type's validation, secret fields and switch fields", () => {
    const t = storeTypes(productionRegistry());
    expect(t.defaultType).toBe('aws-inspector');
    expect(t.secretFields('aws-inspector')).toEqual(['auth.accessKeyId', 'auth.secretAccessKey']);
    expect(t.switchFields('aws-inspector')).toEqual(['auth.method']);
    expect(
      t.validate('aws-inspector', {
        name: 'n',
        region: 'us-east-1',
        auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 's' },
      }),
    ).toMatchObject({ tenant: 'Root Tenant', intervalMinutes: 5 });
  });
});

describe('schema readers', () => {
  const schema = z.object({
    name: z.string(),
    token: z.string().meta({ secret: true }).optional(),
    auth: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('a'), key: z.string().meta({ secret: true }) }),
      z.object({ kind: z.literal('b'), key: z.string().meta({ secret: true }), role: z.string() }),
    ]),
  });

  it('derives the secret and switch fields from the marks', () => {
    expect(secretFieldPaths(schema)).toEqual(['token', 'auth.key']);
    expect(switchFieldPaths(schema)).toEqual(['auth.kind']);
  });

  it('walks objects, unions and optional/default wrappers for both lists', () => {
    const nested = z.object({
      a: z.string().meta({ secret: true }),
      b: z.object({ c: z.string().optional().meta({ secret: true }), d: z.string() }).default({ d: '' }),
      e: z
        .discriminatedUnion('k', [
          z.object({ k: z.literal('x'), f: z.string().meta({ secret: true }) }),
          z.object({ k: z.literal('y'), f: z.string().meta({ secret: true }), g: z.string() }),
        ])
        .optional(),
      h: z.string(),
      i: z.union([z.object({ j: z.discriminatedUnion('m', [z.object({ m: z.literal('p') })]) }), z.string()]),
    });
    expect(secretFieldPaths(nested)).toEqual(['a', 'b.c', 'e.f']);
    expect(switchFieldPaths(nested)).toEqual(['e.k', 'i.j.m']);
  });

  it('refuses ${ENV:NAME} in secret fields only, naming each', () => {
    expect(
      secretRefIssues({ name: '${ENV:X}', token: '${ENV:Y}', auth: { key: '${ENV:Z}' } }, [
        'token',
        'auth.key',
      ]),
    ).toEqual([expect.objectContaining({ field: 'token' }), expect.objectContaining({ field: 'auth.key' })]);
  });
});
