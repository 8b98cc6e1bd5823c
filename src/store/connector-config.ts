/**
 * The connector configuration rules every backend applies, whatever holds the rows: secrets
 * read back as `MASK`, and a PATCH merged into the stored config by `mergePatch` (write-only
 * secrets, discriminator switches). Backend-neutral: no database here; the SQLite connectors
 * repository (sqlite/connectors.ts) uses it, and the API builds its write-only fields on `MASK`.
 */
import { FieldsError } from '../core/errors.js';

/** What a secret field reads as everywhere but `getDecrypted`. */
export const MASK = '********';

type Obj = Record<string, unknown>;

const keeps = (v: unknown) => v === undefined || v === '' || v === MASK;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
/** The fields of `fields` under the top-level key `k`, relative to it ('auth.key' -> 'key'). */
const under = (fields: readonly string[], k: string) =>
  fields.filter((f) => f.startsWith(`${k}.`)).map((f) => f.slice(k.length + 1));

/**
 * A PATCH applied to the current config (with its real secrets): top-level fields replace, a
 * nested object merges into the current one. A secret field sent absent, blank or "********"
 * keeps the stored value (write-only). A patch that switches a discriminator (`auth.method`)
 * starts its object afresh but for the secret fields (the other variant's fields would not
 * validate; the keys carry over).
 */
export function mergePatch(
  current: Obj,
  patch: Obj,
  secretFields: readonly string[],
  switchFields: readonly string[],
): Obj {
  const merged: Obj = { ...current, ...patch };
  for (const [k, pv] of Object.entries(patch)) {
    const cv = current[k];
    const secretsHere = under(secretFields, k);
    const switchesHere = under(switchFields, k);
    if (!isObj(pv)) {
      if (secretFields.includes(k) && keeps(pv)) merged[k] = cv;
      else if (isObj(cv) && (secretsHere.length || switchesHere.length)) {
        throw new FieldsError('ERR_CONFIG_INVALID', [{ field: k, message: `${k} must be an object` }]);
      }
      continue;
    }
    if (!isObj(cv)) {
      // Nothing stored to keep: a blank or masked secret is simply not set.
      const obj: Obj = { ...pv };
      for (const sk of secretsHere) if (keeps(obj[sk])) delete obj[sk];
      merged[k] = obj;
      continue;
    }
    const switched = switchesHere.some((d) => pv[d] !== undefined && pv[d] !== cv[d]);
    const base: Obj = switched ? Object.fromEntries(secretsHere.map((s) => [s, cv[s]])) : { ...cv };
    const obj: Obj = { ...base, ...pv };
    for (const s of secretsHere) if (keeps(pv[s])) obj[s] = base[s];
    merged[k] = obj;
  }
  return merged;
}
