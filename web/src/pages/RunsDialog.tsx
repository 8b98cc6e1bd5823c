/** A connector's run history: each run's counts as "received N, new M, already stored K". */
import { useEffect, useState } from 'react';
import { errorMessage, get, type Run, type RunPart } from '../api.js';
import { Empty, ErrorBanner, Modal, Spinner, formatTime } from '../ui.js';

const duration = (r: Run) =>
  r.finishedAt === undefined ? '…' : `${((r.finishedAt - r.startedAt) / 1000).toFixed(1)} s`;

/** A run's parts, expandable: each part's status, counts and error. */
function RunParts({ parts, noun }: { parts: readonly RunPart[]; noun: string }) {
  return (
    <details className="run-parts" data-testid="run-parts">
      <summary>
        {parts.length} {noun}
      </summary>
      <ul className="part-list">
        {parts.map((p) => (
          <li key={p.part} data-part={p.part} data-status={p.status}>
            <strong>{p.part}</strong> {p.status}: received {p.received}, new {p.stored}
            {p.vanished > 0 ? `, vanished ${p.vanished}` : ''}
            {p.error && (
              <>
                {' '}
                <span className="code-chip">{p.error.code}</span> {p.error.message}
              </>
            )}
          </li>
        ))}
      </ul>
    </details>
  );
}

export function RunsDialog(props: {
  connectorId: string;
  name: string;
  /** What the connector's parts are called ("regions"). */
  noun: string;
  onClose: () => void;
}) {
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [error, setError] = useState('');
  const { connectorId } = props;

  useEffect(() => {
    let live = true;
    get<{ runs: Run[] }>(`/connectors/${encodeURIComponent(connectorId)}/runs?limit=20`).then(
      (r) => live && setRuns(r.runs),
      (e) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [connectorId]);

  return (
    <Modal title={`Run history: ${props.name}`} onClose={props.onClose} wide testId="runs-dialog">
      {error && <ErrorBanner error={`Could not load the runs: ${error}`} />}
      {runs === null && !error && <Spinner label="Loading runs…" />}
      {runs !== null && runs.length === 0 && <Empty title="No run yet" />}
      {runs !== null && runs.length > 0 && (
        <table className="table" aria-label="Runs">
          <thead>
            <tr>
              <th>Started</th>
              <th>Status</th>
              <th>Findings</th>
              <th>Duration</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id} data-run={r.id}>
                <td>{formatTime(r.startedAt)}</td>
                <td title={r.error ? `${r.error.code}: ${r.error.message}` : ''}>
                  {r.status}
                  {r.parts && r.parts.length > 1 ? (
                    <div className="muted small" data-testid="run-parts-count">
                      {r.parts.filter((p) => p.status === 'ok').length}/{r.parts.length} {props.noun} ok
                    </div>
                  ) : (
                    r.error && <div className="muted small">{r.error.code}</div>
                  )}
                </td>
                <td data-testid="run-summary">
                  {r.summary}
                  {r.parts && r.parts.length > 1 && <RunParts parts={r.parts} noun={props.noun} />}
                </td>
                <td>{duration(r)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Modal>
  );
}
