/**
 * Backend-neutral parts of searching off the caller's thread: the time budget's setting
 * (INSPECTOR_CONNECTOR_SEARCH_TIMEOUT_MS, the CLI options) and a SearchService over an index in
 * this thread (tests, tools). A backend's own service is `store.searchService()`.
 */
import { CodedError } from '../core/errors.js';
import type { SearchOp, SearchService, SyslogIndex } from './types.js';

export const SEARCH_TIMEOUT_ENV = 'INSPECTOR_CONNECTOR_SEARCH_TIMEOUT_MS';
export const DEFAULT_SEARCH_TIMEOUT_MS = 5000;

/** INSPECTOR_CONNECTOR_SEARCH_TIMEOUT_MS: an integer number of ms, 0 = no limit. */
export function searchTimeoutFromEnv(env: NodeJS.ProcessEnv): number {
  const v = env[SEARCH_TIMEOUT_ENV];
  if (v === undefined || v.trim() === '') return DEFAULT_SEARCH_TIMEOUT_MS;
  return parseSearchTimeout(v, SEARCH_TIMEOUT_ENV);
}

/** A time budget given as text (env var, CLI option): an integer >= 0 of ms, 0 = no limit. */
export function parseSearchTimeout(v: string, name: string): number {
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(Number(v.trim()))) {
    throw new CodedError(
      'ERR_CONFIG_INVALID',
      `${name} must be a whole number of milliseconds (0 = no limit), got "${v}"`,
    );
  }
  return Number(v.trim());
}

/** The same interface over an in-process index (tests, tools): no thread, no outside deadline. */
export function inProcessSearch(index: Pick<SyslogIndex, SearchOp>, timeoutMs = 0): SearchService {
  const t = timeoutMs > 0 ? { timeoutMs } : {};
  return {
    search: async (o) => index.search({ ...o, ...t }),
    count: async (f) => index.count({ ...f, ...t }),
    histogram: async (o) => index.histogram({ ...o, ...t }),
    exportPage: async (o) => index.exportPage({ ...o, ...t }),
    fieldStats: async (o) => index.fieldStats({ ...o, ...t }),
    ready: async () => undefined,
    close: async () => undefined,
  };
}
