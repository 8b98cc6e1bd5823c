/**
 * The reliability smoke test of the default suite (the kill -9 + resume case already runs in
 * collect-cli.test.ts): after a full run with assumed-role credentials, the secrets of the
 * configuration appear nowhere: not in the database files, the logs (debug level), the CLI's
 * output, its error messages (a run with a wrong secret), the Test's output, reconcile's report
 * or the API's responses. Reconcile reports a match, then exactly a deleted record.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../support/api.js';
import { openStore } from '../../src/store/index.js';
import {
  TEST_KEY,
  filesUnder,
  runCli,
  secretHits,
  startEmulatorProcess,
  tempDir,
  writeConfig,
  type EmulatorProcess,
} from '../reliability/helpers.js';
import { withStoreFile } from '../support/store-file.js';

const upper = (n: number) =>
  Array.from(randomBytes(n), (b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[b % 32]).join('');
const SOURCE = { accessKeyId: `AKIA${upper(16)}`, secretAccessKey: randomBytes(30).toString('base64') };
const READER = { accessKeyId: `AKIA${upper(16)}`, secretAccessKey: randomBytes(30).toString('base64') };
const WRONG = randomBytes(30).toString('base64');
const IAM = {
  account: '123456789012',
  delegatedAdmin: true,
  users: [
    { name: 'reader', ...READER, policies: ['AmazonInspector2ReadOnlyAccess'] },
    { name: 'source', ...SOURCE, actions: ['sts:AssumeRole'] },
  ],
  roles: [{ name: 'InspectorReadOnly', trust: ['source'], policies: ['AmazonInspector2ReadOnlyAccess'] }],
};
const SECRETS = [
  SOURCE.accessKeyId,
  SOURCE.secretAccessKey,
  READER.accessKeyId,
  READER.secretAccessKey,
  WRONG,
];

describe('reliability smoke: no secret anywhere after a full run; reconcile', () => {
  let emu: EmulatorProcess;
  let dir: string;
  beforeAll(async () => {
    emu = await startEmulatorProcess({ findings: 500, seed: 3, extra: { iam: IAM } });
    dir = tempDir('smoke');
  });
  afterAll(async () => {
    await emu?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('collects with an assumed role; secrets are in no file, log, output, error or API response', async () => {
    const data = path.join(dir, 'data');
    const roleAuth = {
      method: 'iam_role',
      ...SOURCE,
      roleArn: 'arn:aws:iam::123456789012:role/InspectorReadOnly',
    };
    const cfg = writeConfig(dir, emu.url, { name: 'smoke', auth: roleAuth, initialLookbackDays: 3650 });
    const debug = { LOG_LEVEL: 'debug' };
    const outputs: { name: string; bytes: string }[] = [];
    const run = async (name: string, args: string[], env: NodeJS.ProcessEnv = debug) => {
      const r = await runCli(args, env);
      outputs.push({ name: `${name} stdout`, bytes: r.stdout }, { name: `${name} stderr`, bytes: r.stderr });
      return r;
    };

    const collected = await run('collect', [
      'collect',
      '--config',
      cfg,
      '--data',
      data,
      '--once',
      '--output',
      '-',
    ]);
    expect(collected.code, collected.stderr).toBe(0);
    expect(collected.stdout.trim().split('\n').length).toBe(500);

    const tested = await run('test', ['test', '--config', cfg]);
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);

    const rec = await run('reconcile', ['reconcile', '--config', cfg, '--data', data]);
    expect(rec.code, rec.stdout + rec.stderr).toBe(0);
    expect(rec.stdout).toMatch(/^MATCH/m);

    // A wrong secret: the error message names the problem, never the values.
    const bad = writeConfig(path.join(dir), emu.url, {
      name: 'smoke',
      auth: { ...roleAuth, secretAccessKey: WRONG },
      initialLookbackDays: 3650,
    });
    const failed = await run('collect (wrong secret)', [
      'collect',
      '--config',
      bad,
      '--data',
      data,
      '--once',
    ]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/ERR_AUTH_INVALID/);

    // The API over the same store: connectors list and detail.
    const env = await testEnv({ store: openStore({ dataDir: data, key: Buffer.from(TEST_KEY, 'base64') }) });
    try {
      const auth = env.auth(await env.login());
      const list = await env.app.inject({ method: 'GET', url: '/api/v1/connectors', headers: auth });
      expect(list.statusCode).toBe(200);
      outputs.push({ name: 'GET /connectors', bytes: list.body });
      const first = (list.json() as { connectors: { id: string }[] }).connectors[0]!;
      const one = await env.app.inject({
        method: 'GET',
        url: `/api/v1/connectors/${first.id}`,
        headers: auth,
      });
      expect(one.statusCode).toBe(200);
      outputs.push({ name: 'GET /connectors/:id', bytes: one.body });
      outputs.push({ name: 'API logs', bytes: env.logs.join('') });
    } finally {
      await env.close();
    }

    const files = filesUnder(data).map((f) => ({ name: path.basename(f.file), bytes: f.bytes }));
    expect(files.some((f) => f.name === 'inspector-connector.db')).toBe(true);
    // The scanner finds what it looks for (plain and base64), so an empty result means something.
    expect(
      secretHits([WRONG], [{ name: 'control', bytes: `x${Buffer.from(WRONG).toString('base64')}x` }]),
    ).toHaveLength(1);
    expect(secretHits(SECRETS, [...files, ...outputs])).toEqual([]);
  });

  it('reconcile reports exactly the records deleted from the index (exit 1)', async () => {
    const data = path.join(dir, 'data');
    const cfg = path.join(dir, 'connector.json');
    // The previous case left a wrong secret in connector.json: write the good one back.
    writeConfig(dir, emu.url, {
      name: 'smoke',
      auth: { method: 'iam_role', ...SOURCE, roleArn: 'arn:aws:iam::123456789012:role/InspectorReadOnly' },
      initialLookbackDays: 3650,
    });
    // Records lost behind the store's back (a damaged file): reconcile must report them.
    const gone = withStoreFile(
      data,
      (db) => {
        const rows = db
          .prepare(
            `SELECT id, json_extract(doc, '$.aws_inspector.findingArn') AS arn FROM syslog ORDER BY rowid LIMIT 3`,
          )
          .all() as { id: string; arn: string }[];
        for (const g of rows) db.prepare('DELETE FROM syslog WHERE id = ?').run(g.id);
        return rows;
      },
      { write: true },
    );
    const r = await runCli(['reconcile', '--config', cfg, '--data', data, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as {
      missing: { count: number; sample: { findingArn: string }[] };
      stale: { count: number };
      unexpected: { count: number };
    };
    expect(report.missing.count).toBe(3);
    expect(report.missing.sample.map((d) => d.findingArn).sort()).toEqual(gone.map((g) => g.arn).sort());
    expect(report.stale.count).toBe(0);
    expect(report.unexpected.count).toBe(0);
  });
});
