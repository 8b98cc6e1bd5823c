/**
 * The physical-limit baseline: the least work that still pulls the same findings into SQLite.
 * Node's fetch + the SDK's own SigV4 signer (no SDK client, no retries, no middleware),
 * JSON.parse, and plain INSERTs of each finding's raw JSON into one table in ONE transaction.
 * One page is prefetched while the previous one is inserted, as the collector does.
 *
 *   node baseline.js '{"url":"http://127.0.0.1:PORT","db":"/tmp/x.db","queries":[{filterCriteria}]}'
 *
 * Prints `{"findings":N,"pages":P,"ms":T}` on stdout. Not product code: benchmark only.
 */
import Database from 'better-sqlite3';
import { signedListFindings, wireFilter } from './signed-fetch.js';

interface Args {
  url: string;
  db: string;
  queries: { filterCriteria: Record<string, unknown[]> }[];
  accessKeyId: string;
  secretAccessKey: string;
}

async function main() {
  const a = JSON.parse(process.argv[2]!) as Args;
  const fetchPage = signedListFindings(a.url, a);

  const db = new Database(a.db);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS raw (id INTEGER PRIMARY KEY, doc TEXT NOT NULL)');
  const ins = db.prepare('INSERT INTO raw (doc) VALUES (?)');

  const t0 = performance.now();
  let findings = 0;
  let pages = 0;
  db.exec('BEGIN');
  for (const q of a.queries) {
    const filter = wireFilter(q.filterCriteria);
    let pending: Promise<{ findings: unknown[]; nextToken?: string }> | undefined = fetchPage(filter);
    while (pending) {
      const page: { findings: unknown[]; nextToken?: string } = await pending;
      pending = page.nextToken ? fetchPage(filter, page.nextToken) : undefined;
      for (const f of page.findings) ins.run(JSON.stringify(f));
      findings += page.findings.length;
      pages++;
    }
  }
  db.exec('COMMIT');
  const ms = performance.now() - t0;
  db.close();
  process.stdout.write(JSON.stringify({ findings, pages, ms }) + '\n');
}

await main();
