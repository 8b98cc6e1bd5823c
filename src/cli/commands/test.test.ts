/** Config files for `test`, `collect` and `reconcile`: every problem is ERR_CONFIG_INVALID naming its field. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FieldsError } from '../../core/errors.js';
import { isConfigInvalid, loadConfigFile, reportConfigError } from './test.js';

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
