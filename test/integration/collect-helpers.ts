/**
 * Shared set-up for the collector's integration tests: the emulator's default IAM, a real
 * SQLite store in a temp dir, a connector pointing at the emulator, and the comparison of the
 * index with what the emulator holds.
 */
import { cliRunner } from '../support/cli.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'vitest';
import { systemClock, type Clock } from '../../src/core/clock.js';
import { createLogger, silentLogger, type Logger } from '../../src/core/logger.js';
import {
  SECRET_FIELDS,
  connectorConfigSchema,
  type ConnectorConfig,
} from '../../src/connectors/aws-inspector/config.js';
import { createInspectorClient } from '../../src/connectors/aws-inspector/client.js';
import { runConnector, type RunOptions, type RunOutcome } from '../../src/pipeline/runner.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { Emulator } from '../../emulator/index.js';
import { productionStoreTypes } from '../../src/connectors/registry.js';
import { awsRegistry } from '../support/connectors/index.js';
import { SETTLE_MS } from '../support/aws-time.js';

export { AWS_TIME } from '../support/aws-time.js';

/**
 * Lets AWS's time pass (the emulator's clock) until every version written so far is listed by
 * ListFindings and inside the next run's window: what waiting for AWS to index means.
 */
export function settle(emu: Emulator, ms = SETTLE_MS): void {
  emu.state.moveClock({ advanceMs: ms });
}

export const READER = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
export const SOURCE = {
  accessKeyId: 'AKIAI44QH8DHBEXAMPLE',
  secretAccessKey: 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY',
};
export const ROLE = 'arn:aws:iam::123456789012:role/InspectorReadOnly';
export const ROLE_EXTERNAL_ID = 'arn:aws:iam::123456789012:role/InspectorReadOnlyExternalId';
export const EXTERNAL_ID = 'example-external-id';
export const ROLE_UNTRUSTED = 'arn:aws:iam::123456789012:role/Untrusted';
export const ALL_SECRETS = [READER.secretAccessKey, SOURCE.secretAccessKey];

export type AuthInput =
  | { method: 'access_key'; accessKeyId: string; secretAccessKey: string }
  | {
      method: 'iam_role';
      accessKeyId: string;
      secretAccessKey: string;
      roleArn: string;
      externalId?: string;
    };

export const readerAuth: AuthInput = { method: 'access_key', ...READER };
export const roleAuth: AuthInput = { method: 'iam_role', ...SOURCE, roleArn: ROLE };

export function configFor(
  emu: Emulator,
  auth: AuthInput = readerAuth,
  extra: Record<string, unknown> = {},
): ConnectorConfig {
  return connectorConfigSchema.parse({
    name: 'root-aws-inspector',
    region: 'us-east-1',
    // Every CLOSED finding of the emulator (updatedAt spread over 90 days) on the first run too.
    initialLookbackDays: 3650,
    auth,
    endpoints: { inspector2: emu.url, sts: emu.url },
    ...extra,
  });
}

export interface TempStore {
  store: Store;
  dir: string;
  close(): void;
}

export function tempStore(clock: Clock = systemClock): TempStore {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collect-it-'));
  const store = openStore({
    connectorTypes: productionStoreTypes(),
    dataDir: dir,
    key: Buffer.alloc(32, 9),
    clock,
  });
  return {
    store,
    dir,
    close() {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function addConnector(store: Store, cfg: ConnectorConfig): string {
  return store.connectors.create(cfg).id;
}

/** A logger whose lines the test can read (pino JSON, one object per line). */
export function capturingLogger(): {
  logger: Logger;
  lines: () => Record<string, unknown>[];
  text: () => string;
} {
  let buf = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      buf += chunk.toString();
      cb();
    },
  });
  const logger = createLogger(
    { level: 'debug', secretFields: SECRET_FIELDS },
    sink as unknown as Parameters<typeof createLogger>[1],
  );
  return {
    logger,
    text: () => buf,
    lines: () =>
      buf
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** One run through the real client (SDK over HTTP(S)); retries kept short for the suite. */
export function run(
  store: Store,
  id: string,
  opts: RunOptions & { logger?: Logger; clock?: Clock } = {},
): Promise<RunOutcome> {
  const { logger, clock, ...runOpts } = opts;
  return runConnector(
    {
      store,
      clock: clock ?? systemClock,
      logger: logger ?? silentLogger(),
      registry: awsRegistry(createInspectorClient),
    },
    id,
    { sleep: async () => undefined, ...runOpts },
  );
}

/** `findingArn|updatedAt(ms)` of every record in the index. */
export function indexVersions(store: Store): string[] {
  const out: string[] = [];
  for (const json of store.index.stream({ q: '*', limit: 0 })) {
    const r = JSON.parse(json) as { aws_inspector: { findingArn: string }; timestamp: number };
    out.push(`${r.aws_inspector.findingArn}|${r.timestamp}`);
  }
  return out;
}

/**
 * `findingArn|version(ms)` of every finding's current version as ListFindings lists it now
 * (version: updatedAt, else lastObservedAt; deleted ones not; writes still within the indexing
 * lag are not listed yet: `settle` first to compare with all).
 */
export function emulatorVersions(emu: Emulator): string[] {
  emu.state.indexDue();
  const s = emu.state.store;
  const out: string[] = [];
  for (let i = 0; i < s.n; i++) {
    if (s.gone[i]) continue;
    const f = s.build(i) as { findingArn: string; updatedAt?: number; lastObservedAt: number };
    out.push(`${f.findingArn}|${Math.round((f.updatedAt ?? f.lastObservedAt) * 1000)}`);
  }
  return out;
}

/** The control API over HTTP (plain-HTTP emulators; TLS tests use `emu.state`). */
export async function control(emu: Emulator, name: string, method = 'GET', body?: unknown): Promise<unknown> {
  const res = await fetch(`${emu.url}/__emulator/${name}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const json = (await res.json()) as unknown;
  if (!res.ok) throw new Error(`control ${name}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

export const sorted = (a: string[]): string[] => [...a].sort();

/** The index holds every current version of the emulator, each exactly once. */
export function expectExactVersions(store: Store, emu: Emulator): void {
  const idx = indexVersions(store);
  expect(idx.length).toBe(new Set(idx).size);
  expect(sorted(idx)).toEqual(sorted(emulatorVersions(emu)));
}

// ------------------------------------------------------------------ the CLI as a child process

export { ROOT, type CliResult } from '../support/cli.js';
export const CLI_KEY = Buffer.alloc(32, 5).toString('base64');
export const { spawnCli, runCli } = cliRunner({ logLevel: 'warn', key: CLI_KEY, timeoutMs: 120_000 });

export function writeConfigFile(dir: string, cfg: Record<string, unknown>, name = 'connector.json'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(cfg, null, 2));
  return file;
}
