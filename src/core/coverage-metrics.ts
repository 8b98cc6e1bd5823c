/**
 * Prometheus gauges of scan coverage (docs/coverage.md), in the style of metrics.ts: registered on
 * a Registry passed in, labelled by connector id. Each refresh replaces the connector's series
 * (a region or state that disappeared is removed, not left at its old value).
 */
import { Gauge, Registry } from 'prom-client';
import type { CoverageSnapshot } from '../connectors/coverage-types.js';

export interface CoverageMetrics {
  accounts: Gauge<'connector' | 'region' | 'state'>;
  resources: Gauge<'connector' | 'region' | 'status'>;
  flagged: Gauge<'connector' | 'code'>;
  /** Sets the connector's series from a snapshot. */
  update(connectorId: string, snap: CoverageSnapshot): void;
}

export function createCoverageMetrics(registry: Registry = new Registry()): CoverageMetrics {
  const registers = [registry];
  const accounts = new Gauge({
    name: 'inspector_connector_coverage_accounts',
    help: 'Accounts by Amazon Inspector state per region (UNKNOWN: not readable), at the last coverage refresh',
    labelNames: ['connector', 'region', 'state'],
    registers,
  });
  const resources = new Gauge({
    name: 'inspector_connector_coverage_resources',
    help: 'Resources scanned (covered) and not scanned (not_covered) per region, at the last coverage refresh',
    labelNames: ['connector', 'region', 'status'],
    registers,
  });
  const flagged = new Gauge({
    name: 'inspector_connector_coverage_flagged',
    help: 'Account x region pairs flagged, by reason code (INSPECTOR_DISABLED, STOPPED_REPORTING, ...), at the last coverage refresh',
    labelNames: ['connector', 'code'],
    registers,
  });
  const previous = new Map<string, { a: string[][]; r: string[][]; f: string[] }>();
  return {
    accounts,
    resources,
    flagged,
    update(connector, snap) {
      const prev = previous.get(connector);
      if (prev) {
        for (const [region, state] of prev.a) accounts.remove({ connector, region: region!, state: state! });
        for (const [region, status] of prev.r)
          resources.remove({ connector, region: region!, status: status! });
        for (const code of prev.f) flagged.remove({ connector, code });
      }
      const a = new Map<string, number>();
      for (const row of snap.rows) {
        if (row.accountId === '*') continue;
        const k = `${row.region}\u0000${row.state ?? 'UNKNOWN'}`;
        a.set(k, (a.get(k) ?? 0) + 1);
      }
      const aKeys = [...a.keys()].map((k) => k.split('\u0000'));
      for (const [region, state] of aKeys)
        accounts.set({ connector, region: region!, state: state! }, a.get(`${region}\u0000${state}`)!);
      const rKeys: string[][] = [];
      for (const r of snap.regions) {
        resources.set({ connector, region: r.region, status: 'covered' }, r.covered);
        resources.set({ connector, region: r.region, status: 'not_covered' }, r.notCovered);
        rKeys.push([r.region, 'covered'], [r.region, 'not_covered']);
      }
      const f = new Map<string, number>();
      for (const row of snap.rows)
        for (const code of new Set(row.flags.map((x) => x.code))) f.set(code, (f.get(code) ?? 0) + 1);
      f.set('any', snap.rows.filter((r) => r.flags.length > 0).length);
      for (const [code, n] of f) flagged.set({ connector, code }, n);
      previous.set(connector, { a: aKeys, r: rKeys, f: [...f.keys()] });
    },
  };
}
