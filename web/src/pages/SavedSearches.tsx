/**
 * Threat Hunting's saved searches and search history (/search/saved, /search/history): the
 * "Saved" and "History" menus beside the page's preferences. Saving keeps the query, time range,
 * time field, columns, sort and time zone; opening one restores them (and so the URL). The
 * history records each new query the page ran successfully, on the server (it follows the user).
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, errorMessage, get, patch, post, del } from '../api.js';
import { ConfirmDelete, ErrorBanner, Field, Modal, Spinner, useDismiss } from '../ui.js';

/** What the page's URL holds that a saved search restores. */
export interface HuntView {
  q: string;
  /** A relative range id (`15m`, `24h`, `all`, ...) or `custom` (from/to). */
  range: string;
  from?: number;
  to?: number;
  timeField: string;
  cols: string[];
  sort: string;
  tz: 'utc' | 'local';
}

type TimeRange = { kind: 'relative'; last: string } | { kind: 'absolute'; from: number; to: number };

interface SavedSearch {
  id: string;
  name: string;
  query: string;
  timeRange: TimeRange;
  timeField?: string;
  columns: string[];
  sort?: string;
  timeZone?: 'utc' | 'local';
  visibility: 'private' | 'tenant';
  owner: string;
  mine: boolean;
  editable: boolean;
}

interface HistoryEntry {
  query: string;
  timeRange: TimeRange;
  timeField?: string;
  ranAt: number;
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };
const UNIT_NAME: Record<string, string> = { m: 'min', h: 'h', d: 'days' };

function timeRangeOf(v: HuntView): TimeRange {
  if (v.range === 'custom' && v.from !== undefined && v.to !== undefined)
    return { kind: 'absolute', from: v.from, to: v.to };
  return { kind: 'relative', last: v.range === 'custom' ? '24h' : v.range };
}

/** The page's range for a stored one: its own ids, else the window it means now. */
function rangeOf(r: TimeRange, known: readonly string[]): Pick<HuntView, 'range' | 'from' | 'to'> {
  if (r.kind === 'absolute') return { range: 'custom', from: r.from, to: r.to };
  if (known.includes(r.last)) return { range: r.last };
  const m = /^(\d+)([mhd])$/.exec(r.last);
  if (!m) return { range: 'all' };
  const now = Date.now();
  return { range: 'custom', from: now - Number(m[1]) * UNIT_MS[m[2]!]!, to: now };
}

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

function rangeText(r: TimeRange): string {
  if (r.kind === 'absolute') return `${iso(r.from)} to ${iso(r.to)} UTC`;
  if (r.last === 'all') return 'All time';
  const m = /^(\d+)([mhd])$/.exec(r.last);
  return m ? `Last ${m[1]} ${UNIT_NAME[m[2]!]}` : r.last;
}

export function SavedSearchMenus(props: {
  view: HuntView;
  /** The relative range ids the page offers. */
  ranges: readonly string[];
  /** The view's search has run and succeeded (then it goes to the history). */
  ran: boolean;
  open: (v: HuntView) => void;
}) {
  const { view, ran } = props;
  const [savedOpen, setSavedOpen] = useState(false);
  const [historyOpen, setHistoryOpen] = useState(false);
  /** The Save dialog (new) or the Edit dialog of a saved search. */
  const [editing, setEditing] = useState<SavedSearch | 'new' | null>(null);
  const [deleting, setDeleting] = useState<SavedSearch | null>(null);
  // While one of its dialogs is open, the menu stays (a click in the dialog is not "outside").
  const dialogOpen = editing !== null || deleting !== null;
  const savedRef = useDismiss<HTMLDivElement>(savedOpen && !dialogOpen, () => setSavedOpen(false));
  const historyRef = useDismiss<HTMLDivElement>(historyOpen, () => setHistoryOpen(false));
  const [saved, setSaved] = useState<SavedSearch[] | null>(null);
  const [history, setHistory] = useState<HistoryEntry[] | null>(null);
  const [error, setError] = useState('');

  const loadSaved = () =>
    get<{ savedSearches: SavedSearch[] }>('/search/saved')
      .then((r) => {
        setSaved(r.savedSearches);
        setError('');
      })
      .catch((e: unknown) => setError(errorMessage(e)));
  const loadHistory = () =>
    get<{ history: HistoryEntry[] }>('/search/history')
      .then((r) => {
        setHistory(r.history);
        setError('');
      })
      .catch((e: unknown) => setError(errorMessage(e)));

  useEffect(() => {
    if (savedOpen) void loadSaved();
  }, [savedOpen]);
  useEffect(() => {
    if (historyOpen) void loadHistory();
  }, [historyOpen]);

  // Each new query that ran goes to the history once (not again on auto-refresh or paging).
  const recorded = useRef('');
  const range = timeRangeOf(view);
  const historyKey = JSON.stringify([view.q, range, view.timeField]);
  useEffect(() => {
    if (!ran || view.q.trim() === '' || recorded.current === historyKey) return;
    recorded.current = historyKey;
    post('/search/history', { query: view.q, timeRange: range, timeField: view.timeField }).catch(() => {
      /* the history is a convenience: a failure to record leaves the search as it is */
    });
  }, [ran, historyKey]);

  const openSaved = (s: SavedSearch) => {
    setSavedOpen(false);
    props.open({
      q: s.query,
      ...rangeOf(s.timeRange, props.ranges),
      timeField: s.timeField ?? view.timeField,
      cols: s.columns,
      sort: s.sort ?? view.sort,
      tz: s.timeZone ?? view.tz,
    });
  };
  const openHistory = (h: HistoryEntry) => {
    setHistoryOpen(false);
    props.open({
      ...view,
      q: h.query,
      ...rangeOf(h.timeRange, props.ranges),
      timeField: h.timeField ?? view.timeField,
    });
  };

  return (
    <>
      <div className="col-chooser" ref={savedRef}>
        <button
          type="button"
          className="btn btn-small"
          aria-expanded={savedOpen}
          onClick={() => setSavedOpen((x) => !x)}
        >
          Saved
        </button>
        {savedOpen && (
          <div className="popover popover-right saved-popover" role="dialog" aria-label="Saved searches">
            <div className="popover-title">Saved searches</div>
            <button type="button" className="btn btn-small btn-primary" onClick={() => setEditing('new')}>
              Save current search…
            </button>
            {error && <div className="field-error">{error}</div>}
            {saved === null ? (
              <Spinner />
            ) : saved.length === 0 ? (
              <p className="muted small">None yet: save the search shown to find it here.</p>
            ) : (
              <ul className="saved-list" aria-label="Saved searches list">
                {saved.map((s) => (
                  <li key={s.id}>
                    <button
                      type="button"
                      className="saved-open"
                      title={`${s.query || '(everything)'} · ${rangeText(s.timeRange)}`}
                      onClick={() => openSaved(s)}
                    >
                      <span className="saved-name">{s.name}</span>
                      <span className="muted small">
                        {rangeText(s.timeRange)}
                        {s.visibility === 'tenant' ? ' · shared' : ''}
                        {s.mine ? '' : ` · by ${s.owner}`}
                      </span>
                    </button>
                    {s.editable && (
                      <span className="saved-actions">
                        <button
                          type="button"
                          className="btn btn-ghost btn-small"
                          aria-label={`Edit ${s.name}`}
                          onClick={() => setEditing(s)}
                        >
                          Edit
                        </button>
                        <button
                          type="button"
                          className="btn btn-danger-ghost btn-small"
                          aria-label={`Delete ${s.name}`}
                          onClick={() => setDeleting(s)}
                        >
                          Delete
                        </button>
                      </span>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
      </div>
      <div className="col-chooser" ref={historyRef}>
        <button
          type="button"
          className="btn btn-small"
          aria-expanded={historyOpen}
          onClick={() => setHistoryOpen((x) => !x)}
        >
          History
        </button>
        {historyOpen && (
          <div className="popover popover-right saved-popover" role="dialog" aria-label="Search history">
            <div className="popover-title">Recent queries</div>
            {error && <div className="field-error">{error}</div>}
            {history === null ? (
              <Spinner />
            ) : history.length === 0 ? (
              <p className="muted small">No queries yet: the queries you run appear here.</p>
            ) : (
              <>
                <ul className="saved-list" aria-label="Recent queries list">
                  {history.map((h) => (
                    <li key={h.query}>
                      <button type="button" className="saved-open" onClick={() => openHistory(h)}>
                        <span className="saved-name mono">{h.query}</span>
                        <span className="muted small">{rangeText(h.timeRange)}</span>
                      </button>
                    </li>
                  ))}
                </ul>
                <button
                  type="button"
                  className="btn btn-small"
                  onClick={() =>
                    del('/search/history')
                      .then(() => setHistory([]))
                      .catch((e: unknown) => setError(errorMessage(e)))
                  }
                >
                  Clear history
                </button>
              </>
            )}
          </div>
        )}
      </div>
      {editing && (
        <SaveDialog
          editing={editing}
          view={view}
          range={range}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void loadSaved();
          }}
        />
      )}
      {deleting && (
        <ConfirmDelete
          title="Delete saved search"
          path={`/search/saved/${encodeURIComponent(deleting.id)}`}
          onClose={() => setDeleting(null)}
          onDeleted={() => {
            setDeleting(null);
            void loadSaved();
          }}
        >
          <p>
            Delete the saved search <strong>{deleting.name}</strong>
            {deleting.visibility === 'tenant' ? ', shared with your tenant' : ''}?
          </p>
        </ConfirmDelete>
      )}
    </>
  );
}

/** Save the search shown (new), or rename / (un)share / update a saved one. */
function SaveDialog(props: {
  editing: SavedSearch | 'new';
  view: HuntView;
  range: TimeRange;
  onClose: () => void;
  onSaved: () => void;
}) {
  const cur = props.editing === 'new' ? null : props.editing;
  const [name, setName] = useState(cur?.name ?? '');
  const [visibility, setVisibility] = useState<'private' | 'tenant'>(cur?.visibility ?? 'private');
  /** Editing: also replace its search by the one shown. */
  const [replace, setReplace] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const v = props.view;
  const shown = {
    query: v.q,
    timeRange: props.range,
    timeField: v.timeField,
    columns: v.cols,
    sort: v.sort,
    timeZone: v.tz,
  };

  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    setBusy(true);
    try {
      if (cur) {
        await patch(`/search/saved/${encodeURIComponent(cur.id)}`, {
          name,
          visibility,
          ...(replace ? shown : {}),
        });
      } else await post('/search/saved', { name, visibility, ...shown });
      props.onSaved();
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.fields.length) {
        setFieldErrors(Object.fromEntries(err.fields.map((f) => [f.field.split('.')[0]!, f.message])));
        setError(err.fields.some((f) => !['name', 'visibility'].includes(f.field)) ? err.message : '');
      } else setError(errorMessage(err));
    }
  };

  return (
    <Modal
      title={cur ? `Edit saved search` : 'Save search'}
      onClose={props.onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" form="save-search-form" className="btn btn-primary" disabled={busy}>
            Save
          </button>
        </>
      }
    >
      {error && <ErrorBanner error={error} />}
      <form id="save-search-form" onSubmit={(e) => void submit(e)}>
        <Field label="Name" htmlFor="saved-name" required error={fieldErrors.name}>
          <input
            id="saved-name"
            value={name}
            maxLength={100}
            autoComplete="off"
            onChange={(e) => setName(e.target.value)}
          />
        </Field>
        <Field
          label="Visible to"
          htmlFor="saved-visibility"
          error={fieldErrors.visibility}
          hint="Shared searches are read-only for the others; you and your tenant's admins can change them."
        >
          <select
            id="saved-visibility"
            value={visibility}
            onChange={(e) => setVisibility(e.target.value as 'private' | 'tenant')}
          >
            <option value="private">Only me</option>
            <option value="tenant">Everyone in my tenant</option>
          </select>
        </Field>
        {cur && (
          <label className="check small">
            <input type="checkbox" checked={replace} onChange={(e) => setReplace(e.target.checked)} />
            <span>Replace its query, time range, columns and sort with the search shown</span>
          </label>
        )}
        <p className="muted small">
          {cur && !replace ? 'Keeps' : 'Saves'}:{' '}
          <span className="mono">{(cur && !replace ? cur.query : v.q) || '(everything)'}</span> ·{' '}
          {rangeText(cur && !replace ? cur.timeRange : props.range)} ·{' '}
          {(cur && !replace ? cur.columns : v.cols).length} columns
        </p>
      </form>
    </Modal>
  );
}
