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
 * Returns how many bundles were made.
 */
export async function bundlePending(db: Db, orgId: string, horizon: Date): Promise<number> {
  const made = await db.$executeRaw`
    INSERT INTO bundles (id, org_id, contact_id, channel, day, slot, scheduled_at, status, attempts, created_at)
    SELECT gen_random_uuid(), r.org_id, r.contact_id, r.channel, (r.scheduled_at AT TIME ZONE g.time_zone)::date,
           ${SLOT_OF_R},
           min(r.scheduled_at), 'pending', 0, now()
      FROM reminders r JOIN organisations g ON g.id = r.org_id
     WHERE r.org_id = ${orgId}::uuid AND r.status = 'pending' AND r.scheduled_at <= ${horizon}
     GROUP BY 2, 3, 4, 5, 6
    ON CONFLICT (contact_id, channel, day, slot) DO UPDATE SET scheduled_at = EXCLUDED.scheduled_at
     WHERE bundles.status = 'pending' AND EXCLUDED.scheduled_at < bundles.scheduled_at`;
  await db.$executeRaw`
    UPDATE reminders r SET status = 'cancelled', last_error = 'the day''s message had gone'
      FROM organisations g, bundles b
     WHERE g.id = r.org_id AND r.org_id = ${orgId}::uuid AND r.status = 'pending' AND r.scheduled_at <= ${horizon}
       AND b.contact_id = r.contact_id AND b.channel = r.channel
       AND b.day = (r.scheduled_at AT TIME ZONE g.time_zone)::date
       AND b.slot = ${SLOT_OF_R}
       AND b.status IN ('sent', 'failed', 'cancelled')`;
  return made;
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
