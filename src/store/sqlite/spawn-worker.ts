/**
 * Starts one of the store's worker threads (the writer, the search threads) from its module
 * beside this one: the compiled `.js`, or from the sources (tests, tsx) the `.ts` through
 * tsx's ESM loader, resolved here (a bare specifier in eval'd code would resolve from the
 * working directory).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { CodedError, isCodedError, type ErrorCode } from '../../core/errors.js';

export function spawnStoreWorker(name: string, workerData: unknown, resourceLimits: ResourceLimits): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL(`./${name}.js`, import.meta.url), { workerData, resourceLimits });
  }
  const entry = JSON.stringify(new URL(`./${name}.ts`, import.meta.url).href);
  const tsxDir = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsx = JSON.stringify(pathToFileURL(path.join(tsxDir, 'dist/esm/api/index.mjs')).href);
  return new Worker(`import(${tsx}).then((t) => { t.register(); return import(${entry}); });`, {
    eval: true,
    workerData,
    resourceLimits,
  });
}

/** A worker's answer to a request that failed: the error's code (ERR_STORE when it has none). */
export interface ErrorReply {
  id: number;
  ok: false;
  code: string;
  message: string;
}

/** In the worker: the reply for request `id` that threw `e`. */
export function errorReply(id: number, e: unknown): ErrorReply {
  return isCodedError(e)
    ? { id, ok: false, code: e.code, message: e.message }
    : { id, ok: false, code: 'ERR_STORE', message: (e as Error).message };
}

/** On the calling side: the error an ErrorReply stands for. */
export function replyError(r: ErrorReply): CodedError {
  return new CodedError(r.code as ErrorCode, r.message);
}
