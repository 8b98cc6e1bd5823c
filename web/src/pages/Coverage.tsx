/**
 * Scan coverage of a connector (docs/coverage.md): per region, resources covered / not covered
 * (a stacked bar chart, with the same numbers as text), the calls that could not be read, and a
 * table per account × region with Amazon Inspector's state per scan type, last finding and scan,
 * and the flags that say where "no findings" does not mean "nothing found".
 */
import { useCallback, useEffect, useState } from 'react';
import type {
  CoverageRegion,
  CoverageRow,
  CoverageSnapshot,
} from '../../../src/connectors/coverage-types.js';
import { errorMessage, get, type Connector } from '../api.js';
import { navigate, type Route } from '../router.js';
import { Empty, ErrorBanner, Spinner, formatTime } from '../ui.js';

type CoverageAnswer = Omit<CoverageSnapshot, 'rows'> & {
  rows: CoverageRow[];
  total: number;
  flaggedTotal: number;
  offset: number;
};

const PAGE = 200;
const SCANS = [
  ['ec2', 'EC2'],
  ['ecr', 'ECR'],
  ['lambda', 'Lambda'],
  ['lambdaCode', 'Lambda code'],
] as const;

/** Covered / not covered per region, stacked horizontal bars; the numbers are in each bar's label. */
function CoverageChart({ regions }: { regions: CoverageRegion[] }) {
  const max = Math.max(1, ...regions.map((r) => r.covered + r.notCovered));
  const rowH = 26;
  const labelW = 120;
  const barW = 360;
  const height = regions.length * rowH + 24;
  const summary = regions
    .map((r) => `${r.region}: ${r.covered} covered, ${r.notCovered} not covered`)
    .join('; ');
  return (
    <figure className="coverage-chart">
      <svg
        role="img"
        aria-label={`Resources covered and not covered per region. ${summary}`}
        width={labelW + barW + 120}
        height={height}
      >
        {regions.map((r, i) => {
          const y = i * rowH + 4;
          const cw = (r.covered / max) * barW;
          const nw = (r.notCovered / max) * barW;
          return (
            <g key={r.region}>
              <text x={0} y={y + 15} fontSize="12" fill="var(--text)">
                {r.region}
              </text>
              <rect x={labelW} y={y} width={cw} height={18} fill="var(--ok)" />
              <rect x={labelW + cw} y={y} width={nw} height={18} fill="var(--fail)" />
              <text x={labelW + cw + nw + 6} y={y + 15} fontSize="12" fill="var(--text)">
                {r.covered} / {r.notCovered}
                {r.status !== 'ok' ? ` (${r.status})` : ''}
              </text>
            </g>
          );
        })}
        <g transform={`translate(${labelW}, ${height - 8})`}>
          <rect width={10} height={10} y={-9} fill="var(--ok)" />
          <text x={14} fontSize="12" fill="var(--text)">
            covered
          </text>
          <rect x={90} width={10} height={10} y={-9} fill="var(--fail)" />
          <text x={104} fontSize="12" fill="var(--text)">
            not covered
          </text>
        </g>
      </svg>
    </figure>
  );
}

const day = (ms: number | undefined) => (ms === undefined ? '—' : formatTime(ms));

export function CoveragePage({ route }: { route: Route }) {
  const [connectors, setConnectors] = useState<Connector[] | null>(null);
  const [data, setData] = useState<CoverageAnswer | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [flaggedOnly, setFlaggedOnly] = useState(false);
  const [offset, setOffset] = useState(0);
  const selected = route.query.get('connector') ?? '';

  useEffect(() => {
    get<{ connectors: Connector[] }>('/connectors').then(
      (r) => setConnectors(r.connectors),
      (e) => setError(errorMessage(e)),
    );
  }, []);

  const load = useCallback(
    async (refresh: boolean) => {
      if (!selected) return;
      setBusy(true);
      setError('');
      try {
        const q = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
        if (refresh) q.set('refresh', 'true');
        if (flaggedOnly) q.set('flagged', 'true');
        setData(await get<CoverageAnswer>(`/connectors/${encodeURIComponent(selected)}/coverage?${q}`));
      } catch (e) {
        setError(errorMessage(e));
      } finally {
        setBusy(false);
      }
    },
    [selected, offset, flaggedOnly],
  );
  useEffect(() => {
    void load(false);
  }, [load]);

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>Coverage</h1>
          <p className="muted">
            Where Amazon Inspector scans, per account and region. A flagged account or region is not scanned
            (or stopped reporting): no findings there is not a clean bill of health.
          </p>
        </div>
      </div>
      <div className="toolbar">
        <label>
          Connector{' '}
          <select
            value={selected}
            onChange={(e) => {
              setOffset(0);
              navigate('/coverage', { connector: e.target.value || undefined });
            }}
          >
            <option value="">Choose a connector…</option>
            {connectors?.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          <input
            type="checkbox"
            checked={flaggedOnly}
            onChange={(e) => {
              setOffset(0);
              setFlaggedOnly(e.target.checked);
            }}
          />{' '}
          Flagged only
        </label>{' '}
        <button
          type="button"
          className="btn btn-small"
          disabled={!selected || busy}
          onClick={() => void load(true)}
        >
          Refresh from AWS
        </button>
      </div>
      {error && (
        <ErrorBanner error={`Could not load the coverage: ${error}`} onRetry={() => void load(false)} />
      )}
      {!selected && connectors !== null && <Empty title="Choose a connector to see its coverage" />}
      {selected && busy && !data && <Spinner label="Reading coverage…" />}
      {data && (
        <>
          <p className="muted small" role="status">
            Read {formatTime(data.generatedAt)}: {data.flaggedTotal} of{' '}
            {data.regions.reduce((n, r) => n + r.accounts, 0)} account × region flagged (stale after{' '}
            {data.staleDays} days).
            {data.accountsLeftOut ? ` ${data.accountsLeftOut} member accounts left out (bound).` : ''}
          </p>
          <section className="card" aria-label="Coverage per region">
            <h2 className="card-title">Resources per region</h2>
            <CoverageChart regions={data.regions} />
          </section>
          {data.notes.length > 0 && (
            <div className="banner banner-warn" role="status" data-testid="coverage-notes">
              Some coverage data could not be read:
              <ul>
                {data.notes.map((n, i) => (
                  <li key={i}>
                    {n.region} {n.operation}:{' '}
                    {n.code === 'ERR_PERMISSION' ? 'access denied (add the action to the policy)' : n.code}
                    {' — '}
                    {n.message}
                  </li>
                ))}
              </ul>
            </div>
          )}
          {/* Wide: it scrolls, so it takes the keyboard focus (axe scrollable-region-focusable). */}
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Coverage table">
            <table className="table" aria-label="Coverage per account and region">
              <thead>
                <tr>
                  <th>Account</th>
                  <th>Region</th>
                  <th>Inspector</th>
                  {SCANS.map(([, label]) => (
                    <th key={label}>{label}</th>
                  ))}
                  <th>Covered</th>
                  <th>Not covered</th>
                  <th>Last finding</th>
                  <th>Last scan</th>
                  <th>Flags</th>
                </tr>
              </thead>
              <tbody>
                {data.rows.map((r) => (
                  <tr key={`${r.accountId}/${r.region}`} data-account={r.accountId} data-region={r.region}>
                    <td>
                      {r.accountId}
                      {r.relationship && <div className="muted small">{r.relationship}</div>}
                    </td>
                    <td>{r.region}</td>
                    <td>{r.state ?? 'unknown'}</td>
                    {SCANS.map(([k]) => (
                      <td key={k}>{r.scans?.[k] ?? '—'}</td>
                    ))}
                    <td>{r.covered ?? '—'}</td>
                    <td
                      title={Object.entries(r.notCoveredReasons ?? {})
                        .map(([why, n]) => `${why}: ${n}`)
                        .join(', ')}
                    >
                      {r.notCovered ?? '—'}
                    </td>
                    <td>{day(r.lastFindingAt)}</td>
                    <td>{day(r.lastScannedAt)}</td>
                    <td>
                      {r.flags.length === 0 ? (
                        <span className="badge badge-ok">OK</span>
                      ) : (
                        r.flags.map((f) => (
                          <div key={f.code}>
                            <span className={`badge ${f.level === 'high' ? 'badge-failed' : 'badge-muted'}`}>
                              {f.code}
                            </span>
                            <div className="muted small">{f.reason}</div>
                          </div>
                        ))
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {data.total > PAGE && (
            <div className="toolbar">
              <button
                type="button"
                className="btn btn-small"
                disabled={offset === 0}
                onClick={() => setOffset(Math.max(0, offset - PAGE))}
              >
                Previous
              </button>{' '}
              <span className="muted small">
                {offset + 1}–{Math.min(offset + PAGE, data.total)} of {data.total}
              </span>{' '}
              <button
                type="button"
                className="btn btn-small"
                disabled={offset + PAGE >= data.total}
                onClick={() => setOffset(offset + PAGE)}
              >
                Next
              </button>
            </div>
          )}
        </>
      )}
    </div>
  );
}
