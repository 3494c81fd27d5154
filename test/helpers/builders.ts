import type { Channel, ContactRole } from '#root/generated/prisma/client.js';
import type { Db } from '#root/db/client.js';
import { normalizeUnitName } from '#root/domain/units.js';

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
  if (o.admin) await db.contact.create({ data: { orgId: org.id, unitId: units[0]!.id, name: 'Quản trị', role: 'admin', channels: ['sandbox'] } });
  for (const [position, d] of o.duties.entries()) {
    const duty = await db.duty.create({ data: { orgId: org.id, planId: plan.id, code: d.code, title: `Nhiệm vụ ${d.code}`, timeframe: d.due, position } });
    await db.schedule.create({ data: { orgId: org.id, dutyId: duty.id, kind: 'once', due: d.due, raw: d.due } });
    await db.assignment.createMany({
      data: units.map((u, i) => ({ orgId: org.id, dutyId: duty.id, role: 'lead' as const, unitId: u.id, target: `u:${u.id}`, rawName: u.name, position: i })),
    });
  }
  return { org, plan, units, contacts };
}
