/** Config files for `test`, `collect` and `reconcile`: every problem is ERR_CONFIG_INVALID naming its field. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FieldsError } from '../../core/errors.js';
import { formatTestResult, isConfigInvalid, loadConfigFile, reportConfigError } from './test.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-cli-config-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

function fieldsOf(file: string, env: NodeJS.ProcessEnv = {}): FieldsError {
  try {
    loadConfigFile(file, env);
  } catch (e) {
    if (isConfigInvalid(e)) return e;
    throw e;
  }
  throw new Error('expected ERR_CONFIG_INVALID');
}

const good = (secret: string) =>
  `name: a\nregion: us-east-1\nauth:\n  method: access_key\n  accessKeyId: AKIAIOSFODNN7EXAMPLE\n  secretAccessKey: '${secret}'\n`;

describe('loadConfigFile', () => {
  it('an unset ${ENV:NAME} names its field, as a field (not parsed back from a message)', () => {
    const e = fieldsOf(write('env.yaml', good('${ENV:IC_NOT_SET}')));
    expect(e.code).toBe('ERR_CONFIG_INVALID');
    expect(e.fields).toEqual([
      { field: 'auth.secretAccessKey', message: 'environment variable IC_NOT_SET is not set' },
    ]);
    let out = '';
    const code = reportConfigError(e, { write: (s: string) => ((out += s), true) } as NodeJS.WritableStream);
    expect(code).toBe(2);
    expect(out).toBe(
      'Invalid configuration:\n  auth.secretAccessKey: environment variable IC_NOT_SET is not set\n',
    );
  });

  it('resolves a set ${ENV:NAME}', () => {
    expect(
      (
        loadConfigFile(write('ok.yaml', good('${ENV:SK}')), { SK: 'shh' }).config.auth as {
          secretAccessKey: string;
        }
      ).secretAccessKey,
    ).toBe('shh');
  });

  it('an unreadable or unparsable file is (file); schema problems name their fields', () => {
    expect(fieldsOf(path.join(dir, 'missing.yaml')).fields[0]).toMatchObject({ field: '(file)' });
    expect(fieldsOf(write('bad.yaml', 'a: [')).fields[0]).toMatchObject({ field: '(file)' });
    expect(fieldsOf(write('schema.yaml', 'name: a\nregion: mars-1\n')).fields.map((f) => f.field)).toEqual([
      'region',
      'auth',
    ]);
  });
});

describe('formatTestResult', () => {
  const row = (
    part: string,
    ok: boolean,
    status: 'ok' | 'not_enabled',
    httpStatus: number,
    code: string,
  ) => ({
    part,
    ok,
    status,
    httpStatus,
    code: code as 'OK',
    summary: ok ? `Amazon Inspector is reachable in ${part}.` : `${part} is not enabled`,
    explanation: '',
    recommendation: '',
  });

  it('prints one line per region when there are several, none for one', () => {
    const base = {
      ok: true,
      httpStatus: 200,
      code: 'OK' as const,
      summary: 'Success !',
      explanation: '',
      recommendation: '',
      detail: '',
      warnings: [],
    };
    const out = formatTestResult({
      ...base,
      parts: [
        row('us-east-1', true, 'ok', 200, 'OK'),
        row('af-south-1', false, 'not_enabled', 403, 'ERR_REGION_NOT_ENABLED'),
      ],
    });
    expect(out.split('\n')).toEqual([
      'Success !',
      'Regions (2):',
      '  us-east-1   OK             200 OK  Amazon Inspector is reachable in us-east-1.',
      '  af-south-1  NOT ENABLED    403 ERR_REGION_NOT_ENABLED  af-south-1 is not enabled',
      '',
    ]);
    expect(formatTestResult({ ...base, parts: [row('us-east-1', true, 'ok', 200, 'OK')] })).toBe(
      'Success !\n',
    );
  });

  it('an older config file with region loads as regions', () => {
    expect(loadConfigFile(write('old.yaml', good('shh'))).config.regions).toEqual(['us-east-1']);
    const list = write(
      'list.yaml',
      good('shh').replace('region: us-east-1', 'regions: [eu-west-1, us-east-1]'),
    );
    expect(loadConfigFile(list).config.regions).toEqual(['eu-west-1', 'us-east-1']);
  });
});
