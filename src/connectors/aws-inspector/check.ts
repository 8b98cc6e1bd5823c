/**
 * The connector Test (the spec: it validates authentication and connectivity, not data flow):
 * 0. for iam_role, STS AssumeRole with the source keys: proves those keys, the role's trust and
 *    external ID (its own numbered step, so a refused role is not reported as GetCallerIdentity);
 * 1. STS GetCallerIdentity with the connector's credentials: proves the keys (or the session)
 *    and the STS endpoint;
 * 2. Inspector ListFindings (one result, always with a filter) in the region: proves the
 *    Inspector permission and endpoint;
 * 3. BatchGetAccountStatus: a warning when Inspector is not activated (silence is not success).
 * Steps are numbered out of 3 for access keys and out of 4 for a role.
 * The failure is reported with the registry's HTTP status, name, explanation and
 * recommendation, classified by meaning (wrong/expired keys are 401 although AWS says 403).
 */
import { CodedError, ERRORS, isCodedError } from '../../core/errors.js';
import type { Clock } from '../../core/clock.js';
import { redactSecrets, type Logger } from '../../core/logger.js';
import {
  createInspectorClient,
  endpointFor,
  type CallerIdentity,
  type ClientFactory,
  type ClientOptions,
} from './client.js';
import { configSecrets, type ConnectorConfig } from './config.js';
import { endpointAddress } from '../endpoints.js';
import { defaultEndpoints, partitionOf, regionsOf } from './regions.js';
import { DAY_MS, MAX_DATE } from './collect.js';
import { failedTest } from '../test-result.js';
import type { TestResult as GenericTestResult } from '../types.js';
import { mapBounded } from '../../core/concurrency.js';

/** The Test's result: the contract's (src/connectors/types.ts), with AWS's caller identity. */
export type TestResult = GenericTestResult & { identity?: { account: string; arn: string } };
type PartRow = NonNullable<GenericTestResult['parts']>[number];

export interface TestOptions {
  logger: Logger;
  clock: Clock;
  clientFactory?: ClientFactory;
  /** Used in the assumed-role session name; a test of an unsaved config uses `test`. */
  connectorId?: string;
  clientOptions?: Partial<ClientOptions>;
  /** Aborts the calls in flight (the API's Test time limit). */
  signal?: AbortSignal;
}

const SCAN_LABELS: Record<string, string> = {
  ec2: 'EC2',
  ecr: 'ECR',
  lambda: 'Lambda',
  lambdaCode: 'Lambda code',
};

type Step = 'assume' | 'sts' | 'inspector' | 'status';
const STEP_TEXT: Record<Step, string> = {
  assume: 'STS AssumeRole (source keys, role trust and external ID)',
  sts: 'STS GetCallerIdentity (credentials)',
  inspector: 'Inspector ListFindings (permission and region)',
  status: 'Inspector BatchGetAccountStatus',
};

/** The steps a config goes through, in order: AssumeRole only for an IAM role. */
function stepsFor(cfg: ConnectorConfig): Step[] {
  return cfg.auth.method === 'iam_role'
    ? ['assume', 'sts', 'inspector', 'status']
    : ['sts', 'inspector', 'status'];
}

/** `Step 2/4, STS GetCallerIdentity (credentials)`. */
export function stepLabel(step: Step, steps: readonly Step[]): string {
  return `Step ${steps.indexOf(step) + 1}/${steps.length}, ${STEP_TEXT[step]}`;
}

export function failureResult(
  err: CodedError,
  step: Step | undefined,
  secrets: readonly string[],
  steps: readonly Step[] = ['sts', 'inspector', 'status'],
): TestResult {
  // A failure carries no identity: the generic result is this one.
  return failedTest(err, secrets, step ? `${stepLabel(step, steps)} failed: ` : '') as TestResult;
}

/** `Amazon Inspector https://inspector2.cn-north-1.amazonaws.com.cn, STS ...` (overrides by field). */
function endpointsText(cfg: ConnectorConfig, region: string): string {
  const def = defaultEndpoints(region);
  const one = (svc: 'inspector2' | 'sts') => {
    const o = endpointFor(cfg, svc, region);
    return o ? `endpoints.${svc} override ${endpointAddress(o)?.label ?? ''}` : def[svc];
  };
  return `Amazon Inspector ${one('inspector2')}, STS ${one('sts')}`;
}

/** One region's Test: the steps above with a client of that region. */
async function testRegion(cfg: ConnectorConfig, region: string, opts: TestOptions): Promise<TestResult> {
  const secrets = configSecrets(cfg);
  const factory = opts.clientFactory ?? createInspectorClient;
  const callOpts = opts.signal ? { abortSignal: opts.signal } : undefined;
  let client: ReturnType<ClientFactory> | undefined;
  let step: Step | undefined;
  try {
    // Inside the try: the factory refuses endpoint overrides the server does not allow
    // (ERR_ENDPOINT_NOT_ALLOWED), which is a Test result like any other failure.
    client = factory(cfg, {
      logger: opts.logger,
      connectorId: opts.connectorId ?? 'test',
      // The dialog waits for the answer: a few attempts, short timeouts.
      maxAttempts: 3,
      connectionTimeoutMs: 5_000,
      requestTimeoutMs: 20_000,
      ...opts.clientOptions,
      region,
    });
    if (opts.signal) {
      // Abort covers the call in flight; destroying the sockets also ends an AssumeRole
      // (the credential provider's own STS call, which no per-call signal reaches).
      const c = client;
      if (opts.signal.aborted) c.destroy();
      else opts.signal.addEventListener('abort', () => c.destroy(), { once: true });
    }
    if (cfg.auth.method === 'iam_role' && client.resolveCredentials) {
      step = 'assume';
      await client.resolveCredentials();
    }
    step = 'sts';
    const identity: CallerIdentity = await client.getCallerIdentity(callOpts);
    step = 'inspector';
    const now = Math.min(opts.clock.now(), MAX_DATE);
    await client.listFindingsPage(
      {
        filterCriteria: { updatedAt: [{ startInclusive: Math.max(0, now - DAY_MS), endInclusive: now }] },
        maxResults: 1,
      },
      callOpts,
    );
    step = 'status';
    const warnings: string[] = [];
    if (cfg.disableSslVerification) {
      warnings.push('SSL certificate verification is disabled: this is not a good security practice.');
    }
    try {
      const st = await client.batchGetAccountStatus(callOpts);
      for (const a of st.accounts) {
        if (a.state === 'ENABLED') continue;
        const scans = Object.entries(a.resources)
          .map(([k, v]) => `${SCAN_LABELS[k] ?? k}: ${v.status}`)
          .join(', ');
        warnings.push(
          `Amazon Inspector is not activated for account ${a.accountId} in ${region}` +
            (scans ? ` (${scans})` : ` (status ${a.state})`),
        );
      }
      for (const id of st.failed) {
        warnings.push(`Amazon Inspector could not report the activation status of account ${id}`);
      }
    } catch (e) {
      // Auth and connectivity are proven by now; an unreadable status is a warning, not a failure.
      const msg = isCodedError(e) ? `${e.code}: ${e.message}` : String(e);
      warnings.push(`Could not read the Amazon Inspector activation status: ${redactSecrets(msg, secrets)}`);
    }
    return {
      ok: true,
      httpStatus: 200,
      code: 'OK',
      summary: `Success ! Authenticated as ${identity.arn} (account ${identity.account}); Amazon Inspector is reachable in ${region}.`,
      explanation: 'The connector authenticated to AWS and can read Amazon Inspector findings.',
      recommendation: warnings.length ? 'Review the warnings.' : 'None.',
      detail: `Identity: ${identity.arn}\nAccount: ${identity.account}\nRegion: ${region} (partition ${partitionOf(region) ?? '?'})\nEndpoints: ${endpointsText(cfg, region)}`,
      identity: { account: identity.account, arn: identity.arn },
      warnings,
    };
  } catch (e) {
    const err = isCodedError(e)
      ? e
      : new CodedError('ERR_INTERNAL', `unexpected error: ${(e as Error)?.message ?? String(e)}`);
    opts.logger.info({ code: err.code, step, region }, 'connector test failed');
    return failureResult(err, step, secrets, stepsFor(cfg));
  } finally {
    client?.destroy();
  }
}

/** A region's row: its outcome in the Test table's words. */
function rowOf(region: string, r: TestResult): PartRow {
  const notActivated = r.ok && r.warnings.some((w) => w.startsWith('Amazon Inspector is not activated'));
  if (notActivated) {
    const info = ERRORS.ERR_NOT_ACTIVATED;
    return {
      part: region,
      ok: true,
      status: 'not_activated',
      httpStatus: info.httpStatus,
      code: 'ERR_NOT_ACTIVATED',
      summary: r.warnings.filter((w) => w.startsWith('Amazon Inspector is not activated')).join('; '),
      explanation: info.explanation,
      recommendation: info.recommendation,
    };
  }
  return {
    part: region,
    ok: r.ok,
    status: r.ok
      ? 'ok'
      : r.code === 'ERR_REGION_NOT_ENABLED'
        ? 'not_enabled'
        : r.code === 'ERR_PERMISSION'
          ? 'access_denied'
          : 'failed',
    httpStatus: r.httpStatus,
    code: r.code,
    summary: r.ok ? `Amazon Inspector is reachable in ${region}.` : r.summary,
    explanation: r.explanation,
    recommendation: r.recommendation,
  };
}

/**
 * The Test of every selected region, `regionConcurrency` at a time, a row per region
 * (`parts`). One region: that region's result, with its row. Several: ok when every region of
 * an explicit list passes; with "all", regions not enabled for the account (opt-in,
 * ERR_REGION_NOT_ENABLED) are reported as rows and warnings, not failures, but at least one
 * region must pass. A failure's code, HTTP status, explanation and recommendation are the
 * first failing region's (in the regions' order); its summary counts and names them.
 */
export async function testConnector(cfg: ConnectorConfig, opts: TestOptions): Promise<TestResult> {
  const regions = regionsOf(cfg);
  const results = await mapBounded(regions, cfg.regionConcurrency ?? 4, (r) => testRegion(cfg, r, opts));
  const rows = regions.map((r, i) => rowOf(r, results[i]!));
  if (regions.length === 1) return { ...results[0]!, parts: rows };
  const tolerated = (row: PartRow) =>
    row.ok || (cfg.regions === 'all' && row.code === 'ERR_REGION_NOT_ENABLED');
  const failed = rows.filter((row) => !tolerated(row));
  const firstOk = results.find((r) => r.ok);
  const detail = rows
    .map((row, i) => `[${row.part}] ${row.ok ? 'OK' : row.code}: ${results[i]!.detail}`)
    .join('\n');
  if (failed.length > 0 || !firstOk) {
    const first = results[rows.indexOf(failed[0] ?? rows[0]!)]!;
    const bad = failed.length > 0 ? failed : rows;
    return {
      ...first,
      ok: false,
      summary: `${bad.length} of ${regions.length} regions failed: ${bad.map((row) => `${row.part} (${row.httpStatus} ${row.code})`).join(', ')}. ${first.summary}`,
      detail,
      warnings: [],
      parts: rows,
    };
  }
  const okRegions = rows.filter((row) => row.ok).map((row) => row.part);
  const warnings = [
    ...rows
      .filter((row) => !row.ok)
      .map((row) => `${row.part}: not enabled for the account (opt-in region): skipped by "all"`),
    ...results.flatMap((r, i) => r.warnings.map((w) => `${regions[i]}: ${w}`)),
  ];
  const identity = firstOk.identity!;
  return {
    ok: true,
    httpStatus: 200,
    code: 'OK',
    summary: `Success ! Authenticated as ${identity.arn} (account ${identity.account}); Amazon Inspector is reachable in ${okRegions.length} of ${regions.length} regions.`,
    explanation:
      'The connector authenticated to AWS and can read Amazon Inspector findings in every region it reports as OK.',
    recommendation: warnings.length ? 'Review the warnings.' : 'None.',
    detail,
    identity,
    warnings,
    parts: rows,
  };
}
