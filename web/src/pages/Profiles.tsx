/**
 * Data Analyzer profiles (root admin only, like the API's PUT/DELETE): each profile with its
 * connectors, add and remove. A connector on a Data Processor collects only while it is in at
 * least one profile; the connectors in none are listed first, since they do not run.
 */
import { useCallback, useEffect, useState } from 'react';
import { del, errorMessage, get, getList, put, type Connector, type Profile } from '../api.js';
import { href } from '../router.js';
import { Empty, ErrorBanner, Spinner } from '../ui.js';

export function ProfilesPage() {
  const [profiles, setProfiles] = useState<Profile[] | null>(null);
  const [connectors, setConnectors] = useState<Connector[]>([]);
  const [error, setError] = useState('');
  const [actionError, setActionError] = useState('');
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const [p, c] = await Promise.all([
        getList<Profile>('/profiles', 'profiles'),
        get<{ connectors: Connector[] }>('/connectors'),
      ]);
      setProfiles(p);
      setConnectors(c.connectors);
      setError('');
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const change = async (method: 'add' | 'remove', profile: Profile, id: string) => {
    setBusy(true);
    setActionError('');
    const path = `/profiles/${encodeURIComponent(profile.id)}/connectors/${encodeURIComponent(id)}`;
    try {
      await (method === 'add' ? put(path) : del(path));
      await load();
    } catch (e) {
      const name = connectors.find((c) => c.id === id)?.name ?? id;
      setActionError(
        `Could not ${method === 'add' ? 'add' : 'remove'} ${name} ${method === 'add' ? 'to' : 'from'} ${profile.name}: ${errorMessage(e)}`,
      );
    } finally {
      setBusy(false);
    }
  };

  const byId = new Map(connectors.map((c) => [c.id, c]));
  const orphans = connectors.filter((c) => c.profiles.length === 0);

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>Data Analyzer Profiles</h1>
          <p className="muted">
            A connector running on the Data Processor collects only while it is in at least one Data Analyzer
            profile. Adding it starts its first pull at once.
          </p>
        </div>
      </div>
      {error && <ErrorBanner error={`Could not load the profiles: ${error}`} onRetry={() => void load()} />}
      {actionError && <ErrorBanner error={actionError} />}
      {profiles === null && !error && <Spinner label="Loading profiles…" />}
      {profiles !== null && orphans.length > 0 && (
        <div className="banner banner-warn" role="status" data-testid="orphans">
          {orphans.length === 1 ? '1 connector is' : `${orphans.length} connectors are`} in no profile and
          will not run: {orphans.map((c) => c.name).join(', ')}.
        </div>
      )}
      {profiles?.map((p) => {
        const members = p.connectorIds.map((id) => byId.get(id)).filter((c): c is Connector => !!c);
        const candidates = connectors.filter((c) => !p.connectorIds.includes(c.id));
        return (
          <section key={p.id} className="card" data-profile={p.id} aria-label={`Profile ${p.name}`}>
            <h2 className="card-title">
              {p.name} <span className="muted small mono">{p.id}</span>
            </h2>
            {members.length === 0 ? (
              <Empty title="No connectors in this profile" />
            ) : (
              <table className="table table-compact" aria-label={`Connectors of ${p.name}`}>
                <thead>
                  <tr>
                    <th>Connector</th>
                    <th>Type</th>
                    <th>Tenant</th>
                    <th>Collect</th>
                    <th className="actions-col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {members.map((c) => (
                    <tr key={c.id} data-member={c.name}>
                      <td className="strong">{c.name}</td>
                      <td>{c.type}</td>
                      <td>{c.tenant}</td>
                      <td>{c.active ? 'On' : 'Paused'}</td>
                      <td className="actions-col">
                        <button
                          type="button"
                          className="btn btn-small btn-danger-ghost"
                          disabled={busy}
                          onClick={() => void change('remove', p, c.id)}
                        >
                          Remove
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <AddConnector
              profile={p}
              candidates={candidates}
              busy={busy}
              onAdd={(id) => void change('add', p, id)}
            />
          </section>
        );
      })}
      {profiles !== null && connectors.length === 0 && (
        <p className="muted">
          No connectors yet. <a href={href('/connectors/new')}>Create a connector</a>.
        </p>
      )}
    </div>
  );
}

function AddConnector(props: {
  profile: Profile;
  candidates: Connector[];
  busy: boolean;
  onAdd: (id: string) => void;
}) {
  const [chosen, setChosen] = useState('');
  if (props.candidates.length === 0) return null;
  // No profile first: those are the ones that do not run.
  const sorted = [...props.candidates].sort(
    (a, b) => Number(a.profiles.length > 0) - Number(b.profiles.length > 0) || a.name.localeCompare(b.name),
  );
  const id = props.candidates.some((c) => c.id === chosen) ? chosen : (sorted[0]?.id ?? '');
  const selectId = `add-${props.profile.id}`;
  return (
    <div className="inline-form">
      <label htmlFor={selectId}>Add a connector to {props.profile.name}</label>
      <div className="row-actions">
        <select id={selectId} value={id} onChange={(e) => setChosen(e.target.value)}>
          {sorted.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name} ({c.tenant}){c.profiles.length === 0 ? ' · in no profile' : ''}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="btn btn-primary btn-small"
          disabled={props.busy || !id}
          onClick={() => props.onAdd(id)}
        >
          Add
        </button>
      </div>
    </div>
  );
}
