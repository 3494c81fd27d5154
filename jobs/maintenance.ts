import type { Job, Queue } from 'bullmq';
import type { Deps } from '#root/deps.js';
import { isDatabaseUnreachable, isRedisConnectionError } from '#root/lib/outage.js';
import type { Delivery } from '#root/services/delivery.js';
import { reconcileCurrent } from '#root/services/obligations.js';
import { materialize, planWindow } from '#root/services/planner.js';
import { dispatchDue } from './dispatch.js';
import { JOB_PLAN, JOB_RECONCILE, type OrgJobData, type SendJobData } from './queues.js';

/** How far ahead the planner writes reminder rows. */
export const PLAN_AHEAD_MS = 24 * 3_600_000;
/**
 * How far back it still writes a stage it missed (the program was down). A stage is sent only
 * within the sending window of its own day (the worker cancels it as missed after that), so looking
 * back further than a window's length would only write rows to cancel.
 */
export const PLAN_BEHIND_MS = 10 * 3_600_000;

/**
 * One planning pass for an organisation (the `plan-reminders` job, every minute):
 *
 * 1. Write the reminder and digest rows of the next day (and of the last day, if missed).
 * 2. Return the organisation's stale claims to pending (a worker died mid-send).
 * 3. Queue every pending row due within `lookaheadMs`, delayed to its instant.
 *
 * Idempotent and safe to run on several schedulers at once.
 */
export async function planPass(
  deps: Pick<Deps, 'db' | 'clock'>,
  delivery: Pick<Delivery, 'reclaimStale'>,
  queue: Queue<SendJobData>,
  orgId: string,
  lookaheadMs: number,
) {
  const now = deps.clock.now();
  const window = { from: new Date(now.getTime() - PLAN_BEHIND_MS), to: new Date(now.getTime() + PLAN_AHEAD_MS) };
  const plan = await planWindow(deps.db, orgId, window.from, window.to);
  const written = await materialize(deps.db, orgId, plan, now, window);
  const reclaimed = await delivery.reclaimStale(orgId, now);
  const queued = await dispatchDue(deps.db, queue, orgId, now, lookaheadMs);
  return { ...written, reclaimed, queued };
}

/** Processes maintenance jobs: `reconcile-obligations` (hourly) and `plan-reminders` (every minute). */
export function createMaintenanceProcessor(
  deps: Pick<Deps, 'db' | 'clock' | 'logger'>,
  delivery: Pick<Delivery, 'reclaimStale'>,
  sendQueue: Queue<SendJobData>,
  lookaheadMs: number,
) {
  return async (job: Job<OrgJobData>) => {
    const org = await deps.db.organisation.findUnique({ where: { id: job.data.orgId }, select: { code: true } });
    const log = deps.logger.child({ job: job.id, name: job.name, org: org?.code ?? job.data.orgId });
    // An organisation removed since its job was scheduled: nothing to do.
    if (!org) return null;
    try {
      if (job.name === JOB_RECONCILE) {
        // This year and the next, read in the organisation's zone (in UTC, the first hours of 1/1
        // in Hanoi still belong to the year before).
        const results = await reconcileCurrent(deps.db, job.data.orgId, deps.clock.now());
        log.info({ results }, 'obligations reconciled');
        return results;
      }
      if (job.name === JOB_PLAN) {
        const r = await planPass(deps, delivery, sendQueue, job.data.orgId, lookaheadMs);
        if (r.reminders || r.cancelled || r.digests || r.reclaimed || r.unreachable) log.info(r, 'reminders planned');
        return r;
      }
    } catch (error) {
      // This organisation's job fails (and is retried by its schedule); the others' jobs are their
      // own. A database outage fails every job alike: the worker's outage report says it once;
      // Redis's the same (reported by the worker once per outage).
      if (!(error instanceof Error && (isDatabaseUnreachable(error) || isRedisConnectionError(error))))
        log.error({ err: error }, 'maintenance job failed for this organisation');
      throw error;
    }
    throw new Error(`unknown maintenance job ${job.name}`);
  };
}
