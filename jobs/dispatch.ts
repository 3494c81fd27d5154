import type { Queue } from 'bullmq';
import type { Db } from '#root/db/client.js';
import { bundlePending } from '#root/services/bundles.js';
import {
  bundleJobId,
  bundlesJobId,
  digestJobId,
  JOB_SEND_BUNDLE,
  JOB_SEND_BUNDLES,
  JOB_SEND_DIGEST,
  type SendJobData,
} from './queues.js';

/** Options of every send job: a few quick retries with backoff, then the next planner run re-queues. */
export const SEND_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: true,
  // Removed on failure too, so that the next dispatch can queue the still-pending row again.
  removeOnFail: true,
} as const;

/** Bundles due within this long of the first of a batch go in its job, sent at the batch's last instant. */
export const BATCH_SPREAD_MS = 1_000;
/**
 * At most this many bundles in one job. Small enough that the jobs of a morning spread over the
 * worker processes (each takes WORKER_CONCURRENCY / this many jobs at once, see src/app.ts) and that
 * a worker killed mid-run leaves few bundles waiting for its jobs' locks to lapse; large enough that
 * the queue's work per message is a sixteenth of a job's.
 */
export const BUNDLES_PER_JOB = 16;

/**
 * The bundles' jobs: bundles in order of their instant (one already due counts as due `now`), in
 * batches of those due within {@link BATCH_SPREAD_MS} of the batch's first, {@link BUNDLES_PER_JOB}
 * at most, each batch delayed to its last instant (none is sent early). A batch of one is the
 * bundle's own job. The same bundles make the same job id, so a dispatch repeated with nothing new
 * queues nothing; a batch that differs may hold a bundle another job holds too — the claim in
 * PostgreSQL sends it once (see services/delivery/claims.ts).
 */
export function bundleJobs(bundles: { id: string; scheduledAt: Date }[], now: Date) {
  const at = (b: { scheduledAt: Date }) => Math.max(b.scheduledAt.getTime(), now.getTime());
  const sorted = [...bundles].sort((a, b) => at(a) - at(b));
  const batches: { ids: string[]; first: number; last: number }[] = [];
  for (const b of sorted) {
    const batch = batches.at(-1);
    if (batch && batch.ids.length < BUNDLES_PER_JOB && at(b) - batch.first <= BATCH_SPREAD_MS) {
      batch.ids.push(b.id);
      batch.last = at(b);
    } else batches.push({ ids: [b.id], first: at(b), last: at(b) });
  }
  return batches.map(({ ids, last }) => {
    const opts = { ...SEND_JOB_OPTIONS, delay: last - now.getTime() };
    return ids.length === 1
      ? { name: JOB_SEND_BUNDLE, data: { id: ids[0]! }, opts: { ...opts, jobId: bundleJobId(ids[0]!) } }
      : { name: JOB_SEND_BUNDLES, data: { ids }, opts: { ...opts, jobId: bundlesJobId(ids) } };
  });
}

/**
 * The first jobs queued on their own, before the rest: a chunk of {@link DISPATCH_CHUNK} jobs is one
 * Redis transaction that runs as a whole (0.4–0.9 s for 1,000 on the bench's busy machine), and the
 * worker sees none of its jobs before it ends. These few reach the worker at once and keep the
 * channels busy while the rest are queued (a second of Telegram's 30 a second, and more).
 */
export const DISPATCH_FIRST_CHUNK = 64;
/** Jobs queued per Redis transaction after the first ones. */
export const DISPATCH_CHUNK = 1_000;

/** The [from, to) ranges of `n` jobs queued in order: {@link DISPATCH_FIRST_CHUNK} first, then chunks of {@link DISPATCH_CHUNK}. */
export function dispatchChunks(n: number): [number, number][] {
  const chunks: [number, number][] = [];
  for (let from = 0; from < n;) {
    const to = Math.min(n, from + (from === 0 ? DISPATCH_FIRST_CHUNK : DISPATCH_CHUNK));
    chunks.push([from, to]);
    from = to;
  }
  return chunks;
}

/**
 * Gathers the pending reminders due before `now + lookaheadMs` into the day's messages (one per
 * contact, channel and local day, or per nudge: see services/bundles.ts), then queues the send jobs
 * of every pending bundle (in batches, see {@link bundleJobs}) and digest due by then, delayed to
 * their instant. Job ids come from the rows' ids: rows already queued are not queued twice, and
 * after Redis is flushed the next call queues everything pending again from PostgreSQL. Earliest
 * first, the first few on their own (see {@link DISPATCH_FIRST_CHUNK}).
 */
export async function dispatchDue(
  db: Db,
  queue: Queue<SendJobData>,
  orgId: string,
  now: Date,
  lookaheadMs: number,
): Promise<number> {
  const horizon = new Date(now.getTime() + lookaheadMs);
  await bundlePending(db, orgId, horizon);
  const [bundles, digests] = await Promise.all([
    db.bundle.findMany({
      where: { orgId, status: 'pending', scheduledAt: { lte: horizon } },
      select: { id: true, scheduledAt: true },
      orderBy: { scheduledAt: 'asc' },
      take: 20_000,
    }),
    db.digest.findMany({
      where: { orgId, status: 'pending', scheduledAt: { lte: horizon } },
      select: { id: true, scheduledAt: true },
      take: 5_000,
    }),
  ]);
  const delay = (at: Date) => Math.max(0, at.getTime() - now.getTime());
  // Earliest first (bundles and digests together), so that the first chunk holds the sends due first.
  const jobs: { name: string; data: SendJobData; opts: typeof SEND_JOB_OPTIONS & { jobId: string; delay: number } }[] =
    [
      ...bundleJobs(bundles, now),
      ...digests.map((d) => ({
        name: JOB_SEND_DIGEST,
        data: { id: d.id },
        opts: { ...SEND_JOB_OPTIONS, jobId: digestJobId(d.id), delay: delay(d.scheduledAt) },
      })),
    ].sort((a, b) => a.opts.delay - b.opts.delay);
  for (const [from, to] of dispatchChunks(jobs.length)) {
    await queue.addBulk(jobs.slice(from, to));
  }
  return bundles.length + digests.length;
}
