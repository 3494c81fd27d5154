import { fromZonedTime } from 'date-fns-tz';
import type { Db } from '#root/db/client.js';
import { arrayLiteral, prepared } from '#root/db/prepared.js';
import { boundedMemo } from '#root/lib/bounded-memo.js';
import { DAY_SLOT, type ItemKind } from '#root/domain/bundles.js';
import { stageSql } from '#root/domain/stages.js';
import type { Lang } from '#root/domain/wording.js';
import { ADDRESS_FIELDS, addressColumn, addressesOf } from '#root/channels/registry.js';
import type { ContactAddresses } from '#root/channels/spec.js';
import type { Channel } from '#root/generated/prisma/client.js';

/** Every channel's address columns of the contact `c`, each as its field's name (`"telegramChatId"`). */
const ADDRESS_COLUMNS = ADDRESS_FIELDS.map((f) => `c.${addressColumn(f)} AS "${f}"`).join(', ');

/** A bundle as its message needs it: one row of {@link loadBundles}, with its candidate items. */
export interface LoadedBundle {
  id: string;
  orgId: string;
  orgName: string;
  timeZone: string;
  status: string;
  channel: Channel;
  /** The local day, YYYY-MM-DD. */
  day: string;
  slot: string;
  scheduledAt: Date;
  contact: {
    id: string;
    name: string;
    locale: Lang;
    active: boolean;
    unitName: string;
  } & ContactAddresses;
  /** The pending reminders of the bundle's contact, channel, day and slot: what it may carry. */
  items: LoadedItem[];
}

/** One pending reminder a bundle may carry, with its obligation, duty and plan. */
export interface LoadedItem {
  id: string;
  stage: string;
  kind: ItemKind;
  scheduledAt: Date;
  obligation: {
    id: string;
    status: string;
    current: boolean;
    dueAt: Date;
    extendedTo: Date | null;
    periodKey: string;
    unitName: string;
    unitId: string;
    /** appendix, report, manual: a yearly report's reminder lists the indicators still missing. */
    dutyOrigin: string;
    dutyCode: string;
    dutyTitle: string;
    planCode: string;
    planTitle: string;
  };
}

// A reminder's stage id read in SQL: a nudge's (its own bundle), and its step (the nudge's slot).
const IS_NUDGE = stageSql.isNudge('r.stage');
const STEP = stageSql.step('r.stage');

// Days already turned into instants, by zone and day: every bundle of a day shares them.
const bounds = boundedMemo<string, { from: Date; to: Date }>(10_000);

/** The instants a local day starts and ends at, in `zone`. */
export function dayBounds(day: string, zone: string): { from: Date; to: Date } {
  return bounds(`${zone}|${day}`, () => {
    const next = new Date(`${day}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    return {
      from: fromZonedTime(`${day}T00:00:00`, zone),
      to: fromZonedTime(`${next.toISOString().slice(0, 10)}T00:00:00`, zone),
    };
  });
}

const bundlesStatement = prepared<
  {
    id: string;
    org_id: string;
    org_name: string;
    tz: string;
    status: string;
    channel: Channel;
    day: string;
    slot: string;
    scheduled_at: Date;
    contact_id: string;
    c_name: string;
    c_locale: Lang;
    c_active: boolean;
    c_unit: string;
  } & ContactAddresses
>(
  'dondoc_load_bundles',
  `SELECT b.id, b.org_id, g.name AS org_name, g.time_zone AS tz, b.status::text, b.channel::text, b.day::text AS day,
          b.slot, b.scheduled_at, b.contact_id, c.name AS c_name, c.locale::text AS c_locale,
          ${ADDRESS_COLUMNS}, c.active AS c_active, cu.name AS c_unit
     FROM bundles b
     JOIN contacts c ON c.id = b.contact_id
     JOIN units cu ON cu.id = c.unit_id
     JOIN organisations g ON g.id = b.org_id
    WHERE b.id = ANY($1::uuid[])`,
);

const itemsStatement = prepared<{
  bundle_id: string;
  id: string;
  stage: string;
  kind: ItemKind;
  scheduled_at: Date;
  o_id: string;
  o_status: string;
  o_current: boolean;
  o_due: Date;
  o_extended: Date | null;
  o_period: string;
  o_unit: string;
  o_unit_id: string;
  d_origin: string;
  d_code: string;
  d_title: string;
  p_code: string;
  p_title: string;
}>(
  'dondoc_load_bundle_items',
  `SELECT x.bundle_id, r.id, r.stage, r.kind::text AS kind, r.scheduled_at,
          o.id AS o_id, o.status::text AS o_status, o.current AS o_current, o.due_at AS o_due,
          o.extended_to AS o_extended, o.period_key AS o_period, ou.name AS o_unit, o.unit_id AS o_unit_id,
          d.origin::text AS d_origin, d.code AS d_code, d.title AS d_title, p.code AS p_code, p.title AS p_title
     FROM unnest($1::uuid[], $2::uuid[], $3::"Channel"[], $4::timestamptz[], $5::timestamptz[], $6::text[])
          AS x(bundle_id, contact_id, channel, t0, t1, slot)
     -- Per bundle, its contact's pending reminders of the day, by their index (a lateral subquery
     -- kept apart, OFFSET 0): never every pending reminder read and joined, which the planner chose
     -- when the statistics said pending rows were rare (or there were none yet).
     CROSS JOIN LATERAL (
       SELECT r.id, r.stage, r.kind, r.scheduled_at, r.obligation_id FROM reminders r
        WHERE r.contact_id = x.contact_id AND r.channel = x.channel AND r.status = 'pending'
          AND r.scheduled_at >= x.t0 AND r.scheduled_at < x.t1
          AND (CASE WHEN x.slot = $7::text THEN NOT ${IS_NUDGE} ELSE ${STEP} = x.slot END)
       OFFSET 0) r
     JOIN obligations o ON o.id = r.obligation_id
     JOIN units ou ON ou.id = o.unit_id
     JOIN duties d ON d.id = o.duty_id
     JOIN plans p ON p.id = d.plan_id`,
);

/**
 * A batch of bundles with their contact and organisation (one statement), then the pending
 * reminders each may carry (one statement for the batch): the hottest reads of a busy worker.
 * `known`, if given, is told the bundles (without their items yet) as soon as the first statement
 * has answered, while the second runs: what else they need may be asked for meanwhile.
 */
export async function loadBundles(
  db: Db,
  ids: string[],
  known?: (bundles: LoadedBundle[]) => void,
): Promise<LoadedBundle[]> {
  const rows = await bundlesStatement(db, [arrayLiteral(ids)]);
  const bundles: LoadedBundle[] = rows.map((x) => ({
    id: x.id,
    orgId: x.org_id,
    orgName: x.org_name,
    timeZone: x.tz,
    status: x.status,
    channel: x.channel,
    day: x.day,
    slot: x.slot,
    scheduledAt: x.scheduled_at,
    contact: {
      id: x.contact_id,
      name: x.c_name,
      locale: x.c_locale,
      ...addressesOf(x),
      active: x.c_active,
      unitName: x.c_unit,
    },
    items: [],
  }));
  const open = bundles.filter((b) => b.status === 'pending');
  if (!open.length) return bundles;
  known?.(open);
  const days = open.map((b) => dayBounds(b.day, b.timeZone));
  const items = await itemsStatement(db, [
    arrayLiteral(open.map((b) => b.id)),
    arrayLiteral(open.map((b) => b.contact.id)),
    arrayLiteral(open.map((b) => b.channel)),
    arrayLiteral(days.map((b) => b.from.toISOString())),
    arrayLiteral(days.map((b) => b.to.toISOString())),
    arrayLiteral(open.map((b) => b.slot)),
    DAY_SLOT,
  ]);
  const byBundle = new Map(open.map((b) => [b.id, b]));
  for (const x of items) {
    byBundle.get(x.bundle_id)?.items.push({
      id: x.id,
      stage: x.stage,
      kind: x.kind,
      scheduledAt: x.scheduled_at,
      obligation: {
        id: x.o_id,
        status: x.o_status,
        current: x.o_current,
        dueAt: x.o_due,
        extendedTo: x.o_extended,
        periodKey: x.o_period,
        unitName: x.o_unit,
        unitId: x.o_unit_id,
        dutyOrigin: x.d_origin,
        dutyCode: x.d_code,
        dutyTitle: x.d_title,
        planCode: x.p_code,
        planTitle: x.p_title,
      },
    });
  }
  return bundles;
}
