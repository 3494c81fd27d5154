import type { Job, Queue } from 'bullmq';
import type { Logger } from '#root/logger.js';
import type { Delivery } from '#root/services/delivery.js';
import { SEND_JOB_OPTIONS } from './dispatch.js';
import { digestJobId, JOB_SEND_DIGEST, JOB_SEND_REMINDER, reminderJobId, type SendJobData } from './queues.js';

/** Processes send jobs: one reminder or digest each; a permanent failure queues the fallback channel's copy. */
export function createSendProcessor(delivery: Delivery, queue: Queue<SendJobData>, logger: Logger) {
  return async (job: Job<SendJobData>) => {
    const r =
      job.name === JOB_SEND_DIGEST
        ? await delivery.deliverDigest(job.data.id)
        : job.name === JOB_SEND_REMINDER
          ? await delivery.deliverReminder(job.data.id)
          : null;
    if (!r) throw new Error(`unknown send job ${job.name}`);
    if (r.outcome === 'failed' && r.fallback) {
      const jobId = job.name === JOB_SEND_DIGEST ? digestJobId(r.fallback) : reminderJobId(r.fallback);
      await queue.add(job.name, { id: r.fallback }, { ...SEND_JOB_OPTIONS, jobId });
      logger.info({ job: job.id, fallback: jobId }, 'queued on the next channel');
    }
    return r;
  };
}
