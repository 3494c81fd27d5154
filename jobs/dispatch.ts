import type { Queue } from 'bullmq';
import type { Db } from '#root/db/client.js';
import { bundlePending } from '#root/services/bundles.js';
import { bundleJobId, digestJobId, JOB_SEND_BUNDLE, JOB_SEND_DIGEST, type SendJobData } from './queues.js';

/** Options of every send job: a few quick retries with backoff, then the next planner run re-queues. */
export const SEND_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: true,
  // Removed on failure too, so that the next dispatch can queue the still-pending row again.
  removeOnFail: true,
} as const;

/**
 * Gathers the pending reminders due before `now + lookaheadMs` into the day's messages (one per
 * contact, channel and local day, or per nudge: see services/bundles.ts), then queues the send job
 * of every pending bundle and digest due by then, delayed to its instant. Job ids are the rows'
 * ids: a row already queued is not queued twice, and after Redis is flushed the next call queues
 * everything pending again from PostgreSQL.
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
  const jobs = [
    ...bundles.map((b) => ({
      name: JOB_SEND_BUNDLE,
      data: { id: b.id },
      opts: { ...SEND_JOB_OPTIONS, jobId: bundleJobId(b.id), delay: delay(b.scheduledAt) },
    })),
    ...digests.map((d) => ({
      name: JOB_SEND_DIGEST,
      data: { id: d.id },
      opts: { ...SEND_JOB_OPTIONS, jobId: digestJobId(d.id), delay: delay(d.scheduledAt) },
    })),
  ];
  for (let i = 0; i < jobs.length; i += 1_000) await queue.addBulk(jobs.slice(i, i + 1_000));
  return jobs.length;
}
