/**
 * Storing pages of records, in two steps:
 *
 * - `preparePage` (CPU, no database): the records' JSON texts and search-index terms as two
 *   UTF-8 buffers per page (off the JS heap, one allocation each), the findings' versions, the
 *   text paths met. The runner buffers prepared pages for a group commit: the mapped objects
 *   die young, and the buffered bytes stay out of the V8 heap, which otherwise grew to several
 *   times the live data (measured at 30,000: peak RSS 339 MB with strings, 319-321 MB with buffers).
 * - `pageCommitter` (database): ONE transaction for one or more prepared pages: the records
 *   (deduplicated on `_id`, which is per tenant; with `skipUnchanged`, not inserted when their
 *   state's fingerprint equals the stored state's), their index rows, the records' current state
 *   (per tenant and state key, as the caller gave it), the keys the page saw (a sweep's marks),
 *   each page's run counts and the last page's checkpoint (of the page's part: pages of
 *   several parts of one connector may share a group, each saving its own part's checkpoint).
 */
import type { Database, Statement } from 'better-sqlite3';
import { CodedError } from '../../core/errors.js';
import type { Clock } from '../../core/clock.js';
import type { InterflowRecord } from '../../core/record.js';
import { recordTerms } from './terms.js';
import { checkpointsRepo, runsRepo } from './repos.js';
import type { CommitPageInput, CommitPageResult, RecordState } from '../types.js';
import { FTS_SHARD_ROWS, activeShard, saveNextRowid } from './fts-shards.js';

export interface PreparedRow {
  id: string;
  timestamp: number;
  writeTime: number;
  severity: number | null;
  tenantId: string;
  msgClass: string | null;
  eventStatus: string | null;
  eventName: string | null;
  /** End offsets (bytes) of the record's JSON text in `docs` and of its terms in `terms`. */
  docEnd: number;
  termsEnd: number;
}

/** A page ready to be written (plain data). */
export interface PreparedPage {
  connectorId: string;
  /** The part `checkpoint` is saved for ('' = no parts). */
  part: string;
  rows: PreparedRow[];
  /** The records' JSON texts (as stored), UTF-8, back to back; bound as TEXT by CAST. */
  docs: Buffer;
  /** Their search-index terms, likewise. */
  terms: Buffer;
  /** The state updates, each with its record's tenant and position in `rows`. */
  states: (RecordState & { tenantId: string; row: number })[];
  /** Skip records whose state's fingerprint equals the stored one (CommitPageInput.skipUnchanged). */
  skipUnchanged: boolean;
  /** Absent = leave the checkpoint as it is. */
  checkpoint?: { value: unknown };
  seen?: CommitPageInput['seen'];
  runId?: number;
  counts?: CommitPageInput['counts'];
  textPaths: string[];
  /** Preparation time (epoch ms): first/last seen and the checkpoint's updated_at. */
  now: number;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Below this, Buffer.from takes the bytes from Node's shared pool (its poolSize / 2). */
const POOLED = Buffer.poolSize >>> 1;

/**
 * The strings' UTF-8 bytes back to back (`bytes` = their total length). A large page gets a
 * buffer of its own, written string by string: joining first made one ~400 KB string per page
 * in V8's large-object space, garbage at once, which drove full collections.
 */
function utf8(parts: readonly string[], bytes: number): Buffer {
  if (bytes < POOLED) return Buffer.from(parts.join(''));
  const buf = Buffer.allocUnsafeSlow(bytes);
  let at = 0;
  for (const p of parts) at += buf.write(p, at);
  return buf;
}

export function preparePage(input: CommitPageInput, now: number): PreparedPage {
  const text = new Set<string>();
  const onText = (p: string) => text.add(p);
  const rows: PreparedRow[] = [];
  const docs: string[] = [];
  const terms: string[] = [];
  let docEnd = 0;
  let termsEnd = 0;
  for (const r of input.records) {
    const doc = JSON.stringify(r);
    const t = recordTerms(r, onText);
    docs.push(doc);
    terms.push(t);
    docEnd += Buffer.byteLength(doc);
    termsEnd += Buffer.byteLength(t);
    rows.push({
      id: r._id,
      timestamp: r.timestamp,
      writeTime: r.write_time,
      severity: typeof r.severity === 'number' ? r.severity : null,
      tenantId: r.tenantid,
      msgClass: str(r.msg_class),
      eventStatus: str(r.event_status),
      eventName: str(r.event_name),
      docEnd,
      termsEnd,
    });
  }
  let at = 0;
  const states = input.states.map((st) => {
    at = recordIndex(input.records, st, at);
    return { ...st, tenantId: input.records[at]!.tenantid, row: at };
  });
  return {
    connectorId: input.connectorId,
    part: input.part ?? '',
    rows,
    docs: utf8(docs, docEnd),
    terms: utf8(terms, termsEnd),
    states,
    skipUnchanged: input.skipUnchanged === true,
    ...(input.checkpoint !== undefined ? { checkpoint: { value: input.checkpoint } } : {}),
    ...(input.seen ? { seen: { ...input.seen, keys: [...input.seen.keys] } } : {}),
    ...(input.runId !== undefined ? { runId: input.runId } : {}),
    ...(input.counts ? { counts: input.counts } : {}),
    textPaths: [...text],
    now,
  };
}

/**
 * Where the record a state is from sits in the page, searched from `from` on (states usually
 * follow their records' order: one step each) and then from the start. A state whose record is
 * not in the page is refused: its tenant would be unknown.
 */
function recordIndex(records: readonly InterflowRecord[], st: RecordState, from: number): number {
  for (let i = from; i < records.length; i++) if (records[i]!._id === st.recordId) return i;
  for (let i = 0; i < from && i < records.length; i++) if (records[i]!._id === st.recordId) return i;
  throw new CodedError('ERR_INTERNAL', `state "${st.key}" names record ${st.recordId}, not in its page`);
}

export interface CommitterOptions {
  /** Records per full-text index shard (fts-shards.ts); default FTS_SHARD_ROWS. */
  ftsShardRows?: number;
}

/** The write side: commits prepared pages, all of one transaction. */
export function pageCommitter(
  db: Database,
  opts: CommitterOptions = {},
): (pages: readonly PreparedPage[]) => CommitPageResult {
  const shardRows = opts.ftsShardRows ?? FTS_SHARD_ROWS;
  // Stamps (checkpoint updated_at) come from the page, prepared with the caller's clock.
  let now = 0;
  const clock: Clock = { now: () => now };
  const checkpoints = checkpointsRepo(db, clock);
  const runs = runsRepo(db, clock);
  const ins = {
    doc: db.prepare(
      `INSERT OR IGNORE INTO syslog
         (rowid, id, timestamp, write_time, severity, tenantid, connector_id, msg_class, event_status, event_name, doc)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT))`,
    ),
    finding: db.prepare(
      `INSERT INTO findings (state_key, connector_id, tenantid, status, severity, updated_at, record_id,
                             first_seen_at, last_seen_at, fingerprint)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(tenantid, state_key) DO UPDATE SET
         connector_id = excluded.connector_id, status = excluded.status,
         severity = excluded.severity, updated_at = excluded.updated_at, record_id = excluded.record_id,
         last_seen_at = excluded.last_seen_at, fingerprint = excluded.fingerprint
       WHERE excluded.updated_at > findings.updated_at`,
    ),
    /** An unchanged version: the state moves forward, still naming the last record stored. */
    moveState: db.prepare(
      `UPDATE findings SET connector_id = ?, updated_at = ?, last_seen_at = ?
        WHERE tenantid = ? AND state_key = ? AND updated_at < ?`,
    ),
    stateOf: db.prepare(
      'SELECT updated_at AS updatedAt, fingerprint FROM findings WHERE tenantid = ? AND state_key = ?',
    ),
    textPath: db.prepare('INSERT OR IGNORE INTO text_paths (path) VALUES (?)'),
    seen: db.prepare(
      'UPDATE findings SET swept_at = @at WHERE tenantid = @t AND state_key = @k AND swept_at < @at',
    ),
  };
  // The insert into the newest shard (prepared again when a new shard starts).
  let ftsInsertTo: { table: string; st: Statement } | undefined;
  const ftsInsert = (table: string): Statement => {
    if (ftsInsertTo?.table !== table) {
      ftsInsertTo = {
        table,
        st: db.prepare(`INSERT INTO ${table} (rowid, terms) VALUES (?, CAST(? AS TEXT))`),
      };
    }
    return ftsInsertTo.st;
  };
  const connectorExists = db.prepare('SELECT 1 FROM connectors WHERE id = ?').pluck();
  type State = PreparedPage['states'][number];
  /**
   * Whether a record's states tell an unchanged version (every state carries the fingerprint of
   * the stored state), and then whether any is newer than the stored one (else it is a repeat).
   */
  const unchangedVersion = (states: readonly State[]): { newer: boolean } | undefined => {
    let newer = false;
    for (const f of states) {
      if (f.fingerprint === undefined || f.fingerprint === null) return undefined;
      const st = ins.stateOf.get(f.tenantId, f.key) as
        { updatedAt: number; fingerprint: string | null } | undefined;
      if (st?.fingerprint !== f.fingerprint) return undefined;
      if (st.updatedAt < f.updatedAt) newer = true;
    }
    return { newer };
  };
  let pagesSinceOptimize = 0;

  const commitOne = (p: PreparedPage, shard: { fts: Statement; nextRowid: number }): CommitPageResult => {
    if (connectorExists.get(p.connectorId) === undefined) {
      throw new CodedError(
        'ERR_NOT_FOUND_RESOURCE',
        `connector ${p.connectorId} not found (deleted?): page not stored`,
      );
    }
    const storedIds: string[] = [];
    let duplicates = 0;
    let unchanged = 0;
    // Under skipUnchanged, each record's state is applied right after it (in page order), so a
    // later version of the same finding, in this page or group, compares with the earlier one.
    const byRow = p.skipUnchanged ? statesByRow(p) : undefined;
    const upsert = (f: State) =>
      ins.finding.run(
        f.key,
        p.connectorId,
        f.tenantId,
        f.status,
        f.severity,
        f.updatedAt,
        f.recordId,
        p.now,
        p.now,
        f.fingerprint ?? null,
      );
    let docStart = 0;
    let termsStart = 0;
    p.rows.forEach((r, n) => {
      const doc = p.docs.subarray(docStart, r.docEnd);
      const terms = p.terms.subarray(termsStart, r.termsEnd);
      docStart = r.docEnd;
      termsStart = r.termsEnd;
      const states = byRow?.get(n);
      const same = states && unchangedVersion(states);
      if (same) {
        for (const f of states)
          ins.moveState.run(p.connectorId, f.updatedAt, p.now, f.tenantId, f.key, f.updatedAt);
        if (same.newer) unchanged++;
        else duplicates++;
        return;
      }
      const info = ins.doc.run(
        shard.nextRowid,
        r.id,
        r.timestamp,
        r.writeTime,
        r.severity,
        r.tenantId,
        p.connectorId,
        r.msgClass,
        r.eventStatus,
        r.eventName,
        doc,
      );
      if (info.changes === 0) duplicates++;
      else {
        shard.fts.run(shard.nextRowid++, terms);
        storedIds.push(r.id);
      }
      if (states) for (const f of states) upsert(f);
    });
    if (!byRow) for (const f of p.states) upsert(f);
    if (p.seen) for (const k of p.seen.keys) ins.seen.run({ at: p.seen.at, t: p.seen.tenantId, k });
    for (const path of p.textPaths) ins.textPath.run(path);
    if (++pagesSinceOptimize >= 1000) {
      pagesSinceOptimize = 0;
      db.pragma('optimize');
    }
    now = p.now;
    if (p.checkpoint) checkpoints.set(p.connectorId, p.checkpoint.value, p.part);
    if (p.runId !== undefined) {
      runs.addCounts(p.runId, { ...p.counts, stored: storedIds.length, duplicates, unchanged, pages: 1 });
    }
    return { stored: storedIds.length, duplicates, unchanged, storedIds };
  };
  const commit = db.transaction((pages: readonly PreparedPage[]): CommitPageResult => {
    const total: CommitPageResult = { stored: 0, duplicates: 0, unchanged: 0, storedIds: [] };
    const active = activeShard(db, shardRows);
    const shard = { fts: ftsInsert(active.name), nextRowid: active.nextRowid };
    for (const p of pages) {
      const r = commitOne(p, shard);
      total.stored += r.stored;
      total.duplicates += r.duplicates;
      total.unchanged += r.unchanged;
      for (const id of r.storedIds) total.storedIds.push(id);
    }
    if (shard.nextRowid !== active.nextRowid) saveNextRowid(db, active.id, shard.nextRowid);
    return total;
  });

  return (pages) => {
    try {
      return commit.immediate(pages);
    } catch (e) {
      if (e instanceof CodedError) throw e;
      throw new CodedError('ERR_STORE', `commit of a page failed: ${(e as Error).message}`, { cause: e });
    }
  };
}

/** The states of a page by the position of their record. */
function statesByRow(p: PreparedPage): Map<number, PreparedPage['states']> {
  const out = new Map<number, PreparedPage['states']>();
  for (const f of p.states) {
    const list = out.get(f.row);
    if (list) list.push(f);
    else out.set(f.row, [f]);
  }
  return out;
}

/** The JSON texts of the given records of a prepared page, in page order (`collect --output -`). */
export function preparedDocs(page: PreparedPage, ids: ReadonlySet<string>): string[] {
  const out: string[] = [];
  let start = 0;
  for (const r of page.rows) {
    if (ids.has(r.id)) out.push(page.docs.toString('utf8', start, r.docEnd));
    start = r.docEnd;
  }
  return out;
}
