/**
 * The writer thread (see writer.ts): its own connection to the store's database, committing
 * the prepared pages it is posted, one group at a time, in the order posted.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { pageCommitter } from './commit.js';
import { configureConnection } from './connection.js';
import { errorReply } from './spawn-worker.js';
import type { WriterData, WriterReply, WriterRequest } from './writer.js';

const port = parentPort!;
const data = workerData as WriterData;
const db = new Database(data.dbPath);
configureConnection(db);
const commit = pageCommitter(db, data.committer);

/** Buffers arrive as plain Uint8Arrays (structured clone); the committer binds Buffers. */
const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

port.on('message', (m: WriterRequest) => {
  if ('close' in m) {
    db.close();
    port.close();
    return;
  }
  let reply: WriterReply;
  try {
    const pages = m.pages.map((p) => ({ ...p, docs: asBuffer(p.docs), terms: asBuffer(p.terms) }));
    reply = { id: m.id, ok: true, result: commit(pages) };
  } catch (e) {
    reply = errorReply(m.id, e);
  }
  port.postMessage(reply);
});
