import type { Db } from '#root/db/client.js';
import { normalizeUnitName } from '#root/domain/units.js';
import { tidy } from '#root/domain/text.js';
import { audit } from './audit.js';
import { isUuid, loadDirectory, resolveName } from './units.js';

/**
 * A unit group's page (issue 16, item 4): its members, the duties assigned to it, and the changes
 * the command line makes (`dondoc groups add/remove`, accepting a proposed group), plus renaming.
 * Bad input is answered as a reason (a code and the name concerned), never as a sentence: the page
 * says it in the administrator's language, beside the field.
 */

/** One group of the organisation with its aliases, members (with their aliases) and duties, or null. */
export async function groupDetail(db: Db, orgId: string, groupId: string) {
  if (!isUuid(groupId)) return null;
  const group = await db.unitGroup.findFirst({
    where: { id: groupId, orgId },
    include: {
      aliases: { orderBy: { alias: 'asc' } },
      members: { include: { unit: { select: { id: true, name: true, active: true, proposed: true } } } },
      assignments: {
        where: { duty: { active: true } },
        include: { duty: { select: { id: true, code: true, title: true, plan: { select: { code: true } } } } },
      },
    },
  });
  if (!group) return null;
  const collator = new Intl.Collator('vi');
  return {
    id: group.id,
    name: group.name,
    proposed: group.proposed,
    aliases: group.aliases.map((a) => a.alias),
    members: group.members.map((m) => m.unit).sort((a, b) => collator.compare(a.name, b.name)),
    duties: group.assignments
      .map((a) => ({ id: a.duty.id, code: a.duty.code, title: a.duty.title, plan: a.duty.plan.code, role: a.role }))
      .sort((a, b) => a.plan.localeCompare(b.plan) || a.code.localeCompare(b.code, undefined, { numeric: true })),
  };
}

/** The units a member field offers: each name and alias (the option's value) with the unit's name. */
export async function unitChoices(db: Db, orgId: string, exceptIds: string[] = []) {
  const units = await db.unit.findMany({
    where: { orgId, id: { notIn: exceptIds } },
    select: { id: true, name: true, aliases: { select: { alias: true }, orderBy: { alias: 'asc' } } },
  });
  const collator = new Intl.Collator('vi');
  return units
    .sort((a, b) => collator.compare(a.name, b.name))
    .flatMap((u) => [{ value: u.name, unit: u.name }, ...u.aliases.map((a) => ({ value: a.alias, unit: u.name }))]);
}

export type MemberRefusal =
  /** Nothing typed. */
  | { reason: 'empty' }
  /** No unit answers to the name (nor an alias of one). */
  | { reason: 'unknown'; name: string }
  /** The name is a group's. */
  | { reason: 'group'; name: string }
  /** The unit is a member already. */
  | { reason: 'member'; name: string };

/**
 * Adds the unit a name (or an alias, as plans write it) answers to: a duty assigned to the group
 * then binds it. Audited as `group.add-members`, like the command line. The caller reconciles
 * the obligations.
 */
export async function addGroupMember(
  db: Db,
  orgId: string,
  groupId: string,
  typed: string,
  actor: string,
): Promise<{ ok: true; unit: { id: string; name: string } } | ({ ok: false } & MemberRefusal)> {
  const name = tidy(typed);
  if (!name) return { ok: false, reason: 'empty' };
  return db.$transaction(async (tx) => {
    const directory = await loadDirectory(tx, orgId);
    const r = resolveName(name, directory);
    if (!r.matched) return { ok: false, reason: 'unknown', name };
    const entry = directory.find((d) => d.id === r.id)!;
    if (entry.kind === 'group') return { ok: false, reason: 'group', name: entry.name };
    const { count } = await tx.unitGroupMember.createMany({
      data: [{ groupId, unitId: entry.id }],
      skipDuplicates: true,
    });
    if (count === 0) return { ok: false, reason: 'member', name: entry.name };
    await audit(tx, {
      orgId,
      actor,
      action: 'group.add-members',
      entity: 'group',
      entityId: groupId,
      data: { units: [entry.name] },
    });
    return { ok: true, unit: { id: entry.id, name: entry.name } };
  });
}

/** Takes a unit out of the group (audited as `group.remove-members`); false when it was not a member. */
export async function removeGroupMember(db: Db, orgId: string, groupId: string, unitId: string, actor: string) {
  if (!isUuid(unitId)) return null;
  return db.$transaction(async (tx) => {
    const unit = await tx.unit.findFirst({ where: { id: unitId, orgId }, select: { id: true, name: true } });
    if (!unit) return null;
    const { count } = await tx.unitGroupMember.deleteMany({ where: { groupId, unitId } });
    if (count)
      await audit(tx, {
        orgId,
        actor,
        action: 'group.remove-members',
        entity: 'group',
        entityId: groupId,
        data: { units: [unit.name] },
      });
    return { unit, removed: count > 0 };
  });
}

export type RenameRefusal =
  | { reason: 'empty' }
  | { reason: 'long'; max: number }
  /** The name (or one that reads the same) is another unit's or group's, or an alias. */
  | { reason: 'taken'; by: string }
  | { reason: 'same' };

/** The longest name a group may have (as a unit's). */
export const GROUP_NAME_MAX = 300;

/**
 * Renames a group. The old name stays as an alias, so that a plan imported again under it still
 * finds the group (and its members). Audited as `group.rename` with both names.
 */
export async function renameGroup(
  db: Db,
  orgId: string,
  groupId: string,
  typed: string,
  actor: string,
): Promise<{ ok: true; from: string; to: string } | ({ ok: false } & RenameRefusal)> {
  const name = tidy(typed);
  if (!name) return { ok: false, reason: 'empty' };
  if ([...name].length > GROUP_NAME_MAX) return { ok: false, reason: 'long', max: GROUP_NAME_MAX };
  const normalized = normalizeUnitName(name);
  if (!normalized) return { ok: false, reason: 'empty' };
  return db.$transaction(async (tx) => {
    const group = await tx.unitGroup.findFirstOrThrow({ where: { id: groupId, orgId } });
    if (name === group.name) return { ok: false, reason: 'same' };
    const directory = await loadDirectory(tx, orgId);
    const taken = directory.find((d) => d.id !== groupId && d.keys.includes(normalized));
    if (taken) return { ok: false, reason: 'taken', by: taken.name };
    // Its own alias of that spelling becomes the name; the old name, unless it reads the same, an alias.
    await tx.groupAlias.deleteMany({ where: { groupId, normalized } });
    await tx.unitGroup.update({ where: { id: groupId }, data: { name, normalized } });
    if (group.normalized !== normalized)
      await tx.groupAlias.create({ data: { orgId, groupId, alias: group.name, normalized: group.normalized } });
    await audit(tx, {
      orgId,
      actor,
      action: 'group.rename',
      entity: 'group',
      entityId: groupId,
      data: { from: group.name, to: name },
    });
    return { ok: true, from: group.name, to: name };
  });
}
