/** Log Filters: named exclude filters, attached to connectors in the connector wizard. */
import { useCallback, useEffect, useState } from 'react';
import {
  ApiError,
  errorMessage,
  getList,
  patch,
  post,
  type Connector,
  type FilterCondition,
  type LogFilter,
  type Tenant,
} from '../api.js';
import { useSession } from '../session.js';
import { ConfirmDelete, Empty, ErrorBanner, Field, Modal, Spinner, formatTime, getPath } from '../ui.js';
import { CompletionInput } from '../CompletionInput.js';
import { completeWholeField } from '../completion.js';
import { KNOWN_FIELDS_SAMPLE, useKnownFields } from '../knownFields.js';

/** Matching records the preview shows (the server's bound is 20). */
const PREVIEW_SAMPLE = 5;

interface Preview {
  checked: number;
  matched: number;
  samples: Record<string, unknown>[];
  unknownFields: string[];
}

const MAX_CONDITIONS = 10;
const NO_VALUE_OPS = ['exists', 'not_exists'];
const MULTI_VALUE_OPS = ['in', 'not_in'];
const NUMERIC_OPS = ['gt', 'gte', 'lt', 'lte'];
const OP_LABELS: Record<string, string> = {
  equals: 'equals',
  not_equals: 'does not equal',
  contains: 'contains',
  not_contains: 'does not contain',
  starts_with: 'starts with',
  ends_with: 'ends with',
  in: 'is one of',
  not_in: 'is none of',
  exists: 'exists',
  not_exists: 'does not exist',
  gt: '>',
  gte: '≥',
  lt: '<',
  lte: '≤',
};

interface Draft {
  id?: string;
  name: string;
  tenant: string;
  logSource: string;
  conditions: { field: string; operator: string; values: string }[];
}

function toDraft(f?: LogFilter): Draft {
  if (!f)
    return {
      name: '',
      tenant: '',
      logSource: '',
      conditions: [{ field: '', operator: 'equals', values: '' }],
    };
  return {
    id: f.id,
    name: f.name,
    tenant: f.tenant ?? '',
    logSource: f.logSource ?? '',
    conditions: f.conditions.map((c) => ({
      field: c.field,
      operator: c.operator,
      values: c.values.join(', '),
    })),
  };
}

function fromDraft(d: Draft): Omit<LogFilter, 'id'> {
  return { ...draftBody(d), name: d.name.trim() };
}

/** The filter without its name (a preview needs none). */
function draftBody(d: Draft): Omit<LogFilter, 'id' | 'name'> {
  const conditions: FilterCondition[] = d.conditions.map((c) => {
    const raw = NO_VALUE_OPS.includes(c.operator)
      ? []
      : MULTI_VALUE_OPS.includes(c.operator)
        ? c.values
            .split(',')
            .map((v) => v.trim())
            .filter(Boolean)
        : [c.values.trim()].filter(Boolean);
    const values = raw.map((v) =>
      NUMERIC_OPS.includes(c.operator) && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v,
    );
    return { field: c.field.trim(), operator: c.operator, values };
  });
  const out: Omit<LogFilter, 'id' | 'name'> = { conditions };
  if (d.tenant) out.tenant = d.tenant;
  if (d.logSource.trim()) out.logSource = d.logSource.trim();
  return out;
}

export function describeCondition(c: FilterCondition): string {
  const op = OP_LABELS[c.operator] ?? c.operator;
  if (NO_VALUE_OPS.includes(c.operator)) return `${c.field} ${op}`;
  return `${c.field} ${op} ${c.values.map((v) => JSON.stringify(v)).join(', ')}`;
}

export function LogFiltersPage() {
  const [filters, setFilters] = useState<LogFilter[] | null>(null);
  const [error, setError] = useState('');
  const [editing, setEditing] = useState<Draft | null>(null);
  const [deleting, setDeleting] = useState<LogFilter | null>(null);
  const [usedBy, setUsedBy] = useState<Record<string, string[]>>({});

  const load = useCallback(async () => {
    try {
      setFilters(await getList<LogFilter>('/log-filters', 'logFilters'));
      setError('');
      // Which connectors apply each filter (best effort: the list still shows without it).
      getList<Connector>('/connectors', 'connectors').then(
        (cs) => {
          const map: Record<string, string[]> = {};
          for (const c of cs) for (const id of c.logFilterIds ?? []) (map[id] ??= []).push(c.name);
          setUsedBy(map);
        },
        () => setUsedBy({}),
      );
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
          <h1>Log Filters</h1>
          <p className="muted">
            Exclude filters: a record matching every condition of a filter attached to its connector is not
            stored.
          </p>
        </div>
        <button type="button" className="btn btn-primary" onClick={() => setEditing(toDraft())}>
          + Create
        </button>
      </div>
      {error && (
        <ErrorBanner error={`Could not load the log filters: ${error}`} onRetry={() => void load()} />
      )}
      {filters === null && !error && <Spinner label="Loading log filters…" />}
      {filters !== null && filters.length === 0 && (
        <Empty title="No log filters">
          Create a filter to drop records you do not need (for example low-severity findings), then attach it
          to connectors in their General tab.
        </Empty>
      )}
      {filters !== null && filters.length > 0 && (
        <div className="table-wrap">
          <table className="table" aria-label="Log filters">
            <thead>
              <tr>
                <th>Name</th>
                <th>Tenant</th>
                <th>Log Source</th>
                <th>Conditions (all must match)</th>
                <th>Used by</th>
                <th className="actions-col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {filters.map((f) => (
                <tr key={f.id} data-filter={f.name}>
                  <td className="strong">{f.name}</td>
                  <td>{f.tenant ?? <span className="muted">All tenants</span>}</td>
                  <td>{f.logSource ?? <span className="muted">Any</span>}</td>
                  <td>
                    {f.conditions.map((c, i) => (
                      <div key={i} className="mono small">
                        {describeCondition(c)}
                      </div>
                    ))}
                  </td>
                  <td>
                    {usedBy[f.id]?.length ? (
                      usedBy[f.id]!.join(', ')
                    ) : (
                      <span className="muted">No connector yet</span>
                    )}
                  </td>
                  <td className="actions-col">
                    <div className="row-actions">
                      <button type="button" className="btn btn-small" onClick={() => setEditing(toDraft(f))}>
                        Edit
                      </button>
                      <button
                        type="button"
                        className="btn btn-small btn-danger-ghost"
                        onClick={() => setDeleting(f)}
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
      {editing && (
        <FilterEditor
          draft={editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void load();
          }}
        />
      )}
      {deleting && (
        <ConfirmDelete
          title="Delete log filter"
          path={`/log-filters/${encodeURIComponent(deleting.id)}`}
          onClose={() => setDeleting(null)}
          onDeleted={() => {
            setDeleting(null);
            void load();
          }}
        >
          <p>
            Delete the log filter <strong>{deleting.name}</strong>? Connectors using it stop applying it from
            their next run.
          </p>
        </ConfirmDelete>
      )}
    </div>
  );
}

function FilterEditor(props: { draft: Draft; onClose: () => void; onSaved: () => void }) {
  const { meta } = useSession();
  const [d, setD] = useState<Draft>(props.draft);
  const [tenants, setTenants] = useState<string[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [banner, setBanner] = useState('');
  const [busy, setBusy] = useState(false);
  const [preview, setPreview] = useState<Preview | 'busy' | string | null>(null);
  const known = useKnownFields();
  /** A condition's field that none of the newest records has (free text stays allowed). */
  const unknownField = (f: string) => known.loaded && f.trim() !== '' && !known.fields.includes(f.trim());
  const operators = meta.logFilterOperators?.length ? meta.logFilterOperators : Object.keys(OP_LABELS);

  useEffect(() => {
    getList<Tenant>('/tenants', 'tenants').then(
      (l) => setTenants(l.map((t) => t.name)),
      () => setTenants([]),
    );
  }, []);

  const setCond = (i: number, patchC: Partial<Draft['conditions'][number]>) =>
    setD((x) => ({ ...x, conditions: x.conditions.map((c, j) => (j === i ? { ...c, ...patchC } : c)) }));

  /** The form's own checks; a preview needs no name yet. */
  const check = (needName = true): boolean => {
    const errs: Record<string, string> = {};
    if (!d.name.trim()) {
      if (needName) errs.name = 'Name is required';
    } else if (!/^[\x20-\x7E]+$/.test(d.name)) errs.name = 'Name must be printable ASCII';
    d.conditions.forEach((c, i) => {
      if (!c.field.trim()) errs[`conditions.${i}.field`] = 'Field is required';
      if (!NO_VALUE_OPS.includes(c.operator) && !c.values.trim())
        errs[`conditions.${i}.values`] = 'Value is required';
    });
    setErrors(errs);
    return Object.keys(errs).length === 0;
  };

  const apiErrors = (e: unknown) => {
    if (e instanceof ApiError && e.fields.length) {
      const errs: Record<string, string> = {};
      for (const f of e.fields) errs[f.field.replace(/^filter\./, '')] = f.message;
      setErrors(errs);
    }
    setBanner(errorMessage(e));
  };

  const save = async () => {
    if (!check()) return;
    setBusy(true);
    setBanner('');
    try {
      if (d.id) await patch(`/log-filters/${encodeURIComponent(d.id)}`, fromDraft(d));
      else await post('/log-filters', fromDraft(d));
      props.onSaved();
    } catch (e) {
      apiErrors(e);
      setBusy(false);
    }
  };

  const runPreview = async () => {
    if (!check(false)) return;
    setPreview('busy');
    try {
      const body = draftBody(d);
      setPreview(
        await post<Preview>('/log-filters/preview', {
          filter: d.name.trim() ? { ...body, name: d.name.trim() } : body,
          limit: 1000,
          sample: PREVIEW_SAMPLE,
        }),
      );
    } catch (e) {
      setPreview(errorMessage(e));
      if (e instanceof ApiError) apiErrors(e);
    }
  };

  return (
    <Modal
      title={d.id ? `Edit log filter: ${props.draft.name}` : 'Create log filter'}
      onClose={props.onClose}
      wide
      testId="filter-editor"
      footer={
        <>
          <button
            type="button"
            className="btn"
            onClick={() => void runPreview()}
            disabled={preview === 'busy'}
          >
            Preview
          </button>
          <div className="spacer" />
          <button type="button" className="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="button" className="btn btn-primary" onClick={() => void save()} disabled={busy}>
            {busy ? 'Saving…' : 'Save'}
          </button>
        </>
      }
    >
      {banner && <ErrorBanner error={banner} />}
      <div className="form-grid">
        <Field
          label="Name"
          htmlFor="lf-name"
          required
          error={errors.name}
          hint="Printable ASCII, e.g. drop-low-severity"
        >
          <input id="lf-name" value={d.name} onChange={(e) => setD({ ...d, name: e.target.value })} />
        </Field>
        <Field label="Tenant" htmlFor="lf-tenant" error={errors.tenant}>
          <select id="lf-tenant" value={d.tenant} onChange={(e) => setD({ ...d, tenant: e.target.value })}>
            <option value="">All tenants</option>
            {[...new Set([...tenants, ...(d.tenant ? [d.tenant] : [])])].map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </Field>
        <Field
          label="Log Source"
          htmlFor="lf-source"
          error={errors.logSource}
          hint="Optional msg_origin.source, e.g. aws_inspector. Blank = any source."
        >
          <input
            id="lf-source"
            value={d.logSource}
            onChange={(e) => setD({ ...d, logSource: e.target.value })}
          />
        </Field>
      </div>
      <h3 className="section-title">
        Conditions <span className="muted small">(all must match; at most {MAX_CONDITIONS})</span>
      </h3>
      {errors.conditions && <div className="field-error">{errors.conditions}</div>}
      <div className="conditions">
        {d.conditions.map((c, i) => (
          <div className="condition-row" key={i} data-testid={`condition-${i}`}>
            <div className="cond-field">
              <CompletionInput
                aria-label={`Condition ${i + 1} field`}
                placeholder="aws_inspector.severity"
                spellCheck={false}
                value={c.field}
                onValue={(v) => setCond(i, { field: v })}
                complete={(v) => completeWholeField(v, known.fields)}
                listLabel="Known fields"
              />
              {errors[`conditions.${i}.field`] ? (
                <div className="field-error">{errors[`conditions.${i}.field`]}</div>
              ) : (
                unknownField(c.field) && (
                  <div className="field-warning" data-testid={`condition-${i}-unknown`}>
                    None of the newest {KNOWN_FIELDS_SAMPLE.toLocaleString('en-US')} records has this field:
                    check the spelling
                  </div>
                )
              )}
            </div>
            <select
              aria-label={`Condition ${i + 1} operator`}
              value={c.operator}
              onChange={(e) => setCond(i, { operator: e.target.value })}
            >
              {operators.map((o) => (
                <option key={o} value={o}>
                  {OP_LABELS[o] ?? o}
                </option>
              ))}
            </select>
            <div className="cond-field">
              <input
                aria-label={`Condition ${i + 1} values`}
                placeholder={
                  NO_VALUE_OPS.includes(c.operator)
                    ? '(no value)'
                    : MULTI_VALUE_OPS.includes(c.operator)
                      ? 'LOW, INFORMATIONAL'
                      : 'LOW'
                }
                disabled={NO_VALUE_OPS.includes(c.operator)}
                value={NO_VALUE_OPS.includes(c.operator) ? '' : c.values}
                onChange={(e) => setCond(i, { values: e.target.value })}
              />
              {(errors[`conditions.${i}.values`] ?? errors[`conditions.${i}.operator`]) && (
                <div className="field-error">
                  {errors[`conditions.${i}.values`] ?? errors[`conditions.${i}.operator`]}
                </div>
              )}
            </div>
            <button
              type="button"
              className="icon-btn"
              aria-label={`Remove condition ${i + 1}`}
              disabled={d.conditions.length === 1}
              onClick={() => setD({ ...d, conditions: d.conditions.filter((_, j) => j !== i) })}
            >
              ✕
            </button>
          </div>
        ))}
      </div>
      <button
        type="button"
        className="btn btn-small"
        disabled={d.conditions.length >= MAX_CONDITIONS}
        onClick={() =>
          setD({ ...d, conditions: [...d.conditions, { field: '', operator: 'equals', values: '' }] })
        }
      >
        + Add condition
      </button>
      {preview !== null && (
        <div className="banner banner-info" data-testid="filter-preview">
          {preview === 'busy' ? (
            <Spinner label="Checking the last stored records…" />
          ) : typeof preview === 'string' ? (
            `Preview failed: ${preview}`
          ) : (
            <PreviewResult preview={preview} conditions={d.conditions.map((c) => c.field.trim())} />
          )}
        </div>
      )}
    </Modal>
  );
}

/** The preview's answer: the count, the fields none of the records has, a few matching records. */
function PreviewResult({ preview, conditions }: { preview: Preview; conditions: string[] }) {
  const cols = [...new Set(['timestamp', ...conditions.filter(Boolean)])];
  return (
    <div className="preview-result">
      <div>
        This filter would have discarded {preview.matched} of the last {preview.checked} records.
      </div>
      {preview.unknownFields.length > 0 && (
        <div className="field-warning" data-testid="preview-unknown">
          None of these records has the field{preview.unknownFields.length > 1 ? 's' : ''}{' '}
          {preview.unknownFields.map((f, i) => (
            <span key={f}>
              {i > 0 ? ', ' : ''}
              <code>{f}</code>
            </span>
          ))}
          : check the spelling.
        </div>
      )}
      {preview.samples.length > 0 && (
        <div className="table-wrap preview-samples">
          <table className="table table-compact" aria-label="Matching records (newest first)">
            <thead>
              <tr>
                {cols.map((c) => (
                  <th key={c} className="mono">
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {preview.samples.map((r, i) => (
                <tr key={String(r._id ?? i)} data-testid="preview-sample">
                  {cols.map((c) => {
                    const v = getPath(r, c);
                    const text =
                      c === 'timestamp'
                        ? formatTime(v)
                        : v === undefined || v === null
                          ? ''
                          : typeof v === 'object'
                            ? JSON.stringify(v)
                            : String(v);
                    return (
                      <td key={c} title={text}>
                        {text}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
