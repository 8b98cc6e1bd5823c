/** Interflow records for tests: the fields every record has, overridden per test. */
import type { InterflowRecord } from '../../src/core/record.js';

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
