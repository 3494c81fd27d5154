import type { Job, Worker } from 'bullmq';

/** The send worker's first step: jobs fetched before the first of them starts. */
export const RAMP_FIRST = 32;

/**
 * A BullMQ processor whose worker's concurrency grows with the jobs it runs, up to `max`: it starts
 * at {@link RAMP_FIRST} and doubles each time that many run at once; back to the first step when
 * none runs. `worker` is the worker the processor is given to (made after the processor).
 *
 * Why: when jobs arrive in an empty queue, BullMQ's worker fetches them one at a time (a Redis round
 * trip each) until it holds its concurrency, and only then starts them. With the send worker's 256,
 * a burst's first message waited for 255 round trips (0.8 s on the bench's quiet machine, 2.7 s on a
 * busy one). In doubling steps, the first 32 start after 32 round trips, and together (their loads
 * and claims are batched, as before), while the next step is fetched; `max` is reached after as many
 * round trips as before. Raising it one job at a time would start each job alone, each with queries
 * of its own: slower on the bench than waiting for all 256. Jobs that finish still fetch the next in
 * the same round trip. (BullMQ reads the concurrency before it fetches more; it is never lowered
 * below what runs.)
 */
export function rampedProcessor<D, R>(
  max: number,
  worker: () => Worker<D, R> | undefined,
  process: (job: Job<D, R>) => Promise<R>,
): (job: Job<D, R>) => Promise<R> {
  const first = Math.min(max, RAMP_FIRST);
  let running = 0;
  const set = (n: number) => {
    const w = worker();
    if (w && w.concurrency !== n) w.concurrency = n;
  };
  return async (job) => {
    running++;
    // Synchronously, before BullMQ's loop looks at the concurrency again to fetch the next job.
    const current = worker()?.concurrency ?? first;
    if (running >= current && current < max) set(Math.min(max, 2 * current));
    try {
      return await process(job);
    } finally {
      running--;
      if (running === 0) set(first);
    }
  };
}
