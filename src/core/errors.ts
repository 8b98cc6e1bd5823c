/**
 * The one registry of coded errors. Every failure the product reports (CLI, API, connector
 * status, Test dialog) carries one of these codes. HTTP statuses and wording follow the
 * specification's Test table (400/401/403/404/429); codes beyond it cover network and TLS.
 * docs/errors.md is generated from / checked against this table by a test.
 */
export interface ErrorInfo {
  /** HTTP status the Test dialog and API report for this error. */
  httpStatus: number;
  /** The HTTP standard name of that status, as the spec's table shows it. */
  httpName: string;
  /** Whether a later retry may succeed without any change by the user. */
  retryable: boolean;
  explanation: string;
  recommendation: string;
  /**
   * A 5xx whose own message the API may answer with (it says what to do and holds nothing
   * internal); other 5xx answers carry only the explanation.
   */
  publicMessage?: boolean;
}

export const ERRORS = {
  ERR_CONFIG_INVALID: {
    httpStatus: 400,
    httpName: 'Bad Request',
    retryable: false,
    explanation: 'This error occurs when there is an error in the connector configuration.',
    recommendation: 'Did you configure the connector correctly? Check the fields named in the detail.',
  },
  ERR_AUTH_INVALID: {
    httpStatus: 401,
    httpName: 'Unauthorized',
    retryable: false,
    explanation:
      'This error occurs when an authentication credential is invalid or when a user does not have sufficient privileges to access a specific API.',
    recommendation:
      'Did you enter your credentials correctly? Are your credentials expired? Are your credentials entitled or licensed for that specific resource?',
  },
  ERR_PERMISSION: {
    httpStatus: 403,
    httpName: 'Forbidden',
    retryable: false,
    explanation: 'This error occurs when the permission or scope is not correct in a valid credential.',
    recommendation:
      'Did you enter your credentials correctly? Do you have the required role or permissions for that credential (AmazonInspector2ReadOnlyAccess; sts:AssumeRole trusted by the role)?',
  },
  ERR_NOT_FOUND: {
    httpStatus: 404,
    httpName: 'Not Found',
    retryable: false,
    explanation: 'This error occurs when a URL path does not resolve to an entity.',
    recommendation: 'Did you enter your API URL (region or endpoint override) correctly?',
  },
  ERR_THROTTLED: {
    httpStatus: 429,
    httpName: 'Too Many Requests',
    retryable: true,
    explanation:
      "This error occurs when the API server receives too much traffic or if a user's license or entitlement quota is exceeded.",
    recommendation:
      'The server or user license/quota will eventually recover. The connector will periodically retry the query. If this occurs unexpectedly or too often, work with your API provider to investigate the server limits, user licensing, or quotas.',
  },
  ERR_AWS_SERVER: {
    httpStatus: 502,
    httpName: 'Bad Gateway',
    retryable: true,
    explanation: 'AWS answered with a server error (5xx) after the SDK exhausted its retries.',
    recommendation:
      'This is usually transient; the connector retries on its next run. Check the AWS Health Dashboard if it persists.',
  },
  ERR_BAD_RESPONSE: {
    httpStatus: 502,
    httpName: 'Bad Gateway',
    retryable: true,
    explanation: 'AWS (or a proxy in between) answered with a body that is not valid Inspector JSON.',
    recommendation:
      'This is usually transient; the window is retried on the next run. Check any proxy between the Data Processor and AWS.',
  },
  ERR_TLS: {
    httpStatus: 495,
    httpName: 'SSL Certificate Error',
    retryable: false,
    explanation: 'The TLS certificate presented by the endpoint could not be verified.',
    recommendation:
      'Check the endpoint and any TLS-intercepting proxy; install its CA on the Data Processor. Disabling SSL certificate verification works around it but is not a good security practice.',
  },
  ERR_DNS: {
    httpStatus: 404,
    httpName: 'Not Found',
    retryable: false,
    explanation: 'The endpoint host name does not resolve.',
    recommendation:
      'Did you enter your API URL (region or endpoint override) correctly? Check DNS on the Data Processor.',
  },
  ERR_NETWORK: {
    httpStatus: 503,
    httpName: 'Service Unavailable',
    retryable: true,
    explanation: 'The endpoint could not be reached (connection refused, reset or timed out).',
    recommendation:
      'Check network access from the Data Processor to the endpoint (firewall, proxy, VPC endpoint).',
  },
  ERR_REGION_MISMATCH: {
    httpStatus: 400,
    httpName: 'Bad Request',
    retryable: false,
    explanation:
      'The endpoint the request was sent to serves another AWS region than the connector\'s Region, so AWS refused the request\'s signature ("Credential should be scoped to a valid region").',
    recommendation:
      "Set Region to the endpoint's region, or point the endpoint override named in the message at the endpoint of the connector's Region (inspector2.<region>.amazonaws.com, sts.<region>.amazonaws.com; amazonaws.com.cn in China), or remove the override.",
  },
  ERR_REGION_UNAVAILABLE: {
    httpStatus: 404,
    httpName: 'Not Found',
    retryable: false,
    explanation:
      "Amazon Inspector is not available in the connector's Region: AWS has no Inspector2 endpoint there (its host name does not resolve).",
    recommendation:
      'Choose a region where Amazon Inspector is available (AWS Regional Services list), or an endpoint override that serves Inspector2 for this region.',
  },
  ERR_REGION_NOT_ENABLED: {
    httpStatus: 403,
    httpName: 'Forbidden',
    retryable: false,
    explanation:
      'The region is an opt-in region (launched after March 2019) that is not enabled for the AWS account: AWS refuses every signed request there (STS and Amazon Inspector) with 403 "The security token included in the request is invalid" (UnrecognizedClientException / InvalidClientTokenId), although the same credentials work in other regions.',
    recommendation:
      'Enable the region for the account (AWS console > Account > AWS Regions, or `aws account enable-region`) and activate Amazon Inspector there, or remove it from the connector\'s Regions. With regions "all", regions not enabled are reported and skipped.',
  },
  ERR_TOKEN_REJECTED: {
    httpStatus: 400,
    httpName: 'Bad Request',
    retryable: true,
    explanation: 'AWS rejected a pagination token (expired, or bound to a different query).',
    recommendation:
      'None needed: the collector restarts the window; records already stored are not duplicated.',
  },
  ERR_NOT_ACTIVATED: {
    httpStatus: 200,
    httpName: 'OK',
    retryable: false,
    explanation:
      'Amazon Inspector is not activated for this account in this region, so there are no findings to collect.',
    recommendation:
      'Activate Amazon Inspector (EC2, ECR and/or Lambda scanning) in this region, or pick the region where it is active.',
  },
  ERR_INDEXING_LAG: {
    httpStatus: 200,
    httpName: 'OK',
    retryable: false,
    explanation:
      'A warning on a connector whose runs succeed: Amazon Inspector listed finding versions later than the window overlap (overlapMinutes) allows. They were collected by the detection band below the overlap, but a longer lag would lose versions. The warning stays for a day after the last run that saw such versions.',
    recommendation:
      'Raise overlapMinutes on the connector (for example to twice its current value); the metric inspector_connector_late_versions_total counts the late versions.',
  },
  ERR_STORE: {
    httpStatus: 500,
    httpName: 'Internal Server Error',
    retryable: true,
    explanation: 'The local store (SQLite) failed to write or read.',
    recommendation: 'Check free disk space and permissions of the data directory.',
  },
  ERR_INTERNAL: {
    httpStatus: 500,
    httpName: 'Internal Server Error',
    retryable: false,
    explanation: 'An unexpected error occurred inside inspector-connector.',
    recommendation: 'Please report it with the detail shown (it contains no secrets).',
  },
  ERR_SECRET_UNREADABLE: {
    httpStatus: 400,
    httpName: 'Bad Request',
    retryable: false,
    explanation:
      "A stored secret of this connector cannot be decrypted with the server's current encryption key (the key was replaced and the server was started with --reset-secrets).",
    recommendation:
      'Re-enter the secret: edit the connector and enter its Access Key ID and Secret Access Key again (PATCH with the new values repairs it).',
  },
  ERR_SECRET_KEY_INVALID: {
    httpStatus: 500,
    httpName: 'Internal Server Error',
    retryable: false,
    explanation:
      'The encryption key (INSPECTOR_CONNECTOR_KEY or DATA_DIR/secret.key) is missing, malformed, not 32 bytes, or its file is readable by group or others.',
    recommendation:
      'Fix what the message names (chmod 600 the key file, restore it from a backup); see "Encryption key" in the README.',
  },
  ERR_SECRET_KEY_MISMATCH: {
    httpStatus: 500,
    httpName: 'Internal Server Error',
    retryable: false,
    explanation:
      "The encryption key does not match the key check value recorded in the store: the connectors' secrets were encrypted with another key.",
    recommendation:
      "Restore the original key (secret.key from a backup, or the right INSPECTOR_CONNECTOR_KEY). If it is lost, start once with `serve --reset-secrets` and re-enter every connector's secrets.",
  },
  ERR_DATA_DIR_LOCKED: {
    httpStatus: 409,
    httpName: 'Conflict',
    retryable: true,
    explanation:
      'Another inspector-connector process (serve, collect or rotate-key) owns this data directory.',
    recommendation:
      'Stop the process named in the message, or use another --data directory. search and reconcile work alongside it.',
  },
  ERR_ENDPOINT_NOT_ALLOWED: {
    httpStatus: 400,
    httpName: 'Bad Request',
    retryable: false,
    explanation:
      'An endpoint override of the connector points at a host or port that INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS does not allow on this server, so no request was sent.',
    recommendation:
      'Remove or correct the override named in the message, or add its host (default port) or host:port to INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS and restart the server.',
  },
  ERR_TEST_TIMEOUT: {
    httpStatus: 504,
    httpName: 'Gateway Timeout',
    retryable: true,
    explanation:
      'The connector test did not finish within its time limit (the endpoint accepted the connection but did not answer in time).',
    recommendation:
      'Check the endpoint overrides and network path (proxy, firewall, VPC endpoint); run the test again.',
  },
  ERR_QUERY_INVALID: {
    httpStatus: 400,
    httpName: 'Bad Request',
    retryable: false,
    explanation: 'The search query could not be parsed.',
    recommendation: 'Check the query syntax (Lucene style: field:value, "phrases", AND/OR/NOT, ranges).',
  },
  ERR_QUERY_TIMEOUT: {
    httpStatus: 503,
    httpName: 'Service Unavailable',
    retryable: false,
    publicMessage: true,
    explanation:
      'The search was stopped because it ran past its time budget (INSPECTOR_CONNECTOR_SEARCH_TIMEOUT_MS; CLI --timeout).',
    recommendation:
      'Narrow the query or the time range: add a selective word or field:value, avoid leading wildcards (*ssl) on large indexes, or shorten from/to.',
  },
  ERR_SEARCH_BUSY: {
    httpStatus: 503,
    httpName: 'Service Unavailable',
    retryable: true,
    explanation: 'Every search thread is busy and the queue of waiting searches is full.',
    recommendation: 'Try again in a few seconds; if it persists, other users are running slow searches.',
  },
  // ---- API errors (REST API and UI; not connector failures)
  ERR_VALIDATION: {
    httpStatus: 400,
    httpName: 'Bad Request',
    retryable: false,
    explanation: 'The request is malformed: a parameter, query or body field is missing or invalid.',
    recommendation:
      'Fix the fields named in the error and send the request again (see /docs for the schema).',
  },
  ERR_UNAUTHENTICATED: {
    httpStatus: 401,
    httpName: 'Unauthorized',
    retryable: false,
    explanation:
      'The request carries no valid session: not logged in, wrong credentials, or the session expired.',
    recommendation:
      'Log in again (POST /api/v1/auth/login) and send the token as "Authorization: Bearer <token>".',
  },
  ERR_FORBIDDEN: {
    httpStatus: 403,
    httpName: 'Forbidden',
    retryable: false,
    explanation: "The user's role or tenant does not allow this action on this resource.",
    recommendation: 'Ask a root admin, or an admin of the tenant that owns the resource.',
  },
  ERR_CSRF: {
    httpStatus: 403,
    httpName: 'Forbidden',
    retryable: false,
    explanation:
      'A cookie-authenticated request that changes data came without a matching X-CSRF-Token header.',
    recommendation:
      'Send the csrfToken from /api/v1/auth/login or /api/v1/auth/me in the X-CSRF-Token header.',
  },
  ERR_NOT_FOUND_RESOURCE: {
    httpStatus: 404,
    httpName: 'Not Found',
    retryable: false,
    explanation:
      'The requested resource (connector, user, log filter, profile, route) does not exist or is not visible to you.',
    recommendation: 'Check the id; list the resources to find it.',
  },
  ERR_CONFLICT: {
    httpStatus: 409,
    httpName: 'Conflict',
    retryable: false,
    explanation: 'The request conflicts with existing data (for example a name that is already taken).',
    recommendation: 'Choose another name, or change the existing resource instead.',
  },
  ERR_TEST_RUNNING: {
    httpStatus: 409,
    httpName: 'Conflict',
    retryable: true,
    explanation:
      'A test of this connector (or, for an unsaved configuration, your previous test) is still running: one test at a time per connector.',
    recommendation: 'Wait for the running test to finish (at most its time limit), then run the test again.',
  },
  ERR_RATE_LIMITED: {
    httpStatus: 429,
    httpName: 'Too Many Requests',
    retryable: true,
    explanation:
      'Too many requests in a short time: from this client address, or failed log-in attempts for this user name.',
    recommendation:
      'Wait for the time given in the message (and the Retry-After header) before trying again.',
  },
  ERR_PAYLOAD_TOO_LARGE: {
    httpStatus: 413,
    httpName: 'Payload Too Large',
    retryable: false,
    explanation: 'The request body is larger than the server accepts.',
    recommendation: 'Send a smaller body; connector configurations and filters are small JSON documents.',
  },
  ERR_BUSY: {
    httpStatus: 503,
    httpName: 'Service Unavailable',
    retryable: true,
    explanation:
      'The server is busy checking other passwords (password hashing is limited to a few at a time, with a short queue).',
    recommendation: 'Try again in a moment (see the Retry-After header).',
  },
} as const satisfies Record<string, ErrorInfo>;

export type ErrorCode = keyof typeof ERRORS;

/** An error that carries a registry code. `detail` must never contain secrets. */
export class CodedError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;
  constructor(code: ErrorCode, message: string, options?: { detail?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CodedError';
    this.code = code;
    this.detail = options?.detail;
  }
  get info(): ErrorInfo {
    return ERRORS[this.code];
  }
  get httpStatus(): number {
    return ERRORS[this.code].httpStatus;
  }
}

/** A field at fault, by its dotted path (`auth.secretAccessKey`), and what is allowed there. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * A coded error naming every field at fault: the API answers `{error: {code, message, fields}}`
 * (400 for ERR_CONFIG_INVALID / ERR_VALIDATION), the CLI prints one line per field.
 */
export class FieldsError extends CodedError {
  readonly fields: FieldError[];
  constructor(code: ErrorCode, fields: FieldError[], message?: string) {
    super(code, message ?? fields.map((f) => `${f.field}: ${f.message}`).join('; '));
    this.name = 'FieldsError';
    this.fields = fields;
  }
}

/** A coded error the client may retry after `retryAfterMs` (the API sends a Retry-After header). */
export class RetryLaterError extends CodedError {
  readonly retryAfterMs: number;
  constructor(code: ErrorCode, message: string, retryAfterMs: number) {
    super(code, message);
    this.retryAfterMs = retryAfterMs;
  }
}

export function isCodedError(e: unknown): e is CodedError {
  return e instanceof CodedError;
}
