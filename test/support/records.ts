/** Interflow records for tests: the fields every record has, overridden per test. */
import type { InterflowRecord } from '../../src/core/record.js';
import type { RecordState } from '../../src/store/index.js';
import { findingState } from '../../src/connectors/aws-inspector/map.js';

export function testRecord(
  processor: { id: string; name: string },
  over: Partial<InterflowRecord> & Pick<InterflowRecord, '_id' | 'timestamp'>,
): InterflowRecord {
  return {
    write_time: over.timestamp,
    tenantid: 'root',
    tenant_name: 'Root Tenant',
    msg_class: 'aws_inspector_finding',
    msg_origin: {
      source: 'aws_inspector',
      vendor: 'aws',
      category: 'security_scan',
      processor: { type: 'log_collector', ...processor },
    },
    event_name: 'finding',
    event_status: 'ACTIVE',
    severity: 50,
    ...over,
  };
}

/**
 * A page with its records' state updates, as the runner gives them (Amazon Inspector's: the
 * finding ARN, status and severity under `aws_inspector`).
 */
export function withStates<T extends { records: readonly InterflowRecord[] }>(
  page: T,
): T & { states: RecordState[] } {
  return {
    ...page,
    states: page.records.flatMap((r) => {
      const st = findingState(r);
      return st ? [{ ...st, recordId: r._id }] : [];
    }),
  };
}
