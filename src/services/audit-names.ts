import type { Db } from '#root/db/client.js';
import { actorNamer } from './actors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What an audit row names, as people read it: a name, and the page of the administrators where it is. */
export interface Named {
  name: string;
  href: string | null;
}

export interface AuditNames {
  /** "Chị Quản Trị (quản trị viên)", "Đầu mối Sở Y tế", "nguyen (dòng lệnh)", "hệ thống". */
  actor(actor: string): string;
  /** The thing a row changed, or null when it is gone or unnamed. */
  entity(entity: string, id: string | null): Named | null;
}

/**
 * The names behind a page of audit rows, read in a few queries: administrators and contacts that
 * acted; units, obligations (a duty's code and a unit), duties, plans, contacts and groups changed.
 * Only this organisation's rows are looked up: another's id names nothing.
 */
export async function auditNames(
  db: Db,
  orgId: string,
  rows: { actor: string; entity: string; entityId: string | null }[],
): Promise<AuditNames> {
  const ids = (entity: string) => [
    ...new Set(rows.flatMap((r) => (r.entity === entity && r.entityId && UUID.test(r.entityId) ? [r.entityId] : []))),
  ];
  const contactActors = [
    ...new Set(rows.flatMap((r) => (/^contact:[0-9a-f-]{36}$/i.test(r.actor) ? [r.actor.slice(8)] : []))),
  ];
  const policyUnits = [
    ...new Set(
      rows.flatMap((r) =>
        r.entity === 'policy' && r.entityId?.startsWith('unit:') && UUID.test(r.entityId.slice(5))
          ? [r.entityId.slice(5)]
          : [],
      ),
    ),
  ];
  const [namer, units, obligations, duties, plans, contacts, groups] = await Promise.all([
    actorNamer(db, orgId),
    db.unit.findMany({
      where: { orgId, id: { in: [...ids('unit'), ...policyUnits] } },
      select: { id: true, name: true },
    }),
    db.obligation.findMany({
      where: { orgId, id: { in: ids('obligation') } },
      select: { id: true, periodKey: true, duty: { select: { code: true } }, unit: { select: { name: true } } },
    }),
    db.duty.findMany({ where: { orgId, id: { in: ids('duty') } }, select: { id: true, code: true, title: true } }),
    db.plan.findMany({ where: { orgId, id: { in: ids('plan') } }, select: { id: true, code: true } }),
    db.contact.findMany({
      where: { orgId, id: { in: [...ids('contact'), ...contactActors] } },
      select: { id: true, name: true, unitId: true, unit: { select: { name: true } } },
    }),
    db.unitGroup.findMany({ where: { orgId, id: { in: ids('group') } }, select: { id: true, name: true } }),
  ]);
  const byId = new Map<string, Named>();
  for (const u of units) byId.set(`unit:${u.id}`, { name: u.name, href: `/admin/units/${u.id}` });
  for (const o of obligations)
    byId.set(`obligation:${o.id}`, {
      name: `${o.duty.code} của ${o.unit.name}`,
      href: `/admin/obligations/${o.id}`,
    });
  // A duty by its code and the start of its title (plans' titles run to several lines).
  const short = (title: string) => (title.length > 60 ? `${title.slice(0, 59).trimEnd()}…` : title);
  for (const d of duties)
    byId.set(`duty:${d.id}`, { name: `${d.code} «${short(d.title)}»`, href: `/admin/duties/${d.id}` });
  for (const p of plans) byId.set(`plan:${p.id}`, { name: p.code, href: `/admin/status?plan=${p.id}` });
  for (const c of contacts)
    byId.set(`contact:${c.id}`, { name: `${c.name} (${c.unit.name})`, href: `/admin/units/${c.unitId}` });
  for (const g of groups) byId.set(`group:${g.id}`, { name: g.name, href: `/admin/groups/${g.id}` });
  const contactNames = new Map(contacts.map((c) => [c.id, c.name]));
  return {
    actor(actor) {
      if (actor.startsWith('contact:')) return contactNames.get(actor.slice(8)) ?? namer(actor);
      if (actor === 'system' || actor === 'scheduler') return 'hệ thống';
      return namer(actor);
    },
    entity(entity, id) {
      if (!id) return null;
      if (entity === 'policy') {
        if (id === 'org') return { name: 'cả tổ chức', href: '/admin/policies' };
        const unit = id.startsWith('unit:') ? byId.get(id) : undefined;
        return { name: unit?.name ?? 'một phạm vi', href: '/admin/policies' };
      }
      return byId.get(`${entity}:${id}`) ?? null;
    },
  };
}
