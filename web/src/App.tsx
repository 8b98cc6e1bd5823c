import { useCallback, useEffect, useState, type FormEvent } from 'react';
import {
  ApiError,
  errorMessage,
  get,
  post,
  setCsrfToken,
  setUnauthorizedHandler,
  type Meta,
  type User,
} from './api.js';
import { href, useRoute } from './router.js';
import { SessionContext, useSession, type Session } from './session.js';
import { ErrorBanner, Spinner } from './ui.js';
import { ConnectorsPage } from './pages/Connectors.js';
import { CoveragePage } from './pages/Coverage.js';
import { ConnectorWizard } from './pages/ConnectorWizard.js';
import { LogFiltersPage } from './pages/LogFilters.js';
import { ThreatHuntingPage } from './pages/ThreatHunting.js';
import { AdminPage } from './pages/Admin.js';
import { ProfilesPage } from './pages/Profiles.js';

type State =
  | { kind: 'loading' }
  | { kind: 'login'; notice?: string }
  | { kind: 'error'; message: string }
  | { kind: 'ready'; session: Session };

export function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });

  const enter = useCallback(async (user: User, csrf: string) => {
    setCsrfToken(csrf);
    try {
      const meta = await get<Meta>('/meta');
      setState({ kind: 'ready', session: { user, meta } });
    } catch (e) {
      setState({ kind: 'error', message: `Could not load the server's metadata: ${errorMessage(e)}` });
    }
  }, []);

  const boot = useCallback(async () => {
    setState({ kind: 'loading' });
    try {
      const me = await get<{ user: User; csrfToken: string }>('/auth/me');
      await enter(me.user, me.csrfToken);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setState({ kind: 'login' });
      else setState({ kind: 'error', message: errorMessage(e) });
    }
  }, [enter]);

  useEffect(() => {
    setUnauthorizedHandler(() =>
      setState({ kind: 'login', notice: 'Your session has ended. Log in again.' }),
    );
    void boot();
  }, [boot]);

  if (state.kind === 'loading')
    return (
      <div className="center-page">
        <Spinner label="Loading…" />
      </div>
    );
  if (state.kind === 'error')
    return (
      <div className="center-page">
        <div className="login-card">
          <h1 className="brand-title">inspector-connector</h1>
          <ErrorBanner error={state.message} onRetry={() => void boot()} />
        </div>
      </div>
    );
  if (state.kind === 'login') return <LoginPage notice={state.notice} onLogin={enter} />;
  return (
    <SessionContext.Provider value={state.session}>
      <Shell
        onLogout={async () => {
          try {
            await post('/auth/logout');
          } finally {
            setCsrfToken('');
            setState({ kind: 'login' });
          }
        }}
      />
    </SessionContext.Provider>
  );
}

function LoginPage(props: { notice?: string; onLogin: (u: User, csrf: string) => Promise<void> }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const r = await post<{ user: User; csrfToken: string }>('/auth/login', { username, password });
      await props.onLogin(r.user, r.csrfToken);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401 ? 'Wrong user name or password.' : errorMessage(err),
      );
      setBusy(false);
    }
  };
  return (
    <div className="center-page">
      <form className="login-card" onSubmit={submit} aria-label="Log in">
        <div className="brand-mark" aria-hidden="true">
          ◆
        </div>
        <h1 className="brand-title">inspector-connector</h1>
        <p className="muted">Data Processor · Amazon Inspector findings</p>
        {props.notice && <div className="banner banner-info">{props.notice}</div>}
        {error && <ErrorBanner error={error} />}
        <div className="field">
          <label htmlFor="login-user">User name</label>
          <input
            id="login-user"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            autoFocus
            required
          />
        </div>
        <div className="field">
          <label htmlFor="login-password">Password</label>
          <input
            id="login-password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </div>
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </div>
  );
}

const ROLE_NAMES: Record<User['role'], string> = {
  root_admin: 'Root admin',
  tenant_admin: 'Tenant admin',
  analyst: 'Analyst',
};

function Shell({ onLogout }: { onLogout: () => Promise<void> }) {
  const { user } = useSession();
  const route = useRoute();
  const isAdmin = user.role !== 'analyst';
  const nav: { path: string; label: string; section: string; show: boolean }[] = [
    { path: '/connectors', label: 'Connectors', section: 'Integrations', show: isAdmin },
    { path: '/coverage', label: 'Coverage', section: 'Integrations', show: isAdmin },
    { path: '/log-filters', label: 'Log Filters', section: 'Integrations', show: isAdmin },
    // Profile membership is root scope (the API's PUT/DELETE): tenant admins see the warning on Connectors.
    { path: '/profiles', label: 'Profiles', section: 'Integrations', show: user.role === 'root_admin' },
    { path: '/search', label: 'Threat Hunting', section: 'Investigate', show: true },
    { path: '/admin', label: 'Tenants & Users', section: 'Administration', show: user.role === 'root_admin' },
  ];
  const visible = nav.filter((n) => n.show);
  const fallback = visible[0]?.path ?? '/search';
  let path = route.path;
  if (!visible.some((n) => path === n.path || path.startsWith(`${n.path}/`))) path = fallback;

  let page;
  if (path === '/connectors') page = <ConnectorsPage />;
  else if (path === '/connectors/new') page = <ConnectorWizard />;
  else if (path.startsWith('/connectors/') && path.endsWith('/edit'))
    page = <ConnectorWizard editId={decodeURIComponent(path.split('/')[2] ?? '')} />;
  else if (path === '/coverage') page = <CoveragePage route={route} />;
  else if (path === '/log-filters') page = <LogFiltersPage />;
  else if (path === '/admin') page = <AdminPage />;
  else if (path === '/profiles') page = <ProfilesPage />;
  else page = <ThreatHuntingPage route={route} />;

  let lastSection = '';
  return (
    <div className="shell">
      <aside className="sidebar">
        <div className="sidebar-brand">
          <span className="brand-mark small" aria-hidden="true">
            ◆
          </span>
          inspector-connector
        </div>
        <nav aria-label="Main">
          {visible.map((n) => {
            const header = n.section !== lastSection ? n.section : '';
            lastSection = n.section;
            const active = path === n.path || path.startsWith(`${n.path}/`);
            return (
              <div key={n.path}>
                {header && <div className="nav-section">{header}</div>}
                <a className={`nav-link${active ? ' active' : ''}`} href={href(n.path)}>
                  {n.label}
                </a>
              </div>
            );
          })}
        </nav>
        <div className="sidebar-user">
          <div className="user-name">{user.username}</div>
          <div className="user-role">
            {ROLE_NAMES[user.role] ?? user.role} · {user.tenant}
          </div>
          <button type="button" className="btn btn-ghost btn-small" onClick={() => void onLogout()}>
            Log out
          </button>
        </div>
      </aside>
      <main className="content">{page}</main>
    </div>
  );
}
