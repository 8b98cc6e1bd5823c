/**
 * A small IAM model: users with access keys, roles with trust and an optional ExternalId, and
 * permissions as managed policy names or action patterns. Loaded from JSON or YAML; defaults are
 * AWS's documented example keys in account 123456789012.
 */
import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const ACCESS_KEY = /^AKIA[A-Z0-9]{16}$/;

const userSchema = z
  .object({
    name: z.string().regex(/^[\w+=,.@-]{1,64}$/, 'an IAM user name: 1-64 of letters, digits and +=,.@_-'),
    accessKeyId: z.string().regex(ACCESS_KEY, 'AKIA followed by 16 upper-case letters or digits'),
    secretAccessKey: z.string().min(16, 'at least 16 characters'),
    policies: z.array(z.string()).default([]),
    actions: z.array(z.string()).default([]),
  })
  .strict();

const roleSchema = z
  .object({
    name: z.string().regex(/^[\w+=,.@-]{1,64}$/, 'an IAM role name: 1-64 of letters, digits and +=,.@_-'),
    /** Principals trusted to assume it: user names or ARNs (users or roles). */
    trust: z.array(z.string()).default([]),
    externalId: z.string().min(2).max(1224).optional(),
    maxSessionDuration: z.number().int().min(3600).max(43200).default(3600),
    policies: z.array(z.string()).default([]),
    actions: z.array(z.string()).default([]),
  })
  .strict();

export const iamSchema = z
  .object({
    account: z.string().regex(/^\d{12}$/, '12 digits'),
    /** A delegated administrator sees every account's findings; otherwise only its own. */
    delegatedAdmin: z.boolean().default(true),
    users: z.array(userSchema).default([]),
    roles: z.array(roleSchema).default([]),
  })
  .strict();

export type IamModel = z.input<typeof iamSchema>;
export type Iam = z.output<typeof iamSchema>;
export type IamUser = Iam['users'][number];
export type IamRole = Iam['roles'][number];

/** What managed policies grant (the parts this emulator serves). */
export const MANAGED_POLICIES: Record<string, string[]> = {
  AmazonInspector2ReadOnlyAccess: [
    'inspector2:BatchGet*',
    'inspector2:Describe*',
    'inspector2:Get*',
    'inspector2:List*',
    'inspector2:Search*',
  ],
  AmazonInspector2FullAccess: ['inspector2:*'],
  AdministratorAccess: ['*'],
};

export const DEFAULT_IAM: IamModel = {
  account: '123456789012',
  delegatedAdmin: true,
  users: [
    {
      name: 'reader',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      policies: ['AmazonInspector2ReadOnlyAccess'],
    },
    {
      name: 'source',
      accessKeyId: 'AKIAI44QH8DHBEXAMPLE',
      secretAccessKey: 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY',
      actions: ['sts:AssumeRole'],
    },
  ],
  roles: [
    { name: 'InspectorReadOnly', trust: ['source'], policies: ['AmazonInspector2ReadOnlyAccess'] },
    {
      name: 'InspectorReadOnlyExternalId',
      trust: ['source'],
      externalId: 'example-external-id',
      policies: ['AmazonInspector2ReadOnlyAccess'],
    },
    { name: 'Untrusted', trust: [], policies: ['AmazonInspector2ReadOnlyAccess'] },
  ],
};

/** Parse an IAM model; errors name the field and what is allowed. */
export function parseIam(input: unknown, source = 'IAM model'): Iam {
  const r = iamSchema.safeParse(input);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${source} is invalid: ${msg}`);
  }
  const names = new Set<string>();
  for (const u of r.data.users) {
    if (names.has(u.accessKeyId))
      throw new Error(`${source} is invalid: users: access key ${u.accessKeyId} appears twice`);
    names.add(u.accessKeyId);
  }
  return r.data;
}

/** Load an IAM model from a JSON or YAML file. */
export function loadIam(file: string): Iam {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read IAM model ${file}: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new Error(
      `IAM model ${file} is not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(e as Error).message}`,
    );
  }
  return parseIam(data, `IAM model ${file}`);
}

function globMatch(pattern: string, action: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
  return re.test(action);
}

export function allows(p: { policies: string[]; actions: string[] }, action: string): boolean {
  const patterns = [...p.actions, ...p.policies.flatMap((n) => MANAGED_POLICIES[n] ?? [])];
  return patterns.some((pat) => globMatch(pat, action));
}

/** Who signed a request. */
export interface Principal {
  kind: 'user' | 'assumed-role';
  account: string;
  arn: string;
  userId: string;
  policies: string[];
  actions: string[];
  /** For a user: its name; for an assumed role: the role's ARN. */
  name: string;
  roleArn?: string;
}

export function userPrincipal(iam: Iam, u: IamUser): Principal {
  return {
    kind: 'user',
    account: iam.account,
    arn: `arn:aws:iam::${iam.account}:user/${u.name}`,
    userId: `AIDA${stableId(u.name)}`,
    policies: u.policies,
    actions: u.actions,
    name: u.name,
  };
}

export function roleArn(iam: Iam, r: IamRole): string {
  return `arn:aws:iam::${iam.account}:role/${r.name}`;
}

/** A stable 17-character upper-case id (unique ids like AIDA.../AROA... in AWS). */
export function stableId(s: string): string {
  let h = 0x811c9dc5;
  let out = '';
  for (let round = 0; out.length < 17; round++) {
    for (const ch of `${s}#${round}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(36).toUpperCase();
  }
  return out.slice(0, 17);
}

export function trusts(iam: Iam, role: IamRole, caller: Principal): boolean {
  return role.trust.some(
    (t) =>
      t === caller.arn ||
      t === caller.name ||
      t === caller.roleArn ||
      t === `arn:aws:iam::${iam.account}:root`,
  );
}
