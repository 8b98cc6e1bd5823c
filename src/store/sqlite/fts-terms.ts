/**
 * The term dictionary of the sealed full-text shards (migration 13), for leading wildcards:
 * `*ssl` has no literal prefix, so no FTS5 prefix query narrows it. As Lucene rewrites a
 * MultiTermQuery, the compiler expands such a pattern against the dictionary into an OR of the
 * matching index terms (at most MAX_WILD_TERMS), answered by the FTS index; the newest (open)
 * shard, not in the dictionary, is answered by checking its records (sql.ts).
 *
 * `fts_terms(shard, rterm)`: each term REVERSED, so a literal suffix (`*ssl`) is a range scan
 * (`rterm >= 'lss' AND rterm < 'lst'`); an infix (`*ssl*`) scans the dictionary with LIKE. Only
 * free words and field tokens (`_f<h>_word`) are listed: the other synthetic tokens are never
 * a wildcard's expansion. A shard's terms are listed once, when it is sealed (fts-shards.ts),
 * from fts5vocab: no work on the commit path.
 */
import type { Database } from 'better-sqlite3';
import { compileGlob, globMatchLower } from '../../search/glob.js';
import type { WildExpansion } from './sql.js';
import { pathHash } from './terms.js';

export const FTS_TERMS_TABLE = `
  ALTER TABLE fts_shards ADD COLUMN terms_listed INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE fts_terms (
    shard INTEGER NOT NULL,
    rterm TEXT NOT NULL,
    PRIMARY KEY (shard, rterm)
  ) WITHOUT ROWID;
`;

/** Most index terms a wildcard expands to; beyond, the records are checked instead. */
export const MAX_WILD_TERMS = 1024;

/** By code points: a surrogate pair stays in order (a lone surrogate is not valid UTF-8). */
const reverse = (s: string): string => {
  let r = '';
  for (let i = s.length - 1; i >= 0; i--) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
      const h = s.charCodeAt(i - 1);
      if (h >= 0xd800 && h <= 0xdbff) {
        r += s[i - 1]! + s[i]!;
        i--;
        continue;
      }
    }
    r += s[i];
  }
  return r;
};

const withReverse = new WeakSet<Database>();

/**
 * Lists the terms of a sealed shard in the dictionary (in the caller's transaction), in SQL:
 * per term one call of a reversing function (a 50,000-record shard has ~750,000 terms; a loop of
 * JavaScript inserts took 6.4 s). The rows are inserted in fts5vocab's order, not sorted into
 * key order first: with `temp_store=MEMORY` the sort held ~50 MB more on the writer thread
 * (`npm run bench`, 100,000 findings: peak RSS 311-324 MB sorted, 275-282 MB unsorted) for
 * ~7% less collector CPU. Returns the number listed.
 */
export function listShardTerms(db: Database, shard: { id: number; name: string }): number {
  if (!/^syslog_fts(_\d+)?$/.test(shard.name)) throw new Error(`not a shard name: ${shard.name}`);
  if (!withReverse.has(db)) {
    db.function('ic_reverse_term', { deterministic: true }, (t: unknown) => reverse(String(t)));
    withReverse.add(db);
  }
  const vocab = `fts_vocab_${Math.trunc(shard.id)}`;
  db.exec(`CREATE VIRTUAL TABLE temp.${vocab} USING fts5vocab(main, '${shard.name}', 'row')`);
  try {
    db.prepare('DELETE FROM fts_terms WHERE shard = ?').run(shard.id);
    // Free words (never start with '_') and field tokens ('_f'); not the other synthetic tokens.
    const n = db
      .prepare(
        `INSERT INTO fts_terms (shard, rterm)
         SELECT ?, ic_reverse_term(term) FROM temp.${vocab}
         WHERE substr(term, 1, 1) <> '_' OR substr(term, 1, 2) = '_f'`,
      )
      .run(shard.id).changes;
    db.prepare('UPDATE fts_shards SET terms_listed = 1 WHERE id = ?').run(shard.id);
    return n;
  } finally {
    db.exec(`DROP TABLE temp.${vocab}`);
  }
}

/** Lists the terms of every sealed shard not yet listed (all but the newest). */
export function listSealedShardTerms(db: Database): number {
  const shards = db
    .prepare('SELECT id, name FROM fts_shards WHERE terms_listed = 0 ORDER BY first_rowid')
    .all() as { id: number; name: string }[];
  const newest = db.prepare('SELECT id FROM fts_shards ORDER BY first_rowid DESC LIMIT 1').pluck().get();
  let n = 0;
  for (const sh of shards) if (sh.id !== newest) n += listShardTerms(db, sh);
  return n;
}

/**
 * Whether a glob is expanded: `*run` or `*run*`, `run` ASCII letters/digits with a letter other
 * than `e`. Then a value matches exactly when one of its words does (the run lies within one
 * word), and no number can match (integers have field tokens only; long ones none; `1e+21`).
 */
export function expandable(glob: string): string | undefined {
  const m = /^\*+([a-z0-9]+)(\**)$/.exec(glob);
  if (!m || !/[a-df-z]/.test(m[1]!)) return undefined;
  return m[1];
}

export interface ShardRow {
  id: number;
  firstRowid: number;
  termsListed: number;
}

/**
 * The expansion of a leading wildcard (see expandable) against the dictionary of the shards
 * listed in it, or undefined when it is not expandable or has more than MAX_WILD_TERMS terms.
 * `textPath`: the field has held text values (their words are free words beside a marker).
 */
export function expandWildcard(
  db: Database,
  shards: readonly ShardRow[],
  field: string | null,
  glob: string,
  textPath: boolean,
): WildExpansion | undefined {
  const run = expandable(glob);
  if (run === undefined) return undefined;
  // The shards listed, from the oldest on: their rowids are below openFrom.
  let k = 0;
  while (k < shards.length && shards[k]!.termsListed === 1) k++;
  if (k === 0) return undefined;
  const openFrom = k < shards.length ? shards[k]!.firstRowid : Number.MAX_SAFE_INTEGER;
  const g = compileGlob(glob);
  const rrun = reverse(run);
  const suffix = !glob.endsWith('*');
  // Per shard (the key's first column): a range scan for a suffix, a LIKE scan for an infix.
  const stmt = suffix
    ? db.prepare('SELECT rterm FROM fts_terms WHERE shard = ? AND rterm >= ? AND rterm < ?').pluck()
    : db.prepare('SELECT rterm FROM fts_terms WHERE shard = ? AND rterm LIKE ?').pluck();
  const upper = rrun.slice(0, -1) + String.fromCharCode(rrun.charCodeAt(rrun.length - 1) + 1);
  const fieldPrefix = field === null ? undefined : `_f${pathHash(field)}_`;
  const tokens = new Set<string>();
  const textWords = new Set<string>();
  for (let i = 0; i < k; i++) {
    const id = shards[i]!.id;
    const rows = (suffix ? stmt.iterate(id, rrun, upper) : stmt.iterate(id, `%${rrun}%`)) as Iterable<string>;
    for (const r of rows) {
      const t = reverse(r);
      if (t.charCodeAt(0) === 95 /* _ */) {
        if (fieldPrefix === undefined || !t.startsWith(fieldPrefix)) continue;
        if (globMatchLower(g, t.slice(fieldPrefix.length))) tokens.add(t);
      } else if (globMatchLower(g, t)) {
        if (fieldPrefix === undefined) tokens.add(t);
        else if (textPath) textWords.add(t);
      }
      // Too many: the records are checked instead (break ends the statement).
      if (tokens.size + textWords.size > MAX_WILD_TERMS) return undefined;
    }
  }
  return { tokens: [...tokens], textWords: [...textWords], openFrom };
}
