/**
 * An Interflow record as stored in the Syslog index. The fixed fields below are the ones the
 * product relies on; every other field (normalized search fields, the finding under
 * `aws_inspector`) is open JSON.
 */
export interface MsgOrigin {
  source: string;
  vendor: string;
  category: string;
  processor: { type: 'log_collector'; name: string; id: string };
}

export interface InterflowRecord {
  /** Deterministic: the same finding version always gets the same _id. */
  _id: string;
  /** Event time, epoch ms (finding updatedAt, else lastObservedAt). */
  timestamp: number;
  /** Ingest time, epoch ms. */
  write_time: number;
  tenantid: string;
  tenant_name: string;
  msg_class: string;
  msg_origin: MsgOrigin;
  event_name: string;
  event_status: string;
  /** 0-100 */
  severity: number;
  [field: string]: unknown;
}

export const SYSLOG_INDEX = 'syslog';
