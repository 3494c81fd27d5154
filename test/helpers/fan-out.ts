import { Queue } from 'bullmq';
import { dispatchDue } from '#jobs/dispatch.js';
import { bundleIdsOf, JOB_SEND_BUNDLE, JOB_SEND_BUNDLES, REMINDERS_QUEUE, type SendJobData } from '#jobs/queues.js';
import type { Db } from '#root/db/client.js';
import type { Redis } from '#root/redis.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { buildMiniOrg } from './builders.js';
import { dueNextYear, wallClockStart } from './clock.js';

/**
 * `count` sandbox reminders due now (a manual nudge for each obligation of a new organisation,
 * four duties per unit, one contact per unit), queued on `connection` under `prefix`. A contact's
 * reminders of the nudge go out as one message (a bundle): `bundles` is how many messages to expect
 * (`count / 4`, rounded up), `itemsPerBundle` the distinct numbers of reminders they carry ([4]
 * when `count` is a multiple of four).
 */
export async function queueSandboxFanOut(
  db: Db,
  connection: Redis,
  prefix: string,
  code: string,
  count: number,
): Promise<{ orgId: string; bundles: number; itemsPerBundle: number[] }> {
  // The programs under test are other processes, on the wall clock: so is `now`, and the
  // obligations are due next year whatever day this runs.
  const now = wallClockStart();
  const { due, window, stageDay } = dueNextYear(now);
  const mini = await buildMiniOrg(db, {
    code,
    units: Math.ceil(count / 4),
    duties: ['A', 'B', 'C', 'D'].map((c) => ({ code: c, due })),
    now,
  });
  const orgId = mini.org.id;
  await reconcileObligations(db, orgId, window, now);
  const obligations = await db.obligation.findMany({
    where: { orgId },
    include: { unit: { include: { contacts: true } } },
    // Whole units first, so that `count` reminders make `count / 4` bundles (rounded up).
    orderBy: [{ unitId: 'asc' }, { id: 'asc' }],
    take: count,
  });
  await db.reminder.createMany({
    data: obligations.map((o) => ({
      orgId,
      obligationId: o.id,
      contactId: o.unit.contacts[0]!.id,
      channel: 'sandbox' as const,
      kind: 'lead' as const,
      stage: `nudge-ha@${stageDay}`,
      scheduledAt: now,
    })),
  });
  const queue = new Queue<SendJobData>(REMINDERS_QUEUE, { connection, prefix });
  await dispatchDue(db, queue, orgId, now, 0);
  await queue.close();
  const perContact = new Map<string, number>();
  for (const o of obligations)
    perContact.set(o.unit.contacts[0]!.id, (perContact.get(o.unit.contacts[0]!.id) ?? 0) + 1);
  return { orgId, bundles: perContact.size, itemsPerBundle: [...new Set(perContact.values())].sort((a, b) => a - b) };
}

/**
 * What the sandbox outbox holds for an organisation, counted by message (one per bundle):
 * `messages` rows, `distinct` different (person, subject, text) among them, `duplicates` the rows
 * beyond the first of each.
 */
export async function outboxTally(
  db: Db,
  orgId: string,
): Promise<{ messages: number; distinct: number; duplicates: number }> {
  const [row] = await db.$queryRaw<{ messages: bigint; distinct: bigint }[]>`
    SELECT count(*) AS messages,
           count(DISTINCT (contact_id, subject, body)) AS distinct
      FROM outbox_messages WHERE org_id = ${orgId}::uuid`;
  const messages = Number(row!.messages);
  const distinct = Number(row!.distinct);
  return { messages, distinct, duplicates: messages - distinct };
}

/** Reminders of an organisation by status (`{ sent: 2000 }` when all went out). */
export async function remindersByStatus(db: Db, orgId: string): Promise<Record<string, number>> {
  const groups = await db.reminder.groupBy({ by: ['status'], where: { orgId }, _count: true });
  return Object.fromEntries(groups.map((g) => [g.status, g._count]));
}

/** Bundles of an organisation that went out (a progress count: one message each). */
export const bundlesSent = (db: Db, orgId: string): Promise<number> =>
  db.bundle.count({ where: { orgId, status: 'sent' } });

/**
 * Exactly once, per bundle and per item, for an organisation: `bundles` of them, by status;
 * `contacts` with a reminder and `perContact` (the distinct numbers of bundles a contact has: [1]
 * when each has one); `itemsPerBundle` the distinct sizes of the bundles; `unbundled` reminders in no
 * bundle (a reminder's `bundle_id` names one bundle, so none is in two); `outbox` the sandbox
 * messages, `outboxBundles` the different bundles they carry, `outboxUnbundled` those that carry
 * none.
 */
export async function bundleTally(
  db: Db,
  orgId: string,
): Promise<{
  bundles: Record<string, number>;
  contacts: number;
  perContact: number[];
  itemsPerBundle: number[];
  unbundled: number;
  outbox: number;
  outboxBundles: number;
  outboxUnbundled: number;
}> {
  const bundles = await db.bundle.findMany({
    where: { orgId },
    select: { contactId: true, status: true, _count: { select: { items: true } } },
  });
  const byStatus: Record<string, number> = {};
  for (const b of bundles) byStatus[b.status] = (byStatus[b.status] ?? 0) + 1;
  const ofContact = new Map<string, number>();
  for (const b of bundles) ofContact.set(b.contactId, (ofContact.get(b.contactId) ?? 0) + 1);
  const reminders = await db.reminder.findMany({ where: { orgId }, select: { contactId: true, bundleId: true } });
  const messages = await db.outboxMessage.findMany({ where: { orgId }, select: { bundleId: true } });
  const sorted = (xs: Iterable<number>) => [...new Set(xs)].sort((a, b) => a - b);
  return {
    bundles: byStatus,
    contacts: new Set(reminders.map((r) => r.contactId)).size,
    perContact: sorted(ofContact.values()),
    itemsPerBundle: sorted(bundles.map((b) => b._count.items)),
    unbundled: reminders.filter((r) => r.bundleId === null).length,
    outbox: messages.length,
    outboxBundles: new Set(messages.map((m) => m.bundleId).filter((id) => id !== null)).size,
    outboxUnbundled: messages.filter((m) => m.bundleId === null).length,
  };
}

/** The bundles on a send queue (waiting, delayed or active), whether queued alone or in a batch. */
export async function queuedBundleIds(queue: Queue<SendJobData>): Promise<string[]> {
  const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized', 'active']);
  return jobs.flatMap((j) => (j.name === JOB_SEND_BUNDLE || j.name === JOB_SEND_BUNDLES ? bundleIdsOf(j.data) : []));
}
