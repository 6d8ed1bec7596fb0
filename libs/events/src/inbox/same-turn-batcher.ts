/**
 * Collects the items submitted during one turn of the event loop and runs them together:
 * `submit(item)` resolves with that item's result once `runAll` ran for every item submitted
 * before the next turn (`setImmediate`). The consumer adapter starts the batches of several
 * partitions in one turn, so their transactions can become one.
 */
export function sameTurnBatcher<I, R>(
  runAll: (items: readonly I[]) => Promise<readonly R[]>,
): (item: I) => Promise<R> {
  let pending: Array<{ item: I; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  const flush = (): void => {
    const taken = pending;
    pending = [];
    runAll(taken.map((p) => p.item)).then(
      (results) => taken.forEach((p, i) => p.resolve(results[i]!)),
      (error: unknown) => taken.forEach((p) => p.reject(error)),
    );
  };
  return (item) =>
    new Promise<R>((resolve, reject) => {
      if (pending.length === 0) setImmediate(flush);
      pending.push({ item, resolve, reject });
    });
}
