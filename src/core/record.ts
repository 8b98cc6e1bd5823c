import { createHash } from 'node:crypto';

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
  /**
   * Deterministic: the same finding version in the same tenant always gets the same _id
   * (`tenantRecordId`); two tenants get two records.
   */
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

/**
 * The record identity, computed here only: the first 32 hex digits of
 * SHA-256(`tenantId|versionKey`), where `versionKey` is the tenant-free identity of the source
 * event (for AWS Inspector: `map.ts`, SHA-256 of `findingArn|version`, 32 hex digits). The index
 * stores a version once per tenant: two connectors of one tenant share records, two tenants each
 * get their own. The tenant-free key is hashed again (rather than `tenantId|findingArn|version`
 * at once) so that migration 10 derives every stored record's new `_id` exactly from its old
 * `_id` (the former identity, which was the version key) and its tenant, whatever the key was
 * made of (content-identified findings included).
 */
export function tenantRecordId(tenantId: string, versionKey: string): string {
  return createHash('sha256')
    .update(tenantId + '|' + versionKey)
    .digest('hex')
    .slice(0, 32);
}
