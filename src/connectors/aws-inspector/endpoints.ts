/**
 * Endpoint overrides (`endpoints.inspector2`, `endpoints.sts`) may point only where the operator
 * allows in INSPECTOR_CONNECTOR_ALLOWED_ENDPOINTS (src/connectors/endpoints.ts): the server never
 * signs requests for arbitrary URLs.
 *
 * The server checks at write time (the API's 400) AND every time it builds the SDK clients
 * (`allowEndpoints`), i.e. for every Test and every run: a server restarted without the
 * variable, or with a narrower one, no longer sends anything to a stored endpoint.
 */
import { FieldsError, type FieldError } from '../../core/errors.js';
import { ALLOWED_ENDPOINTS_ENV, addressAllowed, endpointAddress, entriesOf } from '../endpoints.js';
import type { ClientFactory } from './client.js';
import type { ConnectorConfig } from './config.js';
import { regionsOf } from './regions.js';

/**
 * One issue per override that is not allowed, naming the field and the variable. An override
 * with `{region}` is checked for each of `regions` (the URLs it will be sent to).
 */
export function endpointIssues(
  endpoints: unknown,
  allowed: readonly string[],
  regions: readonly string[] = [],
): FieldError[] {
  if (!endpoints || typeof endpoints !== 'object') return [];
  const out: FieldError[] = [];
  for (const [k, v] of Object.entries(endpoints as Record<string, unknown>)) {
    if (typeof v !== 'string' || v === '') continue;
    const urls = v.includes('{region}') ? regions.map((r) => v.replaceAll('{region}', r)) : [v];
    const a = urls
      .map((u) => endpointAddress(u))
      .find((x) => x !== undefined && !addressAllowed(x, entriesOf(allowed)));
    if (!a) continue; // every URL allowed, or the schema reports a malformed URL
    out.push({
      field: `endpoints.${k}`,
      message: allowed.length
        ? `${a.label} is not allowed for endpoint overrides (${ALLOWED_ENDPOINTS_ENV} allows: ${allowed.join(', ')}; an entry is host for its default port, or host:port)`
        : `${a.label} is not allowed: endpoint overrides are disabled on this server (set ${ALLOWED_ENDPOINTS_ENV} to the allowed host or host:port entries)`,
    });
  }
  return out;
}

/**
 * A client factory that refuses, before any client (and so any request) exists, a config whose
 * endpoint overrides are not allowed: the Test and every run of `serve` build their clients here.
 */
export function allowEndpoints(factory: ClientFactory, allowed: readonly string[]): ClientFactory {
  return (cfg: ConnectorConfig, opts) => {
    const issues = endpointIssues(cfg.endpoints, allowed, [opts.region ?? regionsOf(cfg)[0] ?? '']);
    if (issues.length) throw new FieldsError('ERR_ENDPOINT_NOT_ALLOWED', issues);
    return factory(cfg, opts);
  };
}
