/**
 * Add / Edit Connector: General -> Configuration -> Confirm -> Submit (the spec's wizard). The
 * form is the chosen connector type's schema from `/meta` (`connectorTypes[]`): a type selector
 * when more than one is registered, each union of objects (`auth`) as a method choice with its
 * variant's fields, fields marked `advanced` under Configuration > Advanced.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import {
  ApiError,
  errorMessage,
  get,
  getList,
  patch,
  post,
  put,
  type Connector,
  type ConnectorTypeMeta,
  type JsonSchema,
  type LogFilter,
  type Tenant,
} from '../api.js';
import { useSession } from '../session.js';
import { href, navigate } from '../router.js';
import {
  MASK,
  SchemaField,
  partitionOfRegion,
  checkField,
  defaultsOf,
  discriminatorOf,
  getIn,
  prune,
  titleOf,
  typeOf,
  variantsOf,
  type Values,
} from '../schemaForm.js';
import { ErrorBanner, Field, Modal, Spinner } from '../ui.js';
import { TestDialog } from './TestDialog.js';

type Tab = 'general' | 'configuration' | 'confirm';
const TABS: { id: Tab; label: string }[] = [
  { id: 'general', label: 'General' },
  { id: 'configuration', label: 'Configuration' },
  { id: 'confirm', label: 'Confirm' },
];

/** The General tab's config keys (fixed after create); every other key goes to Configuration. */
const GENERAL_KEYS = ['name', 'tenant'];
/** Embedded filter definitions are for config files; the UI attaches saved filters by id. */
const HIDDEN_KEYS = ['logFilters'];
/** Not fields of their own: `region` (older configs, read as regions), `partition` (in the Regions field). */
const INNER_KEYS = ['region', 'partition'];

function tabOfField(field: string): Tab {
  const top = field.split('.')[0] ?? '';
  return GENERAL_KEYS.includes(top) || top === 'logFilterIds' ? 'general' : 'configuration';
}

function clearSecrets(v: unknown, schema: JsonSchema | undefined): unknown {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
  const out: Values = {};
  for (const [k, x] of Object.entries(v as Values)) {
    const props = schema?.properties ?? {};
    const variants = schema?.oneOf ?? schema?.anyOf ?? [];
    const ps = props[k] ?? variants.map((s) => s.properties?.[k]).find(Boolean);
    if (ps?.secret || x === MASK) out[k] = '';
    else out[k] = clearSecrets(x, ps);
  }
  return out;
}

/**
 * A union of objects (`auth`) in the form: its discriminator, variants, label (`Auth Method`) and
 * the fields marked secret, which every variant keeps on a switch. Derived once per schema.
 */
interface Union {
  key: string;
  disc: string;
  schema: JsonSchema;
  label: string;
  variants: ReturnType<typeof variantsOf>;
  secretKeys: string[];
}

function unionOf(key: string, schema: JsonSchema, disc: string): Union {
  const variants = variantsOf(schema, disc);
  const secretKeys = variants.flatMap((v) =>
    Object.entries(v.schema.properties ?? {})
      .filter(([, p]) => p.secret)
      .map(([k]) => k),
  );
  return {
    key,
    disc,
    schema,
    label: `${titleOf(key, schema)} ${titleOf(disc, undefined)}`,
    variants,
    secretKeys: [...new Set(secretKeys)],
  };
}

/** A type's form layout: its union keys (a method choice each), main and advanced keys. */
function layoutOf(schema: JsonSchema) {
  const props = schema.properties ?? {};
  const keys = Object.keys(props).filter(
    (k) => !GENERAL_KEYS.includes(k) && !HIDDEN_KEYS.includes(k) && !INNER_KEYS.includes(k),
  );
  const unions: Union[] = [];
  const rest: string[] = [];
  for (const k of keys) {
    const disc = discriminatorOf(props[k]!);
    if (disc === undefined) rest.push(k);
    else unions.push(unionOf(k, props[k]!, disc));
  }
  return {
    unions,
    mainKeys: rest.filter((k) => !props[k]!.advanced),
    advancedKeys: rest.filter((k) => props[k]!.advanced),
  };
}

/** A new connector's values: the schema's defaults, each union on its first variant. */
function initialValues(schema: JsonSchema): Values {
  const v: Values = { ...defaultsOf(schema) };
  for (const u of layoutOf(schema).unions) {
    const first = u.variants[0]?.value;
    if (first !== undefined) v[u.key] = { [u.disc]: first };
  }
  return v;
}

const LEAVE_MESSAGE =
  'Leave this page? The connector you are editing has not been saved: your input will be lost.';

/**
 * While `dirty`: closing or reloading the tab asks first (beforeunload), and so does an in-app
 * link (the hash router's `<a href="#/...">`: nav, crumbs, Cancel), checked before it navigates.
 */
function useLeaveGuard(dirty: boolean): void {
  useEffect(() => {
    if (!dirty) return;
    const onUnload = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = '';
    };
    const onClick = (e: MouseEvent) => {
      const a = (e.target as Element | null)?.closest?.('a[href^="#"]');
      if (a && !window.confirm(LEAVE_MESSAGE)) {
        e.preventDefault();
        e.stopPropagation();
      }
    };
    window.addEventListener('beforeunload', onUnload);
    document.addEventListener('click', onClick, true);
    return () => {
      window.removeEventListener('beforeunload', onUnload);
      document.removeEventListener('click', onClick, true);
    };
  }, [dirty]);
}

export function ConnectorWizard({ editId }: { editId?: string }) {
  const { meta, user } = useSession();
  const types: ConnectorTypeMeta[] = meta.connectorTypes;
  const editing = editId !== undefined;
  const [typeId, setTypeId] = useState<string>(types[0]?.id ?? '');
  const connectorType = types.find((t) => t.id === typeId) ?? types[0]!;
  const schema = connectorType.schema;
  const props = schema.properties ?? {};
  const required = schema.required ?? [];
  const { unions, mainKeys, advancedKeys } = useMemo(() => layoutOf(schema), [schema]);

  const [tab, setTab] = useState<Tab>('general');
  const [values, setValues] = useState<Values>(() => initialValues(schema));
  const [logFilterIds, setLogFilterIds] = useState<string[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [banner, setBanner] = useState('');
  const [loading, setLoading] = useState(editing);
  const [tenants, setTenants] = useState<string[]>([]);
  const [filters, setFilters] = useState<LogFilter[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<Connector | null>(null);
  const [testing, setTesting] = useState<unknown>(null);
  const [advancedOpen, setAdvancedOpen] = useState(false);
  /** Input the user typed and did not save: leaving asks first. */
  const [dirty, setDirty] = useState(false);
  useLeaveGuard(dirty);
  /** Fields the server's last check flagged, so a later check can clear them. */
  const serverFlagged = useRef<Set<string>>(new Set());

  useEffect(() => {
    getList<Tenant>('/tenants', 'tenants').then(
      (l) => setTenants(l.map((t) => t.name)),
      () => setTenants([]),
    );
    getList<LogFilter>('/log-filters', 'logFilters').then(setFilters, () => setFilters([]));
  }, []);

  useEffect(() => {
    if (!editId) return;
    get<Connector>(`/connectors/${encodeURIComponent(editId)}`).then(
      (c) => {
        const t = types.find((x) => x.id === c.typeId) ?? types[0]!;
        setTypeId(t.id);
        setValues({
          ...defaultsOf(t.schema),
          ...(clearSecrets(c.config, t.schema) as Values),
          name: c.name,
          tenant: c.tenant,
        });
        setLogFilterIds(c.logFilterIds ?? []);
        setLoading(false);
      },
      (e) => {
        setBanner(`Could not load the connector: ${errorMessage(e)}`);
        setLoading(false);
      },
    );
  }, [editId, types]);

  /** The chosen variant of each union (`auth`: the method's fields). */
  const variantOf = (u: Union) => {
    const chosen = String(getIn(values, `${u.key}.${u.disc}`) ?? '');
    return u.variants.find((v) => v.value === chosen) ?? u.variants[0];
  };

  /** Another type: its own form, from its defaults; the name and tenant stay. */
  const chooseType = (id: string) => {
    const t = types.find((x) => x.id === id);
    if (!t || t.id === typeId) return;
    setTypeId(t.id);
    setValues((v) => ({ ...initialValues(t.schema), name: v.name, tenant: v.tenant }));
    setErrors({});
    setDirty(true);
  };

  const tenantOptions = useMemo(() => {
    const set = new Set(tenants);
    const current = getIn(values, 'tenant');
    if (editing && typeof current === 'string' && current) set.add(current);
    if (set.size === 0 && user.tenant) set.add(user.tenant);
    return [...set];
  }, [tenants, values, user.tenant, editing]);

  // A new connector belongs to a tenant the caller may use: their own unless they pick another.
  useEffect(() => {
    if (editing || tenantOptions.length === 0) return;
    setValues((v) =>
      tenantOptions.includes(String(v.tenant ?? ''))
        ? v
        : { ...v, tenant: tenantOptions.includes(user.tenant) ? user.tenant : tenantOptions[0] },
    );
  }, [editing, tenantOptions, user.tenant]);

  const onChange = (path: string, value: unknown) => {
    setDirty(true);
    setValues((v) => {
      const u = unions.find((x) => path === `${x.key}.${x.disc}`);
      if (u) {
        // Keep the secret fields (AWS: the source keys, which both methods have); drop the others.
        const old = (v[u.key] ?? {}) as Values;
        const kept = Object.fromEntries(u.secretKeys.map((k) => [k, old[k]]));
        return { ...v, [u.key]: { [u.disc]: value, ...kept } };
      }
      const parts = path.split('.');
      const set = (obj: Values, i: number): Values => {
        const k = parts[i]!;
        if (i === parts.length - 1) return { ...obj, [k]: value };
        return { ...obj, [k]: set((obj[k] as Values) ?? {}, i + 1) };
      };
      return set(v, 0);
    });
    setErrors((e) => {
      if (!e[path]) return e;
      const { [path]: _drop, ...rest } = e;
      return rest;
    });
  };

  /** Fields of a tab as [path, schema, required]. */
  const fieldsOf = (t: Tab): [string, JsonSchema, boolean][] => {
    const out: [string, JsonSchema, boolean][] = [];
    const walk = (path: string, s: JsonSchema, req: boolean) => {
      if (typeOf(s) === 'object' && s.properties) {
        for (const [k, p] of Object.entries(s.properties))
          walk(`${path}.${k}`, p, (s.required ?? []).includes(k));
      } else out.push([path, s, req]);
    };
    if (t === 'general') for (const k of GENERAL_KEYS) if (props[k]) walk(k, props[k]!, required.includes(k));
    if (t === 'configuration') {
      for (const u of unions) {
        const variant = variantOf(u);
        if (!variant) continue;
        for (const [k, p] of Object.entries(variant.schema.properties ?? {}))
          if (k !== u.disc) out.push([`${u.key}.${k}`, p, (variant.schema.required ?? []).includes(k)]);
      }
      for (const k of [...mainKeys, ...advancedKeys]) walk(k, props[k]!, required.includes(k));
    }
    return out;
  };

  const validate = (t: Tab): Record<string, string> => {
    const errs: Record<string, string> = {};
    for (const [path, s, req] of fieldsOf(t)) {
      if (editing && GENERAL_KEYS.includes(path)) continue;
      const value = getIn(values, path);
      if (s.secret && editing && (value === '' || value === undefined)) continue;
      const msg = checkField(path, s, value, req, titleOf(path.split('.').pop() ?? path, s));
      if (msg) errs[path] = msg;
    }
    return errs;
  };

  const showErrors = (t: Tab, errs: Record<string, string>) => {
    setErrors(errs);
    setTab(t);
    if (Object.keys(errs).some((p) => advancedKeys.includes(p.split('.')[0]!))) setAdvancedOpen(true);
  };

  const goTo = async (target: Tab) => {
    const order = TABS.map((t) => t.id);
    const from = order.indexOf(tab);
    const to = order.indexOf(target);
    if (to > from) {
      for (const t of order.slice(from, to)) {
        const errs = validate(t);
        if (Object.keys(errs).length > 0) return showErrors(t, errs);
        if (t === 'configuration') {
          const server = await serverCheck();
          if (Object.keys(server).length > 0) return showErrors(t, server);
        }
      }
    }
    setTab(target);
  };

  const body = () => {
    const cfg = prune(values) as Values;
    for (const k of HIDDEN_KEYS) delete cfg[k];
    delete cfg.region;
    // A list of regions names its own partition (a stored "all" may have left another one).
    if (Array.isArray(cfg.regions) && cfg.regions.length > 0)
      cfg.partition = partitionOfRegion(String(cfg.regions[0]));
    else if (cfg.regions !== 'all') delete cfg.partition;
    if (editing) {
      const { name: _n, tenant: _t, ...rest } = cfg;
      return { ...rest, logFilterIds };
    }
    return { type: connectorType.id, ...cfg, active: true, logFilterIds };
  };

  /**
   * The server's own rules on the configuration as entered (the endpoint allow-list, which the
   * schema cannot carry): its issues land on their fields as a field is left, and before Confirm.
   * The answer names fields and allowed hosts only, never a value.
   */
  const serverCheck = async (): Promise<Record<string, string>> => {
    const { name: _n, tenant: _t, logFilterIds: _l, active: _a, ...cfg } = body() as Values;
    let fields: { field: string; message: string }[];
    try {
      fields = (await post<{ fields: typeof fields }>('/connectors/validate', { ...cfg, type: typeId }))
        .fields;
    } catch {
      return {}; // the check is a convenience: Submit and Test check again
    }
    const flagged = Object.fromEntries(fields.map((f) => [f.field, f.message]));
    const before = serverFlagged.current;
    serverFlagged.current = new Set(Object.keys(flagged));
    setErrors((e) => {
      const next = { ...e };
      for (const f of before) if (!(f in flagged)) delete next[f];
      return { ...next, ...flagged };
    });
    return flagged;
  };

  const submit = async () => {
    setBusy(true);
    setBanner('');
    try {
      if (editing) {
        await patch<Connector>(`/connectors/${encodeURIComponent(editId)}`, body());
        setDirty(false);
        navigate('/connectors');
      } else {
        const c = await post<Connector>('/connectors', body());
        setDirty(false);
        setCreated(c);
      }
    } catch (e) {
      if (e instanceof ApiError && e.fields.length > 0) {
        const errs: Record<string, string> = {};
        const unplaced: string[] = [];
        const known = new Set([
          ...fieldsOf('general').map((f) => f[0]),
          ...fieldsOf('configuration').map((f) => f[0]),
          'logFilterIds',
        ]);
        for (const f of e.fields) {
          if (known.has(f.field)) errs[f.field] = f.message;
          else unplaced.push(`${f.field}: ${f.message}`);
        }
        setErrors(errs);
        const first = e.fields[0]!.field;
        setTab(tabOfField(first));
        if (advancedKeys.includes(first.split('.')[0]!)) setAdvancedOpen(true);
        setBanner(
          `${e.message}${unplaced.length ? ` (${unplaced.join('; ')})` : ''} — correct the highlighted fields.`,
        );
      } else setBanner(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  if (loading)
    return (
      <div className="page">
        <Spinner label="Loading connector…" />
      </div>
    );

  const countErrors = (t: Tab) => Object.keys(errors).filter((f) => tabOfField(f) === t).length;
  const sslOff = getIn(values, 'disableSslVerification') === true;

  return (
    <div className="page page-narrow">
      <div className="page-header">
        <div>
          <div className="crumbs">
            <a href={href('/connectors')}>Connectors</a> /
          </div>
          <h1>{editing ? `Edit Connector: ${String(values.name ?? '')}` : 'Add Connector'}</h1>
        </div>
      </div>
      <div className="tabs" role="tablist">
        {TABS.map((t, i) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            aria-selected={tab === t.id}
            className={`tab${tab === t.id ? ' active' : ''}${countErrors(t.id) ? ' tab-invalid' : ''}`}
            onClick={() => void goTo(t.id)}
          >
            <span className="tab-num">{i + 1}</span> {t.label}
            {countErrors(t.id) > 0 && <span className="tab-err">{countErrors(t.id)}</span>}
          </button>
        ))}
      </div>
      {banner && <ErrorBanner error={banner} />}
      <div className="card">
        {tab === 'general' && (
          <div className="form-grid" data-testid="tab-general">
            <p className="muted span-2">
              {editing
                ? 'The information on this tab cannot be changed after the connector is created.'
                : 'The information on this tab cannot be changed after you add the connector. * marks a required field.'}
            </p>
            <Field label="Category" htmlFor="f-category" required>
              <select id="f-category" disabled value={connectorType.category}>
                <option>{connectorType.category}</option>
              </select>
            </Field>
            <Field label="Type" htmlFor="f-type" required>
              <select
                id="f-type"
                disabled={editing || types.length < 2}
                value={connectorType.id}
                onChange={(e) => chooseType(e.target.value)}
              >
                {types.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.label}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Function" hint="Collect is the only function of this connector type.">
              <label className="check">
                <input type="checkbox" checked disabled readOnly /> Collect
              </label>
            </Field>
            <Field
              label="Run On"
              htmlFor="f-runon"
              required
              hint="Cloud services are best collected on the Data Processor."
            >
              <select id="f-runon" disabled value="Data Processor">
                <option>Data Processor</option>
              </select>
            </Field>
            {props.name && (
              <SchemaField
                path="name"
                schema={props.name}
                values={values}
                onChange={onChange}
                errors={errors}
                required={required.includes('name')}
                readOnly={editing}
                hint="No multibyte characters; e.g. tenantname-aws-inspector"
              />
            )}
            {props.tenant && (
              <Field
                label={titleOf('tenant', props.tenant)}
                htmlFor="f-tenant"
                required
                error={errors.tenant}
                hint="The records of this connector carry this tenant name."
              >
                <select
                  id="f-tenant"
                  disabled={editing}
                  value={String(getIn(values, 'tenant') ?? '')}
                  onChange={(e) => onChange('tenant', e.target.value)}
                >
                  {tenantOptions.map((t) => (
                    <option key={t} value={t}>
                      {t}
                    </option>
                  ))}
                </select>
              </Field>
            )}
            <div className="span-2">
              <Field
                label="Log Filters"
                error={errors.logFilterIds}
                hint={
                  <>
                    Optional exclude filters applied before records are stored.{' '}
                    <a href={href('/log-filters')}>Manage log filters</a>
                  </>
                }
              >
                {filters === null ? (
                  <Spinner />
                ) : filters.length === 0 ? (
                  <div className="muted">No log filters defined yet.</div>
                ) : (
                  <div className="checklist" role="group" aria-label="Log Filters">
                    {filters
                      .filter((f) => f.tenant === undefined || f.tenant === getIn(values, 'tenant'))
                      .map((f) => (
                        <label key={f.id} className="check">
                          <input
                            type="checkbox"
                            checked={logFilterIds.includes(f.id)}
                            onChange={(e) => {
                              setDirty(true);
                              setLogFilterIds((ids) =>
                                e.target.checked ? [...ids, f.id] : ids.filter((x) => x !== f.id),
                              );
                            }}
                          />
                          {f.name}
                          <span className="muted small"> · {f.tenant ?? 'all tenants'}</span>
                        </label>
                      ))}
                  </div>
                )}
              </Field>
            </div>
          </div>
        )}

        {tab === 'configuration' && (
          <div className="form-grid" data-testid="tab-configuration">
            {unions.map((u) => {
              const variant = variantOf(u);
              return (
                <div key={u.key} className="form-grid span-2">
                  <Field label={u.label} htmlFor={`f-${u.key}-${u.disc}`} required>
                    <select
                      id={`f-${u.key}-${u.disc}`}
                      value={variant?.value ?? ''}
                      onChange={(e) => onChange(`${u.key}.${u.disc}`, e.target.value)}
                    >
                      {u.variants.map((v) => (
                        <option key={v.value} value={v.value}>
                          {v.title}
                        </option>
                      ))}
                    </select>
                  </Field>
                  <div />
                  {variant &&
                    Object.entries(variant.schema.properties ?? {})
                      .filter(([k]) => k !== u.disc)
                      .map(([k, p]) => (
                        <SchemaField
                          key={`${variant.value}-${k}`}
                          path={`${u.key}.${k}`}
                          schema={p}
                          values={values}
                          onChange={onChange}
                          errors={errors}
                          required={(variant.schema.required ?? []).includes(k)}
                          keepSecrets={editing}
                          onBlur={() => void serverCheck()}
                        />
                      ))}
                </div>
              );
            })}
            {mainKeys.map((k) => (
              <div key={k} className={typeOf(props[k]!) === 'boolean' || k === 'regions' ? 'span-2' : ''}>
                <SchemaField
                  path={k}
                  schema={props[k]!}
                  values={values}
                  onChange={onChange}
                  errors={errors}
                  required={required.includes(k)}
                  onBlur={() => void serverCheck()}
                />
              </div>
            ))}
            {sslOff && (
              <div className="banner banner-warn span-2" role="alert" data-testid="ssl-warning">
                Only disable SSL certificate verification if you have a reason to: it is not a good security
                practice (anyone on the network path could impersonate AWS and read the credentials&apos;
                results).
              </div>
            )}
            {advancedKeys.length > 0 && (
              <details
                className="advanced span-2"
                open={advancedOpen}
                onToggle={(e) => setAdvancedOpen((e.target as HTMLDetailsElement).open)}
              >
                <summary>Advanced</summary>
                <div className="form-grid">
                  {advancedKeys.map((k) => (
                    <div key={k} className={typeOf(props[k]!) === 'object' ? 'span-2' : ''}>
                      <SchemaField
                        path={k}
                        schema={props[k]!}
                        values={values}
                        onChange={onChange}
                        errors={errors}
                        required={required.includes(k)}
                        onBlur={() => void serverCheck()}
                      />
                    </div>
                  ))}
                </div>
              </details>
            )}
          </div>
        )}

        {tab === 'confirm' && (
          <div data-testid="tab-confirm">
            <p className="muted">Review the connector, then Submit.</p>
            <table className="table summary-table" aria-label="Summary">
              <tbody>
                <tr>
                  <th>Category</th>
                  <td>{connectorType.category}</td>
                </tr>
                <tr>
                  <th>Type</th>
                  <td>{connectorType.label}</td>
                </tr>
                <tr>
                  <th>Function</th>
                  <td>Collect</td>
                </tr>
                <tr>
                  <th>Run On</th>
                  <td>Data Processor</td>
                </tr>
                {[
                  ...fieldsOf('general'),
                  ...unions.map((u) => [`${u.key}.${u.disc}`, {}, true] as [string, JsonSchema, boolean]),
                  ...fieldsOf('configuration'),
                ].map(([path, s]) => {
                  const v = getIn(values, path);
                  const u = unions.find((x) => path === `${x.key}.${x.disc}`);
                  const label = u ? u.label : titleOf(path.split('.').pop() ?? path, s);
                  let shown: string;
                  if (u) shown = variantOf(u)?.title ?? String(v);
                  else if (s.secret) shown = v ? MASK : editing ? '(unchanged)' : '(not set)';
                  else if (v === undefined || v === '') shown = '—';
                  else if (typeof v === 'boolean') shown = v ? 'Yes' : 'No';
                  else shown = String(v);
                  const top = path.split('.')[0]!;
                  const parent =
                    path.includes('.') && !unions.some((x) => x.key === top)
                      ? `${titleOf(top, props[top]).split(' (')[0]}: `
                      : '';
                  return (
                    <tr key={path}>
                      <th>
                        {parent}
                        {label}
                      </th>
                      <td className={s.secret ? 'mono' : ''}>{shown}</td>
                    </tr>
                  );
                })}
                <tr>
                  <th>Log Filters</th>
                  <td>
                    {logFilterIds.length === 0
                      ? 'None'
                      : logFilterIds.map((i) => filters?.find((f) => f.id === i)?.name ?? i).join(', ')}
                  </td>
                </tr>
              </tbody>
            </table>
            {sslOff && (
              <div className="banner banner-warn">
                SSL certificate verification is disabled for this connector.
              </div>
            )}
          </div>
        )}
      </div>

      <div className="wizard-footer">
        <a className="btn" href={href('/connectors')}>
          Cancel
        </a>
        <div className="spacer" />
        {tab !== 'general' && (
          <button
            type="button"
            className="btn"
            onClick={() => setTab(tab === 'confirm' ? 'configuration' : 'general')}
          >
            Back
          </button>
        )}
        {tab === 'confirm' && (
          <button
            type="button"
            className="btn"
            onClick={() => {
              // Edit: the edited fields, tested with the stored secrets where left blank.
              const { active: _a, logFilterIds: _l, ...cfg } = body() as Values;
              setTesting(cfg);
            }}
          >
            Test
          </button>
        )}
        {tab !== 'confirm' ? (
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => void goTo(tab === 'general' ? 'configuration' : 'confirm')}
          >
            Next
          </button>
        ) : (
          <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void submit()}>
            {busy ? 'Submitting…' : 'Submit'}
          </button>
        )}
      </div>
      {testing !== null && (
        <TestDialog
          connectorId={editId}
          config={testing}
          name={String(values.name ?? '')}
          onClose={() => setTesting(null)}
        />
      )}
      {created && <ProfilePrompt connector={created} onDone={() => navigate('/connectors')} />}
    </div>
  );
}

/** After Submit: "Add this connector to the Data Analyzer profile Default?" (spec step 18). */
function ProfilePrompt({ connector, onDone }: { connector: Connector; onDone: () => void }) {
  const [state, setState] = useState<'ask' | 'busy' | 'forbidden' | 'error'>('ask');
  const [error, setError] = useState('');
  const ok = async () => {
    setState('busy');
    try {
      await put(`/profiles/default/connectors/${encodeURIComponent(connector.id)}`);
      onDone();
    } catch (e) {
      if (e instanceof ApiError && e.status === 403) setState('forbidden');
      else {
        setError(errorMessage(e));
        setState('error');
      }
    }
  };
  if (state === 'forbidden')
    return (
      <Modal
        title="Data Analyzer profile"
        testId="profile-forbidden"
        footer={
          <button type="button" className="btn btn-primary" onClick={onDone}>
            OK
          </button>
        }
      >
        <p>
          You do not have the privileges to configure Data Analyzer profiles (this needs the Administrator
          Root scope). Ask your administrator to add <strong>{connector.name}</strong> to a profile for you:
          until then it does not collect.
        </p>
      </Modal>
    );
  return (
    <Modal
      title="Data Analyzer profile"
      testId="profile-prompt"
      footer={
        <>
          <button type="button" className="btn" onClick={onDone} disabled={state === 'busy'}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => void ok()}
            disabled={state === 'busy'}
          >
            OK
          </button>
        </>
      }
    >
      {state === 'error' && <ErrorBanner error={`Could not add it to Default: ${error}`} />}
      <p>
        Add this connector to the Data Analyzer profile <strong>Default</strong>?
      </p>
      <p className="muted">
        A connector running on the Data Processor collects only while it is in a Data Analyzer profile. The
        first pull starts at once, then every {connector.intervalMinutes} min. If you cancel, add it to a
        profile later.
      </p>
    </Modal>
  );
}
