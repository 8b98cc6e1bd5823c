/** The connector Test dialog: stays open until closed with X, as the spec asks. */
import { useEffect, useState } from 'react';
import { ApiError, errorMessage, post, type TestResult } from '../api.js';
import { ERRORS } from '../../../src/core/errors.js';
import { HTTP_NAMES, Modal, Spinner } from '../ui.js';

/** The spec's table of common HTTP codes, from the error registry (one source of truth). */
const COMMON_CODES = (
  ['ERR_CONFIG_INVALID', 'ERR_AUTH_INVALID', 'ERR_PERMISSION', 'ERR_NOT_FOUND', 'ERR_THROTTLED'] as const
).map((code) => ERRORS[code]);

/** A region's outcome in words (TestResult.parts[].status). */
const PART_STATUS: Record<string, string> = {
  ok: 'OK',
  not_activated: 'Inspector not activated',
  not_enabled: 'Not enabled (opt-in region)',
  access_denied: 'Access denied',
  failed: 'Failed',
};

type State =
  | { kind: 'running' }
  | { kind: 'done'; result: TestResult }
  | { kind: 'busy'; message: string }
  | { kind: 'error'; message: string };

export function TestDialog(props: {
  connectorId?: string;
  /** Unsaved: the whole configuration; with `connectorId`: the edits to test (secrets blank = stored). */
  config?: unknown;
  name: string;
  onClose: () => void;
}) {
  const [state, setState] = useState<State>({ kind: 'running' });
  const [more, setMore] = useState(false);
  const [run, setRun] = useState(0);
  const { connectorId, config } = props;

  useEffect(() => {
    let live = true;
    setState({ kind: 'running' });
    setMore(false);
    const req = connectorId
      ? post<TestResult>(`/connectors/${encodeURIComponent(connectorId)}/test`, config)
      : post<TestResult>('/connectors/test', config);
    req.then(
      (result) => live && setState({ kind: 'done', result }),
      (e) => {
        if (!live) return;
        if (e instanceof ApiError && e.status === 409)
          setState({
            kind: 'busy',
            message: connectorId
              ? 'A test of this connector is already running. One test runs at a time per connector: wait for it to finish (at most 30 s), then click Test again.'
              : 'Your previous test is still running. Wait for it to finish (at most 30 s), then click Test again.',
          });
        else setState({ kind: 'error', message: errorMessage(e) });
      },
    );
    return () => {
      live = false;
    };
  }, [connectorId, config, run]);

  return (
    <Modal
      title={`Test connector: ${props.name}`}
      onClose={props.onClose}
      wide
      testId="test-dialog"
      closeOnEscape={false}
    >
      {state.kind === 'running' && (
        <div className="test-running">
          <Spinner label="Testing authentication and connectivity…" />
        </div>
      )}
      {state.kind === 'busy' && (
        <div className="test-result test-busy" data-testid="test-busy">
          <div className="test-headline">409 Conflict: a test is already running</div>
          <p>{state.message}</p>
        </div>
      )}
      {state.kind === 'error' && (
        <div className="test-result test-fail">
          <div className="test-headline">The test could not be run</div>
          <p>{state.message}</p>
        </div>
      )}
      {state.kind === 'done' && state.result.ok && (
        <div className="test-result test-ok" data-testid="test-success">
          <div className="test-headline">Success !</div>
          <p>{state.result.summary.replace(/^Success\s*!\s*/, '')}</p>
          {state.result.identity !== undefined && state.result.identity !== null && (
            <div className="kv">
              <div className="kv-title">Identity</div>
              {typeof state.result.identity === 'object' ? (
                <table className="table table-compact identity">
                  <tbody>
                    {Object.entries(state.result.identity as Record<string, unknown>).map(([k, v]) => (
                      <tr key={k}>
                        <th>{k}</th>
                        <td className="mono">{typeof v === 'string' ? v : JSON.stringify(v)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                <pre className="code" tabIndex={0}>
                  {String(state.result.identity)}
                </pre>
              )}
            </div>
          )}
          {state.result.warnings.length > 0 && (
            <div className="banner banner-warn">
              <strong>Warnings</strong>
              <ul>
                {state.result.warnings.map((w) => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
            </div>
          )}
        </div>
      )}
      {state.kind === 'done' && !state.result.ok && (
        <div className="test-result test-fail" data-testid="test-failure">
          <div className="test-headline">
            Failed: HTTP {state.result.httpStatus} {HTTP_NAMES[state.result.httpStatus] ?? ''}
            <span className="code-chip">{state.result.code}</span>
          </div>
          <p className="test-summary">{state.result.summary}</p>
          <button
            type="button"
            className="btn btn-link"
            onClick={() => setMore((m) => !m)}
            aria-expanded={more}
          >
            {more ? 'Show less' : 'Show more'}
          </button>
          {more && (
            <div className="test-more" data-testid="test-more">
              {state.result.detail && (
                <div className="kv">
                  <div className="kv-title">Detail</div>
                  <pre className="code" tabIndex={0}>
                    {state.result.detail}
                  </pre>
                </div>
              )}
              <div className="kv">
                <div className="kv-title">Explanation</div>
                <p>{state.result.explanation}</p>
              </div>
              <div className="kv">
                <div className="kv-title">Recommendation</div>
                <p>{state.result.recommendation}</p>
              </div>
            </div>
          )}
        </div>
      )}
      {state.kind === 'done' && (state.result.parts?.length ?? 0) > 1 && (
        <div className="kv" data-testid="test-regions">
          <table className="table table-compact test-parts">
            <caption className="kv-title">Regions</caption>
            <thead>
              <tr>
                <th scope="col">Region</th>
                <th scope="col">Result</th>
                <th scope="col">HTTP</th>
                <th scope="col">Summary</th>
                <th scope="col">Explanation</th>
              </tr>
            </thead>
            <tbody>
              {state.result.parts!.map((p) => (
                <tr key={p.part} className={p.ok ? '' : 'row-hl'}>
                  <th scope="row" className="mono">
                    {p.part}
                  </th>
                  <td>
                    {PART_STATUS[p.status] ?? p.status}
                    {p.code !== 'OK' && <span className="code-chip">{p.code}</span>}
                  </td>
                  <td>
                    {p.httpStatus} {HTTP_NAMES[p.httpStatus] ?? ''}
                  </td>
                  <td>{p.summary}</td>
                  <td>{p.ok && p.status === 'ok' ? '' : `${p.explanation} ${p.recommendation}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {(state.kind === 'error' || (state.kind === 'done' && !state.result.ok)) && (
        <details className="codes-table" open={state.kind === 'done' && !state.result.ok}>
          <summary>Common HTTP error codes</summary>
          <table className="table table-compact">
            <thead>
              <tr>
                <th>HTTP Error Code</th>
                <th>HTTP Standard Error Name</th>
                <th>Explanation</th>
                <th>Recommendation</th>
              </tr>
            </thead>
            <tbody>
              {COMMON_CODES.map((c) => (
                <tr
                  key={c.httpStatus}
                  className={
                    state.kind === 'done' && state.result.httpStatus === c.httpStatus ? 'row-hl' : ''
                  }
                >
                  <td>{c.httpStatus}</td>
                  <td>{c.httpName}</td>
                  <td>{c.explanation}</td>
                  <td>{c.recommendation}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
      <div className="modal-actions-inline">
        <button
          type="button"
          className="btn"
          disabled={state.kind === 'running'}
          onClick={() => setRun((r) => r + 1)}
        >
          Test again
        </button>
      </div>
    </Modal>
  );
}
