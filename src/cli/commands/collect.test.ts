/**
 * `collect --once` in process, with the test-only NDJSON type's parts (the contract's
 * `ConnectorType.parts`): the summary prints a line per part, with each failed part's code; the
 * exit code is a failure's when any part failed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { testRegistry } from '../../../test/support/connectors/index.js';
import { ndjsonFindings, writeFindings } from '../../../test/support/connectors/ndjson/index.js';
import { collectCommand } from './collect.js';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function collectOnce(
  root: string,
  config: Record<string, unknown>,
): Promise<{ code: number; err: string }> {
  const file = path.join(root, 'connector.json');
  fs.writeFileSync(file, JSON.stringify({ type: 'ndjson', name: 'cli-parts', ...config }));
  let err = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  const env = process.env.INSPECTOR_CONNECTOR_KEY;
  const level = process.env.LOG_LEVEL;
  process.env.INSPECTOR_CONNECTOR_KEY = Buffer.alloc(32, 5).toString('base64');
  process.env.LOG_LEVEL = 'silent';
  try {
    const code = await collectCommand(
      { config: file, data: path.join(root, 'data'), once: true, quiet: true },
      testRegistry(),
    );
    return { code, err };
  } finally {
    if (env === undefined) delete process.env.INSPECTOR_CONNECTOR_KEY;
    else process.env.INSPECTOR_CONNECTOR_KEY = env;
    if (level === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = level;
    vi.restoreAllMocks();
  }
}

describe('collect --once with parts', () => {
  it('prints one line per part (status, counts, error code) and exits non-zero when a part failed', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-parts-'));
    dirs.push(root);
    const src = path.join(root, 'src');
    for (const [part, n] of [
      ['east', 7],
      ['west', 3],
    ] as const) {
      fs.mkdirSync(path.join(src, part), { recursive: true });
      writeFindings(path.join(src, part), '0001.ndjson', ndjsonFindings(n, Date.now(), part));
    }
    const { code, err } = await collectOnce(root, { directory: src, parts: 'east,west,north' });
    expect(code).not.toBe(0);
    const lines = err.split('\n');
    const first = lines.findIndex((l) => /^run \d+ failed: received 10, new 10/.test(l));
    expect(first).toBeGreaterThanOrEqual(0);
    expect(lines.slice(first + 1, first + 4)).toEqual([
      expect.stringMatching(/^ {2}part east ok: received 7, new 7 in \d+\.\d s$/),
      expect.stringMatching(/^ {2}part west ok: received 3, new 3 in \d+\.\d s$/),
      expect.stringMatching(
        /^ {2}part north failed: received 0, new 0 in \d+\.\d s - ERR_NOT_FOUND: cannot read/,
      ),
    ]);
    expect(err).toContain('ERR_NOT_FOUND: 1 of 3 parts failed; north: cannot read');

    // Without parts: the one summary line, as before.
    const plain = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-noparts-'));
    dirs.push(plain);
    writeFindings(plain, '0001.ndjson', ndjsonFindings(2, Date.now(), 'p'));
    const single = await collectOnce(plain, { directory: plain });
    expect(single.code).toBe(0);
    expect(single.err).toMatch(/^run \d+ ok: received 2, new 2, already stored 0, pages \d+ in \d+\.\d s\n$/);
  });
});
