import { Queue } from 'bullmq';
import { dispatchDue } from '#jobs/dispatch.js';
import { REMINDERS_QUEUE, type SendJobData } from '#jobs/queues.js';
import type { Db } from '#root/db/client.js';
import type { Redis } from '#root/redis.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { buildMiniOrg } from './builders.js';

/**
 * `count` sandbox reminders due now (a manual nudge for each obligation of a new organisation,
 * four duties per unit, one contact per unit), queued on `connection` under `prefix`.
 */
export async function queueSandboxFanOut(
  db: Db,
  connection: Redis,
  prefix: string,
  code: string,
  count: number,
): Promise<{ orgId: string }> {
  const now = new Date();
  const mini = await buildMiniOrg(db, {
    code,
    units: Math.ceil(count / 4),
    duties: ['A', 'B', 'C', 'D'].map((c) => ({ code: c, due: '2027-06-30' })),
    now,
  });
  const orgId = mini.org.id;
  await reconcileObligations(db, orgId, { from: '2027-01-01', to: '2027-12-31' }, now);
  const obligations = await db.obligation.findMany({
    where: { orgId },
    include: { unit: { include: { contacts: true } } },
    take: count,
  });
  await db.reminder.createMany({
    data: obligations.map((o) => ({
      orgId,
      obligationId: o.id,
      contactId: o.unit.contacts[0]!.id,
      channel: 'sandbox' as const,
      kind: 'lead' as const,
      stage: 'nudge-ha@20270630',
      scheduledAt: now,
    })),
  });
  const queue = new Queue<SendJobData>(REMINDERS_QUEUE, { connection, prefix });
  await dispatchDue(db, queue, orgId, now, 0);
  await queue.close();
  return { orgId };
}

/**
 * What the sandbox outbox holds for an organisation, counted by message rather than by reminder
 * (so that it holds however deliveries are grouped): `messages` rows, `distinct` different
 * (person, subject, text) among them, `duplicates` the rows beyond the first of each.
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
