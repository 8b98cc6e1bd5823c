/** A connector's run history: each run's counts as "received N, new M, already stored K". */
import { useEffect, useState } from 'react';
import { errorMessage, get, type Run } from '../api.js';
import { Empty, ErrorBanner, Modal, Spinner, formatTime } from '../ui.js';

const duration = (r: Run) =>
  r.finishedAt === undefined ? '…' : `${((r.finishedAt - r.startedAt) / 1000).toFixed(1)} s`;

export function RunsDialog(props: { connectorId: string; name: string; onClose: () => void }) {
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
                  {r.error && <div className="muted small">{r.error.code}</div>}
                </td>
                <td data-testid="run-summary">{r.summary}</td>
                <td>{duration(r)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Modal>
  );
}
