import { Queue, Worker, type Job } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatchChunks, DISPATCH_CHUNK, DISPATCH_FIRST_CHUNK } from '#jobs/dispatch.js';
import { RAMP_FIRST, rampedProcessor } from '#jobs/ramp.js';
import { createRedis, type Redis } from '#root/redis.js';
import { testPrefix } from '../helpers/app.js';

// Each wait below is bounded at 60 s (a busy machine); the tests get room for two of them.
const TEST_MS = 150_000;

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Until `check` holds, looking again every 20 ms, for at most `ms`. */
async function until(check: () => boolean, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(what());
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the send worker’s concurrency, reached one job at a time (jobs/ramp.ts)', () => {
  const open: { close(): Promise<unknown> }[] = [];
  const connections: Redis[] = [];
  const prefixes: string[] = [];
  const connect = () => {
    const c = createRedis(REDIS_URL);
    connections.push(c);
    return c;
  };
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
    const redis = createRedis(REDIS_URL);
    for (const prefix of prefixes.splice(0)) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
    }
    await redis.quit();
    for (const c of connections.splice(0)) c.disconnect();
  });

  /** A queue and a worker of `max` jobs at once whose jobs wait until `release` (and say how many ran at once). */
  function setUp(max: number) {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const queue = new Queue<{ n: number }>('ramp', { connection: connect(), prefix });
    open.push(queue);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const started: number[] = [];
    let running = 0;
    let peak = 0;
    let activeAtFirst: number | undefined;
    const processor = rampedProcessor(
      max,
      (): Worker<{ n: number }> => worker,
      async (job: Job<{ n: number }>) => {
        running++;
        peak = Math.max(peak, running);
        started.push(job.data.n);
        // How many jobs BullMQ holds as active when the first one starts: the ramp starts the first
        // step's jobs once they are fetched, where a worker of `max` at once would fetch them all first.
        if (started.length === 1) activeAtFirst = await queue.getActiveCount();
        await released;
        running--;
      },
    );
    const worker: Worker<{ n: number }> = new Worker<{ n: number }>('ramp', processor, {
      connection: connect(),
      prefix,
      concurrency: Math.min(RAMP_FIRST, max),
    });
    open.push(worker);
    return {
      queue,
      worker,
      release,
      started,
      peak: () => peak,
      activeAtFirst: () => activeAtFirst,
    };
  }

  it(
    'starts the first job of a burst at once, and runs up to its maximum at once',
    async () => {
      const w = setUp(256);
      await w.worker.waitUntilReady();
      const jobs = Array.from({ length: 200 }, (_, n) => ({ name: 'j', data: { n } }));
      await w.queue.addBulk(jobs);
      // All 200 must run at the same time before any ends: the ramp does not stop short of them.
      await until(
        () => w.started.length === 200,
        60_000,
        () => `${w.started.length} of 200 jobs started`,
      );
      expect(w.activeAtFirst()).toBeDefined();
      expect(w.activeAtFirst()!).toBeLessThanOrEqual(2 * RAMP_FIRST);
      expect(w.peak()).toBe(200);
      w.release();
      await until(
        () => w.worker.concurrency === RAMP_FIRST,
        60_000,
        () => `concurrency still ${w.worker.concurrency} after the burst`,
      );
    },
    TEST_MS,
  );

  it(
    'never runs more than its maximum at once',
    async () => {
      const w = setUp(24);
      await w.worker.waitUntilReady();
      await w.queue.addBulk(Array.from({ length: 60 }, (_, n) => ({ name: 'j', data: { n } })));
      await until(
        () => w.started.length === 24,
        60_000,
        () => `${w.started.length} of 24 jobs started`,
      );
      expect(w.worker.concurrency).toBe(24);
      w.release();
      await until(
        () => w.started.length === 60,
        60_000,
        () => `${w.started.length} of 60 jobs started`,
      );
      expect(w.peak()).toBe(24);
    },
    TEST_MS,
  );
});

describe('dispatchChunks', () => {
  it('queues the first few on their own, then in chunks, each job once and in order', () => {
    expect(dispatchChunks(0)).toEqual([]);
    expect(dispatchChunks(10)).toEqual([[0, 10]]);
    const n = DISPATCH_FIRST_CHUNK + 2 * DISPATCH_CHUNK + 5;
    const chunks = dispatchChunks(n);
    expect(chunks[0]).toEqual([0, DISPATCH_FIRST_CHUNK]);
    expect(chunks.slice(1).map(([a, b]) => b - a)).toEqual([DISPATCH_CHUNK, DISPATCH_CHUNK, 5]);
    chunks.forEach(([a], i) => expect(a).toBe(i === 0 ? 0 : chunks[i - 1]![1]));
    expect(chunks.at(-1)![1]).toBe(n);
  });
});
