/**
 * SQL over the full-text index's shards (fts-shards.ts): each helper uses exactly one
 * placeholder per shard, all bound to the same FTS5 MATCH expression. Shard names come from
 * the store's own table, never from user input.
 */

export interface FtsShard {
  name: string;
  /** First `syslog` rowid held by this shard (the next shard's is its end). */
  firstRowid: number;
}

/** Arms per compound SELECT (SQLite allows 500). */
const GROUP = 200;

/** `UNION ALL` of SELECTs (each given with its column named `col`), nested past SQLite's arm limit. */
function unionAll(selects: string[], col: string): string {
  if (selects.length <= GROUP) return selects.join(' UNION ALL ');
  const groups: string[] = [];
  for (let i = 0; i < selects.length; i += GROUP) {
    groups.push(`SELECT ${col} FROM (${selects.slice(i, i + GROUP).join(' UNION ALL ')})`);
  }
  return unionAll(groups, col);
}

/** The parameters of any SQL below: the MATCH expression once per shard. */
export function ftsParams(shards: readonly unknown[], match: string): string[] {
  return shards.map(() => match);
}

/** The rowids matching one MATCH expression, in every shard (one placeholder per shard). */
export function ftsRowidsSql(shards: readonly string[]): string {
  return unionAll(
    shards.map((t) => `SELECT rowid AS r FROM ${t} WHERE ${t} MATCH ?`),
    'r',
  );
}

/** The number of rows matching one MATCH expression, over every shard (one placeholder per shard). */
export function ftsCountSql(shards: readonly string[]): string {
  const counts = shards.map((t) => `SELECT count(*) AS n FROM ${t} WHERE ${t} MATCH ?`);
  return `SELECT coalesce(sum(n), 0) AS n FROM (${unionAll(counts, 'n')})`;
}

/**
 * Whether the row `s` matches, asked of the one shard that holds it (one placeholder per
 * shard: CASE evaluates only the branch taken).
 */
export function ftsProbeSql(shards: readonly FtsShard[]): string {
  const probe = (t: string) => `EXISTS (SELECT 1 FROM ${t} WHERE ${t} MATCH ? AND rowid = s.rowid)`;
  if (shards.length === 1) return probe(shards[0]!.name);
  const whens = shards
    .slice(0, -1)
    .map((sh, i) => `WHEN s.rowid < ${Math.trunc(shards[i + 1]!.firstRowid)} THEN ${probe(sh.name)}`);
  return `(CASE ${whens.join(' ')} ELSE ${probe(shards[shards.length - 1]!.name)} END)`;
}
