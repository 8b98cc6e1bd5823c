/** The `search` command, spawned for real on a temp data dir. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InterflowRecord } from '../../core/record.js';
import { openStore } from '../../store/index.js';
import { testRecord, withStates } from '../../../test/support/records.js';
import { productionStoreTypes } from '../../connectors/registry.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
let dir: string;
const T0 = Date.UTC(2026, 2, 1);
const HOUR = 3_600_000;

const KEY_ENV = { INSPECTOR_CONNECTOR_KEY: Buffer.alloc(32, 2).toString('base64') };

/**
 * Runs a command without blocking this worker: a synchronous spawn here would keep vitest's
 * worker from answering its runner, which gives up after 60 s on a loaded machine.
 */
function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    execFile(file, args, { cwd: ROOT, encoding: 'utf8', env }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, out: stdout, err: stderr });
    });
  });
}
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
function cli(...args: string[]) {
  return cliEnv({}, ...args);
}
function cliEnv(env: NodeJS.ProcessEnv, ...args: string[]) {
  return run(TSX, ['src/cli/main.ts', 'search', '--data', dir, ...args], {
    ...process.env,
    ...KEY_ENV,
    ...env,
  });
}
const lines = (out: string) =>
  out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as InterflowRecord)._id);

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-cli-search-'));
  const store = openStore({ connectorTypes: productionStoreTypes(), dataDir: dir, key: Buffer.alloc(32, 2) });
  const c = store.connectors.create({
    name: 'root-inspector',
    region: 'us-east-1',
    auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'y'.repeat(40) },
  });
  const records: InterflowRecord[] = Array.from({ length: 150 }, (_, i) =>
    testRecord(
      { id: c.id, name: 'root-inspector' },
      {
        _id: `r${i}`,
        timestamp: T0 + i * HOUR,
        write_time: T0 + 1000 * HOUR - i,
        event_name: i % 3 === 0 ? `openssl finding ${i}` : `glibc finding ${i}`,
        event_status: i % 2 ? 'ACTIVE' : 'CLOSED',
        severity: (i % 5) * 20 + 10,
        aws_inspector: { status: i % 2 ? 'ACTIVE' : 'CLOSED' },
      },
    ),
  );
  store.commitPage(withStates({ connectorId: c.id, records, checkpoint: null }));
  // Saved searches (--saved): a root admin's, and a shared one of a user of tenant Acme.
  const acme = store.tenants.create('Acme');
  store.users.insert(
    { id: 'u-rita', username: 'rita', passwordHash: 'x', role: 'root_admin', tenantId: 'root' },
    T0,
  );
  store.users.insert(
    { id: 'u-ann', username: 'ann', passwordHash: 'x', role: 'analyst', tenantId: acme.id },
    T0,
  );
  store.users.insert(
    { id: 'u-bob', username: 'bob', passwordHash: 'x', role: 'analyst', tenantId: acme.id },
    T0,
  );
  store.savedSearches.create('u-rita', {
    name: 'OpenSSL closed',
    query: 'openssl AND event_status:CLOSED',
    timeRange: { kind: 'absolute', from: T0, to: T0 + 60 * HOUR },
    columns: ['_id', 'severity'],
    sort: 'timestamp:asc',
  });
  store.savedSearches.create('u-ann', {
    name: 'Everything',
    query: '*',
    timeRange: { kind: 'relative', last: 'all' },
    columns: ['_id'],
    visibility: 'tenant',
  });
  store.close();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('cli search', () => {
  it('prints NDJSON newest first, 100 by default', async () => {
    const r = await cli('*');
    expect(r.code).toBe(0);
    const ids = lines(r.out);
    expect(ids).toHaveLength(100);
    expect(ids[0]).toBe('r149');
    expect(ids[99]).toBe('r50');
  });

  it('--limit 0 prints all; --limit N at most N; a multi-word query is joined', async () => {
    expect(lines((await cli('--limit', '0', '*')).out)).toHaveLength(150);
    expect(lines((await cli('--limit', '3', 'aws_inspector.status:CLOSED')).out)).toEqual([
      'r148',
      'r146',
      'r144',
    ]);
    expect(lines((await cli('--limit', '0', 'openssl', 'aws_inspector.status:ACTIVE')).out)).toHaveLength(25);
  });

  it('--count prints just the number', async () => {
    const r = await cli('--count', 'openssl');
    expect(r.code).toBe(0);
    expect(r.out).toBe('50\n');
  });

  it('--from/--to take ISO-8601 or epoch ms, on --time-field', async () => {
    const from = new Date(T0 + 10 * HOUR).toISOString();
    expect((await cli('--count', '--from', from, '--to', String(T0 + 19 * HOUR), '*')).out).toBe('10\n');
    expect(
      (await cli('--count', '--time-field', 'write_time', '--from', String(T0 + 1000 * HOUR - 4), '*')).out,
    ).toBe('5\n');
  });

  it('a bad query is a clear message on stderr and exit 2', async () => {
    const r = await cli('severity:[10 TO');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/invalid query: position \d+: expected a range bound/);
  });

  it('bad options exit 2 naming the option; a missing index exits 1', async () => {
    expect(await cli('--limit', '-1', '*')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--limit must be an integer/),
    });
    expect(await cli('--from', 'yesterday', '*')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--from "yesterday"/),
    });
    expect(await cli('--time-field', 'doc', '*')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--time-field/),
    });
    const r = await run(TSX, ['src/cli/main.ts', 'search', '--data', path.join(dir, 'none'), '*']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no index in/);
  });

  it('--timeout: a search past its budget stops with ERR_QUERY_TIMEOUT and exit 3; bad values exit 2', async () => {
    // 1 ms: a fresh process's first search (statements prepared, every record checked) needs more.
    const r = await cli('--timeout', '1', '--limit', '0', '*i*g*');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/ERR_QUERY_TIMEOUT: .*narrow the query or the time range/);
    expect(await cli('--timeout', '0', '--count', '*i*g*')).toMatchObject({ code: 0, out: '150\n' });
    expect(await cli('--timeout', 'soon', '*')).toMatchObject({
      code: 2,
      err: 'error: --timeout must be a whole number of milliseconds (0 = no limit), got "soon"\n',
    });
    expect(await cliEnv({ INSPECTOR_CONNECTOR_SEARCH_TIMEOUT_MS: '-5' }, '*')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/INSPECTOR_CONNECTOR_SEARCH_TIMEOUT_MS must be/),
    });
  });

  it('--format csv --fields: the chosen columns as RFC 4180 CSV (times as ISO-8601)', async () => {
    const r = await cli(
      '--format',
      'csv',
      '--fields',
      '_id,timestamp,severity,aws_inspector.status',
      '--limit',
      '2',
      '*',
    );
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      '_id,timestamp,severity,aws_inspector.status\r\n' +
        `r149,${new Date(T0 + 149 * HOUR).toISOString()},90,ACTIVE\r\n` +
        `r148,${new Date(T0 + 148 * HOUR).toISOString()},70,CLOSED\r\n`,
    );
    // No match: the header alone.
    expect((await cli('--format', 'csv', '--fields', '_id', 'nothing-matches-this')).out).toBe('_id\r\n');
  });

  it('--format table: a header, a rule, aligned rows; NDJSON stays the default for pipes', async () => {
    const r = await cli(
      '--format',
      'table',
      '--fields',
      '_id,severity,event_name',
      '--limit',
      '3',
      'openssl',
    );
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual([
      '_id   severity  event_name',
      '----  --------  -------------------',
      'r147  50        openssl finding 147',
      'r144  90        openssl finding 144',
      'r141  30        openssl finding 141',
      '',
    ]);
    expect(lines((await cli('--limit', '2', '*')).out)).toEqual(['r149', 'r148']);
  });

  it('on a terminal the default is the table', async () => {
    // `script` gives the command a pseudo-terminal, as a person's shell has.
    const cmd = ['node_modules/.bin/tsx', 'src/cli/main.ts', 'search', '--data', dir, '--limit', '1', '*']
      .map((a) => `'${a}'`)
      .join(' ');
    const r = await run('script', ['-qec', cmd, '/dev/null'], { ...process.env, ...KEY_ENV });
    expect(r.code).toBe(0);
    const out = r.out.replace(/\r/g, '');
    expect(out).toMatch(
      /^timestamp\s+severity\s+event_name\s+event_status\s+tenant_name\s+msg_origin\.processor\.name\s+_id\n-+/,
    );
    expect(out).toContain('r149');
  });

  it('bad --format / --fields exit 2 naming the option', async () => {
    expect(await cli('--format', 'xml', '*')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--format must be one of: ndjson, table, csv/),
    });
    expect(await cli('--format', 'csv', '--fields', 'a,b c', '*')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--fields: "b c" is not a field path/),
    });
    expect(await cli('--fields', '_id', '*')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--fields applies to/),
    });
  });

  it("--saved NAME --user USER runs a saved search: its query, range, sort and columns, in the user's tenant", async () => {
    const r = await cli('--saved', 'openssl CLOSED', '--user', 'rita', '--format', 'csv', '--limit', '0');
    expect(r.code, r.err).toBe(0);
    const rows = r.out.trim().split('\r\n');
    // i % 6 === 0 in hours 0..60, oldest first, the saved columns.
    expect(rows).toEqual([
      '_id,severity',
      ...[0, 6, 12, 18, 24, 30, 36, 42, 48, 54, 60].map((i) => `r${i},${(i % 5) * 20 + 10}`),
    ]);
    // --fields wins over the saved columns.
    expect(
      (
        await cli(
          '--saved',
          'OpenSSL closed',
          '--user',
          'rita',
          '--format',
          'csv',
          '--fields',
          '_id',
          '--limit',
          '1',
        )
      ).out,
    ).toBe('_id\r\nr0\r\n');
    // Ann's shared search, run as Bob (same tenant): scoped to Acme, which holds no records.
    expect(await cli('--count', '--saved', 'Everything', '--user', 'bob')).toMatchObject({
      code: 0,
      out: '0\n',
    });
    expect(await cli('--saved', 'OpenSSL closed', '--user', 'bob')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/bob has no saved search named "OpenSSL closed"/),
    });
    expect(await cli('--saved', 'Everything', '--user', 'nobody')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/no user named "nobody"/),
    });
    expect(await cli('--saved', 'Everything')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/go together/),
    });
    expect(await cli('--saved', 'Everything', '--user', 'bob', 'openssl')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/either a query or --saved/),
    });
  });
});
