/**
 * `inspector-connector search [--data DIR] [--count] [--limit N] [--from T] [--to T]
 *  [--time-field F] [--sort S] [--timeout MS] QUERY...`: records of the Syslog index matching a
 * Lucene-style query, as NDJSON, newest first (or just the number with --count). Exit 2 on a bad
 * query or bad option, 1 when the store cannot be read, 3 when the search ran past its time
 * budget (ERR_QUERY_TIMEOUT; the same budget as the server's, see store/sqlite/search-pool.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { isCodedError } from '../../core/errors.js';
import { parseTime } from '../../core/time.js';
import {
  DB_FILE,
  openStore,
  parseSearchTimeout,
  searchTimeoutFromEnv,
  type SearchOptions,
  type TimeField,
} from '../../store/index.js';

interface SearchCliOptions {
  data: string;
  count?: boolean;
  limit: string;
  from?: string;
  to?: string;
  timeField: string;
  sort: string;
  timeout?: string;
}

class UsageError extends Error {}

function time(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = parseTime(v.trim());
  if (t === undefined) {
    throw new UsageError(
      `--${name} "${v}" is not a time: use ISO-8601 (2026-01-31T12:00:00Z) or epoch milliseconds`,
    );
  }
  return t;
}

/** Write respecting backpressure, so `--limit 0` over millions of records stays in bounded memory. */
async function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
}

export async function searchCommand(queryWords: string[], opts: SearchCliOptions): Promise<number> {
  const q = queryWords.join(' ');
  let filter: SearchOptions;
  try {
    if (!/^\d+$/.test(opts.limit))
      throw new UsageError(`--limit must be an integer >= 0 (0 = all), got "${opts.limit}"`);
    if (opts.timeField !== 'timestamp' && opts.timeField !== 'write_time') {
      throw new UsageError(`--time-field must be timestamp or write_time, got "${opts.timeField}"`);
    }
    const timeoutMs =
      opts.timeout !== undefined
        ? parseSearchTimeout(opts.timeout, '--timeout')
        : searchTimeoutFromEnv(process.env);
    filter = {
      q,
      limit: Number(opts.limit),
      timeField: opts.timeField as TimeField,
      sort: opts.sort,
      timeoutMs,
    };
    const from = time('from', opts.from);
    const to = time('to', opts.to);
    if (from !== undefined) filter.from = from;
    if (to !== undefined) filter.to = to;
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    return 2;
  }
  const dbFile = path.join(path.resolve(opts.data), DB_FILE);
  if (!fs.existsSync(dbFile)) {
    process.stderr.write(
      `error: no index in ${path.resolve(opts.data)} (${DB_FILE} not found; run collect first or pass --data DIR)\n`,
    );
    return 1;
  }
  const store = openStore({ dataDir: opts.data });
  // `search ... | head`: a closed pipe ends the output quietly, as other Unix tools do.
  let closed = false;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    closed = true;
    process.stdout.emit('drain');
  });
  try {
    if (opts.count) {
      process.stdout.write(`${store.index.count(filter)}\n`);
      return 0;
    }
    let batch = '';
    for (const doc of store.index.stream(filter)) {
      if (closed) break;
      batch += doc + '\n';
      if (batch.length > 1 << 16) {
        await write(process.stdout, batch);
        batch = '';
      }
    }
    if (batch && !closed) await write(process.stdout, batch);
    return 0;
  } catch (e) {
    if (isCodedError(e) && e.code === 'ERR_QUERY_INVALID') {
      process.stderr.write(`error: invalid query: ${e.message}\n`);
      return 2;
    }
    if (isCodedError(e) && e.code === 'ERR_QUERY_TIMEOUT') {
      process.stderr.write(`error: ${e.code}: ${e.message} (--timeout MS, 0 = no limit)\n`);
      return 3;
    }
    process.stderr.write(`error: ${isCodedError(e) ? `${e.code}: ` : ''}${(e as Error).message}\n`);
    return 1;
  } finally {
    store.close();
  }
}

export function register(program: Command): void {
  program
    .command('search')
    .description(
      'Search the Syslog index with a Lucene-style query (free text, field:value, "phrases", wildcards, AND/OR/NOT, ranges); NDJSON, newest first',
    )
    .argument('[query...]', 'the query (several words are joined with spaces; empty = everything)')
    .option('--data <dir>', 'data directory', './data')
    .option('--count', 'print only the number of matching records')
    .option('--limit <n>', 'at most N records (0 = all)', '100')
    .option('--from <time>', 'from this time (ISO-8601 or epoch ms), inclusive; default: all time')
    .option('--to <time>', 'up to this time (ISO-8601 or epoch ms), inclusive; default: all time')
    .option(
      '--time-field <field>',
      'time field for --from/--to: timestamp (event) or write_time (ingest)',
      'timestamp',
    )
    .option('--sort <field:dir>', 'timestamp|write_time|severity : asc|desc', 'timestamp:desc')
    .option(
      '--timeout <ms>',
      'time budget of the search in ms, output included; 0 = none (default: INSPECTOR_CONNECTOR_SEARCH_TIMEOUT_MS, else 5000)',
    )
    .action(async (query: string[], opts: SearchCliOptions) => {
      process.exitCode = await searchCommand(query, opts);
    });
}
