/** Connectors overview: the table of the spec, with Test / Edit / Delete / View Events. */
import { useCallback, useEffect, useState } from 'react';
import { errorMessage, get, patch, put, type Connector, type PartStatus } from '../api.js';
import { href, navigate } from '../router.js';
import { useSession } from '../session.js';
import {
  ConfirmDelete,
  Empty,
  ErrorBanner,
  Spinner,
  formatTime,
  relativeTime,
  rowOpener,
  useDismiss,
  useInterval,
} from '../ui.js';
import { RunsDialog } from './RunsDialog.js';
import { TestDialog } from './TestDialog.js';

/** The status refreshes on its own; the server updates it at least every 5 minutes. */
const REFRESH_MS = 10_000;

/** The Threat Hunting query that finds a connector's records. */
export function connectorQuery(id: string): string {
  return /^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(id)
    ? `msg_origin.processor.id:${id}`
    : `msg_origin.processor.id:"${id}"`;
}

/** What a type's parts are called (AWS Inspector collects per region). */
export function partsNoun(c: Pick<Connector, 'typeId'>): string {
  return c.typeId === 'aws-inspector' ? 'regions' : 'parts';
}

/** "ERR_X: message" of each failed part, one per line (the badge's tooltip). */
function failedPartsText(parts: readonly PartStatus[]): string {
  return parts
    .filter((p) => p.state === 'failed')
    .map((p) => `${p.part}: ${p.lastError ? `${p.lastError.code}: ${p.lastError.message}` : 'failed'}`)
    .join('\n');
}

export function StatusBadge({ c }: { c: Connector }) {
  const [open, setOpen] = useState(false);
  const dismissRef = useDismiss<HTMLSpanElement>(open, () => setOpen(false));
  if (c.status.running)
    return (
      <span className="badge badge-running" data-state="running">
        <span className="dot" /> running
      </span>
    );
  const parts = c.status.parts ?? [];
  const okParts = parts.filter((p) => p.state === 'ok').length;
  if (c.status.state === 'ok')
    return (
      <span
        className="badge badge-ok"
        data-state="ok"
        {...(parts.length > 1 ? { title: `${okParts}/${parts.length} ${partsNoun(c)} ok` } : {})}
      >
        <span className="dot" /> ok
      </span>
    );
  if (c.status.state === 'never_run')
    return (
      <span
        className="badge badge-muted"
        data-state="never_run"
        title={
          c.profiles.length === 0
            ? 'It does not run: it is in no Data Analyzer profile'
            : c.active
              ? 'Waiting for its first run'
              : 'Paused: Collect is off'
        }
      >
        never run
      </span>
    );
  const err = c.status.lastError;
  const partial = c.status.state === 'partial';
  const failedParts = parts.filter((p) => p.state === 'failed');
  const label = partial ? `${okParts}/${parts.length} ${partsNoun(c)} ok` : 'failed';
  return (
    <span className="status-failed" ref={dismissRef}>
      <button
        type="button"
        className={partial ? 'badge badge-partial' : 'badge badge-failed'}
        data-state={c.status.state}
        title={
          failedParts.length > 0
            ? failedPartsText(parts)
            : err
              ? `${err.code}: ${err.message}`
              : c.status.state
        }
        onClick={() => setOpen((o) => !o)}
        aria-expanded={open}
      >
        <span className="dot" /> {label} ▾
      </button>
      {open && failedParts.length > 0 && (
        <div className="status-pop" role="tooltip" data-testid="failed-parts">
          <div className="small">
            {failedParts.length} of {parts.length} {partsNoun(c)} failed:
          </div>
          <ul className="part-list">
            {failedParts.map((p) => (
              <li key={p.part} data-part={p.part}>
                <strong>{p.part}</strong>
                {p.lastError && (
                  <>
                    {' '}
                    <span className="code-chip">{p.lastError.code}</span>
                    <div>{p.lastError.message}</div>
                    <div className="muted small">{formatTime(p.lastError.at)}</div>
                  </>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
      {open && failedParts.length === 0 && err && (
        <div className="status-pop" role="tooltip">
          <div className="code-chip">{err.code}</div>
          <div>{err.message}</div>
          <div className="muted small">{formatTime(err.at)}</div>
        </div>
      )}
    </span>
  );
}

/** The switch's tooltip: "Collecting" only when it really does (on AND in a profile). */
function collectTitle(c: Connector): string {
  if (!c.active) return 'Paused';
  return c.profiles.length === 0
    ? 'Collect is on, but the connector is in no Data Analyzer profile: it does not run'
    : 'Collecting';
}

export function ConnectorsPage() {
  const { user } = useSession();
  const isRoot = user.role === 'root_admin';
  const [connectors, setConnectors] = useState<Connector[] | null>(null);
  const [error, setError] = useState('');
  const [testing, setTesting] = useState<Connector | null>(null);
  const [history, setHistory] = useState<Connector | null>(null);
  const [deleting, setDeleting] = useState<Connector | null>(null);
  const [rowError, setRowError] = useState('');
  const [, setTick] = useState(0);

  const load = useCallback(async () => {
    try {
      const r = await get<{ connectors: Connector[] }>('/connectors');
      setConnectors(r.connectors);
      setError('');
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);
  useInterval(() => {
    void load();
    setTick((t) => t + 1);
  }, REFRESH_MS);

  const toggle = async (c: Connector) => {
    setRowError('');
    try {
      const updated = await patch<Connector>(`/connectors/${encodeURIComponent(c.id)}`, {
        active: !c.active,
      });
      setConnectors((list) => list?.map((x) => (x.id === c.id ? { ...x, ...updated } : x)) ?? null);
    } catch (e) {
      setRowError(`Could not change Collect of ${c.name}: ${errorMessage(e)}`);
    }
  };

  /** The fix for a connector in no profile: add it to Default (root scope only, as the API). */
  const addToDefault = async (c: Connector) => {
    setRowError('');
    try {
      await put(`/profiles/default/connectors/${encodeURIComponent(c.id)}`);
      await load();
    } catch (e) {
      setRowError(`Could not add ${c.name} to the profile Default: ${errorMessage(e)}`);
    }
  };
  const orphans = connectors?.filter((c) => c.profiles.length === 0) ?? [];

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>Connectors</h1>
          <p className="muted">Connector Overview · collectors running on this Data Processor</p>
        </div>
        <a className="btn btn-primary" href={href('/connectors/new')}>
          + Create
        </a>
      </div>
      {error && <ErrorBanner error={`Could not load the connectors: ${error}`} onRetry={() => void load()} />}
      {rowError && <ErrorBanner error={rowError} />}
      {orphans.length > 0 && (
        <div className="banner banner-warn" role="status" data-testid="no-profile-banner">
          <span>
            {orphans.length === 1 ? '1 connector is' : `${orphans.length} connectors are`} not in a Data
            Analyzer profile: {orphans.length === 1 ? 'it' : 'they'} will not run.{' '}
            {isRoot ? (
              <a href={href('/profiles')}>Manage profiles</a>
            ) : (
              'Ask your administrator (Root scope) to add them to a profile.'
            )}
          </span>
        </div>
      )}
      {connectors === null && !error && <Spinner label="Loading connectors…" />}
      {connectors !== null && connectors.length === 0 && (
        <Empty title="No connectors yet">
          Create a connector to start collecting findings into the Syslog index.
          <div>
            <a className="btn btn-primary" href={href('/connectors/new')}>
              Create a connector
            </a>
          </div>
        </Empty>
      )}
      {connectors !== null && connectors.length > 0 && (
        <div className="table-wrap">
          <table className="table table-connectors" aria-label="Connectors">
            <thead>
              <tr>
                <th>Name</th>
                <th>Category</th>
                <th>Type</th>
                <th>Tenant</th>
                <th>Run On</th>
                <th>Interval</th>
                <th>Collect</th>
                <th>Status</th>
                <th>Last Activity</th>
                <th className="actions-col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {connectors.map((c) => (
                <tr
                  key={c.id}
                  data-connector={c.name}
                  className="clickable"
                  {...rowOpener(() => navigate(`/connectors/${encodeURIComponent(c.id)}/edit`))}
                >
                  <td className="strong" title={c.name}>
                    {c.name}
                  </td>
                  <td>{c.category}</td>
                  <td>{c.type}</td>
                  <td>{c.tenant}</td>
                  <td>{c.runOn}</td>
                  <td>{c.intervalMinutes} min</td>
                  <td>
                    <label className="switch" title={collectTitle(c)}>
                      <input
                        type="checkbox"
                        role="switch"
                        checked={c.active}
                        aria-label={`Collect ${c.name}`}
                        onChange={() => void toggle(c)}
                      />
                      <span className="slider" />
                    </label>
                  </td>
                  <td>
                    <StatusBadge c={c} />
                    {c.profiles.length === 0 && (
                      <div className="no-profile" data-testid="no-profile">
                        Not in a Data Analyzer profile: it will not run.
                        {isRoot ? (
                          <button
                            type="button"
                            className="btn btn-small"
                            onClick={() => void addToDefault(c)}
                          >
                            Add to Default
                          </button>
                        ) : (
                          <span className="muted"> Ask your administrator to add it to a profile.</span>
                        )}
                      </div>
                    )}
                    {c.lastRun && (
                      <div
                        className="muted small"
                        data-testid="last-run"
                        title={`Run ${c.lastRun.id} (${c.lastRun.status}): findings received from AWS, records new to this tenant, versions its index already held`}
                      >
                        {c.lastRun.status === 'running' ? 'running: ' : 'last run: '}
                        {c.lastRun.summary}
                      </div>
                    )}
                    {c.counts && (c.counts.stored > 0 || c.counts.discarded > 0) && (
                      <div
                        className="muted small counts"
                        data-testid="counts"
                        data-discarded={c.counts.discarded}
                        title="Records stored / discarded by log filters, all runs"
                      >
                        {c.counts.stored.toLocaleString('en-US')} stored
                        {c.counts.discarded > 0 && (
                          <div>{c.counts.discarded.toLocaleString('en-US')} filtered</div>
                        )}
                      </div>
                    )}
                  </td>
                  <td
                    title={
                      c.status.lastSuccessAt ? formatTime(c.status.lastSuccessAt) : 'No successful run yet'
                    }
                  >
                    {relativeTime(c.status.lastSuccessAt)}
                  </td>
                  <td className="actions-col">
                    <div className="row-actions">
                      <button type="button" className="btn btn-small" onClick={() => setTesting(c)}>
                        Test
                      </button>
                      <button type="button" className="btn btn-small" onClick={() => setHistory(c)}>
                        Runs
                      </button>
                      <a
                        className="btn btn-small"
                        href={href(`/connectors/${encodeURIComponent(c.id)}/edit`)}
                      >
                        Edit
                      </a>
                      <a className="btn btn-small" href={href('/search', { q: connectorQuery(c.id) })}>
                        View Events
                      </a>
                      <button
                        type="button"
                        className="btn btn-small btn-danger-ghost"
                        onClick={() => setDeleting(c)}
                      >
                        Delete
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {testing && (
        <TestDialog
          connectorId={testing.id}
          name={testing.name}
          onClose={() => {
            setTesting(null);
            void load();
          }}
        />
      )}
      {history && (
        <RunsDialog
          connectorId={history.id}
          name={history.name}
          noun={partsNoun(history)}
          onClose={() => setHistory(null)}
        />
      )}
      {deleting && (
        <ConfirmDelete
          title="Delete connector"
          path={`/connectors/${encodeURIComponent(deleting.id)}`}
          onClose={() => setDeleting(null)}
          onDeleted={() => {
            setDeleting(null);
            void load();
          }}
        >
          <p>
            Delete the connector <strong>{deleting.name}</strong>? It stops collecting. Records already in the
            Syslog index stay searchable.
          </p>
        </ConfirmDelete>
      )}
    </div>
  );
}

// Re-exported so other pages can link to a connector's events without a circular import.
export function viewEvents(id: string): void {
  navigate('/search', { q: connectorQuery(id) });
}
