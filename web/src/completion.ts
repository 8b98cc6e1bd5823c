/**
 * Field-name completion, without React (unit-tested in test/web/completion.test.ts): which
 * word of a query the cursor is on and whether it can be a field name, the known fields that
 * fit it, and the query with the chosen field put in.
 */

/** Characters that end a word of a query (the parser's, and the operators that start one). */
const BREAK = new Set([' ', '\t', '\n', '\r', '(', ')', '"', '[', ']', '{', '}', '^', '~', '!', '+']);

export interface Completion {
  /** The choices to offer. */
  items: string[];
  /** The text and the cursor after choosing `item`. */
  apply(item: string): { value: string; cursor: number };
}

/** Suggestions offered at most. */
export const MAX_SUGGESTIONS = 8;

/**
 * Known fields that fit what was typed, best first: those starting with it, then those with a
 * dotted part starting with it (`sev` finds `aws_inspector.severity`), then any containing it;
 * case-insensitive; nothing for an empty prefix or when it already is the only field that fits.
 */
export function matchFields(fields: readonly string[], typed: string, limit = MAX_SUGGESTIONS): string[] {
  const t = typed.toLowerCase();
  if (!t) return [];
  const starts: string[] = [];
  const part: string[] = [];
  const inside: string[] = [];
  for (const f of fields) {
    const l = f.toLowerCase();
    if (l.startsWith(t)) starts.push(f);
    else if (l.includes(`.${t}`) || l.includes(`_${t}`)) part.push(f);
    else if (l.includes(t)) inside.push(f);
  }
  const out = [...starts.sort(), ...part.sort(), ...inside.sort()].slice(0, limit);
  return out.length === 1 && out[0]!.toLowerCase() === t ? [] : out;
}

/** Is the cursor inside a quoted phrase (an odd number of unescaped `"` before it)? */
function inPhrase(q: string, cursor: number): boolean {
  let open = false;
  for (let i = 0; i < cursor; i++) {
    if (q[i] === '\\') i++;
    else if (q[i] === '"') open = !open;
  }
  return open;
}

/**
 * Completion of the field name under the cursor of a query: the word the cursor ends (from the
 * last break before it; a leading `-` is the NOT operator). None inside a phrase, in a value
 * (after `field:`), for a keyword (AND, OR, NOT, TO) or a word that is not a field path yet.
 */
export function completeQueryField(q: string, cursor: number, fields: readonly string[]): Completion {
  const none: Completion = { items: [], apply: () => ({ value: q, cursor }) };
  if (cursor < 0 || cursor > q.length || inPhrase(q, cursor)) return none;
  let start = cursor;
  while (start > 0 && !BREAK.has(q[start - 1]!)) start--;
  if (q[start] === '-') start++;
  const typed = q.slice(start, cursor);
  if (!typed || typed.includes(':') || typed.includes('\\') || /^(AND|OR|NOT|TO)$/.test(typed)) return none;
  if (!/^[A-Za-z0-9_@$.-]+$/.test(typed)) return none;
  // The rest of the word after the cursor is replaced too (editing the middle of a name).
  let end = cursor;
  while (end < q.length && !BREAK.has(q[end]!) && q[end] !== ':') end++;
  const colon = q[end] === ':';
  return {
    items: matchFields(fields, typed),
    apply(item) {
      const insert = colon ? item : `${item}:`;
      const value = q.slice(0, start) + insert + q.slice(end);
      return { value, cursor: start + insert.length + (colon ? 1 : 0) };
    },
  };
}

/** Completion of a whole input holding one field name (the log filter editor's field). */
export function completeWholeField(v: string, fields: readonly string[]): Completion {
  return {
    items: matchFields(fields, v.trim()),
    apply: (item) => ({ value: item, cursor: item.length }),
  };
}
