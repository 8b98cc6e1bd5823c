/**
 * STS (awsQuery, XML): AssumeRole and GetCallerIdentity, with AWS's validation rules, XML bodies
 * and error bodies. Temporary credentials are `ASIA...` keys with session tokens, kept in memory
 * until they expire.
 */
import { randomBytes } from 'node:crypto';
import { AwsError } from './errors.js';
import { allows, roleArn, stableId, trusts, type Iam, type Principal } from './iam.js';
import { partitionArn } from './regions.js';
import type { KeyRecord } from './sigv4.js';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function stsErrorXml(e: AwsError, requestId: string): string {
  const type = e.status >= 500 ? 'Receiver' : 'Sender';
  return `<ErrorResponse xmlns="${NS}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${xmlEscape(e.code)}</Code>\n    <Message>${xmlEscape(e.message)}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function randomKeyId(prefix: string): string {
  const b = randomBytes(16);
  let s = prefix;
  for (const x of b) s += ALNUM[x % 32];
  return s;
}

/** Temporary credentials issued by AssumeRole. */
export class Sessions {
  private readonly keys = new Map<string, KeyRecord>();

  get(accessKeyId: string): KeyRecord | undefined {
    return this.keys.get(accessKeyId);
  }

  issue(
    principal: Principal,
    expiresAt: number,
    now: number,
  ): { accessKeyId: string; secretAccessKey: string; sessionToken: string } {
    // Forget sessions expired over an hour ago so a long run does not grow without bound.
    if (this.keys.size > 1000)
      for (const [k, v] of this.keys) if ((v.expiresAt ?? Infinity) < now - 3_600_000) this.keys.delete(k);
    const accessKeyId = randomKeyId('ASIA');
    const secretAccessKey = randomBytes(30).toString('base64');
    const sessionToken = `IQoJb3JpZ2luX2VjE${randomBytes(96).toString('base64')}`;
    this.keys.set(accessKeyId, { secretAccessKey, sessionToken, expiresAt, principal });
    return { accessKeyId, secretAccessKey, sessionToken };
  }

  clear(): void {
    this.keys.clear();
  }
}

export interface StsContext {
  iam: Iam;
  sessions: Sessions;
  now: number;
  /** Overrides the lifetime of issued credentials (seconds), so tests can expire them mid-run. */
  credentialSeconds?: number;
  /**
   * The partition of the endpoint's region (default aws): ARNs are written in it. Principals are
   * kept as `arn:aws:` internally (the IAM model's trust entries) and rendered on the way out.
   */
  partition?: string;
}

function validationError(field: string, value: string, rule: string): AwsError {
  return new AwsError(
    'ValidationError',
    400,
    `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ${rule}`,
  );
}

function wrap(action: string, result: string, requestId: string): string {
  return `<${action}Response xmlns="${NS}">\n  <${action}Result>\n${result}  </${action}Result>\n  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`;
}

/** Handle an STS action; returns the XML body or throws AwsError. */
export function handleSts(
  params: URLSearchParams,
  caller: Principal,
  ctx: StsContext,
  requestId: string,
): string {
  const action = params.get('Action');
  if (!action) throw new AwsError('MissingAction', 400, 'Missing Action');
  const version = params.get('Version');
  if (version !== null && version !== '2011-06-15') {
    throw new AwsError('InvalidAction', 400, `Could not find operation ${action} for version ${version}`);
  }
  switch (action) {
    case 'GetCallerIdentity':
      return wrap(
        action,
        `    <Arn>${xmlEscape(partitionArn(caller.arn, ctx.partition ?? 'aws'))}</Arn>\n    <UserId>${xmlEscape(caller.userId)}</UserId>\n    <Account>${caller.account}</Account>\n`,
        requestId,
      );
    case 'AssumeRole':
      return wrap(action, assumeRole(params, caller, ctx), requestId);
    default:
      throw new AwsError('InvalidAction', 400, `Could not find operation ${action} for version 2011-06-15`);
  }
}

function assumeRole(params: URLSearchParams, caller: Principal, ctx: StsContext): string {
  const { iam } = ctx;
  const partition = ctx.partition ?? 'aws';
  const arn = params.get('RoleArn');
  const session = params.get('RoleSessionName');
  if (arn === null) throw validationError('roleArn', 'null', 'Member must not be null');
  if (session === null) throw validationError('roleSessionName', 'null', 'Member must not be null');
  if (arn.length < 20 || arn.length > 2048)
    throw validationError('roleArn', arn, 'Member must have length between 20 and 2048');
  if (session.length < 2 || session.length > 64)
    throw validationError('roleSessionName', session, 'Member must have length between 2 and 64');
  if (!/^[\w+=,.@-]*$/.test(session))
    throw validationError(
      'roleSessionName',
      session,
      'Member must satisfy regular expression pattern: [\\w+=,.@-]*',
    );
  const ext = params.get('ExternalId');
  if (ext !== null) {
    if (ext.length < 2 || ext.length > 1224)
      throw validationError('externalId', ext, 'Member must have length between 2 and 1224');
    if (!/^[\w+=,.@:/-]*$/.test(ext))
      throw validationError(
        'externalId',
        ext,
        'Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*',
      );
  }
  let duration = 3600;
  const ds = params.get('DurationSeconds');
  if (ds !== null) {
    if (!/^\d+$/.test(ds))
      throw new AwsError(
        'ValidationError',
        400,
        `Value '${ds}' for parameter DurationSeconds is invalid. It must be an integer.`,
      );
    duration = Number(ds);
    if (duration < 900)
      throw validationError('durationSeconds', ds, 'Member must have value greater than or equal to 900');
    if (duration > 43200)
      throw validationError('durationSeconds', ds, 'Member must have value less than or equal to 43200');
  }
  if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(arn)) {
    throw new AwsError('ValidationError', 400, `${arn} is invalid`);
  }
  const denied = new AwsError(
    'AccessDenied',
    403,
    `User: ${partitionArn(caller.arn, partition)} is not authorized to perform: sts:AssumeRole on resource: ${arn}`,
  );
  // A role exists in its account's partition only: arn:aws-cn:... in China, arn:aws:... elsewhere.
  const role = iam.roles.find((r) => partitionArn(roleArn(iam, r), partition) === arn);
  if (!role || !allows(caller, 'sts:AssumeRole') || !trusts(iam, role, caller)) throw denied;
  if (role.externalId !== undefined && ext !== role.externalId) throw denied;
  if (caller.kind === 'assumed-role' && duration > 3600) {
    throw new AwsError(
      'ValidationError',
      400,
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
  }
  if (duration > role.maxSessionDuration) {
    throw new AwsError(
      'ValidationError',
      400,
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
  }
  const lifetime = ctx.credentialSeconds ?? duration;
  const expiresAt = ctx.now + lifetime * 1000;
  const roleId = `AROA${stableId(roleArn(iam, role))}`;
  const principal: Principal = {
    kind: 'assumed-role',
    account: iam.account,
    arn: `arn:aws:sts::${iam.account}:assumed-role/${role.name}/${session}`,
    userId: `${roleId}:${session}`,
    policies: role.policies,
    actions: role.actions,
    name: role.name,
    roleArn: roleArn(iam, role),
  };
  const c = ctx.sessions.issue(principal, expiresAt, ctx.now);
  return (
    `    <Credentials>\n      <AccessKeyId>${c.accessKeyId}</AccessKeyId>\n      <SecretAccessKey>${xmlEscape(c.secretAccessKey)}</SecretAccessKey>\n` +
    `      <SessionToken>${xmlEscape(c.sessionToken)}</SessionToken>\n      <Expiration>${new Date(expiresAt).toISOString()}</Expiration>\n    </Credentials>\n` +
    `    <AssumedRoleUser>\n      <AssumedRoleId>${xmlEscape(principal.userId)}</AssumedRoleId>\n      <Arn>${xmlEscape(partitionArn(principal.arn, partition))}</Arn>\n    </AssumedRoleUser>\n`
  );
}
