import type { Job, Queue } from 'bullmq';
import { createSemaphore } from '#root/lib/semaphore.js';
import type { Logger } from '#root/logger.js';
import type { Delivery, DeliveryOutcome } from '#root/services/delivery.js';
import { SEND_JOB_OPTIONS } from './dispatch.js';
import {
  bundleJobId,
  digestJobId,
  JOB_SEND_BUNDLE,
  JOB_SEND_BUNDLES,
  JOB_SEND_DIGEST,
  JOB_SEND_REMINDER,
  type SendJobData,
} from './queues.js';

/** A bundle of a batch that failed for now is sent again on its own after this long (the first backoff). */
const RETRY_DELAY_MS = SEND_JOB_OPTIONS.backoff.delay;

/**
 * Processes send jobs: one day's message (bundle), a batch of them, or a digest; a permanent
 * failure queues the fallback channel's copy. The bundles of a batch go at once, at most
 * `bundlesInFlight` in this process over all its jobs (each is claimed, sent and recorded on its
 * own: see services/delivery.ts). One that fails for now gets a job of its own, delayed by the first
 * backoff, with the attempts and backoff of any bundle's job; the batch completes. (If that cannot be
 * queued, the batch job fails and BullMQ retries it: what went meanwhile is skipped, no longer
 * pending.) A per-reminder job of an earlier version does nothing: the next dispatch puts its
 * reminder in its day's message.
 */
export function createSendProcessor(
  delivery: Delivery,
  queue: Queue<SendJobData>,
  logger: Logger,
  options: { bundlesInFlight?: number } = {},
) {
  const inFlight = createSemaphore(options.bundlesInFlight ?? 256);

  const queueFallback = async (job: Job<SendJobData>, r: DeliveryOutcome) => {
    if (r.outcome !== 'failed' || !r.fallback) return;
    const name = job.name === JOB_SEND_DIGEST ? JOB_SEND_DIGEST : JOB_SEND_BUNDLE;
    const jobId = name === JOB_SEND_DIGEST ? digestJobId(r.fallback) : bundleJobId(r.fallback);
    await queue.add(name, { id: r.fallback }, { ...SEND_JOB_OPTIONS, jobId });
    logger.info({ job: job.id, fallback: jobId }, 'queued on the next channel');
  };

  return async (job: Job<SendJobData>) => {
    const data = job.data;
    if (job.name === JOB_SEND_REMINDER) return { outcome: 'skipped', reason: 'reminders go out in bundles' } as const;
    if (job.name === JOB_SEND_BUNDLES && 'ids' in data) {
      const results = await Promise.allSettled(data.ids.map((id) => inFlight.run(() => delivery.deliverBundle(id))));
      const outcomes: Record<string, number> = {};
      for (const [i, r] of results.entries()) {
        if (r.status === 'fulfilled') {
          outcomes[r.value.outcome] = (outcomes[r.value.outcome] ?? 0) + 1;
          await queueFallback(job, r.value);
          continue;
        }
        // Failed for now: retried on its own, with the backoff of a bundle's job, so that one bundle's
        // retries neither wait for the others of the batch nor hold them back.
        outcomes.retried = (outcomes.retried ?? 0) + 1;
        const id = data.ids[i]!;
        await queue.add(
          JOB_SEND_BUNDLE,
          { id },
          { ...SEND_JOB_OPTIONS, jobId: bundleJobId(id), delay: RETRY_DELAY_MS },
        );
      }
      return { bundles: data.ids.length, outcomes };
    }
    if (!('id' in data)) throw new Error(`send job ${job.name} without an id`);
    const r =
      job.name === JOB_SEND_DIGEST
        ? await delivery.deliverDigest(data.id)
        : job.name === JOB_SEND_BUNDLE
          ? await inFlight.run(() => delivery.deliverBundle(data.id))
          : null;
    if (!r) throw new Error(`unknown send job ${job.name}`);
    await queueFallback(job, r);
    return r;
  };
}
