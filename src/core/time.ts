/**
 * The one reading of a time bound, wherever one is given: the CLI's `--from`/`--to` (search,
 * reconcile), the API's `from`/`to`, and times in queries (`timestamp:>=...`).
 *
 * - epoch milliseconds: an integer, optionally negative (`1767225600000`);
 * - ISO-8601, starting with the year and month (`2026-01`, `2026-01-31`, `2026-01-31T12:00:00Z`),
 *   read as Date.parse reads it (date-only forms are UTC; a date-time without an offset is local).
 *
 * Anything else (`yesterday`, `Jan 31 2026`, which Date.parse would read by the platform's own
 * rules) and anything outside Date's range (+-8.64e15 ms) is not a time: undefined.
 */
const MAX_TIME = 8.64e15;

export function parseTime(v: string): number | undefined {
  let t: number;
  if (/^-?\d+$/.test(v)) t = Number(v);
  else if (/^\d{4}-\d{2}/.test(v)) t = Date.parse(v);
  else return undefined;
  return Number.isFinite(t) && Math.abs(t) <= MAX_TIME ? t : undefined;
}
