/**
 * The server's allow-list of endpoint overrides, INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS: a
 * connector type whose config can point at another endpoint (AWS: VPC endpoints, the emulator)
 * may send requests only where the operator allows. An entry is `host` (that host on its
 * scheme's default port: 443 for https, 80 for http) or `host:port` (that port only); an IPv6
 * address is written `[::1]` or `[::1]:8443`. The server checks at write time (the API's 400,
 * `ConnectorType.apiIssues`) and every time a type builds its clients (`ConnectorContext`).
 */
import { CodedError } from '../core/errors.js';

export const ALLOWED_ENDPOINTS_ENV = 'INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS';

export interface Entry {
  host: string;
  /** undefined: the URL scheme's default port. */
  port?: number;
}

const DEFAULT_PORT: Record<string, number> = { 'https:': 443, 'http:': 80 };

function parseEntry(raw: string): Entry | undefined {
  const s = raw.trim().toLowerCase();
  let host: string;
  let port: string | undefined;
  const v6 = /^\[([0-9a-f:.]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    host = v6[1]!;
    port = v6[2];
  } else if (/^[0-9a-f]*:[0-9a-f:.]*:[0-9a-f:.]*$/.test(s)) {
    host = s; // a bare IPv6 address (two colons or more): no port
  } else {
    const m = /^([a-z0-9.-]+)(?::(\d+))?$/.exec(s);
    if (!m) return undefined;
    host = m[1]!;
    port = m[2];
  }
  if (!host) return undefined;
  if (port === undefined) return { host };
  const n = Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65535) return undefined;
  return { host, port: n };
}

/**
 * The variable's entries, lower-cased, comma-separated. A malformed entry stops the server with
 * ERR_CONFIG_INVALID naming it (silently ignoring it would hide a typo).
 */
export function parseAllowedEndpoints(value: string | undefined): string[] {
  const out: string[] = [];
  for (const raw of (value ?? '').split(',')) {
    const s = raw.trim().toLowerCase();
    if (!s) continue;
    if (!parseEntry(s)) {
      throw new CodedError(
        'ERR_CONFIG_INVALID',
        `${ALLOWED_ENDPOINTS_ENV}: "${s}" is not host or host:port (e.g. vpce-1a2b.inspector2.us-east-1.vpce.amazonaws.com or 127.0.0.1:4566)`,
      );
    }
    out.push(s);
  }
  return out;
}

/** `host:port` of a URL as an allow-list entry would name it (port always explicit). */
export function endpointAddress(
  url: string,
): { host: string; port: number; defaultPort: boolean; label: string } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const def = DEFAULT_PORT[u.protocol];
  if (def === undefined) return undefined;
  const host = u.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = u.port ? Number(u.port) : def;
  return {
    host,
    port,
    defaultPort: port === def,
    label: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
  };
}

/**
 * The parsed entries of an allow-list, once per list: the server's list lives as long as the
 * server, and is checked at every Test and run.
 */
const parsedLists = new WeakMap<readonly string[], Entry[]>();
export function entriesOf(allowed: readonly string[]): Entry[] {
  let entries = parsedLists.get(allowed);
  if (!entries) {
    entries = allowed.map(parseEntry).filter((e): e is Entry => e !== undefined);
    parsedLists.set(allowed, entries);
  }
  return entries;
}

export function addressAllowed(
  a: { host: string; port: number; defaultPort: boolean },
  entries: Entry[],
): boolean {
  return entries.some((e) => e.host === a.host && (e.port === undefined ? a.defaultPort : e.port === a.port));
}

/** Whether a URL's host and port are allowed by the entries. */
export function endpointAllowed(url: string, allowed: readonly string[]): boolean {
  const a = endpointAddress(url);
  return a !== undefined && addressAllowed(a, entriesOf(allowed));
}
