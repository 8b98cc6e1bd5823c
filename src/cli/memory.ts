/**
 * How far V8 lets the heap grow between full garbage collections. By default it may grow to
 * about four times the live data when the program allocates fast, which the collector does
 * (every page is parsed, mapped, serialised and indexed, and dies young): the main thread's
 * heap reached ~100-190 MB for ~30-40 MB live. Measured with `npm run bench:large` (769,408
 * findings, `collect --once`, writer thread with a small young generation, see writer.ts):
 *
 *   growing factor    peak RSS   findings/s   per CPU-second
 *   V8's default       438 MB      3,933          2,764      (before the young-generation limit)
 *   2.0  (100%)        309 MB      4,106          2,834
 *   1.75  (75%)        285 MB      3,859          2,618      (writer young generation 4 MB)
 *   1.5   (50%)        300 MB      3,857          2,604      (writer young generation 8 MB)
 *   1.75, later code    272 MB      4,426          3,432      (terms no longer deduplicated)
 *
 * (Wall-clock rates vary by ~5% between identical runs here.) The flag is read by V8 at every
 * collection, so setting it at start-up works (Node keeps its flags writable for
 * `v8.setFlagsFromString`); the young generation's size cannot be changed that way. A
 * `--heap-growing-percent` given on the node command line wins. See docs/performance.md "Memory".
 */
import v8 from 'node:v8';

export const HEAP_GROWING_PERCENT = 75;

export function boundHeapGrowth(execArgv: readonly string[] = process.execArgv): void {
  if (execArgv.some((a) => /^--heap[-_]growing[-_]percent/.test(a))) return;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
