/**
 * The store's optional writer thread: `pageCommitter` on a connection of its own to the same
 * database file (WAL), fed prepared pages by the collector's thread. Same transactions, same
 * guarantees as committing inline; the collector's thread meanwhile fetches, maps and prepares
 * the next pages, so a run uses two cores.
 *
 * Commits are applied and answered in the order posted. If the thread dies, every pending
 * commit fails with ERR_STORE (each is one transaction: nothing half-written) and the next
 * commit starts a new thread.
 */
import type { Transferable, Worker } from 'node:worker_threads';
import { CodedError } from '../../core/errors.js';
import type { CommitterOptions, PreparedPage } from './commit.js';
import type { CommitPageResult } from '../types.js';
import { replyError, spawnStoreWorker, type ErrorReply } from './spawn-worker.js';

export interface PageWriter {
  /** With `transfer`, the pages' buffers are moved to the thread (unusable here afterwards). */
  commit(pages: readonly PreparedPage[], transfer: boolean): Promise<CommitPageResult>;
  /** Lets the posted commits finish, then the thread closes its connection and exits. */
  close(): void;
}

/** What the thread is started with and the messages to and from it (writer-worker.ts imports these). */
export interface WriterData {
  dbPath: string;
  committer: CommitterOptions;
}
export type WriterRequest = { id: number; pages: PreparedPage[] } | { id: number; close: true };
export type WriterReply = { id: number; ok: true; result: CommitPageResult } | ErrorReply;

/**
 * The thread's young generation (V8's default is 3 x 16 MB): it allocates little (the page
 * metadata; the page bytes arrive as transferred buffers), and the default cost ~30 MB of
 * RSS (measured, 100,000 findings: 387 -> 352-360 MB with 6-12 MB, no slower; with 4 MB the
 * 1,000,000 run peaked 15 MB lower than with 8, at the same rate: src/cli/memory.ts).
 */
const resourceLimits = { maxYoungGenerationSizeMb: 4 };

/** A buffer can move to the thread only if it owns its whole ArrayBuffer (not Node's pool). */
const ownsMemory = (b: Buffer): b is Buffer & { buffer: ArrayBuffer } =>
  b.buffer instanceof ArrayBuffer && b.byteOffset === 0 && b.buffer.byteLength === b.byteLength;

export function startWriter(dbPath: string, committer: CommitterOptions = {}): PageWriter {
  let worker: Worker | undefined;
  let nextId = 1;
  const pending = new Map<number, { resolve: (r: CommitPageResult) => void; reject: (e: Error) => void }>();

  // Also after close(): a thread that dies before answering what it was posted fails those
  // commits (after a clean close nothing is pending by then: replies precede the exit).
  const failAll = (w: Worker, message: string) => {
    if (worker === w) worker = undefined;
    for (const p of pending.values()) p.reject(new CodedError('ERR_STORE', message));
    pending.clear();
  };
  const ensure = (): Worker => {
    if (worker) return worker;
    const w = spawnStoreWorker('writer-worker', { dbPath, committer } satisfies WriterData, resourceLimits);
    w.on('message', (r: WriterReply) => {
      const p = pending.get(r.id);
      if (!p) return;
      pending.delete(r.id);
      if (r.ok) p.resolve(r.result);
      else p.reject(replyError(r));
    });
    w.on('error', (e) => failAll(w, `the store's writer thread failed: ${e.message}`));
    w.on('exit', (code) => failAll(w, `the store's writer thread exited (code ${code})`));
    worker = w;
    return w;
  };
  return {
    commit(pages, transfer) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        const list: Transferable[] = [];
        if (transfer) {
          for (const p of pages) for (const b of [p.docs, p.terms]) if (ownsMemory(b)) list.push(b.buffer);
        }
        pending.set(id, { resolve, reject });
        ensure().postMessage({ id, pages: [...pages] } satisfies WriterRequest, list);
      });
    },
    close() {
      const w = worker;
      if (!w) return;
      worker = undefined;
      w.postMessage({ id: nextId++, close: true } satisfies WriterRequest);
      // Not waited for: the thread answers what it was posted, then exits on its own.
      w.unref();
    },
  };
}
