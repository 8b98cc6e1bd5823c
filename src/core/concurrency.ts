/** Bounded concurrency for async work over a list (regions of a run, a Test, coverage reads). */

/**
 * Runs `fn` over `items`, at most `limit` at a time (at least one), results in the items' order.
 * A rejection rejects the whole call (the other calls already started still run to their end).
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
