/**
 * Gathers calls made within a few milliseconds of each other into one call of `run` (like
 * DataLoader, without its cache): many concurrent jobs then share one query or one transaction.
 * `run` returns one result per item, in order. If it throws, every caller of that batch gets the
 * error (and, for a transaction, nothing of the batch was written).
 */
export function createBatcher<I, O>(
  run: (items: I[]) => Promise<O[]>,
  options: { maxSize: number; maxWaitMs: number },
): (item: I) => Promise<O> {
  let waiting: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  let timer: NodeJS.Timeout | null = null;

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    const batch = waiting;
    waiting = [];
    if (!batch.length) return;
    run(batch.map((b) => b.item))
      .then(
        (out) => {
          if (out.length !== batch.length) throw new Error(`batcher: ${out.length} results for ${batch.length} items`);
          batch.forEach((b, i) => b.resolve(out[i]!));
        },
        (error: unknown) => batch.forEach((b) => b.reject(error)),
      )
      .catch((error: unknown) => batch.forEach((b) => b.reject(error)));
  };

  return (item) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (waiting.length >= options.maxSize) flush();
      else timer ??= setTimeout(flush, options.maxWaitMs);
    });
}
