/**
 * Records as text for people and spreadsheets: the CSV of the API's /search/export and the
 * CLI's `search --format csv|table`. One definition of a cell, so both export the same thing.
 */
import { FieldsError } from '../core/errors.js';
import { FIELD_RE } from './parser.js';

/** The columns when none are chosen (the Threat Hunting table's default). */
export const DEFAULT_EXPORT_FIELDS = [
  'timestamp',
  'severity',
  'event_name',
  'event_status',
  'tenant_name',
  'msg_origin.processor.name',
  '_id',
] as const;
export const MAX_EXPORT_FIELDS = 100;
/** Epoch-ms fields written as ISO-8601 UTC in CSV and tables (NDJSON keeps the number). */
const TIME_FIELDS = new Set(['timestamp', 'write_time']);

/**
 * `a,b,c` -> paths. Bad input names the option (`fields`, `--fields`) and what is allowed.
 * Empty / absent = the defaults.
 */
export function parseFieldList(text: string | undefined, name: string): string[] {
  if (text === undefined || text.trim() === '') return [...DEFAULT_EXPORT_FIELDS];
  const fields = text.split(',').map((f) => f.trim());
  const bad = (message: string) => new FieldsError('ERR_VALIDATION', [{ field: name, message }]);
  if (fields.length > MAX_EXPORT_FIELDS)
    throw bad(`at most ${MAX_EXPORT_FIELDS} fields, got ${fields.length}`);
  for (const f of fields) {
    if (!FIELD_RE.test(f) || f.length > 200)
      throw bad(`"${f}" is not a field path (comma-separated dotted names such as aws_inspector.severity)`);
  }
  return fields;
}

/**
 * The value at a dotted path (a flat key holding dots first); through arrays, the values of
 * every element, as an array.
 */
export function valueAt(doc: unknown, path: string): unknown {
  if (doc && typeof doc === 'object' && !Array.isArray(doc) && path in doc)
    return (doc as Record<string, unknown>)[path];
  const walk = (v: unknown, parts: string[]): unknown => {
    if (parts.length === 0 || v === null || v === undefined) return parts.length ? undefined : v;
    if (Array.isArray(v)) {
      const out = v.map((el) => walk(el, parts)).filter((x) => x !== undefined);
      return out.length ? out.flat() : undefined;
    }
    if (typeof v !== 'object') return undefined;
    return walk((v as Record<string, unknown>)[parts[0]!], parts.slice(1));
  };
  return walk(doc, path.split('.'));
}

/** A cell's text: times as ISO-8601 UTC, objects and arrays as JSON, nothing as ''. */
export function cellText(v: unknown, path: string): string {
  if (v === undefined || v === null) return '';
  if (TIME_FIELDS.has(path) && typeof v === 'number' && Number.isFinite(v)) {
    const d = new Date(v);
    if (!Number.isNaN(d.getTime())) return d.toISOString();
  }
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/**
 * One CSV field (RFC 4180: quoted when it holds `"`, `,`, CR or LF; quotes doubled). A text
 * value starting with = + - @ (or tab / CR) gets a leading `'` so that a spreadsheet shows it
 * as text instead of running it as a formula (CSV injection); numbers are written as they are.
 */
export function csvField(v: unknown, path: string): string {
  let t = cellText(v, path);
  if (typeof v !== 'number' && /^[=+\-@\t\r]/.test(t)) t = `'${t}`;
  return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

/** One CSV line (CRLF-terminated, as RFC 4180 writes them). */
export function csvLine(cells: readonly string[]): string {
  return `${cells.join(',')}\r\n`;
}

export const csvHeader = (fields: readonly string[]): string => csvLine(fields.map((f) => csvField(f, '')));

export const csvRow = (doc: unknown, fields: readonly string[]): string =>
  csvLine(fields.map((f) => csvField(valueAt(doc, f), f)));
