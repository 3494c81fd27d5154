import type { Job, Queue } from 'bullmq';
import type { Logger } from '#root/logger.js';
import type { Delivery } from '#root/services/delivery.js';
import { SEND_JOB_OPTIONS } from './dispatch.js';
import {
  bundleJobId,
  digestJobId,
  JOB_SEND_BUNDLE,
  JOB_SEND_DIGEST,
  JOB_SEND_REMINDER,
  type SendJobData,
} from './queues.js';

/**
 * Processes send jobs: one day's message (bundle) or digest each; a permanent failure queues the
 * fallback channel's copy. A per-reminder job of an earlier version does nothing: the next
 * dispatch puts its reminder in its day's message.
 */
export function createSendProcessor(delivery: Delivery, queue: Queue<SendJobData>, logger: Logger) {
  return async (job: Job<SendJobData>) => {
    if (job.name === JOB_SEND_REMINDER) return { outcome: 'skipped', reason: 'reminders go out in bundles' } as const;
    const r =
      job.name === JOB_SEND_DIGEST
        ? await delivery.deliverDigest(job.data.id)
        : job.name === JOB_SEND_BUNDLE
          ? await delivery.deliverBundle(job.data.id)
          : null;
    if (!r) throw new Error(`unknown send job ${job.name}`);
    if (r.outcome === 'failed' && r.fallback) {
      const jobId = job.name === JOB_SEND_DIGEST ? digestJobId(r.fallback) : bundleJobId(r.fallback);
      await queue.add(job.name, { id: r.fallback }, { ...SEND_JOB_OPTIONS, jobId });
      logger.info({ job: job.id, fallback: jobId }, 'queued on the next channel');
    }
    return r;
  };
}
