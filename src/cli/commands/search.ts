/**
 * `inspector-connector search [--data DIR] [--count] [--limit N] [--from T] [--to T]
 *  [--time-field F] [--sort S] [--timeout MS] [--format ndjson|table|csv] [--fields a,b]
 *  QUERY... | --saved NAME --user USER`: records of the Syslog index matching a Lucene-style query, newest first (or just
 * the number with --count): NDJSON by default when stdout is a pipe or file, a table on a
 * terminal, CSV on request (the API export's CSV: search/export-format.ts). Exit 2 on a bad
 * query or bad option, 1 when the store cannot be read, 3 when the search ran past its time
 * budget (ERR_QUERY_TIMEOUT; the same budget as the server's, see store/sqlite/search-pool.ts).
 * `--saved NAME --user USER` runs a saved search USER sees (their own first, else one shared with
 * their tenant): its query, time range (a relative one ends now), time field, sort and columns,
 * scoped to USER's tenant unless USER is a root admin; --from/--to/--fields given win.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { isCodedError } from '../../core/errors.js';
import { parseTime } from '../../core/time.js';
import { cellText, csvHeader, csvRow, parseFieldList, valueAt } from '../../search/export-format.js';
import {
  DB_FILE,
  openStore,
  parseSearchTimeout,
  searchTimeoutFromEnv,
  type SearchOptions,
  type Store,
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
  format?: string;
  fields?: string;
  saved?: string;
  user?: string;
}

const FORMATS = ['ndjson', 'table', 'csv'] as const;
type Format = (typeof FORMATS)[number];
/** Table cells are cut to this many characters; widths come from the first TABLE_SAMPLE rows. */
const TABLE_CELL = 48;
const TABLE_SAMPLE = 100;

/** Records (JSON text) as lines of the chosen format; the table's widths settle on its first rows. */
function formatter(
  format: Format,
  fields: readonly string[],
): {
  line(doc: string): string;
  end(): string;
} {
  if (format === 'ndjson') return { line: (d) => d + '\n', end: () => '' };
  if (format === 'csv') {
    let head = csvHeader(fields);
    return {
      line: (d) => {
        const out = head + csvRow(JSON.parse(d) as unknown, fields);
        head = '';
        return out;
      },
      end: () => head,
    };
  }
  const cut = (t: string) => {
    const one = t.replace(/[\r\n\t]+/g, ' ');
    return one.length > TABLE_CELL ? `${one.slice(0, TABLE_CELL - 1)}…` : one;
  };
  const pending: string[][] = [];
  let widths: number[] | undefined;
  const render = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths![i]!)))
      .join('  ')
      .trimEnd() + '\n';
  const flush = () => {
    widths = fields.map((f, i) => Math.max(f.length, ...pending.map((r) => r[i]!.length)));
    const out = [render(fields), render(widths.map((w) => '-'.repeat(w))), ...pending.map(render)];
    pending.length = 0;
    return out.join('');
  };
  return {
    line(d) {
      const doc = JSON.parse(d) as unknown;
      const cells = fields.map((f) => cut(cellText(valueAt(doc, f), f)));
      if (widths) return render(cells.map((c, i) => c.slice(0, Math.max(widths![i]!, 1))));
      pending.push(cells);
      return pending.length >= TABLE_SAMPLE ? flush() : '';
    },
    end: () => (widths ? '' : flush()),
  };
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

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * The saved search `name` as `user` sees it (own first, then shared with their tenant; names
 * ignore case) applied to `filter`; its columns unless --fields was given. UsageError otherwise.
 */
function applySaved(
  store: Store,
  opts: SearchCliOptions,
  filter: SearchOptions,
): { fields?: string[]; name: string } {
  const user = store.users.getByUsername(opts.user!);
  if (!user) throw new UsageError(`--user: no user named "${opts.user}"`);
  const want = opts.saved!.trim().toLowerCase();
  const found = store.savedSearches
    .listVisible(user.id)
    .filter((s) => s.name.toLowerCase() === want)
    .sort((a, b) => Number(b.ownerId === user.id) - Number(a.ownerId === user.id))[0];
  if (!found) {
    throw new UsageError(
      `--saved: ${user.username} has no saved search named "${opts.saved}" (their own or shared with their tenant)`,
    );
  }
  filter.q = found.query;
  if (found.timeField) filter.timeField = found.timeField;
  if (found.sort) filter.sort = found.sort;
  if (user.role !== 'root_admin') filter.tenantIds = [user.tenantId];
  if (opts.from === undefined && opts.to === undefined) {
    const r = found.timeRange;
    if (r.kind === 'absolute') {
      filter.from = r.from;
      filter.to = r.to;
    } else if (r.last !== 'all') {
      const m = /^(\d+)([mhd])$/.exec(r.last)!;
      const now = Date.now();
      filter.from = now - Number(m[1]) * UNIT_MS[m[2]!]!;
      filter.to = now;
    }
  }
  return { name: found.name, ...(opts.fields === undefined ? { fields: found.columns } : {}) };
}

/** Write respecting backpressure, so `--limit 0` over millions of records stays in bounded memory. */
async function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
}

export async function searchCommand(queryWords: string[], opts: SearchCliOptions): Promise<number> {
  const q = queryWords.join(' ');
  let filter: SearchOptions;
  let format: Format;
  let fields: string[];
  try {
    // People at a terminal get a table; pipes and files get NDJSON (one record per line).
    const f = opts.format ?? (process.stdout.isTTY ? 'table' : 'ndjson');
    if (!(FORMATS as readonly string[]).includes(f))
      throw new UsageError(`--format must be one of: ${FORMATS.join(', ')} (got "${f}")`);
    format = f as Format;
    if (format === 'ndjson' && opts.fields !== undefined)
      throw new UsageError('--fields applies to --format csv and table (NDJSON has whole records)');
    fields = parseFieldList(opts.fields, '--fields');
    if ((opts.saved === undefined) !== (opts.user === undefined))
      throw new UsageError('--saved NAME and --user USER go together (whose saved search to run)');
    if (opts.saved !== undefined && q.trim() !== '')
      throw new UsageError('give either a query or --saved NAME, not both');
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
    if (opts.saved !== undefined) {
      try {
        const saved = applySaved(store, opts, filter);
        if (saved.fields && format !== 'ndjson') fields = saved.fields;
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        process.stderr.write(`error: ${e.message}\n`);
        return 2;
      }
    }
    if (opts.count) {
      process.stdout.write(`${store.index.count(filter)}\n`);
      return 0;
    }
    let batch = '';
    const out = formatter(format, fields);
    for (const doc of store.index.stream(filter)) {
      if (closed) break;
      batch += out.line(doc);
      if (batch.length > 1 << 16) {
        await write(process.stdout, batch);
        batch = '';
      }
    }
    batch += out.end();
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
      'Search the Syslog index with a Lucene-style query (free text, field:value, "phrases", wildcards, AND/OR/NOT, ranges); newest first, as NDJSON (pipes), a table (terminals) or CSV',
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
    .option('--format <format>', 'ndjson | table | csv (default: table on a terminal, else ndjson)')
    .option(
      '--fields <a,b,c>',
      'columns of csv and table, comma-separated dotted paths (default: timestamp,severity,event_name,event_status,tenant_name,msg_origin.processor.name,_id)',
    )
    .option(
      '--saved <name>',
      'run this saved search of --user (query, time range, time field, sort, columns)',
    )
    .option(
      '--user <username>',
      "with --saved: whose saved searches (their own and their tenant's shared ones)",
    )
    .action(async (query: string[], opts: SearchCliOptions) => {
      process.exitCode = await searchCommand(query, opts);
    });
}
