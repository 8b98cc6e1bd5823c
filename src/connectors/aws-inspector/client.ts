/**
 * The AWS side of the connector behind a narrow interface: only the calls the product makes.
 * Everything goes through the AWS SDK v3 (SigV4, credentials, retries, endpoints); this module
 * adds three things the SDK does not do for us:
 *
 * 1. The raw ListFindings body. The SDK's model-based deserializer drops JSON members its
 *    model does not know (AWS keeps adding them), so a middleware placed just above the HTTP
 *    handler reads each 2xx body, parses it once, keeps the raw `findings` and hands the SDK
 *    a minimal body (`{"findings":[]}` + nextToken) so it does not deserialize 100 findings
 *    a second time. Non-2xx responses pass through untouched: the SDK classifies its errors.
 * 2. TLS: an https Agent with `rejectUnauthorized: !disableSslVerification`, keep-alive and
 *    bounded connection/request timeouts.
 * 3. Error classification into the coded registry, by the SDK's `name`, `$fault`,
 *    `$metadata.httpStatusCode` and Node's error `code`, never by message text; secrets
 *    are scrubbed from every message.
 *
 * Retries are the SDK's standard strategy (bounded attempts) WITHOUT its retry quota (see
 * `withoutRetryQuota`). Checked in
 * @smithy/core/retry (2026 defaults): throttling backs off from a 1 s base with jitter, other
 * transient errors (5xx, resets, timeouts) from 50 ms, and a `Retry-After` /
 * `x-amz-retry-after` header is honoured as max(backoff, min(Retry-After, backoff + 5 s)),
 * i.e. respected, but capped so a hostile header cannot park the collector for hours.
 *
 * Every Inspector2 attempt (inside those retries) first takes a token of the shared, adaptive
 * per-(endpoint, region, account) rate limit (rate-limit.ts, process-wide by default): 429s lower
 * that key's rate for every client of it and a `Retry-After` pauses them all, so many regions
 * and connectors at once do not storm. STS calls are not limited (their quotas are STS's).
 */
import http from 'node:http';
import https from 'node:https';
import {
  Inspector2Client,
  ListFindingsCommand,
  BatchGetAccountStatusCommand,
  ListCoverageCommand,
  ListCoverageStatisticsCommand,
  ListMembersCommand,
  type CoverageFilterCriteria,
  type FilterCriteria,
  type GroupKey,
  type SortCriteria,
} from '@aws-sdk/client-inspector2';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { doesIdentityRequireRefresh, isIdentityExpired, memoizeIdentityProvider } from '@smithy/core';
import { StandardRetryStrategy } from '@smithy/core/retry';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  FinalizeRequestMiddleware,
  MiddlewareStack,
  RetryStrategyV2,
  StandardRetryToken,
} from '@smithy/types';
import { CodedError, FieldsError, type ErrorCode } from '../../core/errors.js';
import { redactSecrets, type Logger } from '../../core/logger.js';
import { endpointAddress } from '../endpoints.js';
import { configSecrets, partitionIssues, type ConnectorConfig } from './config.js';
import {
  THROTTLING_ERROR_NAMES,
  isThrottlingError,
  rateLimitKey,
  retryAfterMs,
  sharedRateLimits,
  type AdaptiveTokenBucket,
  type RateLimits,
} from './rate-limit.js';
import { NO_INSPECTOR2, OPT_IN_REGIONS, defaultEndpoints, partitionOf, regionsOf } from './regions.js';

/** Filter criteria as the checkpoint stores them: dates are epoch ms numbers (JSON-safe). */
export type WireFilterCriteria = Record<string, unknown[]>;

export interface ListFindingsRequest {
  filterCriteria: WireFilterCriteria;
  sortCriteria?: SortCriteria;
  maxResults: number;
  nextToken?: string;
}

export interface ListFindingsPage {
  /** The findings exactly as they were in the response body. */
  findings: unknown[];
  nextToken?: string;
}

export interface CallerIdentity {
  account: string;
  arn: string;
  userId: string;
}

export interface ScanState {
  status: string;
  errorCode?: string;
}

export interface AccountStatus {
  accountId: string;
  /** Overall Inspector state (ENABLED, DISABLED, ENABLING, ...). */
  state: string;
  resources: Record<string, ScanState>;
}

/** A member account of the delegated administrator (ListMembers). */
export interface MemberAccount {
  accountId: string;
  relationshipStatus: string;
  /** Epoch ms. */
  updatedAt?: number;
}

/** One resource of ListCoverage, flattened to what coverage counts. */
export interface CoverageResource {
  accountId: string;
  resourceType: string;
  resourceId: string;
  scanType: string;
  /** ACTIVE (covered) or INACTIVE (not covered). */
  statusCode: string;
  reason?: string;
  /** Epoch ms. */
  lastScannedAt?: number;
}

export interface CoverageCount {
  groupKey: string;
  count: number;
}

export interface CallOptions {
  abortSignal?: AbortSignal;
}

/** The narrow interface the collector and the Test use; tests may substitute a fake. */
export interface InspectorClient {
  listFindingsPage(req: ListFindingsRequest, opts?: CallOptions): Promise<ListFindingsPage>;
  getCallerIdentity(opts?: CallOptions): Promise<CallerIdentity>;
  /**
   * Obtains the credentials now (for an IAM role: the STS AssumeRole call), so the Test can
   * name that step when it fails; the other calls then reuse them. Optional: fakes omit it.
   */
  resolveCredentials?(): Promise<void>;
  /** Without `accountIds`: the caller's own account; with them (at most 100, the model's AccountIdSet): those. */
  batchGetAccountStatus(
    opts?: CallOptions,
    accountIds?: readonly string[],
  ): Promise<{ accounts: AccountStatus[]; failed: string[] }>;
  /** ListMembers, one page (maxResults 1-50). Optional: fakes omit it (coverage notes it). */
  listMembersPage?(
    req: { maxResults: number; nextToken?: string; onlyAssociated?: boolean },
    opts?: CallOptions,
  ): Promise<{ members: MemberAccount[]; nextToken?: string }>;
  /** ListCoverage, one page (maxResults 1-200). */
  listCoveragePage?(
    req: { maxResults: number; nextToken?: string },
    opts?: CallOptions,
  ): Promise<{ resources: CoverageResource[]; nextToken?: string }>;
  /** ListCoverageStatistics, one page of counts by `groupBy`, optionally filtered by scan status code. */
  listCoverageStatisticsPage?(
    req: { groupBy: string; scanStatusCode?: string; nextToken?: string },
    opts?: CallOptions,
  ): Promise<{ counts: CoverageCount[]; total: number; nextToken?: string }>;
  /**
   * AWS's clock now (epoch ms, whole seconds, never ahead of AWS): the `Date` header of a
   * GetCallerIdentity answer, the one call every credential may make. Optional: fakes omit it.
   */
  serverTime?(opts?: CallOptions): Promise<number>;
  destroy(): void;
}

export interface ClientOptions {
  logger: Logger;
  connectorId: string;
  /** SDK attempts per call, first included (default 8). */
  maxAttempts?: number;
  /** Assumed-role session lifetime in seconds (default: STS default, 1 hour). */
  roleDurationSeconds?: number;
  /** TCP/TLS connect timeout, ms (default 10 s). */
  connectionTimeoutMs?: number;
  /** Whole request timeout, ms (default 60 s). */
  requestTimeoutMs?: number;
  /**
   * The shared per-region rate limit every Inspector2 request (each attempt) goes through
   * (rate-limit.ts). Default: the process-wide one (`sharedRateLimits()`, from the environment);
   * false: none (benchmarks, tests of the SDK's own retries).
   */
  rateLimits?: RateLimits | false;
  /**
   * The region this client reads and signs for (one of the config's, `regionsOf`); absent = the
   * config's first. One client per region: a run's part, a Test row.
   */
  region?: string;
}

export type ClientFactory = (cfg: ConnectorConfig, opts: ClientOptions) => InspectorClient;

export const DEFAULT_MAX_ATTEMPTS = 8;

/**
 * The SDK's standard retry strategy (same attempts, backoff and Retry-After handling) without
 * its retry quota. That quota (500 tokens, 5 per retry, refunded slowly by successes) protects a
 * service from retry storms of many callers; under sustained throttling it empties, after which
 * every request gets ONE attempt, and a long run failed (reliability suite, full profile: 50%
 * throttled). Our callers are sequential collectors whose own page retries are bounded, and whose
 * request rate the shared rate limit (rate-limit.ts) already spreads and lowers under throttling,
 * so the quota is refilled before each retry decision (through the strategy's public `recordSuccess`,
 * which refunds a token's cost up to the initial capacity).
 */
export function withoutRetryQuota(maxAttempts: number): RetryStrategyV2 {
  const inner = new StandardRetryStrategy(maxAttempts);
  const refill = { getRetryCost: () => Number.MAX_SAFE_INTEGER } as unknown as StandardRetryToken;
  return {
    acquireInitialRetryToken: (scope) => inner.acquireInitialRetryToken(scope),
    refreshRetryTokenForRetry: (token, errorInfo) => {
      inner.recordSuccess(refill);
      return inner.refreshRetryTokenForRetry(token as StandardRetryToken, errorInfo);
    },
    recordSuccess: (token) => inner.recordSuccess(token as StandardRetryToken),
  };
}

/** `inspector-connector-<id>`, restricted to STS's RoleSessionName alphabet, 2-64 chars. */
export function roleSessionName(connectorId: string): string {
  const clean = connectorId.replace(/[^\w+=,.@-]/g, '-');
  return `inspector-connector-${clean}`.slice(0, 64);
}

/** Dates in the checkpoint's filter are epoch ms; the SDK wants Date objects for DateFilters. */
export function toSdkFilter(f: WireFilterCriteria): FilterCriteria {
  const out: Record<string, unknown[]> = {};
  for (const [k, list] of Object.entries(f)) {
    out[k] = list.map((item) => {
      if (item === null || typeof item !== 'object') return item;
      const o = { ...(item as Record<string, unknown>) };
      for (const d of ['startInclusive', 'endInclusive'] as const) {
        if (typeof o[d] === 'number') o[d] = new Date(o[d]);
      }
      return o;
    });
  }
  return out as FilterCriteria;
}

/**
 * Every attempt of this command (inside the SDK's retry loop, before signing) takes a token of
 * the key's bucket first, and tells it how AWS answered: success raises the rate back, a 429 /
 * ThrottlingException lowers it and, with `Retry-After`, pauses the key. The SDK's own backoff
 * and Retry-After handling of the attempt stay as they are.
 */
function limitAttempts<I extends object, O extends object>(
  stack: MiddlewareStack<I, O>,
  bucket: AdaptiveTokenBucket | undefined,
  signal: AbortSignal | undefined,
): void {
  if (!bucket) return;
  const mw: FinalizeRequestMiddleware<I, O> = (next) => async (args) => {
    await bucket.acquire(signal);
    try {
      const out = await next(args);
      bucket.onSuccess();
      return out;
    } catch (e) {
      if (isThrottlingError(e)) {
        const headers = (e as { $response?: { headers?: Record<string, string> } }).$response?.headers;
        bucket.onThrottle(retryAfterMs(headers, Date.now()));
      }
      throw e;
    }
  };
  stack.addRelativeTo(mw, {
    relation: 'before',
    toMiddleware: 'httpSigningMiddleware',
    name: 'inspectorConnectorRateLimit',
  });
}

interface HttpLikeResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: unknown;
}

async function readBody(body: unknown): Promise<Buffer> {
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (typeof body === 'string') return Buffer.from(body);
  if (body && typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    const chunks: Buffer[] = [];
    for await (const c of body as AsyncIterable<Buffer | string>) {
      chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
    }
    return Buffer.concat(chunks);
  }
  return Buffer.alloc(0);
}

/**
 * The override `endpoints.<service>` for `region`: `{region}` in it is replaced by the region;
 * without it, the one URL serves every region (each request still signed for its own region).
 */
export function endpointFor(
  cfg: Pick<ConnectorConfig, 'endpoints'>,
  service: 'inspector2' | 'sts',
  region: string,
): string | undefined {
  return cfg.endpoints[service]?.replaceAll('{region}', region);
}

export function createInspectorClient(cfg: ConnectorConfig, opts: ClientOptions): InspectorClient {
  const region = opts.region ?? regionsOf(cfg)[0] ?? '';
  if (!partitionOf(region)) {
    // The SDK builds a host name for any string (inspector2.<anything>.amazonaws.com) and fails
    // only at DNS: refuse before any request, naming the field.
    throw new FieldsError('ERR_CONFIG_INVALID', [
      {
        field: 'regions',
        message: `'${region}' is not an AWS region of the aws, aws-us-gov or aws-cn partition (e.g. us-east-1, us-gov-west-1, cn-north-1)`,
      },
    ]);
  }
  const partition = partitionIssues(cfg);
  if (partition.length) throw new FieldsError('ERR_CONFIG_INVALID', partition);
  const secrets = configSecrets(cfg);
  const explain = (e: CodedError, raw: unknown, operation: string) =>
    explainEndpointError(e, raw, cfg, STS_OPERATIONS.has(operation) ? 'sts' : 'inspector2', region);
  const log = opts.logger.child({ connectorId: opts.connectorId, region });
  const verify = !cfg.disableSslVerification;
  const inspectorEndpoint = endpointFor(cfg, 'inspector2', region);
  const stsEndpoint = endpointFor(cfg, 'sts', region);
  if (!verify) {
    // One client per run and region, so this is once per run and region.
    log.warn(
      { endpoint: inspectorEndpoint ?? new URL(defaultEndpoints(region).inspector2).host },
      'SSL certificate verification is disabled for this connector: not a good security practice',
    );
  }
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 8, rejectUnauthorized: verify });
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const requestHandler = new NodeHttpHandler({
    httpsAgent,
    httpAgent,
    connectionTimeout: opts.connectionTimeoutMs ?? 10_000,
    requestTimeout: opts.requestTimeoutMs ?? 60_000,
    throwOnRequestTimeout: true,
  });
  const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const common = { region, requestHandler, retryStrategy: withoutRetryQuota(maxAttempts) };
  const sourceKeys: AwsCredentialIdentity = {
    accessKeyId: cfg.auth.accessKeyId,
    secretAccessKey: cfg.auth.secretAccessKey,
  };

  let credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider = sourceKeys;
  if (cfg.auth.method === 'iam_role') {
    const assumeRole = fromTemporaryCredentials({
      masterCredentials: sourceKeys,
      params: {
        RoleArn: cfg.auth.roleArn,
        RoleSessionName: roleSessionName(opts.connectorId),
        ...(cfg.auth.externalId ? { ExternalId: cfg.auth.externalId } : {}),
        ...(opts.roleDurationSeconds ? { DurationSeconds: opts.roleDurationSeconds } : {}),
      },
      clientConfig: {
        ...common,
        ...(stsEndpoint ? { endpoint: stsEndpoint } : {}),
      },
    });
    // One memoized provider for both clients and resolveCredentials(): one AssumeRole, refreshed
    // before expiry with the SDK's own rules (a failure is not cached). Its errors are named
    // AssumeRole, not after the call that happened to need the credentials first.
    credentials = memoizeIdentityProvider(
      async (p?: Record<string, unknown>) => {
        try {
          return await assumeRole(p);
        } catch (e) {
          throw explain(classifyAwsError(e, { secrets, operation: 'AssumeRole' }), e, 'AssumeRole');
        }
      },
      isIdentityExpired,
      doesIdentityRequireRefresh,
    ) as AwsCredentialIdentityProvider;
  }

  const inspector = new Inspector2Client({
    ...common,
    credentials,
    ...(inspectorEndpoint ? { endpoint: inspectorEndpoint } : {}),
  });
  const sts = new STSClient({
    ...common,
    credentials,
    ...(stsEndpoint ? { endpoint: stsEndpoint } : {}),
  });

  // Process-wide by default: every client of the same endpoint, region and account shares it.
  // Keyed on this client's region and its endpoint with `{region}` filled in.
  const limits = opts.rateLimits === undefined ? sharedRateLimits() : opts.rateLimits;
  const bucket = limits
    ? limits.bucket(rateLimitKey({ region, endpoints: { inspector2: inspectorEndpoint }, auth: cfg.auth }))
    : undefined;

  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw explain(classifyAwsError(e, { secrets, operation: what }), e, what);
    }
  };

  return {
    async listFindingsPage(req, callOpts) {
      let captured: ListFindingsPage | undefined;
      const command = new ListFindingsCommand({
        filterCriteria: toSdkFilter(req.filterCriteria),
        maxResults: req.maxResults,
        ...(req.sortCriteria ? { sortCriteria: req.sortCriteria } : {}),
        ...(req.nextToken ? { nextToken: req.nextToken } : {}),
      });
      // Step "deserialize", priority "low": runs inside the SDK's deserializer, per attempt,
      // directly on the handler's raw HTTP response.
      command.middlewareStack.add(
        (next) => async (args) => {
          const result = await next(args);
          const response = result.response as HttpLikeResponse;
          if (response.statusCode < 200 || response.statusCode >= 300) return result;
          const buf = await readBody(response.body);
          let parsed: unknown;
          try {
            parsed = JSON.parse(buf.toString('utf8'));
          } catch (e) {
            throw new CodedError(
              'ERR_BAD_RESPONSE',
              `ListFindings answered HTTP ${response.statusCode} with a body that is not JSON (${buf.length} bytes): ${(e as Error).message}`,
            );
          }
          const body = parsed as { findings?: unknown; nextToken?: unknown } | null;
          if (body === null || typeof body !== 'object' || !Array.isArray(body.findings)) {
            throw new CodedError(
              'ERR_BAD_RESPONSE',
              `ListFindings answered HTTP ${response.statusCode} without a findings array`,
            );
          }
          const nextToken =
            typeof body.nextToken === 'string' && body.nextToken.length > 0 ? body.nextToken : undefined;
          captured = { findings: body.findings, ...(nextToken ? { nextToken } : {}) };
          response.body = Buffer.from(JSON.stringify({ findings: [], ...(nextToken ? { nextToken } : {}) }));
          return result;
        },
        { step: 'deserialize', priority: 'low', name: 'inspectorConnectorRawFindings' },
      );
      limitAttempts(command.middlewareStack, bucket, callOpts?.abortSignal);
      return call('ListFindings', async () => {
        await inspector.send(command, callOpts?.abortSignal ? { abortSignal: callOpts.abortSignal } : {});
        if (!captured) throw new CodedError('ERR_INTERNAL', 'ListFindings response body was not captured');
        return captured;
      }).catch((e: unknown) => {
        // A rejected token shows up as a ValidationException on a request that carried one:
        // the same filter was accepted without a token (that is how the query started).
        if (e instanceof CodedError && e.code === 'ERR_CONFIG_INVALID' && req.nextToken) {
          throw new CodedError('ERR_TOKEN_REJECTED', e.message, { cause: e.cause, detail: e.detail });
        }
        throw e;
      });
    },
    async resolveCredentials() {
      if (typeof credentials === 'function') await credentials();
    },
    async getCallerIdentity(callOpts) {
      return call('GetCallerIdentity', async () => {
        const out = await sts.send(
          new GetCallerIdentityCommand({}),
          callOpts?.abortSignal ? { abortSignal: callOpts.abortSignal } : {},
        );
        return { account: out.Account ?? '', arn: out.Arn ?? '', userId: out.UserId ?? '' };
      });
    },
    async serverTime(callOpts) {
      // The SDK reads `Date` only to correct a skew of more than 5 minutes (its
      // systemClockOffset), and keeps it to itself: read the header on the raw response.
      let date: number | undefined;
      const command = new GetCallerIdentityCommand({});
      command.middlewareStack.add(
        (next) => async (args) => {
          const result = await next(args);
          const headers = (result.response as HttpLikeResponse).headers ?? {};
          const key = Object.keys(headers).find((k) => k.toLowerCase() === 'date');
          const t = key ? Date.parse(headers[key]!) : NaN;
          if (Number.isFinite(t)) date = t;
          return result;
        },
        { step: 'deserialize', priority: 'low', name: 'inspectorConnectorServerDate' },
      );
      return call('GetCallerIdentity', async () => {
        await sts.send(command, callOpts?.abortSignal ? { abortSignal: callOpts.abortSignal } : {});
        if (date === undefined) {
          throw new CodedError('ERR_BAD_RESPONSE', 'GetCallerIdentity answered without a valid Date header');
        }
        return date;
      });
    },
    async listMembersPage(req, callOpts) {
      const command = new ListMembersCommand({
        maxResults: req.maxResults,
        ...(req.onlyAssociated !== undefined ? { onlyAssociated: req.onlyAssociated } : {}),
        ...(req.nextToken ? { nextToken: req.nextToken } : {}),
      });
      limitAttempts(command.middlewareStack, bucket, callOpts?.abortSignal);
      return call('ListMembers', async () => {
        const out = await inspector.send(
          command,
          callOpts?.abortSignal ? { abortSignal: callOpts.abortSignal } : {},
        );
        return {
          members: (out.members ?? []).map((m) => ({
            accountId: m.accountId ?? '',
            relationshipStatus: m.relationshipStatus ?? 'UNKNOWN',
            ...(m.updatedAt ? { updatedAt: m.updatedAt.getTime() } : {}),
          })),
          ...(out.nextToken ? { nextToken: out.nextToken } : {}),
        };
      });
    },
    async listCoveragePage(req, callOpts) {
      const command = new ListCoverageCommand({
        maxResults: req.maxResults,
        ...(req.nextToken ? { nextToken: req.nextToken } : {}),
      });
      limitAttempts(command.middlewareStack, bucket, callOpts?.abortSignal);
      return call('ListCoverage', async () => {
        const out = await inspector.send(
          command,
          callOpts?.abortSignal ? { abortSignal: callOpts.abortSignal } : {},
        );
        return {
          resources: (out.coveredResources ?? []).map((r) => ({
            accountId: r.accountId ?? '',
            resourceType: r.resourceType ?? 'UNKNOWN',
            resourceId: r.resourceId ?? '',
            scanType: r.scanType ?? 'UNKNOWN',
            statusCode: r.scanStatus?.statusCode ?? 'UNKNOWN',
            ...(r.scanStatus?.reason ? { reason: r.scanStatus.reason } : {}),
            ...(r.lastScannedAt ? { lastScannedAt: r.lastScannedAt.getTime() } : {}),
          })),
          ...(out.nextToken ? { nextToken: out.nextToken } : {}),
        };
      });
    },
    async listCoverageStatisticsPage(req, callOpts) {
      const filterCriteria: CoverageFilterCriteria | undefined = req.scanStatusCode
        ? { scanStatusCode: [{ comparison: 'EQUALS', value: req.scanStatusCode }] }
        : undefined;
      const command = new ListCoverageStatisticsCommand({
        groupBy: req.groupBy as GroupKey,
        ...(filterCriteria ? { filterCriteria } : {}),
        ...(req.nextToken ? { nextToken: req.nextToken } : {}),
      });
      limitAttempts(command.middlewareStack, bucket, callOpts?.abortSignal);
      return call('ListCoverageStatistics', async () => {
        const out = await inspector.send(
          command,
          callOpts?.abortSignal ? { abortSignal: callOpts.abortSignal } : {},
        );
        return {
          counts: (out.countsByGroup ?? []).map((c) => ({
            groupKey: String(c.groupKey ?? ''),
            count: c.count ?? 0,
          })),
          total: out.totalCounts ?? 0,
          ...(out.nextToken ? { nextToken: out.nextToken } : {}),
        };
      });
    },
    async batchGetAccountStatus(callOpts, accountIds) {
      const command = new BatchGetAccountStatusCommand(
        accountIds?.length ? { accountIds: [...accountIds] } : {},
      );
      limitAttempts(command.middlewareStack, bucket, callOpts?.abortSignal);
      return call('BatchGetAccountStatus', async () => {
        const out = await inspector.send(
          command,
          callOpts?.abortSignal ? { abortSignal: callOpts.abortSignal } : {},
        );
        const accounts: AccountStatus[] = (out.accounts ?? []).map((a) => {
          const resources: Record<string, ScanState> = {};
          for (const [k, v] of Object.entries(a.resourceState ?? {})) {
            const st = v as { status?: string; errorCode?: string } | undefined;
            if (!st) continue;
            resources[k] = {
              status: st.status ?? 'UNKNOWN',
              ...(st.errorCode ? { errorCode: st.errorCode } : {}),
            };
          }
          return { accountId: a.accountId ?? '', state: a.state?.status ?? 'UNKNOWN', resources };
        });
        const failed = (out.failedAccounts ?? []).map((f) => f.accountId ?? '');
        return { accounts, failed };
      });
    },
    destroy() {
      inspector.destroy();
      sts.destroy();
      httpsAgent.destroy();
      httpAgent.destroy();
    },
  };
}

// ------------------------------------------------------------------ error classification

const STS_OPERATIONS = new Set(['AssumeRole', 'GetCallerIdentity']);

/**
 * Names the endpoint behind a failure when the endpoint is the cause (the Test and the runs
 * report it): a region the endpoint does not serve (AWS refuses the signature scope), an
 * endpoint of another service (e.g. the STS override pointed at Inspector2), a region without
 * Inspector2, and which endpoint did not resolve or answer. AWS distinguishes the first two from
 * a wrong secret only by its message text, so only these two phrases are read.
 */
export function explainEndpointError(
  err: CodedError,
  raw: unknown,
  cfg: ConnectorConfig,
  service: 'inspector2' | 'sts',
  region: string = regionsOf(cfg)[0] ?? '',
): CodedError {
  if (err instanceof FieldsError) return err;
  const override = endpointFor(cfg, service, region);
  const field = `endpoints.${service}`;
  const label = service === 'sts' ? 'STS' : 'Amazon Inspector';
  const address = override ? endpointAddress(override)?.label : undefined;
  const where = override
    ? `the ${label} endpoint override (${field} = ${address ?? 'the URL given'})`
    : `the ${label} endpoint ${new URL(defaultEndpoints(region)[service]).host}`;
  const awsMessage = String((raw as { message?: unknown } | null)?.message ?? '').trim();
  const opts = { detail: err.detail, cause: err.cause };
  // An answer in the other protocol's format is the other service (the SDK cannot parse it): STS
  // (awsQuery only, botocore's model) answers XML, Inspector2 (restJson1) JSON.
  const response = (raw as { $response?: { headers?: Record<string, string>; body?: unknown } } | null)
    ?.$response;
  const headers = response?.headers ?? {};
  const contentType = headers['content-type'] ?? '';
  const foreign = service === 'sts' ? /json/i.test(contentType) : /xml/i.test(contentType);
  const body =
    typeof response?.body === 'string' ? redactSecrets(response.body.slice(0, 300), configSecrets(cfg)) : '';
  if (/Credential should be scoped to a valid region/i.test(awsMessage)) {
    return new CodedError(
      'ERR_REGION_MISMATCH',
      `${where} does not serve the connector's Region ${region}: ${err.message}`,
      opts,
    );
  }
  if (foreign || /Credential should be scoped to correct service/i.test(awsMessage)) {
    return new FieldsError(
      'ERR_CONFIG_INVALID',
      [
        {
          field: override ? field : 'region',
          message: `${where} is not an ${label} endpoint (it answered for another AWS service): point it at ${defaultEndpoints(region)[service]} or its VPC endpoint`,
        },
      ],
      foreign
        ? `${where} is not an ${label} endpoint: another AWS service answered (HTTP ${String((raw as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? '?')}${body ? `: ${body}` : ''})`
        : `${where} is not an ${label} endpoint: ${err.message}`,
    );
  }
  if (
    service === 'inspector2' &&
    NO_INSPECTOR2.has(region) &&
    (err.code === 'ERR_DNS' || err.code === 'ERR_NOT_FOUND')
  ) {
    return new CodedError(
      'ERR_REGION_UNAVAILABLE',
      `Amazon Inspector is not available in ${region} (${where} does not exist): ${err.message}`,
      opts,
    );
  }
  if (
    err.code === 'ERR_AUTH_INVALID' &&
    OPT_IN_REGIONS.has(region) &&
    NOT_ENABLED.has(String((raw as { name?: unknown } | null)?.name))
  ) {
    // An opt-in region the account has not enabled refuses every signed request, STS too, as if
    // the keys were unknown: the keys are proven (or not) by the regions that are enabled.
    return new CodedError(
      'ERR_REGION_NOT_ENABLED',
      `${region} is an opt-in region and AWS does not accept the credentials there: the region is not enabled for the account (or the keys are invalid): ${err.message}`,
      opts,
    );
  }
  if (['ERR_DNS', 'ERR_NOT_FOUND', 'ERR_NETWORK', 'ERR_TLS'].includes(err.code)) {
    return new CodedError(err.code, `${where}: ${err.message}`, opts);
  }
  return err;
}

/** What AWS answers in an opt-in region not enabled for the account (STS, then services). */
const NOT_ENABLED = new Set(['UnrecognizedClientException', 'InvalidClientTokenId']);

const AUTH_INVALID = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidAccessKeyId',
  'IncompleteSignature',
  'IncompleteSignatureException',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'InvalidToken',
  'AuthFailure',
]);
const PERMISSION = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'NotAuthorized',
  'UnauthorizedOperation',
]);
const THROTTLED = new Set([...THROTTLING_ERROR_NAMES, 'ServiceQuotaExceededException']);
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME']);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'TimeoutError',
  'RequestTimeout',
]);

interface SdkLikeError {
  name?: string;
  code?: string;
  message?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
  fields?: { name?: string }[];
  cause?: unknown;
}

/** Node error codes may sit on the error itself or on a cause (SDK wrappers). */
function errorCodes(e: unknown): string[] {
  const out: string[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const c = (cur as SdkLikeError).code;
    if (typeof c === 'string') out.push(c);
    cur = (cur as SdkLikeError).cause;
  }
  return out;
}

function codeFor(e: SdkLikeError): ErrorCode {
  const name = e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  const codes = errorCodes(e);
  if (codes.some((c) => TLS_CODES.has(c) || c.startsWith('CERT_') || c.startsWith('ERR_TLS_')))
    return 'ERR_TLS';
  if (codes.some((c) => DNS_CODES.has(c))) return 'ERR_DNS';
  if (codes.some((c) => NETWORK_CODES.has(c)) || NETWORK_CODES.has(name)) return 'ERR_NETWORK';
  if (AUTH_INVALID.has(name)) return 'ERR_AUTH_INVALID';
  if (PERMISSION.has(name)) return 'ERR_PERMISSION';
  if (THROTTLED.has(name) || status === 429) return 'ERR_THROTTLED';
  if (name === 'ValidationException' || name === 'ValidationError') {
    if (e.fields?.some((f) => f.name === 'nextToken')) return 'ERR_TOKEN_REJECTED';
    return 'ERR_CONFIG_INVALID';
  }
  if (name === 'RegionDisabledException') return 'ERR_CONFIG_INVALID';
  if (name === 'ResourceNotFoundException' || name === 'UnknownOperationException' || status === 404) {
    return 'ERR_NOT_FOUND';
  }
  if (status !== undefined && status >= 500) return 'ERR_AWS_SERVER';
  if (e.$fault === 'server') return 'ERR_AWS_SERVER';
  if (status === 401) return 'ERR_AUTH_INVALID';
  if (status === 403) return 'ERR_PERMISSION';
  if (status === 400) return 'ERR_CONFIG_INVALID';
  // A 2xx/3xx the SDK could not deserialize (HTML from a proxy, a wrong endpoint).
  if (status !== undefined && status < 400) return 'ERR_BAD_RESPONSE';
  return 'ERR_INTERNAL';
}

/** Any error from the SDK (or Node's network stack) -> a CodedError without secrets. */
export function classifyAwsError(
  e: unknown,
  ctx: { secrets: readonly (string | undefined)[]; operation?: string },
): CodedError {
  if (e instanceof CodedError) {
    const msg = redactSecrets(e.message, ctx.secrets);
    if (msg === e.message) return e;
    return new CodedError(e.code, msg, { detail: e.detail && redactSecrets(e.detail, ctx.secrets) });
  }
  const err = (e && typeof e === 'object' ? e : { message: String(e) }) as SdkLikeError;
  const code = codeFor(err);
  const status = err.$metadata?.httpStatusCode;
  const nodeCode = errorCodes(err)[0];
  const label = [
    err.name && err.name !== 'Error' ? err.name : undefined,
    nodeCode,
    status ? `HTTP ${status}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  const op = ctx.operation ? `${ctx.operation}: ` : '';
  const message = redactSecrets(
    `${op}${err.message ?? 'unknown error'}${label ? ` (${label})` : ''}`,
    ctx.secrets,
  );
  const detail = redactSecrets(
    JSON.stringify({
      operation: ctx.operation,
      name: err.name,
      code: nodeCode,
      httpStatus: status,
      fault: err.$fault,
      requestId: err.$metadata?.requestId,
      message: err.message,
    }),
    ctx.secrets,
  );
  return new CodedError(code, message, { detail });
}
