import { randomUUID } from 'node:crypto';
import type { Channel, ContactRole } from '#root/generated/prisma/client.js';
import type { Db } from '#root/db/client.js';
import { normalizeUnitName } from '#root/domain/units.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { dueNextYear } from './clock.js';

export interface MiniOrgOptions {
  code?: string;
  /** How many units, each with one contact. */
  units: number;
  /** Each duty: a code and a one-off due date (YYYY-MM-DD); every unit leads every duty. */
  duties: { code: string; due: string }[];
  channels?: Channel[];
  email?: (i: number) => string | null;
  admin?: boolean;
  now: Date;
}

/**
 * A small organisation built straight in the database: units, one contact each, a plan whose duties
 * every unit leads, and their obligations — for tests that need reminders without an import.
 */
export async function buildMiniOrg(db: Db, o: MiniOrgOptions) {
  const org = await db.organisation.create({ data: { code: o.code ?? 'mini', name: 'Tổ chức thử' } });
  const plan = await db.plan.create({ data: { orgId: org.id, code: '1/KH-TEST', title: 'Kế hoạch thử' } });
  const units = [];
  for (let i = 0; i < o.units; i++) {
    const name = `Đơn vị thử ${i + 1}`;
    units.push(await db.unit.create({ data: { orgId: org.id, name, normalized: normalizeUnitName(name) } }));
  }
  const contacts = await Promise.all(
    units.map((u, i) =>
      db.contact.create({
        data: {
          orgId: org.id,
          unitId: u.id,
          name: `Người ${i + 1}`,
          role: 'contact' as ContactRole,
          email: o.email?.(i) ?? null,
          channels: o.channels ?? ['sandbox'],
        },
      }),
    ),
  );
  if (o.admin)
    await db.contact.create({
      data: { orgId: org.id, unitId: units[0]!.id, name: 'Quản trị', role: 'admin', channels: ['sandbox'] },
    });
  for (const [position, d] of o.duties.entries()) {
    const duty = await db.duty.create({
      data: { orgId: org.id, planId: plan.id, code: d.code, title: `Nhiệm vụ ${d.code}`, timeframe: d.due, position },
    });
    await db.schedule.create({ data: { orgId: org.id, dutyId: duty.id, kind: 'once', due: d.due, raw: d.due } });
    await db.assignment.createMany({
      data: units.map((u, i) => ({
        orgId: org.id,
        dutyId: duty.id,
        role: 'lead' as const,
        unitId: u.id,
        target: `u:${u.id}`,
        rawName: u.name,
        position: i,
      })),
    });
  }
  return { org, plan, units, contacts };
}

export interface TelegramRemindersOptions {
  code: string;
  /** Units, one contact each, linked to private chats `firstChat + 1` … `firstChat + chats`. */
  chats: number;
  /** Duties every unit leads: one obligation, and one reminder, per (unit, duty). */
  perChat: number;
  firstChat: number;
  now: Date;
}

/** One seeded Telegram reminder: its message's ✅ button names `obligationId`, so it can be told apart at the server. */
export interface SeededReminder {
  id: string;
  obligationId: string;
  chatId: number;
}

/**
 * `chats × perChat` Telegram reminders due now, one per obligation, interleaved across the chats
 * (row i goes to chat i % chats and is scheduled i ms after the first, so that the dispatcher
 * queues them in that order). Each reminder's message is told apart from the others of its chat by
 * the obligation its buttons name.
 */
export async function buildTelegramReminders(
  db: Db,
  o: TelegramRemindersOptions,
): Promise<{ orgId: string; reminders: SeededReminder[] }> {
  // Due next year whatever day the tests run.
  const { due, window, stageDay } = dueNextYear(o.now);
  const duties = Array.from({ length: o.perChat }, (_, i) => ({ code: `D${i + 1}`, due }));
  const mini = await buildMiniOrg(db, { code: o.code, units: o.chats, duties, channels: ['telegram'], now: o.now });
  const orgId = mini.org.id;
  await db.$executeRaw`
    UPDATE contacts c SET telegram_chat_id = ${o.firstChat} + x.n
      FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM contacts WHERE org_id = ${orgId}::uuid) x
     WHERE c.id = x.id`;
  await reconcileObligations(db, orgId, window, o.now);
  const obligations = await db.obligation.findMany({
    where: { orgId },
    include: { unit: { include: { contacts: true } }, duty: true },
    orderBy: [{ duty: { position: 'asc' } }, { unitId: 'asc' }],
  });
  if (obligations.length !== o.chats * o.perChat)
    throw new Error(`expected ${o.chats * o.perChat} obligations, got ${obligations.length}`);
  const base = o.now.getTime() - obligations.length - 1_000;
  const rows = obligations.map((ob, i) => ({
    id: randomUUID(),
    orgId,
    obligationId: ob.id,
    contactId: ob.unit.contacts[0]!.id,
    channel: 'telegram' as const,
    kind: 'overdue' as const,
    stage: `nudge-chaos@${stageDay}`,
    scheduledAt: new Date(base + i),
  }));
  for (let i = 0; i < rows.length; i += 2_000) await db.reminder.createMany({ data: rows.slice(i, i + 2_000) });
  const chatOf = new Map(obligations.map((ob) => [ob.id, Number(ob.unit.contacts[0]!.telegramChatId)]));
  return {
    orgId,
    reminders: rows.map((r) => ({ id: r.id, obligationId: r.obligationId, chatId: chatOf.get(r.obligationId)! })),
  };
}
