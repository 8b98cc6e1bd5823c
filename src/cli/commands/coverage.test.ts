/**
 * `inspector-connector coverage` against the emulator over HTTP: the table, --format json, the
 * exit codes (flagged = 1) and the usage errors (2).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../../emulator/index.js';
import { productionStoreTypes } from '../../connectors/registry.js';
import { openStore } from '../../store/index.js';
import { testRecord, withStates } from '../../../test/support/records.js';
import { coverageCommand } from './coverage.js';

let emu: Emulator;
let dir: string;
beforeAll(async () => {
  emu = await startEmulator({ findings: 120, seed: 9, regions: ['us-east-1'] });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-cov-cli-'));
});
afterAll(async () => {
  await emu.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function sink(): { stream: Writable; text(): string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({
      write(c: Buffer, _e, cb) {
        chunks.push(c.toString('utf8'));
        cb();
      },
    }),
    text: () => chunks.join(''),
  };
}

function configFile(): string {
  const file = path.join(dir, 'connector.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      name: 'org',
      region: 'us-east-1',
      auth: {
        method: 'access_key',
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      },
      endpoints: { inspector2: emu.url, sts: emu.url },
    }),
  );
  return file;
}

describe('coverage command', () => {
  it('prints a table per account × region (exit 0), JSON with --format json, and exit 1 once an account is disabled', async () => {
    const config = configFile();
    const out = sink();
    const err = sink();
    // No --data: no finding times; the emulator's resources were scanned recently, so nothing is stale.
    expect(await coverageCommand({ config }, undefined, out.stream, err.stream)).toBe(0);
    const lines = out.text().split('\n');
    expect(lines[0]).toMatch(
      /^ACCOUNT\s+REGION\s+STATE\s+EC2\s+ECR\s+LAMBDA\s+CODE\s+COVERED\s+NOT\s+LAST FINDING\s+LAST SCAN\s+FLAGS$/,
    );
    expect(lines.filter((l) => /^\d{12}\s+us-east-1\s+ENABLED/.test(l))).toHaveLength(4);
    expect(out.text()).toContain('4 account × region, 0 flagged (stale after 7 days)');

    await fetch(`${emu.url}/__emulator/accounts/111122223333/disable`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({}),
    });
    const json = sink();
    expect(
      await coverageCommand({ config, format: 'json', staleDays: '3' }, undefined, json.stream, err.stream),
    ).toBe(1);
    const snap = JSON.parse(json.text());
    expect(snap.staleDays).toBe(3);
    const off = snap.rows.find((r: { accountId: string }) => r.accountId === '111122223333');
    expect(off.flags.map((f: { code: string }) => f.code)).toEqual(['INSPECTOR_DISABLED']);
    expect(json.text()).not.toContain('wJalrXUtnFEMI');
  });

  it('usage errors exit 2 naming the option', async () => {
    const err = sink();
    expect(
      await coverageCommand({ config: configFile(), format: 'xml' }, undefined, sink().stream, err.stream),
    ).toBe(2);
    expect(
      await coverageCommand({ config: configFile(), staleDays: '0' }, undefined, sink().stream, err.stream),
    ).toBe(2);
    expect(err.text()).toBe('--format: table or json\n--stale-days: an integer from 1 to 365\n');
  });

  it('with --data: the last finding time from the store, and the rows stored as records once', async () => {
    const data = path.join(dir, 'data');
    const DAY = 86_400_000;
    const old = Date.now() - 30 * DAY;
    let store = openStore({ connectorTypes: productionStoreTypes(), dataDir: data });
    const c = store.connectors.create({
      name: 'org',
      region: 'us-east-1',
      auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'y'.repeat(40) },
    });
    const rec = testRecord(
      { id: c.id, name: 'org' },
      {
        _id: 'f1',
        timestamp: old,
        aws_inspector: {
          findingArn: 'arn:aws:inspector2:us-east-1:444455556666:finding/f1',
          status: 'ACTIVE',
          severity: 'HIGH',
          updatedAt: old,
        },
      },
    );
    const pages = store.pageSink({ connectorId: c.id, commitRecords: Infinity, commitDelayMs: 0 });
    await pages.write(withStates({ records: [rec] }));
    await pages.finish();
    store.close();

    const config = configFile();
    const json = sink();
    await coverageCommand({ config, data, format: 'json' }, undefined, json.stream, sink().stream);
    const snap = JSON.parse(json.text());
    const row = snap.rows.find((r: { accountId: string }) => r.accountId === '444455556666');
    expect(row.lastFindingAt).toBe(old);
    await coverageCommand({ config, data, format: 'json' }, undefined, sink().stream, sink().stream);
    store = openStore({ connectorTypes: productionStoreTypes(), dataDir: data });
    try {
      expect(store.index.count({ q: 'msg_class:aws_inspector_coverage' })).toBe(snap.rows.length);
    } finally {
      store.close();
    }
  });
});
