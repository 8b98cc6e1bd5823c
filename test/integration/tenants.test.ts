/**
 * Record identity per tenant, end to end: one emulator, two tenants, three connectors (two in
 * Root reading the same account, one in Acme reading it too), the real collector over HTTP,
 * and each tenant's analyst searching through the REST API. Every tenant sees every version,
 * before and after status changes; Root's second connector stores no duplicates and says so;
 * each tenant keeps its own current state of each finding, which reconcile compares with AWS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import type { ConnectorConfig } from '../../src/connectors/aws-inspector/config.js';
import { awsInspector } from '../../src/connectors/aws-inspector/index.js';
import type { ReconcileReport } from '../../src/connectors/aws-inspector/reconcile.js';
import { systemClock } from '../../src/core/clock.js';
import { storeReconcileIndex } from '../../src/cli/commands/reconcile.js';
import { silentLogger } from '../../src/core/logger.js';
import { ROOT_TENANT, type Tenant } from '../../src/store/index.js';
import { testEnv, type TestEnv } from '../support/api.js';
import {
  AWS_TIME,
  configFor,
  control,
  emulatorVersions,
  readerAuth,
  run,
  settle,
  sorted,
} from './collect-helpers.js';

const N = 400;
let emu: Emulator;
let env: TestEnv;
let acme: Tenant;
const ids = { rootA: '', rootB: '', acme: '' };
const analysts: Record<string, { authorization: string }> = {};

beforeAll(async () => {
  emu = await startEmulator({ ...AWS_TIME, port: 0, findings: N, seed: 7 });
  env = await testEnv({ allowedEndpointHosts: ['127.0.0.1'] });
  acme = env.store.tenants.create('Acme');
  const add = (name: string, tenant: string) =>
    env.store.connectors.create(configFor(emu, readerAuth, { name, tenant })).id;
  ids.rootA = add('root-a', ROOT_TENANT.name);
  ids.rootB = add('root-b', ROOT_TENANT.name);
  ids.acme = add('acme-a', acme.name);
  await env.createUser('root-analyst', 'analyst', ROOT_TENANT.id);
  await env.createUser('acme-analyst', 'analyst', acme.id);
  analysts.root = env.auth(await env.login('root-analyst', 'root-analyst-password-123'));
  analysts.acme = env.auth(await env.login('acme-analyst', 'acme-analyst-password-123'));
}, 60_000);
afterAll(async () => {
  await env?.close();
  await emu?.close();
});

/** `findingArn|timestamp` of every record the analyst finds, and the total. */
async function analystSees(who: 'root' | 'acme'): Promise<{ total: number; versions: string[] }> {
  const r = await env.app.inject({
    method: 'GET',
    url: '/api/v1/search?q=*&limit=1000',
    headers: analysts[who]!,
  });
  expect(r.statusCode).toBe(200);
  const body = r.json() as { total: number; records: { finding_arn: string; timestamp: number }[] };
  return { total: body.total, versions: body.records.map((x) => `${x.finding_arn}|${x.timestamp}`) };
}

const runsOf = async (id: string) =>
  (
    await env.app.inject({
      method: 'GET',
      url: `/api/v1/connectors/${id}/runs`,
      headers: env.auth(await env.login()),
    })
  ).json() as { runs: { summary: string }[] };

async function reconcileOf(id: string, tenantId: string): Promise<ReconcileReport> {
  const c = env.store.connectors.getDecrypted(id)!;
  const out = await awsInspector().reconcile!.run({
    config: c.config as ConnectorConfig,
    ctx: { logger: silentLogger(), clock: systemClock, connectorId: id },
    index: storeReconcileIndex(env.store, id, tenantId),
    tenantId,
    to: Date.now(),
    listLimit: 50,
  });
  return out.report as ReconcileReport;
}

describe('two tenants, two connectors each reading one emulator', () => {
  it('each tenant stores and sees every version; a second connector of the same tenant stores none and says so', async () => {
    expect(await run(env.store, ids.rootA)).toMatchObject({ status: 'ok', received: N, stored: N });
    // Before record identity per tenant: received N, stored 0, duplicates N (Acme saw nothing).
    expect(await run(env.store, ids.acme)).toMatchObject({
      status: 'ok',
      received: N,
      stored: N,
      duplicates: 0,
    });
    expect(await run(env.store, ids.rootB)).toMatchObject({
      status: 'ok',
      received: N,
      stored: 0,
      duplicates: N,
    });
    expect((await runsOf(ids.rootB)).runs[0]!.summary).toBe(`received ${N}, new 0, already stored ${N}`);
    expect((await runsOf(ids.acme)).runs[0]!.summary).toBe(`received ${N}, new ${N}, already stored 0`);

    const want = sorted(emulatorVersions(emu));
    for (const who of ['root', 'acme'] as const) {
      const seen = await analystSees(who);
      expect(seen.total, who).toBe(N);
      expect(sorted(seen.versions), who).toEqual(want);
    }
    expect((await reconcileOf(ids.rootA, ROOT_TENANT.id)).match).toBe(true);
    expect((await reconcileOf(ids.acme, acme.id)).match).toBe(true);
  });

  it('status changes reach both tenants: history and current state per tenant', async () => {
    const mutated = (await control(emu, 'mutate', 'POST', {
      count: 50,
      fromStatus: 'ACTIVE',
      status: 'CLOSED',
    })) as { arns: string[] };
    expect(mutated.arns).toHaveLength(50);
    settle(emu);

    expect(await run(env.store, ids.rootA)).toMatchObject({ status: 'ok', stored: 50 });
    for (const arn of mutated.arns) {
      expect(env.store.findings.get(ROOT_TENANT.id, arn)).toMatchObject({
        status: 'CLOSED',
        connectorId: ids.rootA,
      });
      expect(env.store.findings.get(acme.id, arn)).toMatchObject({ status: 'ACTIVE', connectorId: ids.acme });
    }
    // Acme has not collected the change yet: its reconcile says exactly those are stale.
    const before = await reconcileOf(ids.acme, acme.id);
    expect(before.stale.count).toBe(50);
    expect(before.missing.count + before.unexpected.count).toBe(0);
    expect((await reconcileOf(ids.rootA, ROOT_TENANT.id)).match).toBe(true);

    expect(await run(env.store, ids.acme)).toMatchObject({ status: 'ok', stored: 50 });
    expect(await run(env.store, ids.rootB)).toMatchObject({ status: 'ok', stored: 0, duplicates: 50 });
    for (const arn of mutated.arns) {
      expect(env.store.findings.get(acme.id, arn)).toMatchObject({ status: 'CLOSED', connectorId: ids.acme });
      // Root's state stays with Root's connectors (the second one found nothing newer).
      expect(env.store.findings.get(ROOT_TENANT.id, arn)).toMatchObject({
        status: 'CLOSED',
        connectorId: ids.rootA,
      });
    }
    const want = sorted(emulatorVersions(emu));
    for (const who of ['root', 'acme'] as const) {
      const seen = await analystSees(who);
      // Every current version, plus the 50 older ACTIVE versions kept as history.
      expect(seen.total, who).toBe(N + 50);
      expect(
        want.filter((v) => !seen.versions.includes(v)),
        who,
      ).toEqual([]);
      expect(new Set(seen.versions).size, who).toBe(N + 50);
    }
    expect((await reconcileOf(ids.acme, acme.id)).match).toBe(true);
    expect(env.store.index.size()).toBe(2 * (N + 50));
  });
});
