/**
 * The collector end to end over HTTP: the real client (AWS SDK v3, SigV4, STS) against the
 * emulator, a real SQLite store in a temp dir. Both auth methods, incremental windows, status
 * changes kept as history, and the Test's classification of every credential problem.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { testConnector } from '../../src/connectors/aws-inspector/check.js';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import {
  AWS_TIME,
  ALL_SECRETS,
  EXTERNAL_ID,
  READER,
  ROLE_EXTERNAL_ID,
  ROLE_UNTRUSTED,
  SOURCE,
  addConnector,
  capturingLogger,
  configFor,
  control,
  emulatorVersions,
  indexVersions,
  readerAuth,
  roleAuth,
  run,
  settle,
  sorted,
  tempStore,
  type TempStore,
} from './collect-helpers.js';
import { checkpointOf } from '../support/checkpoints.js';

const N = 1200;
let emu: Emulator;
let ts: TempStore;

beforeAll(async () => {
  emu = await startEmulator({ ...AWS_TIME, port: 0, findings: N, seed: 42 });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  ts = tempStore();
});
afterEach(async () => {
  ts.close();
  await control(emu, 'faults', 'DELETE');
  await control(emu, 'sts', 'POST', { credentialSeconds: null });
});

const test = (auth: Parameters<typeof configFor>[1], extra: Record<string, unknown> = {}) =>
  testConnector(configFor(emu, auth, extra), {
    logger: silentLogger(),
    clock: systemClock,
    connectorId: 'it',
  });

describe('collection over HTTP (access key)', () => {
  it('first run stores every finding version once; the second fetches only the new window; a status change is a new record', async () => {
    const cfg = configFor(emu);
    const id = addConnector(ts.store, cfg);
    const first = await run(ts.store, id);
    expect(first).toMatchObject({ status: 'ok', received: N, stored: N, duplicates: 0 });
    expect(sorted(indexVersions(ts.store))).toEqual(sorted(emulatorVersions(emu)));
    expect(ts.store.connectors.get(id)!.status.state).toBe('ok');
    const cp = checkpointOf(ts.store, id) as { lastCompletedEnd: number; queue: unknown[] };
    expect(cp.queue).toEqual([]);

    // Nothing changed: the new window (on updatedAt, then on lastObservedAt), nothing stored.
    // AWS's clock moves a second first: a run in the same second as the last window's end
    // (whole seconds of the Date header) has nothing to list.
    settle(emu, 1000);
    await control(emu, 'requests', 'DELETE');
    const second = await run(ts.store, id);
    expect(second).toMatchObject({ status: 'ok', stored: 0 });
    type Window = { startInclusive: number }[];
    const reqs = (await control(emu, 'requests')) as {
      requests: {
        operation: string;
        filterCriteria: { updatedAt?: Window; lastObservedAt?: Window; findingStatus?: unknown };
      }[];
    };
    const lists = reqs.requests.filter((r) => r.operation === 'ListFindings');
    expect(lists.length).toBeGreaterThanOrEqual(2);
    for (const r of lists) {
      expect(r.filterCriteria.findingStatus).toBeUndefined();
      expect(
        (r.filterCriteria.updatedAt ?? r.filterCriteria.lastObservedAt)![0]!.startInclusive * 1000,
        // The overlap (15 min) and the lag detection band below it (15 min).
      ).toBeCloseTo(cp.lastCompletedEnd - 30 * 60_000, -1);
    }

    // ACTIVE -> CLOSED: updatedAt moves (lastObservedAt does not); the next run stores the new versions.
    const mutated = (await control(emu, 'mutate', 'POST', {
      count: 25,
      status: 'CLOSED',
      fromStatus: 'ACTIVE',
    })) as {
      arns: string[];
    };
    expect(mutated.arns).toHaveLength(25);
    // AWS lists the new versions only after its indexing lag.
    settle(emu);
    const third = await run(ts.store, id);
    expect(third).toMatchObject({ status: 'ok', stored: 25 });
    expect(ts.store.index.size()).toBe(N + 25);
    // History: both versions are in the index; the current state is the new one.
    for (const arn of mutated.arns.slice(0, 5)) {
      const recs = ts.store.index.search({ q: `aws_inspector.findingArn:"${arn}"`, limit: 10 }).records;
      expect(recs.map((r) => r.event_status).sort()).toEqual(['ACTIVE', 'CLOSED']);
      expect(ts.store.findings.get('root', arn)!.status).toBe('CLOSED');
    }
    // Every current version in the emulator is in the index.
    const idx = new Set(indexVersions(ts.store));
    expect(emulatorVersions(emu).filter((v) => !idx.has(v))).toEqual([]);
    expect(new Set(indexVersions(ts.store)).size).toBe(ts.store.index.size());
  });

  it('the Test succeeds with the identity; BatchGetAccountStatus warns when Inspector is not activated', async () => {
    const ok = await test(readerAuth);
    expect(ok).toMatchObject({ ok: true, httpStatus: 200, code: 'OK', warnings: [] });
    expect(ok.identity).toEqual({ account: '123456789012', arn: 'arn:aws:iam::123456789012:user/reader' });
    expect(ok.summary).toContain('Success');

    await control(emu, 'accounts', 'POST', { accountId: '123456789012', status: 'DISABLED' });
    try {
      const warned = await test(readerAuth);
      expect(warned.ok).toBe(true);
      expect(warned.warnings).toHaveLength(1);
      expect(warned.warnings[0]).toMatch(
        /^Amazon Inspector is not activated for account 123456789012 in us-east-1 \(EC2: DISABLED/,
      );
    } finally {
      await control(emu, 'accounts', 'POST', { accountId: '123456789012', status: 'ENABLED' });
    }
  });
});

describe('findings without updatedAt (optional in the model)', () => {
  it('are collected (first run: the status query; later: the lastObservedAt window) and stored once across runs', async () => {
    const e = await startEmulator({ ...AWS_TIME, port: 0, findings: 400, seed: 17, withoutUpdatedAt: 10 });
    try {
      const without = () =>
        Array.from({ length: e.state.store.n }, (_, i) => e.state.store.build(i)).filter(
          (f) => !('updatedAt' in f),
        );
      const none = without().filter((f) => f.status !== 'CLOSED');
      expect(none.length).toBeGreaterThan(10);
      const id = addConnector(ts.store, configFor(e, readerAuth, { initialLookbackDays: 0 }));
      const first = await run(ts.store, id);
      expect(first.status).toBe('ok');
      const idx = new Set(indexVersions(ts.store));
      // Every ACTIVE/SUPPRESSED finding, those without updatedAt included (version: lastObservedAt).
      const open = emulatorVersions(e).filter((_, i) => e.state.store.build(i).status !== 'CLOSED');
      expect(open.filter((v) => !idx.has(v))).toEqual([]);
      for (const f of none.slice(0, 5)) {
        const recs = ts.store.index.search({ q: `finding_arn:"${String(f.findingArn)}"`, limit: 5 }).records;
        expect(recs).toHaveLength(1);
        expect(recs[0]!.timestamp).toBe(Math.round((f.lastObservedAt as number) * 1000));
      }

      // One observed now without updatedAt: no updatedAt window can return it; the lastObservedAt
      // window of the next run does, and the run after (the overlap reads it again) stores nothing.
      const fresh = structuredClone(none[0]!) as Record<string, unknown>;
      fresh.findingArn = String(fresh.findingArn).replace(/[0-9a-f]{32}$/, 'f'.repeat(32));
      delete fresh.lastObservedAt;
      await control(e, 'findings', 'POST', { findings: [{ ...fresh, updatedAt: null }] });
      // Listed and inside the next window (which ends at AWS's time, in whole seconds).
      settle(e);
      const arn = String(fresh.findingArn);
      const second = await run(ts.store, id);
      expect(second).toMatchObject({ status: 'ok', stored: 1 });
      expect(ts.store.findings.get('root', arn)).toBeTruthy();
      const third = await run(ts.store, id);
      expect(third).toMatchObject({ status: 'ok', stored: 0 });
      expect(ts.store.index.search({ q: `finding_arn:"${arn}"`, limit: 5 }).records).toHaveLength(1);
      // The next change gives it updatedAt: a new version through the updatedAt window.
      await control(e, 'mutate', 'POST', { arns: [arn], status: 'SUPPRESSED' });
      settle(e);
      const fourth = await run(ts.store, id);
      expect(fourth).toMatchObject({ status: 'ok', stored: 1 });
      expect(ts.store.findings.get('root', arn)!.status).toBe('SUPPRESSED');
    } finally {
      await e.close();
    }
  });
});

describe('collection over HTTP (IAM role)', () => {
  it('assumes the role with a session name that identifies the connector and collects', async () => {
    const id = addConnector(ts.store, configFor(emu, roleAuth));
    const t = await testConnector(configFor(emu, roleAuth), {
      logger: silentLogger(),
      clock: systemClock,
      connectorId: id,
    });
    expect(t.ok).toBe(true);
    expect(t.identity!.arn).toBe(
      `arn:aws:sts::123456789012:assumed-role/InspectorReadOnly/inspector-connector-${id}`,
    );
    const out = await run(ts.store, id);
    expect(out).toMatchObject({ status: 'ok', stored: N });
  });

  it('passes the external ID; without it the role refuses (403)', async () => {
    const withId = await test({
      method: 'iam_role',
      ...SOURCE,
      roleArn: ROLE_EXTERNAL_ID,
      externalId: EXTERNAL_ID,
    });
    expect(withId.ok).toBe(true);
    const without = await test({ method: 'iam_role', ...SOURCE, roleArn: ROLE_EXTERNAL_ID });
    expect(without).toMatchObject({ ok: false, httpStatus: 403, code: 'ERR_PERMISSION' });
    // The step that failed is named: AssumeRole, not GetCallerIdentity (issue 15).
    expect(without.detail).toMatch(
      /^Step 1\/4, STS AssumeRole \(source keys, role trust and external ID\) failed: AssumeRole: /,
    );
    const wrong = await test({
      method: 'iam_role',
      ...SOURCE,
      roleArn: ROLE_EXTERNAL_ID,
      externalId: 'not-the-id',
    });
    expect(wrong).toMatchObject({ ok: false, httpStatus: 403, code: 'ERR_PERMISSION' });
  });

  it('refreshes assumed-role credentials that expire during the run', async () => {
    // Sessions of 20 s: the SDK refreshes credentials within 5 minutes of expiry, i.e. before
    // every call here (20 s leaves headroom on a loaded machine between refresh and use).
    await control(emu, 'sts', 'POST', { credentialSeconds: 20 });
    await control(emu, 'requests', 'DELETE');
    const id = addConnector(ts.store, configFor(emu, roleAuth));
    const out = await run(ts.store, id);
    expect(out).toMatchObject({ status: 'ok', stored: N });
    const reqs = (await control(emu, 'requests')) as { requests: { operation: string; status: number }[] };
    expect(
      reqs.requests.filter((r) => r.operation === 'AssumeRole' && r.status === 200).length,
    ).toBeGreaterThan(1);
    expect(reqs.requests.filter((r) => r.status !== 200)).toEqual([]);
  });
});

describe('the Test classifies credential problems by meaning, without secrets', () => {
  const cases: [string, Parameters<typeof configFor>[1], number, string][] = [
    [
      'unknown access key',
      { method: 'access_key', accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: READER.secretAccessKey },
      401,
      'ERR_AUTH_INVALID',
    ],
    [
      'wrong secret',
      { method: 'access_key', accessKeyId: READER.accessKeyId, secretAccessKey: SOURCE.secretAccessKey },
      401,
      'ERR_AUTH_INVALID',
    ],
    ['valid key without Inspector permission', { method: 'access_key', ...SOURCE }, 403, 'ERR_PERMISSION'],
    [
      'role that does not trust the user',
      { method: 'iam_role', ...SOURCE, roleArn: ROLE_UNTRUSTED },
      403,
      'ERR_PERMISSION',
    ],
    [
      'wrong source secret for the role',
      {
        method: 'iam_role',
        accessKeyId: SOURCE.accessKeyId,
        secretAccessKey: READER.secretAccessKey,
        roleArn: ROLE_EXTERNAL_ID,
      },
      401,
      'ERR_AUTH_INVALID',
    ],
  ];
  it.each(cases)('%s -> %d %s', async (_label, auth, httpStatus, code) => {
    const r = await test(auth);
    expect(r).toMatchObject({ ok: false, httpStatus, code });
    expect(r.explanation.length).toBeGreaterThan(20);
    expect(r.recommendation.length).toBeGreaterThan(10);
    const text = JSON.stringify(r);
    for (const s of ALL_SECRETS) expect(text).not.toContain(s);
  });

  it('an unreachable endpoint is a network error', async () => {
    const r = await testConnector(
      { ...configFor(emu), endpoints: { inspector2: 'http://127.0.0.1:9', sts: 'http://127.0.0.1:9' } },
      { logger: silentLogger(), clock: systemClock, clientOptions: { maxAttempts: 1 } },
    );
    expect(r).toMatchObject({ ok: false, code: 'ERR_NETWORK', httpStatus: 503 });
  });

  it('a failed run records the coded error in the status and never logs a secret', async () => {
    const log = capturingLogger();
    const id = addConnector(ts.store, configFor(emu, { method: 'access_key', ...SOURCE }));
    const out = await run(ts.store, id, { logger: log.logger });
    expect(out).toMatchObject({ status: 'failed', error: { code: 'ERR_PERMISSION' } });
    const c = ts.store.connectors.get(id)!;
    expect(c.status).toMatchObject({ state: 'failed', lastError: { code: 'ERR_PERMISSION' } });
    const everything =
      log.text() + JSON.stringify(out) + JSON.stringify(c) + JSON.stringify(ts.store.runs.list(id));
    expect(log.lines().some((l) => l.code === 'ERR_PERMISSION')).toBe(true);
    for (const s of [...ALL_SECRETS, SOURCE.accessKeyId]) expect(everything).not.toContain(s);
  });
});
