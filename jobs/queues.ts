import { createHash } from 'node:crypto';

/**
 * Queue and job names: constants in one place. Job ids are deterministic, never contain `:` and
 * are never all digits (BullMQ's rules). Jobs carry ids only, never message text or addresses.
 */

/** Recurring housekeeping per organisation: reconcile obligations, plan and dispatch reminders. */
export const MAINTENANCE_QUEUE = 'maintenance';
/** One job per message to send. */
export const REMINDERS_QUEUE = 'reminders';

export const JOB_RECONCILE = 'reconcile-obligations';
export const JOB_PLAN = 'plan-reminders';
/** A job of an earlier version, one per reminder: now a no-op (the next dispatch bundles the row). */
export const JOB_SEND_REMINDER = 'send-reminder';
/** One day's message (bundle): a fallback, or a bundle due alone. */
export const JOB_SEND_BUNDLE = 'send-bundle';
/**
 * Several day's messages due at about the same instant (see jobs/dispatch.ts): the queue's work
 * (its scripts, round trips and locks) is shared by the batch instead of paid per message.
 */
export const JOB_SEND_BUNDLES = 'send-bundles';
export const JOB_SEND_DIGEST = 'send-digest';

/** Job scheduler ids (upserted, so several schedulers converge on one of each). */
export const reconcileSchedulerId = (orgCode: string) => `reconcile-${orgCode}`;
export const planSchedulerId = (orgCode: string) => `plan-${orgCode}`;

/** The send job of a reminder or digest: one id per row, so a row is queued at most once at a time. */
export const reminderJobId = (reminderId: string) => `reminder-${reminderId}`;
export const bundleJobId = (bundleId: string) => `bundle-${bundleId}`;
/** The job of a batch of bundles: one id per set of bundles, so a batch is queued at most once at a time. */
export const bundlesJobId = (bundleIds: string[]) =>
  `bundles-${createHash('sha256')
    .update([...bundleIds].sort().join(','))
    .digest('hex')
    .slice(0, 32)}`;
export const digestJobId = (digestId: string) => `digest-${digestId}`;

export interface OrgJobData {
  orgId: string;
}
/** A send job's data: one row's id (a bundle, digest or reminder), or a batch of bundles' ids. */
export type SendJobData = { id: string } | { ids: string[] };

/** The bundles a send job carries (none for a digest's or a reminder's job: see its name). */
export const bundleIdsOf = (data: SendJobData): string[] => ('ids' in data ? data.ids : [data.id]);
