/**
 * The REST API client of the UI (docs/api.md). The session lives in the HttpOnly cookie; the
 * CSRF token is kept in memory and sent on every mutating request.
 */

export interface FieldError {
  field: string;
  message: string;
}

/** An API failure: `{ error: { code, message, fields } }` with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldError[] = [],
  ) {
    super(message);
  }
}

export interface User {
  username: string;
  role: 'root_admin' | 'tenant_admin' | 'analyst';
  tenant: string;
}

/** One part's status (a type with parts: AWS Inspector's regions). */
export interface PartStatus {
  part: string;
  state: 'never_run' | 'ok' | 'failed';
  lastError?: { code: string; message: string; at: number };
  lastSuccessAt?: number;
  lastRunAt?: number;
}

export interface ConnectorStatus {
  /** partial: some parts of the last run failed (`parts` says which). */
  state: 'never_run' | 'ok' | 'partial' | 'failed';
  lastError?: { code: string; message: string; at: number };
  lastSuccessAt?: number;
  lastRunAt?: number;
  running: boolean;
  /** Each part's status, sorted by part (types with parts only). */
  parts?: PartStatus[];
}

/** How one part of a run ended. */
export interface RunPart {
  part: string;
  status: 'ok' | 'failed' | 'stopped';
  received: number;
  stored: number;
  vanished: number;
  durationMs: number;
  error?: { code: string; message: string };
}

/** One run of a connector (`GET /connectors/{id}/runs`, and `lastRun`). */
export interface Run {
  id: number;
  status: 'running' | 'ok' | 'failed';
  startedAt: number;
  finishedAt?: number;
  received: number;
  /** Records stored by the run (= stored). */
  new: number;
  /** Versions the tenant's index already held (= duplicates). */
  alreadyStored: number;
  stored: number;
  duplicates: number;
  /** New versions not stored because nothing material changed (recordVersions: material). */
  unchanged: number;
  discarded: number;
  discardedByFilter: Record<string, number>;
  pages: number;
  error?: { code: string; message: string };
  /** With parts: how each part ended (the run is failed when any part failed). */
  parts?: RunPart[];
  /** "received N, new M, already stored K" (+ ", unchanged U", ", discarded D"). */
  summary: string;
}

export interface Connector {
  id: string;
  name: string;
  category: string;
  /** The type's label (`AWS Inspector`); `typeId` is its id. */
  type: string;
  typeId: string;
  function: string;
  tenant: string;
  runOn: string;
  intervalMinutes: number;
  /** AWS Inspector: the first region collected (older clients). */
  region?: string;
  /** AWS Inspector: the regions, comma-separated, or `all (<partition>)`. */
  regions?: string;
  active: boolean;
  profiles: string[];
  logFilterIds: string[];
  config: Record<string, unknown>;
  status: ConnectorStatus;
  counts?: { stored: number; discarded: number };
  lastRun?: Run;
  createdAt: number;
  updatedAt: number;
}

/** The connector Test's result: the contract's own type (type-only: nothing of src/ enters the bundle). */
export type { TestResult } from '../../src/connectors/types.js';

export type JsonSchema = {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  format?: string;
  secret?: boolean;
  /** `text`: a secret field shown as typed (an identifier such as an access key ID), still write-only. */
  display?: 'text';
  /** The wizard shows the field under Configuration > Advanced. */
  advanced?: boolean;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
};

/** A registered connector type as `/meta` describes it (src/connectors/types.ts). */
export interface ConnectorTypeMeta {
  /** `type` of POST /connectors, e.g. `aws-inspector`. */
  id: string;
  label: string;
  category: string;
  schema: JsonSchema;
  secretFields: string[];
  metadata: Record<string, unknown>;
}

/** The parts of `/meta` the UI reads (the server also sends `categories`, `types`, `connectorSchema`). */
export interface Meta {
  connectorTypes: ConnectorTypeMeta[];
  regions: string[];
  logFilterOperators: string[];
  /** Result columns the index can sort on. */
  sortFields: string[];
  /** The hard minimum length of a password (shorter is refused). */
  passwordMinLength: number;
}

export interface FilterCondition {
  field: string;
  operator: string;
  values: (string | number)[];
}

export interface LogFilter {
  id: string;
  name: string;
  tenant?: string;
  logSource?: string;
  conditions: FilterCondition[];
}

export interface Tenant {
  id: string;
  name: string;
}

export interface Profile {
  id: string;
  name: string;
  connectorIds: string[];
}

export type SearchRecord = Record<string, unknown> & { _id: string };

export interface SearchResult {
  total: number;
  records: SearchRecord[];
  /** Fields the query names that no record has (a typo): shown as a warning. */
  unknownFields?: string[];
}

export interface FieldStats {
  total: number;
  sampled: number;
  fields: { path: string; count: number; distinct: number; top: { value: string; count: number }[] }[];
}

export interface Histogram {
  interval: number;
  buckets: { start: number; count: number }[];
  /** "All time" with `robust=true`: the outliers left out of the buckets. */
  span?: { min: number; max: number; before: number; after: number };
}

let csrfToken = '';
let onUnauthorized: () => void = () => {};

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when any request answers 401 (session expired): the app shows the login page. */
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'ERR_NETWORK', `The server could not be reached (${(e as Error).message}).`);
  }
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string; fields?: FieldError[] } })?.error;
    if (res.status === 401 && !path.startsWith('/auth/')) onUnauthorized();
    throw new ApiError(
      res.status,
      err?.code ?? `HTTP_${res.status}`,
      err?.message ?? `The server answered ${res.status} ${res.statusText}.`,
      err?.fields ?? [],
    );
  }
  return data as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body ?? {});
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const put = <T>(path: string, body?: unknown) => api<T>('PUT', path, body ?? {});
export const del = <T>(path: string) => api<T>('DELETE', path);

export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** A list response: `{ <key>: T[] }` (docs/api.md), tolerating a bare array. */
export async function getList<T>(path: string, key: string): Promise<T[]> {
  const r = await get<unknown>(path);
  if (Array.isArray(r)) return r as T[];
  const v = (r as Record<string, unknown> | undefined)?.[key];
  return Array.isArray(v) ? (v as T[]) : [];
}
