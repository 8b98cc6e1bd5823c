/**
 * A search thread (see search-pool.ts): its own read-only connection to the store's database
 * (WAL: it reads while the writer commits), answering one search at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { configureConnection } from './connection.js';
import { syslogIndex } from './syslog-index.js';
import { errorReply } from './spawn-worker.js';
import type { SearchReply, SearchRequest, SearchWorkerData } from './search-pool.js';

const port = parentPort!;
const data = workerData as SearchWorkerData;
const db = new Database(data.dbPath, { fileMustExist: true });
configureConnection(db);
db.pragma(`cache_size = -${data.cacheKb}`);
// Defence in depth: this connection never writes.
db.pragma('query_only = ON');
const index = syslogIndex(db);
const hold = data.testHold ? new Int32Array(data.testHold) : undefined;
port.postMessage({ ready: true } satisfies SearchReply);

port.on('message', (m: SearchRequest) => {
  let reply: SearchReply;
  try {
    if (hold) Atomics.wait(hold, 0, 1);
    const result = (index[m.op] as (a: typeof m.args) => unknown)(m.args);
    reply = { id: m.id, ok: true, result };
  } catch (e) {
    reply = errorReply(m.id, e);
  }
  port.postMessage(reply);
});
