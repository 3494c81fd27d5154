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
/** One job per day's message (bundle). */
export const JOB_SEND_BUNDLE = 'send-bundle';
export const JOB_SEND_DIGEST = 'send-digest';

/** Job scheduler ids (upserted, so several schedulers converge on one of each). */
export const reconcileSchedulerId = (orgCode: string) => `reconcile-${orgCode}`;
export const planSchedulerId = (orgCode: string) => `plan-${orgCode}`;

/** The send job of a reminder or digest: one id per row, so a row is queued at most once at a time. */
export const reminderJobId = (reminderId: string) => `reminder-${reminderId}`;
export const bundleJobId = (bundleId: string) => `bundle-${bundleId}`;
export const digestJobId = (digestId: string) => `digest-${digestId}`;

export interface OrgJobData {
  orgId: string;
}
export interface SendJobData {
  id: string;
}
