/**
 * Tenants & Users (root admin only): create, rename and delete tenants (a tenant with connectors
 * or users is not deleted: the API names them); create, edit (role, tenant), disable / enable,
 * reset the password of and delete users. The API keeps an enabled root admin at all times.
 */
import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, errorMessage, getList, patch, post, type Tenant } from '../api.js';
import { useSession } from '../session.js';
import { ConfirmDelete, Empty, ErrorBanner, Field, Modal, Spinner } from '../ui.js';

interface UserRow {
  username: string;
  role: string;
  tenant: string;
  disabled: boolean;
}

/** The password rules in plain words: the length is a hard minimum, not advice. */
function passwordHint(min: number): string {
  return `At least ${min} characters: shorter passwords are refused. It must not be a common or easily guessed password (no repeats like aaaa, sequences like 1234, keyboard walks or the user name) and has no control characters. Spaces and any other characters are allowed.`;
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
  const { user: me } = useSession();
  const [tenants, setTenants] = useState<Tenant[] | null>(null);
  const [users, setUsers] = useState<UserRow[] | null>(null);
  const [error, setError] = useState('');
  const [dialog, setDialog] = useState<ReactNode>(null);
  const [rowError, setRowError] = useState('');
  const close = () => setDialog(null);
  const done = () => {
    setDialog(null);
    setRowError('');
    void load();
  };

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

  const toggleDisabled = async (u: UserRow) => {
    setRowError('');
    try {
      await patch(`/users/${encodeURIComponent(u.username)}`, { disabled: !u.disabled });
      await load();
    } catch (e) {
      setRowError(`Could not ${u.disabled ? 'enable' : 'disable'} ${u.username}: ${errorMessage(e)}`);
    }
  };
  const self = (u: UserRow) => u.username === me.username;

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>Tenants &amp; Users</h1>
          <p className="muted">Root admin only. Records, connectors and filters belong to a tenant.</p>
        </div>
      </div>
      {error && <ErrorBanner error={error} onRetry={() => void load()} />}
      {rowError && <ErrorBanner error={rowError} />}
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
                  <th className="actions-col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {tenants.map((t) => (
                  <tr key={t.id} data-tenant={t.name}>
                    <td className="strong">{t.name}</td>
                    <td className="mono small">{t.id}</td>
                    <td className="actions-col">
                      {t.id === 'root' ? (
                        <span className="muted small">fixed</span>
                      ) : (
                        <div className="row-actions">
                          <button
                            type="button"
                            className="btn btn-small"
                            onClick={() =>
                              setDialog(<RenameTenant tenant={t} onClose={close} onDone={done} />)
                            }
                          >
                            Rename
                          </button>
                          <button
                            type="button"
                            className="btn btn-small btn-danger-ghost"
                            onClick={() =>
                              setDialog(
                                <ConfirmDelete
                                  title="Delete tenant"
                                  path={`/tenants/${encodeURIComponent(t.id)}`}
                                  onClose={close}
                                  onDeleted={done}
                                >
                                  <p>
                                    Delete the tenant <strong>{t.name}</strong>? Only a tenant without
                                    connectors and users can be deleted; its log filters go with it. Records
                                    already stored stay in the index (root admins still find them).
                                  </p>
                                </ConfirmDelete>,
                              )
                            }
                          >
                            Delete
                          </button>
                        </div>
                      )}
                    </td>
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
                  <th>Status</th>
                  <th className="actions-col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {users.map((u) => (
                  <tr key={u.username} data-user={u.username}>
                    <td className="strong">{u.username}</td>
                    <td>{ROLES.find((r) => r.id === u.role)?.label ?? u.role}</td>
                    <td>{tenants?.find((t) => t.id === u.tenant)?.name ?? u.tenant}</td>
                    <td>
                      {u.disabled ? (
                        <span className="badge badge-muted">disabled</span>
                      ) : (
                        <span className="badge badge-ok">enabled</span>
                      )}
                    </td>
                    <td className="actions-col">
                      <div className="row-actions">
                        <button
                          type="button"
                          className="btn btn-small"
                          disabled={self(u)}
                          title={self(u) ? 'You cannot change your own role or tenant' : undefined}
                          onClick={() =>
                            setDialog(
                              <EditUser user={u} tenants={tenants ?? []} onClose={close} onDone={done} />,
                            )
                          }
                        >
                          Edit
                        </button>
                        <button
                          type="button"
                          className="btn btn-small"
                          disabled={self(u)}
                          title={self(u) ? 'You cannot disable yourself' : undefined}
                          onClick={() => void toggleDisabled(u)}
                        >
                          {u.disabled ? 'Enable' : 'Disable'}
                        </button>
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() => setDialog(<ResetPassword user={u} onClose={close} onDone={done} />)}
                        >
                          Reset password
                        </button>
                        <button
                          type="button"
                          className="btn btn-small btn-danger-ghost"
                          disabled={self(u)}
                          title={self(u) ? 'You cannot delete yourself' : undefined}
                          onClick={() =>
                            setDialog(
                              <ConfirmDelete
                                title="Delete user"
                                path={`/users/${encodeURIComponent(u.username)}`}
                                onClose={close}
                                onDeleted={done}
                              >
                                <p>
                                  Delete the user <strong>{u.username}</strong>? Their sessions end at once.
                                </p>
                              </ConfirmDelete>,
                            )
                          }
                        >
                          Delete
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <NewUser tenants={tenants ?? []} onCreated={() => void load()} />
        </section>
      </div>
      {dialog}
    </div>
  );
}

function RenameTenant(props: { tenant: Tenant; onClose: () => void; onDone: () => void }) {
  const [name, setName] = useState(props.tenant.name);
  const [error, setError] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await patch(`/tenants/${encodeURIComponent(props.tenant.id)}`, { name: name.trim() });
      props.onDone();
    } catch (err) {
      setError(fieldErrors(err).name ?? errorMessage(err));
    }
  };
  return (
    <Modal title="Rename tenant" onClose={props.onClose}>
      <form onSubmit={submit} aria-label="Rename tenant">
        <Field
          label="Tenant name"
          htmlFor="rt-name"
          required
          error={error}
          hint="Its connectors and log filters follow the new name; records already stored keep the name they were written with."
        >
          <input
            id="rt-name"
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              setError('');
            }}
            required
          />
        </Field>
        <div className="modal-footer">
          <button type="button" className="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary">
            Rename
          </button>
        </div>
      </form>
    </Modal>
  );
}

function EditUser(props: { user: UserRow; tenants: Tenant[]; onClose: () => void; onDone: () => void }) {
  const [role, setRole] = useState(props.user.role);
  const [tenant, setTenant] = useState(props.user.tenant);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [banner, setBanner] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await patch(`/users/${encodeURIComponent(props.user.username)}`, { role, tenant });
      props.onDone();
    } catch (err) {
      setErrors(fieldErrors(err));
      setBanner(errorMessage(err));
    }
  };
  const clear = () => {
    setErrors({});
    setBanner('');
  };
  return (
    <Modal title={`Edit user: ${props.user.username}`} onClose={props.onClose}>
      <form onSubmit={submit} aria-label="Edit user">
        {banner && Object.keys(errors).length === 0 && <ErrorBanner error={banner} />}
        <Field
          label="Role"
          htmlFor="eu-role"
          required
          error={errors.role}
          hint={ROLES.find((r) => r.id === role)?.hint}
        >
          <select
            id="eu-role"
            value={role}
            onChange={(e) => {
              setRole(e.target.value);
              clear();
            }}
          >
            {ROLES.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Tenant" htmlFor="eu-tenant" required error={errors.tenant}>
          <select
            id="eu-tenant"
            value={tenant}
            onChange={(e) => {
              setTenant(e.target.value);
              clear();
            }}
          >
            {props.tenants.map((t) => (
              <option key={t.id} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </Field>
        <p className="muted small">
          Saving ends the user&apos;s sessions: they log in again with the new rights.
        </p>
        <div className="modal-footer">
          <button type="button" className="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary">
            Save
          </button>
        </div>
      </form>
    </Modal>
  );
}

function ResetPassword(props: { user: UserRow; onClose: () => void; onDone: () => void }) {
  const { meta } = useSession();
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await post(`/users/${encodeURIComponent(props.user.username)}/password`, { password });
      props.onDone();
    } catch (err) {
      setError(fieldErrors(err).password ?? errorMessage(err));
    }
  };
  return (
    <Modal title={`Reset password: ${props.user.username}`} onClose={props.onClose}>
      <form onSubmit={submit} aria-label="Reset password">
        <Field
          label="New password"
          htmlFor="rp-password"
          required
          error={error}
          hint={passwordHint(meta.passwordMinLength)}
        >
          <input
            id="rp-password"
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => {
              setPassword(e.target.value);
              setError('');
            }}
            required
          />
        </Field>
        <p className="muted small">The user&apos;s sessions end; a disabled user stays disabled.</p>
        <div className="modal-footer">
          <button type="button" className="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary">
            Reset password
          </button>
        </div>
      </form>
    </Modal>
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
        <input
          id="t-name"
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            setErrors({});
            setBanner('');
          }}
          required
        />
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
  const { meta } = useSession();
  const tenant = u.tenant || tenants[0]?.name || '';
  /** New input: the previous attempt's messages no longer apply. */
  const edit = (change: Partial<typeof u>) => {
    setU({ ...u, ...change });
    setErrors({});
    setBanner('');
    setDone('');
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBanner('');
    setErrors({});
    setDone('');
    try {
      await post('/users', { ...u, tenant });
      setErrors({});
      setBanner('');
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
      {banner && Object.keys(errors).length === 0 && <ErrorBanner error={banner} />}
      {done && <div className="banner banner-ok">{done}</div>}
      <div className="form-grid">
        <Field label="User name" htmlFor="u-name" required error={errors.username}>
          <input
            id="u-name"
            autoComplete="off"
            value={u.username}
            onChange={(e) => edit({ username: e.target.value })}
            required
          />
        </Field>
        <Field
          label="Password"
          htmlFor="u-password"
          required
          error={errors.password}
          hint={passwordHint(meta.passwordMinLength)}
        >
          <input
            id="u-password"
            type="password"
            autoComplete="new-password"
            value={u.password}
            onChange={(e) => edit({ password: e.target.value })}
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
          <select id="u-role" value={u.role} onChange={(e) => edit({ role: e.target.value })}>
            {ROLES.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Tenant" htmlFor="u-tenant" required error={errors.tenant}>
          <select id="u-tenant" value={tenant} onChange={(e) => edit({ tenant: e.target.value })}>
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
