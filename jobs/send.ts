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

/**
 * Processes send jobs: one day's message (bundle), a batch of them, or a digest; a permanent
 * failure queues the fallback channel's copy. The bundles of a batch go at once, at most
 * `bundlesInFlight` in this process over all its jobs (each is claimed, sent and recorded on its
 * own: see services/delivery.ts). If any of them fails for now, the batch job fails once they are
 * all done and BullMQ retries it with backoff: the bundles sent, failed or cancelled meanwhile are
 * skipped then (not pending), so the retry sends only what is left. A per-reminder job of an
 * earlier version does nothing: the next dispatch puts its reminder in its day's message.
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
      const errors: unknown[] = [];
      for (const r of results) {
        if (r.status === 'rejected') {
          errors.push(r.reason);
          continue;
        }
        outcomes[r.value.outcome] = (outcomes[r.value.outcome] ?? 0) + 1;
        await queueFallback(job, r.value);
      }
      if (errors.length) {
        const first = errors[0];
        throw new Error(
          `${errors.length} of ${data.ids.length} bundles failed for now (the first: ${first instanceof Error ? first.message : String(first)}); the batch is retried`,
          { cause: first },
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
