import type { Db } from '#root/db/client.js';
import type { Channel, Prisma } from '#root/generated/prisma/client.js';
import { isUnreachable } from '#root/domain/contacts.js';
import { classifyName, matchName, normalizeUnitName } from '#root/domain/units.js';
import { fold, tidy } from '#root/domain/text.js';
import { NotFoundError, UserError } from '#root/errors/index.js';
import { audit } from './audit.js';
import { channelFailureReasons } from './channel-failures.js';
import { serviceWords } from '#root/messages/service-words.js';

const unitWords = serviceWords('units');

type Tx = Prisma.TransactionClient | Db;

/** A unit or group as the resolver sees it: its id and every key it answers to. */
export interface DirectoryEntry {
  id: string;
  kind: 'unit' | 'group';
  name: string;
  proposed: boolean;
  keys: string[];
}

/** What a name in a plan resolves to. */
export type Resolution =
  | { name: string; kind: 'unit' | 'group'; id: string; matched: true; proposed: boolean }
  | { name: string; kind: 'unit' | 'group'; matched: false };

/** Every unit and group of the organisation with their names and aliases, for matching. */
export async function loadDirectory(tx: Tx, orgId: string): Promise<DirectoryEntry[]> {
  // One after the other: inside a transaction both would queue on the same connection anyway.
  const units = await tx.unit.findMany({ where: { orgId }, include: { aliases: true } });
  const groups = await tx.unitGroup.findMany({ where: { orgId }, include: { aliases: true } });
  return [
    ...units.map((u) => ({
      id: u.id,
      kind: 'unit' as const,
      name: u.name,
      proposed: u.proposed,
      keys: [u.normalized, ...u.aliases.map((a) => a.normalized)],
    })),
    ...groups.map((g) => ({
      id: g.id,
      kind: 'group' as const,
      name: g.name,
      proposed: g.proposed,
      keys: [g.normalized, ...g.aliases.map((a) => a.normalized)],
    })),
  ];
}

/** Resolves one name against the directory (case, diacritics and abbreviations do not matter). */
export function resolveName(name: string, directory: DirectoryEntry[]): Resolution {
  const clean = tidy(name);
  const hit = matchName(clean, directory);
  if (hit) {
    const entry = directory.find((d) => d.id === hit.id)!;
    return { name: clean, kind: hit.kind, id: hit.id, matched: true, proposed: entry.proposed };
  }
  return { name: clean, kind: classifyName(clean), matched: false };
}

/**
 * Creates a unit or group for a name nobody knew, marked `proposed` for the administrator to
 * review, and adds it to the directory so that the same name later in the import reuses it.
 */
export async function proposeEntry(
  tx: Prisma.TransactionClient,
  orgId: string,
  name: string,
  kind: 'unit' | 'group',
  directory: DirectoryEntry[],
): Promise<DirectoryEntry> {
  const normalized = normalizeUnitName(name);
  const row =
    kind === 'unit'
      ? await tx.unit.upsert({
          where: { orgId_normalized: { orgId, normalized } },
          update: {},
          create: { orgId, name, normalized, proposed: true },
        })
      : await tx.unitGroup.upsert({
          where: { orgId_normalized: { orgId, normalized } },
          update: {},
          create: { orgId, name, normalized, proposed: true },
        });
  const entry: DirectoryEntry = { id: row.id, kind, name: row.name, proposed: row.proposed, keys: [normalized] };
  directory.push(entry);
  return entry;
}

async function findEntry(tx: Tx, orgId: string, name: string): Promise<DirectoryEntry> {
  const directory = await loadDirectory(tx, orgId);
  const r = resolveName(name, directory);
  if (!r.matched) {
    throw new NotFoundError(unitWords('noSuchName', { name }));
  }
  return directory.find((d) => d.id === r.id)!;
}

export async function findUnit(tx: Tx, orgId: string, name: string): Promise<DirectoryEntry> {
  const e = await findEntry(tx, orgId, name);
  if (e.kind !== 'unit') throw new UserError(unitWords('isGroup', { name: e.name }));
  return e;
}

export async function findGroup(tx: Tx, orgId: string, name: string): Promise<DirectoryEntry> {
  const e = await findEntry(tx, orgId, name);
  if (e.kind !== 'group') throw new UserError(unitWords('isUnit', { name: e.name }));
  return e;
}

async function assertNameFree(tx: Tx, orgId: string, name: string): Promise<string> {
  const normalized = normalizeUnitName(name);
  if (!normalized) throw new UserError(unitWords('nameEmpty'));
  const directory = await loadDirectory(tx, orgId);
  const taken = directory.find((d) => d.keys.includes(normalized));
  if (taken) {
    throw new UserError(unitWords('nameTaken', { name, takenName: taken.name }));
  }
  return normalized;
}

export async function addUnit(db: Db, orgId: string, name: string, aliases: string[], actor: string) {
  const clean = tidy(name);
  if ([...clean].length > 300) throw new UserError(unitWords('nameTooLong'));
  return db.$transaction(async (tx) => {
    const normalized = await assertNameFree(tx, orgId, clean);
    const unit = await tx.unit.create({ data: { orgId, name: clean, normalized } });
    for (const alias of aliases) await addAliasTx(tx, orgId, unit.id, 'unit', alias);
    await audit(tx, {
      orgId,
      actor,
      action: 'unit.create',
      entity: 'unit',
      entityId: unit.id,
      data: { name: clean, aliases },
    });
    return unit;
  });
}

export async function addGroup(db: Db, orgId: string, name: string, actor: string) {
  const clean = tidy(name);
  return db.$transaction(async (tx) => {
    const normalized = await assertNameFree(tx, orgId, clean);
    const group = await tx.unitGroup.create({ data: { orgId, name: clean, normalized } });
    await audit(tx, {
      orgId,
      actor,
      action: 'group.create',
      entity: 'group',
      entityId: group.id,
      data: { name: clean },
    });
    return group;
  });
}

async function addAliasTx(
  tx: Prisma.TransactionClient,
  orgId: string,
  id: string,
  kind: 'unit' | 'group',
  alias: string,
) {
  const clean = tidy(alias);
  if ([...clean].length > 300) throw new UserError(unitWords('aliasTooLong'));
  const normalized = await assertNameFree(tx, orgId, clean);
  if (kind === 'unit') await tx.unitAlias.create({ data: { orgId, unitId: id, alias: clean, normalized } });
  else await tx.groupAlias.create({ data: { orgId, groupId: id, alias: clean, normalized } });
}

/** Adds another name by which plans refer to a unit or group ("Sở TTTT" for "Sở Thông tin và Truyền thông"). */
export async function addAlias(
  db: Db,
  orgId: string,
  name: string,
  alias: string,
  actor: string,
): Promise<DirectoryEntry> {
  return db.$transaction(async (tx) => {
    const entry = await findEntry(tx, orgId, name);
    await addAliasTx(tx, orgId, entry.id, entry.kind, alias);
    await audit(tx, {
      orgId,
      actor,
      action: `${entry.kind}.alias`,
      entity: entry.kind,
      entityId: entry.id,
      data: { alias },
    });
    return entry;
  });
}

/** Makes units members of a group: a duty assigned to the group then binds each of them. */
export async function addMembers(db: Db, orgId: string, groupName: string, unitNames: string[], actor: string) {
  return db.$transaction(async (tx) => {
    const group = await findGroup(tx, orgId, groupName);
    const units = [];
    for (const n of unitNames) units.push(await findUnit(tx, orgId, n));
    await tx.unitGroupMember.createMany({
      data: units.map((u) => ({ groupId: group.id, unitId: u.id })),
      skipDuplicates: true,
    });
    await audit(tx, {
      orgId,
      actor,
      action: 'group.add-members',
      entity: 'group',
      entityId: group.id,
      data: { units: units.map((u) => u.name) },
    });
    return { group, units };
  });
}

export async function removeMembers(db: Db, orgId: string, groupName: string, unitNames: string[], actor: string) {
  return db.$transaction(async (tx) => {
    const group = await findGroup(tx, orgId, groupName);
    const units = [];
    for (const n of unitNames) units.push(await findUnit(tx, orgId, n));
    await tx.unitGroupMember.deleteMany({ where: { groupId: group.id, unitId: { in: units.map((u) => u.id) } } });
    await audit(tx, {
      orgId,
      actor,
      action: 'group.remove-members',
      entity: 'group',
      entityId: group.id,
      data: { units: units.map((u) => u.name) },
    });
    return { group, units };
  });
}

/** Marks a proposed unit or group as reviewed: the import guessed right. */
export async function acceptProposed(db: Db, orgId: string, name: string, actor: string): Promise<DirectoryEntry> {
  return db.$transaction(async (tx) => {
    const e = await findEntry(tx, orgId, name);
    if (e.kind === 'unit') await tx.unit.update({ where: { id: e.id }, data: { proposed: false } });
    else await tx.unitGroup.update({ where: { id: e.id }, data: { proposed: false } });
    await audit(tx, { orgId, actor, action: `${e.kind}.accept`, entity: e.kind, entityId: e.id });
    return e;
  });
}

/**
 * Merges a unit into another (an import proposed "Sở TT&TT" though "Sở Thông tin và Truyền thông"
 * existed): assignments, contacts, memberships and obligations move over, the old name becomes an
 * alias. Refused when both units hold an obligation for the same duty and period.
 */
export async function mergeUnits(db: Db, orgId: string, fromName: string, intoName: string, actor: string) {
  return db.$transaction(async (tx) => {
    const from = await findUnit(tx, orgId, fromName);
    const into = await findUnit(tx, orgId, intoName);
    if (from.id === into.id) throw new UserError(unitWords('sameUnit'));
    const clash = await tx.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM obligations a JOIN obligations b
        ON a.duty_id = b.duty_id AND a.period_key = b.period_key
       WHERE a.unit_id = ${from.id}::uuid AND b.unit_id = ${into.id}::uuid`;
    if (Number(clash[0]?.n ?? 0) > 0) {
      throw new UserError(unitWords('mergeConflict'));
    }
    await tx.$executeRaw`
      UPDATE assignments SET unit_id = ${into.id}::uuid, target = ${`u:${into.id}`}
       WHERE unit_id = ${from.id}::uuid
         AND NOT EXISTS (SELECT 1 FROM assignments x WHERE x.duty_id = assignments.duty_id AND x.role = assignments.role AND x.target = ${`u:${into.id}`})`;
    await tx.assignment.deleteMany({ where: { unitId: from.id } });
    await tx.contact.updateMany({ where: { unitId: from.id }, data: { unitId: into.id } });
    await tx.obligation.updateMany({ where: { unitId: from.id }, data: { unitId: into.id } });
    await tx.$executeRaw`
      INSERT INTO unit_group_members (group_id, unit_id)
      SELECT group_id, ${into.id}::uuid FROM unit_group_members WHERE unit_id = ${from.id}::uuid
      ON CONFLICT DO NOTHING`;
    const old = await tx.unit.findUniqueOrThrow({ where: { id: from.id }, include: { aliases: true } });
    await tx.unit.delete({ where: { id: from.id } });
    for (const name of [old.name, ...old.aliases.map((a) => a.alias)]) {
      await tx.unitAlias.create({ data: { orgId, unitId: into.id, alias: name, normalized: normalizeUnitName(name) } });
    }
    await audit(tx, {
      orgId,
      actor,
      action: 'unit.merge',
      entity: 'unit',
      entityId: into.id,
      data: { from: old.name },
    });
    return { from: old.name, into: into.name };
  });
}

export interface UnitListing {
  id: string;
  kind: 'unit' | 'group';
  name: string;
  proposed: boolean;
  aliases: string[];
  members?: string[];
  contacts?: number;
}

/** Units and groups with their aliases, members and number of contacts. */
export async function listUnits(db: Db, orgId: string): Promise<UnitListing[]> {
  const [units, groups] = await Promise.all([
    db.unit.findMany({
      where: { orgId },
      include: { aliases: true, _count: { select: { contacts: true } } },
      orderBy: { name: 'asc' },
    }),
    db.unitGroup.findMany({
      where: { orgId },
      include: { aliases: true, members: { include: { unit: true } } },
      orderBy: { name: 'asc' },
    }),
  ]);
  return [
    ...units.map((u) => ({
      id: u.id,
      kind: 'unit' as const,
      name: u.name,
      proposed: u.proposed,
      aliases: u.aliases.map((a) => a.alias),
      contacts: u._count.contacts,
    })),
    ...groups.map((g) => ({
      id: g.id,
      kind: 'group' as const,
      name: g.name,
      proposed: g.proposed,
      aliases: g.aliases.map((a) => a.alias),
      members: g.members.map((m) => m.unit.name).sort((a, b) => a.localeCompare(b, 'vi')),
    })),
  ];
}

/** A unit id as the URL gives it: anything but a UUID names nothing (and never reaches PostgreSQL). */
export const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

export interface UnitOverview {
  id: string;
  name: string;
  proposed: boolean;
  active: boolean;
  aliases: string[];
  groups: string[];
  contacts: number;
  /** Active contacts with no working channel (the administrators' list of people to call). */
  unreachable: number;
}

/**
 * Every unit of the organisation for the units page (proposed ones first, then by name): aliases,
 * groups, contacts and how many cannot be reached. `query` keeps those whose name, alias or group
 * contains it (case and diacritics do not matter).
 */
export async function unitOverview(db: Db, orgId: string, query = ''): Promise<UnitOverview[]> {
  const q = fold(tidy(query));
  const units = await db.unit.findMany({
    where: { orgId },
    include: {
      aliases: { orderBy: { alias: 'asc' } },
      memberships: { include: { group: { select: { name: true } } } },
      contacts: { select: { active: true, channels: true, disabledChannels: true, unreachableSince: true } },
    },
  });
  return units
    .map((u) => ({
      id: u.id,
      name: u.name,
      proposed: u.proposed,
      active: u.active,
      aliases: u.aliases.map((a) => a.alias),
      groups: u.memberships.map((m) => m.group.name).sort((a, b) => a.localeCompare(b, 'vi')),
      contacts: u.contacts.length,
      unreachable: u.contacts.filter((c) => c.active && isUnreachable(c)).length,
    }))
    .filter((u) => !q || [u.name, ...u.aliases, ...u.groups].some((n) => fold(n).includes(q)))
    .sort((a, b) => Number(b.proposed) - Number(a.proposed) || a.name.localeCompare(b.name, 'vi'));
}

/** The groups of the organisation with their member count, for the units page. */
export async function groupOverview(db: Db, orgId: string) {
  const groups = await db.unitGroup.findMany({
    where: { orgId },
    include: { aliases: { orderBy: { alias: 'asc' } }, _count: { select: { members: true } } },
  });
  return groups
    .map((g) => ({
      id: g.id,
      name: g.name,
      proposed: g.proposed,
      aliases: g.aliases.map((a) => a.alias),
      members: g._count.members,
    }))
    .sort((a, b) => Number(b.proposed) - Number(a.proposed) || a.name.localeCompare(b.name, 'vi'));
}

/**
 * One unit of the organisation with its aliases, groups and contacts (by role, then name), or null
 * when the id is not a unit of this organisation (another organisation's id names nothing here).
 */
export async function unitDetail(db: Db, orgId: string, unitId: string) {
  if (!isUuid(unitId)) return null;
  const unit = await db.unit.findFirst({
    where: { id: unitId, orgId },
    include: {
      aliases: { orderBy: { alias: 'asc' } },
      memberships: { include: { group: { select: { id: true, name: true } } } },
      contacts: { orderBy: [{ active: 'desc' }, { name: 'asc' }] },
      org: { select: { timeZone: true } },
    },
  });
  if (!unit) return null;
  const failures = await channelFailureReasons(db, orgId, unit.contacts);
  return {
    ...unit,
    groups: unit.memberships.map((m) => m.group).sort((a, b) => a.name.localeCompare(b.name, 'vi')),
    contacts: unit.contacts.map((c) => ({
      ...c,
      unreachable: c.active && isUnreachable(c),
      /** Why each disabled channel failed (the channel's answer, to be worded). */
      failures: failures.get(c.id) ?? new Map<Channel, string>(),
    })),
  };
}

/** Accepts a proposed unit or group by its id (the web page's button), audited like {@link acceptProposed}. */
export async function acceptProposedById(db: Db, orgId: string, kind: 'unit' | 'group', id: string, actor: string) {
  if (!isUuid(id)) throw new NotFoundError(unitWords('noSuchEntry'));
  return db.$transaction(async (tx) => {
    const where = { id, orgId, proposed: true };
    const { count } =
      kind === 'unit'
        ? await tx.unit.updateMany({ where, data: { proposed: false } })
        : await tx.unitGroup.updateMany({ where, data: { proposed: false } });
    const row =
      kind === 'unit'
        ? await tx.unit.findFirst({ where: { id, orgId } })
        : await tx.unitGroup.findFirst({ where: { id, orgId } });
    if (!row) throw new NotFoundError(unitWords('noSuchEntry'));
    // Accepting twice (two tabs) is not an error, and is audited once.
    if (count === 1) await audit(tx, { orgId, actor, action: `${kind}.accept`, entity: kind, entityId: id });
    return { name: row.name, changed: count === 1 };
  });
}

export interface HistoryRow {
  id: bigint;
  at: Date;
  actor: string;
  action: string;
  entity: string;
  entityId: string | null;
  data: unknown;
}

/**
 * The audit rows about a unit, its contacts (and their invites) and its obligations, newest first,
 * `limit` at a time; `before` (an audit id) pages further back.
 */
export async function unitHistory(
  db: Db,
  orgId: string,
  unitId: string,
  options: { limit: number; before?: bigint },
): Promise<HistoryRow[]> {
  const [contacts, obligations] = await Promise.all([
    db.contact.findMany({ where: { orgId, unitId }, select: { id: true, invites: { select: { id: true } } } }),
    db.obligation.findMany({ where: { orgId, unitId }, select: { id: true } }),
  ]);
  const rows = await db.auditEvent.findMany({
    where: {
      orgId,
      ...(options.before !== undefined ? { id: { lt: options.before } } : {}),
      OR: [
        { entity: 'unit', entityId: unitId },
        { entity: 'policy', entityId: `unit:${unitId}` },
        { entity: 'contact', entityId: { in: contacts.map((c) => c.id) } },
        { entity: 'invite', entityId: { in: contacts.flatMap((c) => c.invites.map((i) => i.id)) } },
        { entity: 'obligation', entityId: { in: obligations.map((o) => o.id) } },
      ],
    },
    orderBy: { id: 'desc' },
    take: options.limit,
  });
  return rows.map((r) => ({
    id: r.id,
    at: r.createdAt,
    actor: r.actor,
    action: r.action,
    entity: r.entity,
    entityId: r.entityId,
    data: r.data,
  }));
}
