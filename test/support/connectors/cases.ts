/**
 * One source of findings per connector type, for the generic tests (runner, scheduler, API) that
 * run against every type with `describe.each(TYPE_CASES)`: a registry holding the type, a valid
 * config, and a source the test can fill, extend, break and poison. Amazon Inspector's source is
 * a fake of its narrow client (pages of a list; it ignores the query window, so a second run sees
 * the same versions again as duplicates); NDJSON's is a temp directory of files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CodedError, type ErrorCode } from '../../../src/core/errors.js';
import type { ClientFactory, InspectorClient } from '../../../src/connectors/aws-inspector/client.js';
import type { ConnectorRegistry } from '../../../src/connectors/registry.js';
import { testRegistry } from './index.js';
import { ndjsonFindings, writeFindings } from './ndjson/index.js';

export interface TypeSource {
  registry: ConnectorRegistry;
  /** A valid create body for the store (no `type`; pass `type` to create). */
  config: Record<string, unknown>;
  /** The state keys of the findings added so far. */
  keys: string[];
  /** Adds `n` new findings (new state keys); returns their keys. */
  add(n: number): string[];
  /** Adds an item the type cannot map (after the findings so far). */
  poison(): void;
  /** Makes the source fail; returns the code a run reports. */
  break(): ErrorCode;
  cleanup(): void;
}

export interface TypeCase {
  type: string;
  /** A source holding `n` findings updated before `now`. */
  source(n: number, now: number, name?: string): TypeSource;
}

const arn = (i: number) =>
  `arn:aws:inspector2:us-east-1:123456789012:finding/${i.toString(16).padStart(32, '0')}`;

function awsFinding(i: number, now: number) {
  const t = now / 1000 - 3600 + i;
  return {
    findingArn: arn(i),
    awsAccountId: '123456789012',
    type: 'PACKAGE_VULNERABILITY',
    title: `CVE-2026-${1000 + i} - openssl`,
    severity: i % 2 ? 'HIGH' : 'LOW',
    status: 'ACTIVE',
    firstObservedAt: t - 100,
    lastObservedAt: t,
    updatedAt: t,
    resources: [{ type: 'AWS_EC2_INSTANCE', id: `i-${i}`, region: 'us-east-1' }],
  };
}

const awsCase: TypeCase = {
  type: 'aws-inspector',
  source(n, now, name = 'root-aws-inspector') {
    const items: unknown[] = [];
    const keys: string[] = [];
    let failure: Error | undefined;
    const client: InspectorClient = {
      async listFindingsPage(req) {
        if (failure) throw failure;
        const offset = req.nextToken ? Number(req.nextToken) : 0;
        const page = items.slice(offset, offset + req.maxResults);
        const end = offset + page.length;
        return { findings: page, ...(end < items.length ? { nextToken: String(end) } : {}) };
      },
      getCallerIdentity: async () => ({
        account: '123456789012',
        arn: 'arn:aws:iam::123456789012:user/t',
        userId: 'u',
      }),
      batchGetAccountStatus: async () => ({ accounts: [], failed: [] }),
      destroy: () => undefined,
    };
    const factory: ClientFactory = () => client;
    const src: TypeSource = {
      registry: testRegistry(factory),
      config: {
        name,
        region: 'us-east-1',
        // One query per run: the fake ignores filters, so a CLOSED query would return the same list.
        initialLookbackDays: 0,
        auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x'.repeat(40) },
      },
      keys,
      add(k) {
        const added: string[] = [];
        for (let j = 0; j < k; j++) {
          const i = keys.length;
          items.push(awsFinding(i, now));
          keys.push(arn(i));
          added.push(arn(i));
        }
        return added;
      },
      poison: () => void items.push('not a finding'),
      break() {
        failure = new CodedError('ERR_PERMISSION', 'AccessDeniedException');
        return 'ERR_PERMISSION';
      },
      cleanup: () => undefined,
    };
    src.add(n);
    return src;
  },
};

const ndjsonCase: TypeCase = {
  type: 'ndjson',
  source(n, now, name = 'root-ndjson') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ndjson-src-'));
    const keys: string[] = [];
    let files = 0;
    /** The next file, after every file so far (the connector reads them in name order). */
    const nextFile = () => `${String(files++).padStart(4, '0')}.ndjson`;
    const src: TypeSource = {
      registry: testRegistry(),
      config: { name, directory: dir },
      keys,
      add(k) {
        if (k === 0) return [];
        const found = ndjsonFindings(k, now, `b${files}`);
        writeFindings(dir, nextFile(), found);
        const added = found.map((f) => f.id as string);
        keys.push(...added);
        return added;
      },
      poison: () => fs.writeFileSync(path.join(dir, nextFile()), '"not a finding"\n'),
      break() {
        fs.rmSync(dir, { recursive: true, force: true });
        return 'ERR_NOT_FOUND';
      },
      cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
    src.add(n);
    return src;
  },
};

export const TYPE_CASES: readonly TypeCase[] = [awsCase, ndjsonCase];
