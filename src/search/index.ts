/** The Lucene-style query language: parse -> AST -> SQL. */
export { parse, queryError, MAX_QUERY_LENGTH } from './parser.js';
export type { Node } from './parser.js';
export { toSql, compileQuery } from './sql.js';
export type { SqlWhere } from './sql.js';
