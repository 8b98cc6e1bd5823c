/**
 * Renders connector configuration fields from the JSON schema the server derives from the
 * connector type's one zod schema (`GET /api/v1/meta` -> connectorTypes[].schema): titles,
 * types, enums, secrets, unions (an auth method choice) and descriptions come from there, so
 * the form cannot drift from validation.
 */
import type { JsonSchema } from './api.js';
import { Field } from './ui.js';

export type Values = Record<string, unknown>;

export const MASK = '********';

export function humanize(key: string): string {
  if (key.length <= 3) return key.toUpperCase();
  const s = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function titleOf(key: string, s: JsonSchema | undefined): string {
  return s?.title ?? humanize(key);
}

export function typeOf(s: JsonSchema): string {
  if (Array.isArray(s.type)) return s.type.find((t) => t !== 'null') ?? 'string';
  if (s.type) return s.type;
  if (s.oneOf || s.anyOf) return 'union';
  return 'string';
}

/** The discriminator of a union of objects (`auth` -> `method`): the property every variant fixes. */
export function discriminatorOf(s: JsonSchema): string | undefined {
  const variants = s.oneOf ?? s.anyOf ?? [];
  if (variants.length === 0) return undefined;
  const first = Object.keys(variants[0]!.properties ?? {});
  return first.find((k) =>
    variants.every((v) => v.properties?.[k]?.const !== undefined || v.properties?.[k]?.enum?.length === 1),
  );
}

/** The variants of a discriminated union (`auth`): [{ value, title, schema }]. */
export function variantsOf(
  s: JsonSchema,
  disc: string,
): { value: string; title: string; schema: JsonSchema }[] {
  return (s.oneOf ?? s.anyOf ?? []).map((v) => {
    const value = String(v.properties?.[disc]?.const ?? v.properties?.[disc]?.enum?.[0] ?? '');
    return { value, title: v.title ?? humanize(value), schema: v };
  });
}

export function getIn(obj: Values, path: string): unknown {
  let cur: unknown = obj;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Values)[p];
  }
  return cur;
}

export function setIn(obj: Values, path: string, value: unknown): Values {
  const [head, ...rest] = path.split('.');
  if (!head) return obj;
  if (rest.length === 0) return { ...obj, [head]: value };
  const child = (obj[head] && typeof obj[head] === 'object' ? obj[head] : {}) as Values;
  return { ...obj, [head]: setIn(child, rest.join('.'), value) };
}

/** Defaults of an object schema, recursively (`default` of each property). */
export function defaultsOf(s: JsonSchema): Values {
  const out: Values = {};
  for (const [k, p] of Object.entries(s.properties ?? {})) {
    if (typeOf(p) === 'object' && p.properties)
      out[k] = { ...defaultsOf(p), ...((p.default as Values) ?? {}) };
    else if (p.default !== undefined) out[k] = p.default;
  }
  return out;
}

/** Drop empty strings (absent = not set / keep the stored secret) and empty objects' holes. */
export function prune(v: unknown): unknown {
  if (Array.isArray(v)) return v;
  if (v && typeof v === 'object') {
    const out: Values = {};
    for (const [k, x] of Object.entries(v as Values)) {
      const p = prune(x);
      if (p === '' || p === undefined) continue;
      out[k] = p;
    }
    return out;
  }
  return v;
}

/** Client-side checks before moving to the next tab; the server has the last word. */
export function checkField(
  path: string,
  s: JsonSchema,
  value: unknown,
  required: boolean,
  title: string,
): string | undefined {
  const t = typeOf(s);
  if (value === undefined || value === '' || value === null)
    return required ? `${title} is required` : undefined;
  if (t === 'string' && typeof value === 'string') {
    if (s.pattern && !new RegExp(s.pattern).test(value)) {
      if (path === 'name') return 'Name must be printable ASCII: no multibyte characters';
      return `${title} is not valid`;
    }
    if (s.enum && !s.enum.includes(value)) return `${title}: choose one of the listed values`;
    if (s.format === 'uri' && !/^https?:\/\/\S+$/.test(value)) return `${title} must be an http(s) URL`;
  }
  if ((t === 'integer' || t === 'number') && typeof value === 'number') {
    if (t === 'integer' && !Number.isInteger(value)) return `${title} must be a whole number`;
    if (s.minimum !== undefined && value < s.minimum) return `${title} must be at least ${s.minimum}`;
    if (s.maximum !== undefined && value > s.maximum) return `${title} must be at most ${s.maximum}`;
  }
  return undefined;
}

const id = (path: string) => `f-${path.replace(/\./g, '-')}`;

export function regionGroups(regions: string[]): [string, string[]][] {
  const groups: Record<string, string[]> = { 'AWS commercial': [], 'AWS GovCloud (US)': [], 'AWS China': [] };
  for (const r of regions) {
    if (r.startsWith('us-gov-')) groups['AWS GovCloud (US)']!.push(r);
    else if (r.startsWith('cn-')) groups['AWS China']!.push(r);
    else groups['AWS commercial']!.push(r);
  }
  return Object.entries(groups).filter(([, l]) => l.length > 0);
}

export interface FieldProps {
  path: string;
  schema: JsonSchema;
  values: Values;
  onChange: (path: string, value: unknown) => void;
  errors: Record<string, string>;
  required: boolean;
  /** Edit mode: a blank secret keeps the stored value. */
  keepSecrets?: boolean;
  readOnly?: boolean;
  hint?: string;
  /** A text field was left: the wizard checks it against the server's own rules then. */
  onBlur?: (path: string) => void;
}

const PARTITION_OF_GROUP: Record<string, string> = {
  'AWS commercial': 'aws',
  'AWS GovCloud (US)': 'aws-us-gov',
  'AWS China': 'aws-cn',
};

/** The partition of a region of the table (`us-gov-*`: aws-us-gov, `cn-*`: aws-cn, else aws). */
export function partitionOfRegion(region: string): string {
  const g = regionGroups([region])[0]?.[0];
  return (g && PARTITION_OF_GROUP[g]) ?? 'aws';
}

/**
 * AWS Inspector's `regions`: "All regions" of a partition (the `partition` field beside it), or
 * regions ticked in groups by partition. Native checkboxes and a select in labelled fieldsets:
 * keyboard and screen readers need nothing more.
 */
function RegionsField(props: FieldProps) {
  const { path, schema: s, values, onChange, errors } = props;
  const value = getIn(values, path);
  const all = value === 'all';
  const selected = Array.isArray(value) ? (value as string[]) : [];
  const list = (s.anyOf ?? s.oneOf ?? []).find((v) => v.type === 'array')?.items?.enum?.map(String) ?? [];
  const partition = typeof values.partition === 'string' ? values.partition : 'aws';
  const error = errors[path] ?? Object.entries(errors).find(([k]) => k.startsWith(`${path}.`))?.[1];
  const toggle = (r: string, on: boolean) =>
    onChange(path, on ? [...selected, r] : selected.filter((x) => x !== r));
  return (
    <fieldset className={`fieldset regions-field${error ? ' field-invalid' : ''}`} id={id(path)}>
      <legend>
        {titleOf('regions', s)}
        {props.required ? ' *' : ''}
      </legend>
      <div className="hint">
        Each region is collected with its own checkpoint and status. One partition per connector.
      </div>
      <label className="check">
        <input
          type="checkbox"
          id={`${id(path)}-all`}
          checked={all}
          disabled={props.readOnly}
          onChange={(e) => onChange(path, e.target.checked ? 'all' : [])}
        />
        All regions (every region of the partition where Amazon Inspector is available, new ones included)
      </label>
      {all ? (
        <div className="field">
          <label htmlFor="f-partition">Partition</label>
          <select
            id="f-partition"
            value={partition}
            disabled={props.readOnly}
            onChange={(e) => onChange('partition', e.target.value)}
          >
            {Object.entries(PARTITION_OF_GROUP).map(([g, p]) => (
              <option key={p} value={p}>
                {g} ({p})
              </option>
            ))}
          </select>
        </div>
      ) : (
        <div className="regions-groups">
          {regionGroups(list).map(([g, regions]) => (
            <fieldset key={g} className="fieldset regions-group">
              <legend>{g}</legend>
              {regions.map((r) => (
                <label key={r} className="check">
                  <input
                    type="checkbox"
                    name={`${path}-${r}`}
                    value={r}
                    checked={selected.includes(r)}
                    disabled={props.readOnly}
                    onChange={(e) => toggle(r, e.target.checked)}
                  />
                  {r}
                </label>
              ))}
            </fieldset>
          ))}
        </div>
      )}
      {!all && (
        <div className="hint" aria-live="polite">
          {selected.length === 0 ? 'No region selected.' : `Selected: ${selected.join(', ')}`}
        </div>
      )}
      {error && <div className="field-error">{error}</div>}
    </fieldset>
  );
}

/** One field, or a fieldset for an object. */
export function SchemaField(props: FieldProps) {
  const { path, schema: s, values, onChange, errors } = props;
  const key = path.split('.').pop() ?? path;
  const title = titleOf(key, s);
  const t = typeOf(s);
  const value = getIn(values, path);
  const error = errors[path];

  if (path === 'regions' && t === 'union') return <RegionsField {...props} />;

  if (t === 'object' && s.properties) {
    return (
      <fieldset className="fieldset">
        <legend>{title}</legend>
        {s.description && <div className="hint">{s.description}</div>}
        {Object.entries(s.properties).map(([k, p]) => (
          <SchemaField
            key={k}
            {...props}
            path={`${path}.${k}`}
            schema={p}
            required={(s.required ?? []).includes(k)}
            hint={undefined}
          />
        ))}
        {error && <div className="field-error">{error}</div>}
      </fieldset>
    );
  }

  const required = props.required && !(s.secret && props.keepSecrets);
  const hint =
    props.hint ??
    (s.secret && props.keepSecrets ? 'Leave blank to keep the current value.' : s.description) ??
    (s.format === 'uri'
      ? 'Optional http(s) URL; its host (and port) must be allowed by the server.'
      : undefined);

  if (t === 'boolean') {
    return (
      <div className={`field field-check${error ? ' field-invalid' : ''}`}>
        <label className="check">
          <input
            id={id(path)}
            type="checkbox"
            checked={value === true}
            disabled={props.readOnly}
            onChange={(e) => onChange(path, e.target.checked)}
          />
          {title}
        </label>
        {hint && <div className="hint">{hint}</div>}
        {error && <div className="field-error">{error}</div>}
      </div>
    );
  }

  let input;
  if (t === 'string' && s.enum) {
    const options = s.enum.map(String);
    input = (
      <select
        id={id(path)}
        value={typeof value === 'string' ? value : ''}
        disabled={props.readOnly}
        onChange={(e) => onChange(path, e.target.value)}
      >
        <option value="">Select…</option>
        {key === 'region'
          ? regionGroups(options).map(([g, list]) => (
              <optgroup key={g} label={g}>
                {list.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </optgroup>
            ))
          : options.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
      </select>
    );
  } else if (t === 'integer' || t === 'number') {
    input = (
      <input
        id={id(path)}
        type="number"
        min={s.minimum}
        max={s.maximum}
        step={t === 'integer' ? 1 : 'any'}
        value={typeof value === 'number' ? value : ''}
        readOnly={props.readOnly}
        onChange={(e) => onChange(path, e.target.value === '' ? '' : Number(e.target.value))}
      />
    );
  } else {
    input = (
      <input
        id={id(path)}
        // A secret is masked unless the schema says it is an identifier to show (`display: 'text'`).
        type={s.secret && s.display !== 'text' ? 'password' : 'text'}
        autoComplete="off"
        spellCheck={false}
        placeholder={s.secret && props.keepSecrets ? '(unchanged)' : s.format === 'uri' ? 'https://' : ''}
        value={typeof value === 'string' ? value : ''}
        readOnly={props.readOnly}
        onChange={(e) => onChange(path, e.target.value)}
        onBlur={() => props.onBlur?.(path)}
      />
    );
  }
  return (
    <Field label={title} htmlFor={id(path)} required={required} hint={hint} error={error}>
      {input}
    </Field>
  );
}
