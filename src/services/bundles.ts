import type { Db } from '#root/db/client.js';
import { DAY_SLOT } from '#root/domain/bundles.js';
import { stageSql } from '#root/domain/stages.js';
import { Prisma } from '#root/generated/prisma/client.js';

/**
 * `bundleSlot` (src/domain/bundles.ts) in SQL, of the reminder row `r`: its nudge's step ("nudge-<t>", the stage id
 * up to its "@") for a manual nudge, else the day's slot, read by `stageSql` of src/domain/stages.ts.
 */
const SLOT_OF_R = Prisma.sql`CASE WHEN ${Prisma.raw(stageSql.isNudge('r.stage'))} THEN ${Prisma.raw(stageSql.step('r.stage'))} ELSE ${DAY_SLOT} END`;

/**
 * The day's messages (bundles) of an organisation's pending reminders due by `horizon`: one per
 * contact, channel, local day and slot (the day, or one nudge), scheduled at its earliest item.
 * Idempotent (the unique key); a pending bundle takes an earlier item's instant. A pending reminder
 * whose day's message has already gone (sent, failed or cancelled: planned after it left) is
 * cancelled: a person gets one message a day, and the next day's carries what is still open.
 * Returns how many bundles were made (or moved earlier).
 *
 * One statement, one round trip (it starts every dispatch, ahead of the first send job):
 * 1. `grp`: the pending reminders grouped by message, read once (the organisation's zone read once
 *    too, not joined per reminder);
 * 2. `gone`: the groups whose message has already left, looked up once per group (not per reminder,
 *    which the planner does when this is not materialised);
 * 3. `made`: the missing bundles inserted, pending ones moved to an earlier item's instant;
 * 4. `dropped`: the reminders of the groups in `gone` cancelled.
 * All four see the snapshot the statement started with: a message that leaves meanwhile has its
 * late reminders cancelled by the next dispatch (its send skips what is not claimed with it).
 */
export async function bundlePending(db: Db, orgId: string, horizon: Date): Promise<number> {
  const rows = await db.$queryRaw<{ made: number }[]>`
    WITH org AS MATERIALIZED (
      SELECT time_zone FROM organisations WHERE id = ${orgId}::uuid
    ), grp AS MATERIALIZED (
      SELECT r.org_id, r.contact_id, r.channel, (r.scheduled_at AT TIME ZONE org.time_zone)::date AS day,
             ${SLOT_OF_R} AS slot, min(r.scheduled_at) AS at
        FROM reminders r, org
       WHERE r.org_id = ${orgId}::uuid AND r.status = 'pending' AND r.scheduled_at <= ${horizon}
       GROUP BY 1, 2, 3, 4, 5
    ), gone AS MATERIALIZED (
      SELECT grp.contact_id, grp.channel, grp.day, grp.slot
        FROM grp JOIN bundles b
          ON b.contact_id = grp.contact_id AND b.channel = grp.channel AND b.day = grp.day AND b.slot = grp.slot
       WHERE b.status IN ('sent', 'failed', 'cancelled')
    ), made AS (
      INSERT INTO bundles (id, org_id, contact_id, channel, day, slot, scheduled_at, status, attempts, created_at)
      SELECT gen_random_uuid(), org_id, contact_id, channel, day, slot, at, 'pending', 0, now() FROM grp
      ON CONFLICT (contact_id, channel, day, slot) DO UPDATE SET scheduled_at = EXCLUDED.scheduled_at
       WHERE bundles.status = 'pending' AND EXCLUDED.scheduled_at < bundles.scheduled_at
      RETURNING 1
    ), dropped AS (
      UPDATE reminders r SET status = 'cancelled', last_error = 'the day''s message had gone'
        FROM gone, org
       WHERE r.org_id = ${orgId}::uuid AND r.status = 'pending' AND r.scheduled_at <= ${horizon}
         AND r.contact_id = gone.contact_id AND r.channel = gone.channel
         AND (r.scheduled_at AT TIME ZONE org.time_zone)::date = gone.day
         AND ${SLOT_OF_R} = gone.slot
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM made)::int AS made`;
  return rows[0]?.made ?? 0;
}

/** The bundle a reminder goes out in (made if it is not yet); null when the reminder is gone. */
export async function ensureBundleOf(db: Db, reminderId: string): Promise<string | null> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO bundles (id, org_id, contact_id, channel, day, slot, scheduled_at, status, attempts, created_at)
    SELECT gen_random_uuid(), r.org_id, r.contact_id, r.channel, (r.scheduled_at AT TIME ZONE g.time_zone)::date,
           ${SLOT_OF_R},
           r.scheduled_at, 'pending', 0, now()
      FROM reminders r JOIN organisations g ON g.id = r.org_id
     WHERE r.id = ${reminderId}::uuid
    ON CONFLICT (contact_id, channel, day, slot) DO UPDATE SET scheduled_at = bundles.scheduled_at
    RETURNING id`;
  return rows[0]?.id ?? null;
}

/** One entry of a bundle's layout: obligation, code, whether it has buttons. */
export interface LayoutEntry {
  o: string;
  c: string;
  b: boolean;
}

/**
 * The Telegram messages that carried an obligation (alone or among the items of a day's message),
 * with each message's items as shown: what an edit in place rebuilds the buttons of.
 */
export async function telegramBundlesOf(
  db: Db,
  obligationId: string,
): Promise<{ chatId: number; messageId: number; layout: LayoutEntry[]; closed: Set<string> }[]> {
  const bundles = await db.bundle.findMany({
    where: { channel: 'telegram', status: 'sent', externalId: { not: null }, items: { some: { obligationId } } },
    select: { externalId: true, layout: true },
  });
  const layouts = bundles.map((b) => (Array.isArray(b.layout) ? (b.layout as unknown as LayoutEntry[]) : []));
  const all = [...new Set(layouts.flatMap((l) => l.map((e) => e.o)))];
  const closed = new Set(
    (await db.obligation.findMany({ where: { id: { in: all }, status: { not: 'open' } }, select: { id: true } })).map(
      (o) => o.id,
    ),
  );
  closed.add(obligationId);
  return bundles.flatMap((b, k) => {
    const m = /^(-?\d+):(\d+)$/.exec(b.externalId ?? '');
    return m ? [{ chatId: Number(m[1]), messageId: Number(m[2]), layout: layouts[k]!, closed }] : [];
  });
}
