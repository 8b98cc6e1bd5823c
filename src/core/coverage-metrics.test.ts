/** The coverage gauges: set from a snapshot, and a connector's old series removed on the next one. */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { CoverageSnapshot } from '../connectors/coverage-types.js';
import { createCoverageMetrics } from './coverage-metrics.js';

const snap = (
  regions: { region: string; state: string; covered: number; notCovered: number }[],
): CoverageSnapshot => ({
  connectorId: 'c1',
  generatedAt: 0,
  staleDays: 7,
  regions: regions.map((r) => ({
    region: r.region,
    status: 'ok',
    accounts: 1,
    covered: r.covered,
    notCovered: r.notCovered,
  })),
  rows: regions.map((r) => ({
    accountId: '111122223333',
    region: r.region,
    state: r.state,
    flags: r.state === 'ENABLED' ? [] : [{ code: 'INSPECTOR_DISABLED', level: 'high', reason: 'off' }],
  })),
  notes: [],
});

describe('coverage gauges', () => {
  it('accounts by state, resources per region, flagged by code; a later snapshot replaces the series', async () => {
    const registry = new Registry();
    const m = createCoverageMetrics(registry);
    m.update(
      'c1',
      snap([
        { region: 'us-east-1', state: 'ENABLED', covered: 5, notCovered: 2 },
        { region: 'eu-west-1', state: 'DISABLED', covered: 0, notCovered: 0 },
      ]),
    );
    let text = await registry.metrics();
    expect(text).toContain(
      'inspector_connector_coverage_accounts{connector="c1",region="eu-west-1",state="DISABLED"} 1',
    );
    expect(text).toContain(
      'inspector_connector_coverage_resources{connector="c1",region="us-east-1",status="not_covered"} 2',
    );
    expect(text).toContain(
      'inspector_connector_coverage_flagged{connector="c1",code="INSPECTOR_DISABLED"} 1',
    );
    expect(text).toContain('inspector_connector_coverage_flagged{connector="c1",code="any"} 1');
    m.update('c1', snap([{ region: 'us-east-1', state: 'ENABLED', covered: 6, notCovered: 1 }]));
    text = await registry.metrics();
    expect(text).not.toContain('eu-west-1');
    expect(text).not.toContain('code="INSPECTOR_DISABLED"');
    expect(text).toContain('inspector_connector_coverage_flagged{connector="c1",code="any"} 0');
    expect(text).toContain(
      'inspector_connector_coverage_resources{connector="c1",region="us-east-1",status="covered"} 6',
    );
  });
});
