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
