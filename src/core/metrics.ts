/**
 * Prometheus metrics of the collector, registered on a Registry passed in (never prom-client's
 * global one, so tests and several apps in one process do not collide). Every stage counts
 * what it received, stored, dropped as duplicates, left unstored as unchanged versions,
 * discarded (per filter) and its errors by
 * code, labelled by connector id.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface CollectorMetrics {
  readonly registry: Registry;
  received: Counter<'connector'>;
  stored: Counter<'connector'>;
  duplicates: Counter<'connector'>;
  unchanged: Counter<'connector'>;
  discarded: Counter<'connector' | 'filter'>;
  pages: Counter<'connector'>;
  tokenRestarts: Counter<'connector'>;
  lateVersions: Counter<'connector'>;
  errors: Counter<'connector' | 'code'>;
  runs: Counter<'connector' | 'status'>;
  runDuration: Histogram<'connector' | 'status'>;
  running: Gauge<'connector'>;
  /** AWS answers 429 / ThrottlingException, per region and account (`scope`) of the shared rate limit. */
  awsThrottled: Counter<'region' | 'scope'>;
  /** The shared rate limit's current requests/s per region and account (lowered under throttling). */
  awsRateLimit: Gauge<'region' | 'scope'>;
  /** Per part of a type with parts (AWS Inspector: a region): 1 = its last run ok, 0 = failed. */
  partUp: Gauge<'connector' | 'part'>;
}

export function createMetrics(registry: Registry = new Registry()): CollectorMetrics {
  const registers = [registry];
  return {
    registry,
    received: new Counter({
      name: 'inspector_connector_findings_received_total',
      help: 'Findings received from AWS',
      labelNames: ['connector'],
      registers,
    }),
    stored: new Counter({
      name: 'inspector_connector_records_stored_total',
      help: 'Records stored in the Syslog index',
      labelNames: ['connector'],
      registers,
    }),
    duplicates: new Counter({
      name: 'inspector_connector_records_duplicate_total',
      help: 'Finding versions received again and not stored twice',
      labelNames: ['connector'],
      registers,
    }),
    unchanged: new Counter({
      name: 'inspector_connector_versions_unchanged_total',
      help: 'New finding versions not stored as records because nothing material changed (recordVersions: material)',
      labelNames: ['connector'],
      registers,
    }),
    discarded: new Counter({
      name: 'inspector_connector_records_discarded_total',
      help: 'Records discarded by a log filter',
      labelNames: ['connector', 'filter'],
      registers,
    }),
    pages: new Counter({
      name: 'inspector_connector_pages_total',
      help: 'ListFindings pages stored',
      labelNames: ['connector'],
      registers,
    }),
    tokenRestarts: new Counter({
      name: 'inspector_connector_token_restarts_total',
      help: 'Queries restarted because AWS rejected a pagination token',
      labelNames: ['connector'],
      registers,
    }),
    lateVersions: new Counter({
      name: 'inspector_connector_late_versions_total',
      help: 'Finding versions AWS listed later than the window overlap allows (raise overlapMinutes)',
      labelNames: ['connector'],
      registers,
    }),
    errors: new Counter({
      name: 'inspector_connector_errors_total',
      help: 'Failed runs by error code',
      labelNames: ['connector', 'code'],
      registers,
    }),
    runs: new Counter({
      name: 'inspector_connector_runs_total',
      help: 'Collection runs by outcome',
      labelNames: ['connector', 'status'],
      registers,
    }),
    runDuration: new Histogram({
      name: 'inspector_connector_run_duration_seconds',
      help: 'Duration of collection runs',
      labelNames: ['connector', 'status'],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers,
    }),
    running: new Gauge({
      name: 'inspector_connector_running',
      help: '1 while a run of the connector is in progress',
      labelNames: ['connector'],
      registers,
    }),
    awsThrottled: new Counter({
      name: 'inspector_connector_aws_throttled_total',
      help: 'AWS requests answered 429 / ThrottlingException, per region and account of the shared rate limit',
      labelNames: ['region', 'scope'],
      registers,
    }),
    awsRateLimit: new Gauge({
      name: 'inspector_connector_aws_rate_limit_per_second',
      help: "The shared rate limit's current requests per second, per region and account (lowered after throttling, recovers gradually)",
      labelNames: ['region', 'scope'],
      registers,
    }),
    partUp: new Gauge({
      name: 'inspector_connector_part_up',
      help: "Per part of a connector whose type collects in parts (AWS Inspector: region): 1 when the part's last run was ok, 0 when it failed",
      labelNames: ['connector', 'part'],
      registers,
    }),
  };
}
