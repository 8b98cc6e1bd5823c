/** Tenants & Users (root admin only). */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError, errorMessage, getList, post, type Tenant } from '../api.js';
import { Empty, ErrorBanner, Field, Spinner } from '../ui.js';

interface UserRow {
  username: string;
  role: string;
  tenant: string;
}

const ROLES = [
  { id: 'root_admin', label: 'Root admin', hint: 'everything' },
  { id: 'tenant_admin', label: 'Tenant admin', hint: 'connectors and log filters of their tenant' },
  { id: 'analyst', label: 'Analyst', hint: "searches their tenant's records only" },
];

function fieldErrors(e: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (e instanceof ApiError) for (const f of e.fields) out[f.field] = f.message;
  return out;
}

export function AdminPage() {
  const [tenants, setTenants] = useState<Tenant[] | null>(null);
  const [users, setUsers] = useState<UserRow[] | null>(null);
  const [error, setError] = useState('');

  const load = useCallback(async () => {
    try {
      const [t, u] = await Promise.all([
        getList<Tenant>('/tenants', 'tenants'),
        getList<UserRow>('/users', 'users'),
      ]);
      setTenants(t);
      setUsers(u);
      setError('');
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>Tenants &amp; Users</h1>
          <p className="muted">Root admin only. Records, connectors and filters belong to a tenant.</p>
        </div>
      </div>
      {error && <ErrorBanner error={error} onRetry={() => void load()} />}
      <div className="two-col">
        <section className="card">
          <h2 className="card-title">Tenants</h2>
          {tenants === null ? (
            <Spinner />
          ) : tenants.length === 0 ? (
            <Empty title="No tenants" />
          ) : (
            <table className="table table-compact" aria-label="Tenants">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>ID</th>
                </tr>
              </thead>
              <tbody>
                {tenants.map((t) => (
                  <tr key={t.id}>
                    <td className="strong">{t.name}</td>
                    <td className="mono small">{t.id}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <NewTenant onCreated={() => void load()} />
        </section>
        <section className="card">
          <h2 className="card-title">Users</h2>
          {users === null ? (
            <Spinner />
          ) : users.length === 0 ? (
            <Empty title="No users" />
          ) : (
            <table className="table table-compact" aria-label="Users">
              <thead>
                <tr>
                  <th>User name</th>
                  <th>Role</th>
                  <th>Tenant</th>
                </tr>
              </thead>
              <tbody>
                {users.map((u) => (
                  <tr key={u.username}>
                    <td className="strong">{u.username}</td>
                    <td>{ROLES.find((r) => r.id === u.role)?.label ?? u.role}</td>
                    <td>{tenants?.find((t) => t.id === u.tenant)?.name ?? u.tenant}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <NewUser tenants={tenants ?? []} onCreated={() => void load()} />
        </section>
      </div>
    </div>
  );
}

function NewTenant({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [banner, setBanner] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBanner('');
    setErrors({});
    try {
      await post('/tenants', { name: name.trim() });
      setName('');
      onCreated();
    } catch (err) {
      setErrors(fieldErrors(err));
      setBanner(errorMessage(err));
    }
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="Create tenant">
      <h3 className="section-title">Create tenant</h3>
      {banner && !errors.name && <ErrorBanner error={banner} />}
      <Field label="Tenant name" htmlFor="t-name" required error={errors.name}>
        <input id="t-name" value={name} onChange={(e) => setName(e.target.value)} required />
      </Field>
      <button type="submit" className="btn btn-primary">
        Create tenant
      </button>
    </form>
  );
}

function NewUser({ tenants, onCreated }: { tenants: Tenant[]; onCreated: () => void }) {
  const [u, setU] = useState({ username: '', password: '', role: 'analyst', tenant: '' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [banner, setBanner] = useState('');
  const [done, setDone] = useState('');
  const tenant = u.tenant || tenants[0]?.name || '';
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBanner('');
    setErrors({});
    setDone('');
    try {
      await post('/users', { ...u, tenant });
      setDone(`User ${u.username} created.`);
      setU({ username: '', password: '', role: 'analyst', tenant: '' });
      onCreated();
    } catch (err) {
      setErrors(fieldErrors(err));
      setBanner(errorMessage(err));
    }
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="Create user">
      <h3 className="section-title">Create user</h3>
      {banner && <ErrorBanner error={banner} />}
      {done && <div className="banner banner-ok">{done}</div>}
      <div className="form-grid">
        <Field label="User name" htmlFor="u-name" required error={errors.username}>
          <input
            id="u-name"
            autoComplete="off"
            value={u.username}
            onChange={(e) => setU({ ...u, username: e.target.value })}
            required
          />
        </Field>
        <Field
          label="Password"
          htmlFor="u-password"
          required
          error={errors.password}
          hint="Required: at least 12 characters, no control characters, and not a common or easily guessed password (no repeats like aaaa, sequences like 1234, keyboard walks or the user name). Spaces and any other characters are allowed."
        >
          <input
            id="u-password"
            type="password"
            autoComplete="new-password"
            value={u.password}
            onChange={(e) => setU({ ...u, password: e.target.value })}
            required
          />
        </Field>
        <Field
          label="Role"
          htmlFor="u-role"
          required
          error={errors.role}
          hint={ROLES.find((r) => r.id === u.role)?.hint}
        >
          <select id="u-role" value={u.role} onChange={(e) => setU({ ...u, role: e.target.value })}>
            {ROLES.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Tenant" htmlFor="u-tenant" required error={errors.tenant}>
          <select id="u-tenant" value={tenant} onChange={(e) => setU({ ...u, tenant: e.target.value })}>
            {tenants.map((t) => (
              <option key={t.id} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <button type="submit" className="btn btn-primary">
        Create user
      </button>
    </form>
  );
}
