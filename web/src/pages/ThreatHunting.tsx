/** Threat Hunting > Interflow Search over the Syslog index. The URL holds the whole query. */
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import {
  ApiError,
  errorMessage,
  get,
  type FieldStats,
  type Histogram,
  type SearchRecord,
  type SearchResult,
} from '../api.js';
import { navigate, type Route } from '../router.js';
import { Empty, Spinner, getPath, rowOpener, useDismiss, useInterval } from '../ui.js';
import { useSession } from '../session.js';
import { SavedSearchMenus, type HuntView } from './SavedSearches.js';
import { HuntHistogram } from './HuntHistogram.js';
import { CompletionInput } from '../CompletionInput.js';
import { completeQueryField } from '../completion.js';
import { useKnownFields } from '../knownFields.js';

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
/** Fits a 1440 px window beside the field list without scrolling sideways (cells are cut). */
const DEFAULT_COLUMNS = [
  'timestamp',
  'write_time',
  'severity',
  'event_name',
  'event_status',
  'msg_origin.processor.name',
];
const TIME_COLUMNS = new Set(['timestamp', 'write_time']);
/** Fixed widths (px) of the short columns; the others share the rest (the table never scrolls sideways). */
const COL_WIDTHS: Record<string, number> = {
  timestamp: 170,
  write_time: 170,
  severity: 96,
  event_status: 110,
  tenant_name: 120,
  'msg_origin.processor.name': 130,
};
const LS_TIME_FIELD = 'ic.search.timeField';
const LS_COLUMNS = 'ic.search.columns';
const LS_TZ = 'ic.search.tz';
const REFRESH: { id: string; label: string; ms: number }[] = [
  { id: 'off', label: 'Off', ms: 0 },
  { id: '10s', label: '10 s', ms: 10_000 },
  { id: '1m', label: '1 min', ms: 60_000 },
  { id: '5m', label: '5 min', ms: 300_000 },
];
/** Records the field list looks at (the server's bound is 1,000). */
const FIELD_SAMPLE = 500;
const BROWSER_TZ = Intl.DateTimeFormat().resolvedOptions().timeZone || 'browser time';

type Tz = 'utc' | 'local';

/** `YYYY-MM-DD HH:MM:SS` in UTC or the browser's zone. */
function fmtTime(ms: unknown, tz: Tz): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return ms === undefined ? '' : String(ms);
  const d = new Date(ms);
  const u = tz === 'utc';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${u ? d.getUTCFullYear() : d.getFullYear()}-${pad((u ? d.getUTCMonth() : d.getMonth()) + 1)}-${pad(
    u ? d.getUTCDate() : d.getDate(),
  )} ${pad(u ? d.getUTCHours() : d.getHours())}:${pad(u ? d.getUTCMinutes() : d.getMinutes())}:${pad(
    u ? d.getUTCSeconds() : d.getSeconds(),
  )}`;
}

const tzLabel = (tz: Tz) => (tz === 'utc' ? 'UTC' : BROWSER_TZ);

/** A range whose From is after its To, in the times shown (never epoch milliseconds). */
const rangeOrderError = (from: number, to: number, tz: Tz) =>
  `From (${fmtTime(from, tz)} ${tzLabel(tz)}) is after To (${fmtTime(to, tz)} ${tzLabel(tz)}): swap them or pick another range.`;

/** A query clause matching `value` in `field` (quoted unless a plain number). */
function fieldClause(field: string, value: string): string {
  if (/^-?\d+(\.\d+)?$/.test(value)) return `${field}:${value}`;
  return `${field}:"${value.replace(/[\\"]/g, '\\$&')}"`;
}

/** `q` narrowed by a clause (a query with OR is grouped first, AND binding tighter). */
function addClause(q: string, clause: string): string {
  const t = q.trim();
  if (t === '' || t === '*') return clause;
  return /\bOR\b|\|\|/.test(t) ? `(${t}) AND ${clause}` : `${t} AND ${clause}`;
}

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

function cell(v: unknown, col: string, tz: Tz): string {
  if (v === undefined || v === null) return '';
  if (TIME_COLUMNS.has(col) || col.endsWith('At')) return fmtTime(v, tz);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A datetime-local input's text for `ms`, in the zone shown. */
function toInput(ms: number, tz: Tz): string {
  const off = tz === 'utc' ? 0 : new Date(ms).getTimezoneOffset() * 60_000;
  return new Date(ms - off).toISOString().slice(0, 16);
}
function fromInput(v: string, tz: Tz): number {
  return tz === 'utc' ? new Date(`${v}:00Z`).getTime() : new Date(v).getTime();
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
  /** Columns (kept in the URL: a link opens the same table). */
  cols: string[];
  tz: Tz;
  refresh: string;
  /** The record open in the side panel (its deep link). */
  record?: string;
}

function storedColumns(): string[] {
  try {
    const v = JSON.parse(readLs(LS_COLUMNS) ?? 'null') as unknown;
    return Array.isArray(v) && v.every((c) => typeof c === 'string') && v.length
      ? (v as string[])
      : DEFAULT_COLUMNS;
  } catch {
    return DEFAULT_COLUMNS;
  }
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
    cols: q.get('cols')?.split(',').filter(Boolean) ?? storedColumns(),
    tz: (q.get('tz') ?? readLs(LS_TZ)) === 'utc' ? 'utc' : 'local',
    refresh: REFRESH.some((r) => r.id === q.get('refresh')) ? q.get('refresh')! : 'off',
    record: q.get('record') ?? undefined,
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
      cols: p.cols.join(','),
      tz: p.tz,
      refresh: p.refresh !== 'off' ? p.refresh : undefined,
      record: p.record,
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
  const [fields, setFields] = useState<FieldStats | null>(null);
  const [loading, setLoading] = useState(false);
  const [queryError, setQueryError] = useState('');
  const [rangeError, setRangeError] = useState('');
  const [error, setError] = useState('');
  /** The record opened by a deep link when it is not on the page shown. */
  const [linked, setLinked] = useState<{ id: string; rec: SearchRecord | null } | null>(null);
  const [help, setHelp] = useState(false);
  const [chooser, setChooser] = useState(false);
  const [exportOpen, setExportOpen] = useState(false);
  const helpRef = useDismiss<HTMLDivElement>(help, () => setHelp(false));
  const chooserRef = useDismiss<HTMLDivElement>(chooser, () => setChooser(false));
  const exportRef = useDismiss<HTMLDivElement>(exportOpen, () => setExportOpen(false));
  const [customFrom, setCustomFrom] = useState(() => toInput(p.from ?? Date.now() - 86_400_000, p.tz));
  const [customTo, setCustomTo] = useState(() => toInput(p.to ?? Date.now(), p.tz));
  /** Field names for the query's completion. */
  const knownFields = useKnownFields().fields;
  const seq = useRef(0);
  const columns = p.cols;
  const tz = p.tz;
  const key = `${p.q}|${p.range}|${p.from}|${p.to}|${p.timeField}|${p.sort}|${p.page}|${p.size}`;

  // Keep the box in step with the URL (e.g. View Events, back button).
  useEffect(() => setQText(p.q), [p.q]);

  /** The filters of the current search as API parameters (time window resolved now). */
  const filterParams = (): URLSearchParams => {
    const w = windowOf(p, Date.now());
    const qs = new URLSearchParams({ index: 'syslog', q: p.q, timeField: p.timeField });
    if (w.from !== undefined) qs.set('from', String(w.from));
    if (w.to !== undefined) qs.set('to', String(w.to));
    return qs;
  };

  const run = useCallback(async () => {
    const n = ++seq.current;
    // A link with From after To: said in the times shown, without asking the server.
    const w = windowOf(p, Date.now());
    if (w.from !== undefined && w.to !== undefined && w.from > w.to) {
      setRangeError(rangeOrderError(w.from, w.to, tz));
      setResult(null);
      setHist(null);
      setFields(null);
      setLoading(false);
      return;
    }
    setLoading(true);
    const qs = filterParams();
    const sq = new URLSearchParams(qs);
    sq.set('limit', String(p.size));
    sq.set('offset', String(p.page * p.size));
    sq.set('sort', p.sort);
    const fq = new URLSearchParams(qs);
    fq.set('sort', p.sort);
    fq.set('sample', String(FIELD_SAMPLE));
    fq.set('top', '5');
    qs.set('buckets', '60');
    // All time: a few records years away from the rest must not squash them into one bar.
    if (p.range === 'all') qs.set('robust', 'true');
    const quiet = <T,>(x: Promise<T>) =>
      x.catch((e: unknown) => {
        if (e instanceof ApiError && e.code === 'ERR_QUERY_INVALID') throw e;
        return null;
      });
    try {
      const [r, h, f] = await Promise.all([
        get<SearchResult>(`/search?${sq.toString()}`),
        quiet(get<Histogram>(`/search/histogram?${qs.toString()}`)),
        quiet(get<FieldStats>(`/search/fields?${fq.toString()}`)),
      ]);
      if (n !== seq.current) return;
      setResult(r);
      setHist(h);
      setFields(f);
      setQueryError('');
      setError('');
    } catch (e) {
      if (n !== seq.current) return;
      if (e instanceof ApiError && (e.code === 'ERR_QUERY_INVALID' || e.status === 400))
        setQueryError(e.message);
      else setError(errorMessage(e));
      setResult(null);
      setHist(null);
      setFields(null);
    } finally {
      if (n === seq.current) setLoading(false);
    }
  }, [key]);

  useEffect(() => {
    void run();
  }, [run]);

  /** The view whose search last succeeded (it goes to the search history). */
  const [ranKey, setRanKey] = useState('');
  useEffect(() => {
    if (result) setRanKey(key);
  }, [result]);
  /** Opens a saved search or a history entry: its query, range, columns, sort and zone. */
  const openView = (v: HuntView) => {
    setQText(v.q);
    setRangeError('');
    push({ ...p, ...v, page: 0, record: undefined });
  };

  const refreshMs = REFRESH.find((r) => r.id === p.refresh)?.ms ?? 0;
  // Auto-refresh: the same search again (a relative range moves with the clock).
  useInterval(() => {
    if (refreshMs > 0 && !loading) void run();
  }, refreshMs || 3_600_000);

  const onPage = result?.records.find((r) => r._id === p.record);
  const linkedRec = linked && linked.id === p.record ? linked.rec : undefined;
  const selected: SearchRecord | null = p.record ? (onPage ?? linkedRec ?? null) : null;

  // A deep link to a record not on this page: fetch it by _id (all time, the caller's tenants).
  useEffect(() => {
    const id = p.record;
    if (!id || onPage || !result || linked?.id === id) return;
    let live = true;
    const qs = new URLSearchParams({ index: 'syslog', q: fieldClause('_id', id), limit: '1' });
    get<SearchResult>(`/search?${qs.toString()}`)
      .then((r) => live && setLinked({ id, rec: r.records[0] ?? null }))
      .catch(() => live && setLinked({ id, rec: null }));
    return () => {
      live = false;
    };
  }, [p.record, !!onPage, !!result]);

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

  const setTz = (next: Tz) => {
    writeLs(LS_TZ, next);
    // The custom range's inputs keep their instants, shown in the new zone.
    setCustomFrom(toInput(fromInput(customFrom, tz), next));
    setCustomTo(toInput(fromInput(customTo, tz), next));
    push({ ...p, tz: next }, true);
  };

  /** A custom range, checked here so that the message speaks the times shown. */
  const applyCustom = () => {
    const from = fromInput(customFrom, tz);
    const to = fromInput(customTo, tz);
    if (!Number.isFinite(from) || !Number.isFinite(to)) {
      setRangeError('Enter both a From and a To date and time.');
      return;
    }
    if (from > to) {
      setRangeError(rangeOrderError(from, to, tz));
      return;
    }
    setRangeError('');
    push({ ...p, q: qText, range: 'custom', from, to, page: 0 });
  };

  /** The histogram's zoom: a custom range over the bars chosen (a new entry in the history). */
  const zoomTo = (from: number, to: number) => {
    setRangeError('');
    setCustomFrom(toInput(from, tz));
    setCustomTo(toInput(to, tz));
    push({ ...p, q: qText, range: 'custom', from, to, page: 0 });
  };

  const sortBy = (col: string) => {
    const [sf, dir] = p.sort.split(':');
    const next = sf === col ? (dir === 'desc' ? 'asc' : 'desc') : 'desc';
    push({ ...p, sort: `${col}:${next}`, page: 0 });
  };

  const available = useMemo(() => {
    const set = new Set<string>(DEFAULT_COLUMNS);
    for (const r of result?.records ?? []) leafPaths(r, '', set);
    for (const f of fields?.fields ?? []) set.add(f.path);
    return [...set].sort();
  }, [result, fields]);

  const saveColumns = (cols: string[]) => {
    writeLs(LS_COLUMNS, JSON.stringify(cols));
    push({ ...p, cols: cols.length ? cols : DEFAULT_COLUMNS }, true);
  };
  const toggleColumn = (c: string) =>
    saveColumns(columns.includes(c) ? columns.filter((x) => x !== c) : [...columns, c]);
  /** Filter for (`field:value`) or out (`NOT field:value`): a new search. */
  const filter = (field: string, value: string, out: boolean) => {
    const clause = fieldClause(field, value);
    const q = addClause(p.q, out ? `NOT ${clause}` : clause);
    setQText(q);
    push({ ...p, q, page: 0 });
  };
  const open = (r: SearchRecord | null) => push({ ...p, record: r?._id }, true);
  const recordLink = (id: string) => {
    const u = new URL(window.location.href);
    const q = new URLSearchParams(u.hash.split('?')[1] ?? '');
    q.set('record', id);
    u.hash = `/search?${q.toString()}`;
    return u.toString();
  };

  const exportHref = (format: 'csv' | 'ndjson') => {
    const qs = filterParams();
    qs.set('sort', p.sort);
    qs.set('format', format);
    if (format === 'csv') qs.set('fields', columns.join(','));
    return `/api/v1/search/export?${qs.toString()}`;
  };

  const total = result?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / p.size));
  const [sortField, sortDir] = p.sort.split(':');
  const unknown = result?.unknownFields ?? [];

  return (
    <div className="page page-search">
      <div className="page-header">
        <div>
          <h1>Threat Hunting</h1>
          <p className="muted">Interflow Search</p>
        </div>
        <div className="hunt-prefs">
          <SavedSearchMenus
            view={p}
            ranges={RANGES.filter((r) => r.id !== 'custom').map((r) => r.id)}
            ran={ranKey === key}
            open={openView}
          />
          <label className="inline-field">
            <span>Times in</span>
            <select aria-label="Time zone" value={tz} onChange={(e) => setTz(e.target.value as Tz)}>
              <option value="local">Browser ({BROWSER_TZ})</option>
              <option value="utc">UTC</option>
            </select>
          </label>
          <label className="inline-field">
            <span>Auto-refresh</span>
            <select
              aria-label="Auto-refresh"
              value={p.refresh}
              onChange={(e) => push({ ...p, refresh: e.target.value }, true)}
            >
              {REFRESH.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.label}
                </option>
              ))}
            </select>
          </label>
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
                setRangeError('');
                if (range === 'custom') {
                  const from = fromInput(customFrom, tz);
                  const to = fromInput(customTo, tz);
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
                <span>From ({tzLabel(tz)})</span>
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
              <button type="button" className="btn btn-small" onClick={applyCustom}>
                Apply
              </button>
            </>
          )}
        </div>
        <div className="search-row">
          <div className="query-wrap" ref={helpRef}>
            <CompletionInput
              className={`query-input${queryError ? ' invalid' : ''}`}
              aria-label="Query"
              placeholder="Lucene query, e.g. aws_inspector.severity:HIGH AND event_status:ACTIVE   (Enter to search)"
              value={qText}
              spellCheck={false}
              onValue={setQText}
              complete={(v, at) => completeQueryField(v, at, knownFields)}
              listLabel="Field names"
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
        {rangeError && (
          <div className="query-error" role="alert" data-testid="range-error">
            {rangeError}
          </div>
        )}
        {unknown.length > 0 && (
          <div className="query-warning" role="status" data-testid="unknown-fields">
            No record has the field{unknown.length > 1 ? 's' : ''}{' '}
            {unknown.map((f, i) => (
              <span key={f}>
                {i > 0 ? ', ' : ''}
                <code>{f}</code>
              </span>
            ))}
            : check the spelling (the field list shows the fields of the records found).
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

      <div className="hunt-body">
        <FieldList stats={fields} columns={columns} onToggleColumn={toggleColumn} onFilter={filter} />
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
            <span className="muted small" data-testid="tz-shown">
              Times: {tzLabel(tz)}
            </span>
            <div className="col-chooser" ref={exportRef}>
              <button
                type="button"
                className="btn btn-small"
                aria-expanded={exportOpen}
                disabled={!result || total === 0}
                onClick={() => setExportOpen((x) => !x)}
              >
                Export
              </button>
              {exportOpen && (
                <div className="popover popover-right" role="dialog" aria-label="Export">
                  <div className="popover-title">
                    Export {Math.min(total, 1_000_000).toLocaleString('en-US')} records
                  </div>
                  <a
                    className="btn btn-small"
                    href={exportHref('csv')}
                    download
                    onClick={() => setExportOpen(false)}
                  >
                    CSV (the {columns.length} columns shown)
                  </a>{' '}
                  <a
                    className="btn btn-small"
                    href={exportHref('ndjson')}
                    download
                    onClick={() => setExportOpen(false)}
                  >
                    NDJSON (whole records)
                  </a>
                  <div className="muted small export-note">
                    Up to 1,000,000 records, in the table&apos;s order. CSV cells starting with = + - @ get a
                    leading &apos; so spreadsheets do not run them as formulas.
                  </div>
                </div>
              )}
            </div>
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
                          onChange={() => toggleColumn(c)}
                        />
                        <span className="mono">{c}</span>
                      </label>
                    ))}
                  </div>
                  <button
                    type="button"
                    className="btn btn-small"
                    onClick={() => saveColumns(DEFAULT_COLUMNS)}
                  >
                    Reset
                  </button>
                </div>
              )}
            </div>
          </div>
          {hist && (
            <HuntHistogram h={hist} fmt={(ms) => fmtTime(ms, tz)} onZoom={(from, to) => zoomTo(from, to)} />
          )}
          {result && result.records.length === 0 && (
            <Empty title="No records match">
              {unknown.length > 0 ? (
                <>The query names a field no record has (see the warning above).</>
              ) : p.range !== 'all' ? (
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
                  <colgroup>
                    {columns.map((c) => (
                      <col key={c} style={COL_WIDTHS[c] ? { width: COL_WIDTHS[c] } : undefined} />
                    ))}
                  </colgroup>
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
                            <button
                              type="button"
                              className="th-sort"
                              title={`Sort by ${c}`}
                              onClick={() => sortBy(c)}
                            >
                              {c}
                              <span className={sortField === c ? '' : 'sort-idle'}>
                                {sortField === c ? (sortDir === 'asc' ? ' ▲' : ' ▼') : ' ↕'}
                              </span>
                            </button>
                          ) : (
                            <span
                              className="th-plain"
                              data-sortable="false"
                              title={`Not sortable: the index sorts on ${[...sortable].join(', ')}`}
                            >
                              {c}
                            </span>
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
                        {...rowOpener(() => open(r))}
                      >
                        {columns.map((c) => {
                          const text = cell(getPath(r, c), c, tz);
                          return (
                            <td key={c} className={TIME_COLUMNS.has(c) ? 'nowrap' : ''} title={text}>
                              {text}
                            </td>
                          );
                        })}
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
      </div>

      {p.record && linkedRec === null && !selected && (
        <div className="banner banner-error" role="alert" data-testid="record-missing">
          The linked record ({p.record}) is not in the index, or not in your tenant.{' '}
          <button type="button" className="btn btn-small" onClick={() => open(null)}>
            Dismiss
          </button>
        </div>
      )}
      {selected && (
        <RecordPanel
          record={selected}
          tz={tz}
          columns={columns}
          link={recordLink(selected._id)}
          onClose={() => open(null)}
          onToggleColumn={toggleColumn}
          onFilter={filter}
        />
      )}
    </div>
  );
}

/** Fields of a sample of the hits (server-side), their top values; add as column, filter for / out. */
function FieldList(props: {
  stats: FieldStats | null;
  columns: string[];
  onToggleColumn: (c: string) => void;
  onFilter: (field: string, value: string, out: boolean) => void;
}) {
  const [find, setFind] = useState('');
  const [openField, setOpenField] = useState<string | null>(null);
  const { stats } = props;
  const shown = (stats?.fields ?? []).filter((f) => f.path.toLowerCase().includes(find.toLowerCase()));
  return (
    <aside className="card field-list" aria-label="Fields">
      <div className="field-list-head">
        <strong>Fields</strong>
        {stats && (
          <span className="muted small" data-testid="field-sample">
            {stats.sampled < stats.total
              ? `top values of the first ${stats.sampled.toLocaleString('en-US')} of ${stats.total.toLocaleString('en-US')}`
              : `of ${stats.sampled.toLocaleString('en-US')} records`}
          </span>
        )}
      </div>
      <input
        className="field-find"
        aria-label="Find a field"
        placeholder="Find a field"
        value={find}
        onChange={(e) => setFind(e.target.value)}
      />
      <ul className="field-items">
        {shown.map((f) => {
          const isCol = props.columns.includes(f.path);
          const expanded = openField === f.path;
          return (
            <li key={f.path} data-field={f.path}>
              <div className="field-row">
                <button
                  type="button"
                  className="field-name mono"
                  aria-expanded={expanded}
                  title={f.path}
                  onClick={() => setOpenField(expanded ? null : f.path)}
                >
                  {f.path}
                </button>
                <button
                  type="button"
                  className="icon-btn field-col"
                  aria-label={isCol ? `Remove column ${f.path}` : `Add column ${f.path}`}
                  title={isCol ? 'Remove column' : 'Add as column'}
                  onClick={() => props.onToggleColumn(f.path)}
                >
                  {isCol ? '−' : '+'}
                </button>
              </div>
              {expanded && (
                <div className="field-values">
                  <div className="muted small">
                    in {f.count} of {stats!.sampled} sampled · {f.distinct} distinct
                  </div>
                  {f.top.length === 0 && <div className="muted small">No short values to list.</div>}
                  {f.top.map((v) => (
                    <div className="field-value" key={v.value} data-value={v.value}>
                      <span className="field-value-text" title={v.value}>
                        {v.value}
                      </span>
                      <span className="muted small">{Math.round((v.count / stats!.sampled) * 100)}%</span>
                      <button
                        type="button"
                        className="icon-btn"
                        aria-label={`Filter for ${f.path}: ${v.value}`}
                        title="Filter for this value"
                        onClick={() => props.onFilter(f.path, v.value, false)}
                      >
                        ⊕
                      </button>
                      <button
                        type="button"
                        className="icon-btn"
                        aria-label={`Filter out ${f.path}: ${v.value}`}
                        title="Filter out this value"
                        onClick={() => props.onFilter(f.path, v.value, true)}
                      >
                        ⊖
                      </button>
                    </div>
                  ))}
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </aside>
  );
}

/** Leaf fields of a record with their text (arrays of values kept as one JSON cell). */
function recordFields(r: SearchRecord): { path: string; value: unknown }[] {
  const out: { path: string; value: unknown }[] = [];
  const visit = (v: unknown, path: string, depth: number) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && depth < 8) {
      for (const [k, c] of Object.entries(v as Record<string, unknown>))
        visit(c, path ? `${path}.${k}` : k, depth + 1);
    } else if (path) out.push({ path, value: v });
  };
  visit(r, '', 0);
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

function RecordPanel(props: {
  record: SearchRecord;
  tz: Tz;
  columns: string[];
  link: string;
  onClose: () => void;
  onToggleColumn: (c: string) => void;
  onFilter: (field: string, value: string, out: boolean) => void;
}) {
  const { record: r, tz } = props;
  const [copied, setCopied] = useState('');
  const copy = (text: string, what: string) =>
    void navigator.clipboard
      ?.writeText(text)
      .then(() => setCopied(what))
      .catch(() => undefined);
  return (
    <aside className="side-panel" aria-label="Record">
      <div className="side-head">
        <div>
          <div className="muted small">Record</div>
          <div className="mono small">{r._id}</div>
        </div>
        <div className="side-actions">
          <a
            className="btn btn-small"
            href={props.link}
            data-testid="record-link"
            onClick={(e) => {
              e.preventDefault();
              copy(props.link, 'link');
            }}
          >
            {copied === 'link' ? 'Link copied' : 'Copy link'}
          </a>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => copy(JSON.stringify(r, null, 2), 'json')}
          >
            {copied === 'json' ? 'JSON copied' : 'Copy JSON'}
          </button>
          <button type="button" className="icon-btn" aria-label="Close record" onClick={props.onClose}>
            ✕
          </button>
        </div>
      </div>
      <dl className="side-times">
        <dt>Event time</dt>
        <dd>
          {fmtTime(r.timestamp, tz)} {tzLabel(tz)}
        </dd>
        <dt>Ingest time</dt>
        <dd>
          {fmtTime(r.write_time, tz)} {tzLabel(tz)}
        </dd>
      </dl>
      <div className="record-body">
        <div className="record-fields-wrap">
          <table className="table table-compact record-fields" aria-label="Record fields">
            <tbody>
              {recordFields(r).map(({ path, value }) => {
                const scalar = value === null || typeof value !== 'object';
                const text = cell(value, path, tz);
                const raw =
                  value === null || value === undefined
                    ? ''
                    : typeof value === 'object'
                      ? JSON.stringify(value)
                      : String(value);
                const isCol = props.columns.includes(path);
                return (
                  <tr key={path} data-field={path}>
                    <th className="mono" scope="row">
                      {path}
                    </th>
                    <td className="record-value">{text}</td>
                    <td className="record-actions">
                      {scalar && raw !== '' && (
                        <>
                          <button
                            type="button"
                            className="icon-btn"
                            aria-label={`Filter for ${path}`}
                            title="Filter for this value"
                            onClick={() => props.onFilter(path, raw, false)}
                          >
                            ⊕
                          </button>
                          <button
                            type="button"
                            className="icon-btn"
                            aria-label={`Filter out ${path}`}
                            title="Filter out this value"
                            onClick={() => props.onFilter(path, raw, true)}
                          >
                            ⊖
                          </button>
                        </>
                      )}
                      <button
                        type="button"
                        className="icon-btn"
                        aria-label={isCol ? `Remove column ${path}` : `Add column ${path}`}
                        title={isCol ? 'Remove column' : 'Add as column'}
                        onClick={() => props.onToggleColumn(path)}
                      >
                        {isCol ? '−' : '+'}
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        <div className="side-section-title muted small">Raw JSON</div>
        <pre className="code json" data-testid="record-json" tabIndex={0}>
          {JSON.stringify(r, null, 2)}
        </pre>
      </div>
    </aside>
  );
}
