/** At most `size` calls of `run` at once; the others wait their turn, first come first served. */
export function createSemaphore(size: number): { run<T>(fn: () => Promise<T>): Promise<T> } {
  let active = 0;
  const waiting: (() => void)[] = [];
  return {
    async run(fn) {
      if (active < size) active++;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await fn();
      } finally {
        // Hand the slot straight to the next caller, so that nobody can jump the queue.
        const next = waiting.shift();
        if (next) next();
        else active--;
      }
    },
  };
}
