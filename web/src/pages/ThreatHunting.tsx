/** Threat Hunting > Interflow Search over the Syslog index. The URL holds the whole query. */
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { ApiError, errorMessage, get, type Histogram, type SearchRecord, type SearchResult } from '../api.js';
import { navigate, type Route } from '../router.js';
import { Empty, Spinner, formatTime, getPath, rowOpener, useDismiss } from '../ui.js';
import { useSession } from '../session.js';

const RANGES: { id: string; label: string; ms: number }[] = [
  { id: '15m', label: 'Last 15 minutes', ms: 15 * 60_000 },
  { id: '1h', label: 'Last 1 hour', ms: 3_600_000 },
  { id: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { id: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
  { id: 'all', label: 'All time', ms: 0 },
  { id: 'custom', label: 'Custom…', ms: 0 },
];
const TIME_FIELDS = [
  { id: 'write_time', label: 'Ingest time (write_time)' },
  { id: 'timestamp', label: 'Event time (timestamp)' },
];
const PAGE_SIZES = [25, 50, 100];
const DEFAULT_COLUMNS = [
  'timestamp',
  'write_time',
  'severity',
  'severity_label',
  'event_name',
  'event_status',
  'tenant_name',
  'msg_origin.processor.name',
];
const TIME_COLUMNS = new Set(['timestamp', 'write_time']);
const LS_TIME_FIELD = 'ic.search.timeField';
const LS_COLUMNS = 'ic.search.columns';

function readLs(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}
function writeLs(key: string, v: string): void {
  try {
    window.localStorage.setItem(key, v);
  } catch {
    /* storage may be disabled: the choice just is not remembered */
  }
}

/** Leaf paths of a record (`aws_inspector.severity`), for the column chooser. */
function leafPaths(obj: unknown, prefix = '', out = new Set<string>(), depth = 0): Set<string> {
  if (obj && typeof obj === 'object' && !Array.isArray(obj) && depth < 4) {
    for (const [k, v] of Object.entries(obj as Record<string, unknown>))
      leafPaths(v, prefix ? `${prefix}.${k}` : k, out, depth + 1);
  } else if (prefix) out.add(prefix);
  return out;
}

function cell(v: unknown, col: string): string {
  if (v === undefined || v === null) return '';
  if (TIME_COLUMNS.has(col) || col.endsWith('At')) return formatTime(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

interface Params {
  q: string;
  range: string;
  from?: number;
  to?: number;
  timeField: string;
  sort: string;
  page: number;
  size: number;
}

function paramsOf(route: Route): Params {
  const q = route.query;
  const tf = q.get('timeField') ?? readLs(LS_TIME_FIELD) ?? 'write_time';
  const num = (k: string) => {
    const v = q.get(k);
    return v && /^\d+$/.test(v) ? Number(v) : undefined;
  };
  return {
    q: q.get('q') ?? '',
    range: q.get('range') ?? '24h',
    from: num('from'),
    to: num('to'),
    timeField: TIME_FIELDS.some((t) => t.id === tf) ? tf : 'write_time',
    sort: q.get('sort') ?? `${tf}:desc`,
    page: Math.max(0, num('page') ?? 0),
    size: PAGE_SIZES.includes(num('size') ?? 0) ? num('size')! : 50,
  };
}

function push(p: Params, replace = false): void {
  navigate(
    '/search',
    {
      index: 'syslog',
      q: p.q,
      range: p.range,
      from: p.range === 'custom' && p.from !== undefined ? String(p.from) : undefined,
      to: p.range === 'custom' && p.to !== undefined ? String(p.to) : undefined,
      timeField: p.timeField,
      sort: p.sort,
      page: p.page ? String(p.page) : undefined,
      size: p.size !== 50 ? String(p.size) : undefined,
    },
    replace,
  );
}

/** The absolute window of a range, resolved when the search runs. */
function windowOf(p: Params, now: number): { from?: number; to?: number } {
  if (p.range === 'custom') return { from: p.from, to: p.to };
  const r = RANGES.find((x) => x.id === p.range);
  if (!r || r.ms === 0) return {};
  return { from: now - r.ms, to: now };
}

export function ThreatHuntingPage({ route }: { route: Route }) {
  const p = paramsOf(route);
  /** Columns the index can sort on (/meta's list). */
  const { meta } = useSession();
  const sortable = useMemo(() => new Set(meta.sortFields), [meta]);
  const [qText, setQText] = useState(p.q);
  const [result, setResult] = useState<SearchResult | null>(null);
  const [hist, setHist] = useState<Histogram | null>(null);
  const [loading, setLoading] = useState(false);
  const [queryError, setQueryError] = useState('');
  const [error, setError] = useState('');
  const [selected, setSelected] = useState<SearchRecord | null>(null);
  const [help, setHelp] = useState(false);
  const [chooser, setChooser] = useState(false);
  const helpRef = useDismiss<HTMLDivElement>(help, () => setHelp(false));
  const chooserRef = useDismiss<HTMLDivElement>(chooser, () => setChooser(false));
  const [columns, setColumns] = useState<string[]>(() => {
    try {
      const v = JSON.parse(readLs(LS_COLUMNS) ?? 'null') as unknown;
      return Array.isArray(v) && v.every((c) => typeof c === 'string') && v.length
        ? (v as string[])
        : DEFAULT_COLUMNS;
    } catch {
      return DEFAULT_COLUMNS;
    }
  });
  const [customFrom, setCustomFrom] = useState(() => toLocalInput(p.from ?? Date.now() - 86_400_000));
  const [customTo, setCustomTo] = useState(() => toLocalInput(p.to ?? Date.now()));
  const seq = useRef(0);
  const key = `${p.q}|${p.range}|${p.from}|${p.to}|${p.timeField}|${p.sort}|${p.page}|${p.size}`;

  // Keep the box in step with the URL (e.g. View Events, back button).
  useEffect(() => setQText(p.q), [p.q]);

  const run = useCallback(async () => {
    const n = ++seq.current;
    setLoading(true);
    const w = windowOf(p, Date.now());
    const qs = new URLSearchParams({ index: 'syslog', q: p.q, timeField: p.timeField });
    if (w.from !== undefined) qs.set('from', String(w.from));
    if (w.to !== undefined) qs.set('to', String(w.to));
    const sq = new URLSearchParams(qs);
    sq.set('limit', String(p.size));
    sq.set('offset', String(p.page * p.size));
    sq.set('sort', p.sort);
    qs.set('buckets', '60');
    try {
      const [r, h] = await Promise.all([
        get<SearchResult>(`/search?${sq.toString()}`),
        get<Histogram>(`/search/histogram?${qs.toString()}`).catch((e: unknown) => {
          if (e instanceof ApiError && e.code === 'ERR_QUERY_INVALID') throw e;
          return null;
        }),
      ]);
      if (n !== seq.current) return;
      setResult(r);
      setHist(h);
      setQueryError('');
      setError('');
    } catch (e) {
      if (n !== seq.current) return;
      if (e instanceof ApiError && (e.code === 'ERR_QUERY_INVALID' || e.status === 400))
        setQueryError(e.message);
      else setError(errorMessage(e));
      setResult(null);
      setHist(null);
    } finally {
      if (n === seq.current) setLoading(false);
    }
  }, [key]);

  useEffect(() => {
    void run();
  }, [run]);

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    if (qText === p.q && p.page === 0) void run();
    else push({ ...p, q: qText, page: 0 });
  };

  const setTimeField = (tf: string) => {
    writeLs(LS_TIME_FIELD, tf);
    const [sf, dir] = p.sort.split(':');
    const sort = TIME_COLUMNS.has(sf ?? '') ? `${tf}:${dir ?? 'desc'}` : p.sort;
    push({ ...p, q: qText, timeField: tf, sort, page: 0 });
  };

  const sortBy = (col: string) => {
    const [sf, dir] = p.sort.split(':');
    const next = sf === col ? (dir === 'desc' ? 'asc' : 'desc') : 'desc';
    push({ ...p, sort: `${col}:${next}`, page: 0 });
  };

  const available = useMemo(() => {
    const set = new Set<string>(DEFAULT_COLUMNS);
    for (const r of result?.records ?? []) leafPaths(r, '', set);
    return [...set].sort();
  }, [result]);

  const saveColumns = (cols: string[]) => {
    setColumns(cols);
    writeLs(LS_COLUMNS, JSON.stringify(cols));
  };

  const total = result?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / p.size));
  const [sortField, sortDir] = p.sort.split(':');

  return (
    <div className="page page-search">
      <div className="page-header">
        <div>
          <h1>Threat Hunting</h1>
          <p className="muted">Interflow Search</p>
        </div>
      </div>
      <form className="search-bar card" onSubmit={submit} aria-label="Search">
        <div className="search-row">
          <label className="inline-field">
            <span>Indices</span>
            <select aria-label="Index" value="syslog" onChange={() => {}}>
              <option value="syslog">Syslog</option>
            </select>
          </label>
          <label className="inline-field">
            <span>Time</span>
            <select
              aria-label="Time range"
              value={p.range}
              onChange={(e) => {
                const range = e.target.value;
                if (range === 'custom') {
                  const from = new Date(customFrom).getTime();
                  const to = new Date(customTo).getTime();
                  push({ ...p, q: qText, range, from, to, page: 0 });
                } else push({ ...p, q: qText, range, page: 0 });
              }}
            >
              {RANGES.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.label}
                </option>
              ))}
            </select>
          </label>
          <label className="inline-field">
            <span>on</span>
            <select
              aria-label="Time field"
              value={p.timeField}
              onChange={(e) => setTimeField(e.target.value)}
            >
              {TIME_FIELDS.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.label}
                </option>
              ))}
            </select>
          </label>
          {p.range === 'custom' && (
            <>
              <label className="inline-field">
                <span>From</span>
                <input
                  type="datetime-local"
                  aria-label="From"
                  value={customFrom}
                  onChange={(e) => setCustomFrom(e.target.value)}
                />
              </label>
              <label className="inline-field">
                <span>To</span>
                <input
                  type="datetime-local"
                  aria-label="To"
                  value={customTo}
                  onChange={(e) => setCustomTo(e.target.value)}
                />
              </label>
              <button
                type="button"
                className="btn btn-small"
                onClick={() =>
                  push({
                    ...p,
                    q: qText,
                    range: 'custom',
                    from: new Date(customFrom).getTime(),
                    to: new Date(customTo).getTime(),
                    page: 0,
                  })
                }
              >
                Apply
              </button>
            </>
          )}
        </div>
        <div className="search-row">
          <div className="query-wrap" ref={helpRef}>
            <input
              className={`query-input${queryError ? ' invalid' : ''}`}
              aria-label="Query"
              placeholder="Lucene query, e.g. aws_inspector.severity:HIGH AND event_status:ACTIVE   (Enter to search)"
              value={qText}
              spellCheck={false}
              onChange={(e) => setQText(e.target.value)}
            />
            <button
              type="button"
              className="btn btn-ghost btn-small help-btn"
              aria-expanded={help}
              onClick={() => setHelp((h) => !h)}
            >
              Syntax ?
            </button>
            {help && (
              <div className="popover" role="dialog" aria-label="Query syntax">
                <div className="popover-title">Query syntax (Lucene)</div>
                <table className="table table-compact">
                  <tbody>
                    <tr>
                      <td className="mono">field:value</td>
                      <td>field equals value</td>
                    </tr>
                    <tr>
                      <td className="mono">field:"two words"</td>
                      <td>exact phrase</td>
                    </tr>
                    <tr>
                      <td className="mono">field:val*</td>
                      <td>wildcard</td>
                    </tr>
                    <tr>
                      <td className="mono">severity:[70 TO 100]</td>
                      <td>range (inclusive)</td>
                    </tr>
                    <tr>
                      <td className="mono">a AND b, a OR b, NOT a</td>
                      <td>boolean logic, ( ) to group</td>
                    </tr>
                    <tr>
                      <td className="mono">field:*</td>
                      <td>field is present</td>
                    </tr>
                    <tr>
                      <td className="mono">word</td>
                      <td>free text</td>
                    </tr>
                  </tbody>
                </table>
                <div className="muted small">
                  Nested fields use dots: aws_inspector.severity, msg_origin.processor.id
                </div>
              </div>
            )}
          </div>
          <button type="submit" className="btn btn-primary">
            Search
          </button>
        </div>
        {queryError && (
          <div className="query-error" role="alert" data-testid="query-error">
            Query error: {queryError}
          </div>
        )}
      </form>

      {error && (
        <div className="banner banner-error" role="alert">
          Search failed: {error}{' '}
          <button type="button" className="btn btn-small" onClick={() => void run()}>
            Retry
          </button>
        </div>
      )}

      <div className="card results-card">
        <div className="results-head">
          <div className="total" data-testid="search-total">
            {result ? (
              <>
                <strong data-total={total}>{total.toLocaleString('en-US')}</strong> records
              </>
            ) : loading ? (
              'Searching…'
            ) : (
              ''
            )}
            {loading && result && <Spinner />}
          </div>
          <div className="spacer" />
          <div className="col-chooser" ref={chooserRef}>
            <button
              type="button"
              className="btn btn-small"
              aria-expanded={chooser}
              onClick={() => setChooser((c) => !c)}
            >
              Columns ({columns.length})
            </button>
            {chooser && (
              <div className="popover popover-right" role="dialog" aria-label="Choose columns">
                <div className="popover-title">Columns</div>
                <div className="col-list">
                  {available.map((c) => (
                    <label key={c} className="check small">
                      <input
                        type="checkbox"
                        checked={columns.includes(c)}
                        onChange={(e) =>
                          saveColumns(e.target.checked ? [...columns, c] : columns.filter((x) => x !== c))
                        }
                      />
                      <span className="mono">{c}</span>
                    </label>
                  ))}
                </div>
                <button type="button" className="btn btn-small" onClick={() => saveColumns(DEFAULT_COLUMNS)}>
                  Reset
                </button>
              </div>
            )}
          </div>
        </div>
        {hist && <HistogramChart h={hist} />}
        {result && result.records.length === 0 && (
          <Empty title="No records match">
            {p.range !== 'all' ? (
              <>
                Nothing in this time range on {p.timeField === 'timestamp' ? 'event time' : 'ingest time'}.
                Widen the time range
                {p.timeField === 'timestamp' ? ' or switch to ingest time (write_time)' : ''}, or change the
                query.
              </>
            ) : (
              'Change the query, or check that a connector is collecting.'
            )}
          </Empty>
        )}
        {result && result.records.length > 0 && (
          <>
            <div className="table-wrap results-wrap">
              <table className="table table-results" aria-label="Results">
                <thead>
                  <tr>
                    {columns.map((c) => (
                      <th
                        key={c}
                        aria-sort={
                          sortField === c ? (sortDir === 'asc' ? 'ascending' : 'descending') : 'none'
                        }
                      >
                        {sortable.has(c) ? (
                          <button type="button" className="th-sort" title="Sort" onClick={() => sortBy(c)}>
                            {c}
                            <span className={sortField === c ? '' : 'sort-idle'}>
                              {sortField === c ? (sortDir === 'asc' ? ' ▲' : ' ▼') : ' ↕'}
                            </span>
                          </button>
                        ) : (
                          <span className="th-plain">{c}</span>
                        )}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {result.records.map((r) => (
                    <tr
                      key={r._id}
                      className={`clickable${selected?._id === r._id ? ' selected' : ''}`}
                      {...rowOpener(() => setSelected(r))}
                    >
                      {columns.map((c) => (
                        <td key={c} className={TIME_COLUMNS.has(c) ? 'nowrap' : ''}>
                          {cell(getPath(r, c), c)}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div className="pager">
              <span className="muted">
                {(p.page * p.size + 1).toLocaleString('en-US')}–
                {Math.min(total, (p.page + 1) * p.size).toLocaleString('en-US')} of{' '}
                {total.toLocaleString('en-US')}
              </span>
              <div className="spacer" />
              <label className="inline-field">
                <span>Rows</span>
                <select
                  aria-label="Rows per page"
                  value={p.size}
                  onChange={(e) => push({ ...p, size: Number(e.target.value), page: 0 })}
                >
                  {PAGE_SIZES.map((s) => (
                    <option key={s}>{s}</option>
                  ))}
                </select>
              </label>
              <button
                type="button"
                className="btn btn-small"
                disabled={p.page === 0}
                onClick={() => push({ ...p, page: p.page - 1 })}
              >
                ‹ Prev
              </button>
              <span>
                Page {p.page + 1} of {pages}
              </span>
              <button
                type="button"
                className="btn btn-small"
                disabled={p.page + 1 >= pages}
                onClick={() => push({ ...p, page: p.page + 1 })}
              >
                Next ›
              </button>
            </div>
          </>
        )}
        {!result && loading && <Spinner label="Searching…" />}
        {!result && !loading && queryError && (
          <Empty title="No results">Correct the query above and search again.</Empty>
        )}
      </div>

      {selected && (
        <aside className="side-panel" aria-label="Record">
          <div className="side-head">
            <div>
              <div className="muted small">Record</div>
              <div className="mono small">{selected._id}</div>
            </div>
            <div className="side-actions">
              <button
                type="button"
                className="btn btn-small"
                onClick={() =>
                  void navigator.clipboard
                    ?.writeText(JSON.stringify(selected, null, 2))
                    .catch(() => undefined)
                }
              >
                Copy JSON
              </button>
              <button
                type="button"
                className="icon-btn"
                aria-label="Close record"
                onClick={() => setSelected(null)}
              >
                ✕
              </button>
            </div>
          </div>
          <dl className="side-times">
            <dt>Event time</dt>
            <dd>{formatTime(selected.timestamp)}</dd>
            <dt>Ingest time</dt>
            <dd>{formatTime(selected.write_time)}</dd>
          </dl>
          <pre className="code json" data-testid="record-json" tabIndex={0}>
            {JSON.stringify(selected, null, 2)}
          </pre>
        </aside>
      )}
    </div>
  );
}

function HistogramChart({ h }: { h: Histogram }) {
  const W = 1000;
  const H = 90;
  const n = h.buckets.length;
  const max = Math.max(1, ...h.buckets.map((b) => b.count));
  if (n === 0) return null;
  const bw = W / n;
  const first = h.buckets[0]!.start;
  const last = h.buckets[n - 1]!.start + h.interval;
  return (
    <figure className="histogram" aria-label="Records over time">
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label="Records over time">
        <line x1="0" y1={H - 0.5} x2={W} y2={H - 0.5} className="axis" />
        {h.buckets.map((b, i) => {
          if (b.count === 0) return null;
          const bh = (b.count / max) * (H - 6);
          return (
            <rect
              key={b.start}
              x={i * bw + 0.5}
              y={H - bh}
              width={Math.max(1, bw - 1)}
              height={bh}
              className="bar"
            >
              <title>
                {formatTime(b.start)}: {b.count} records
              </title>
            </rect>
          );
        })}
      </svg>
      <figcaption className="hist-axis">
        <span>{formatTime(first)}</span>
        <span className="muted">max {max.toLocaleString('en-US')} per bucket</span>
        <span>{formatTime(last)}</span>
      </figcaption>
    </figure>
  );
}
