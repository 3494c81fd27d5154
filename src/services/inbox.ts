import type { Db } from '#root/db/client.js';

/** How far back a failed delivery still asks for attention. */
export const FAILED_DAYS = 30;

export interface InboxCounts {
  extensions: number;
  flaggedDuties: number;
  proposedUnits: number;
  proposedGroups: number;
  /** Active units (not proposed) with no active contact or head. */
  noContact: number;
  /** Active units whose active contacts all lack a working channel. */
  noChannel: number;
  /** Reminders that failed for good in the last FAILED_DAYS days. */
  failed: number;
  total: number;
}

/**
 * What waits for an administrator, counted in one statement (the menu shows the total on every
 * page): extension requests to decide, flagged duties, proposed units and groups, units nobody can
 * be reached at, failed deliveries.
 */
export async function inboxCounts(db: Db, orgId: string, now: Date): Promise<InboxCounts> {
  const since = new Date(now.getTime() - FAILED_DAYS * 86_400_000);
  const [r] = await db.$queryRaw<[Omit<InboxCounts, 'total'>]>`
    WITH reach AS (
      SELECT u.id,
             count(c.id) AS contacts,
             count(c.id) FILTER (WHERE EXISTS (SELECT 1 FROM unnest(c.channels) ch WHERE NOT ch = ANY(c.disabled_channels))) AS working
        FROM units u
        LEFT JOIN contacts c ON c.unit_id = u.id AND c.active AND c.role IN ('contact', 'head')
       WHERE u.org_id = ${orgId}::uuid AND u.active AND NOT u.proposed
       GROUP BY u.id)
    SELECT
      (SELECT count(*)::int FROM extension_requests x WHERE x.org_id = ${orgId}::uuid AND x.status = 'pending') AS extensions,
      (SELECT count(*)::int FROM duties d WHERE d.org_id = ${orgId}::uuid AND d.active AND cardinality(d.flags) > 0) AS "flaggedDuties",
      (SELECT count(*)::int FROM units u WHERE u.org_id = ${orgId}::uuid AND u.proposed) AS "proposedUnits",
      (SELECT count(*)::int FROM unit_groups g WHERE g.org_id = ${orgId}::uuid AND g.proposed) AS "proposedGroups",
      (SELECT count(*)::int FROM reach WHERE contacts = 0) AS "noContact",
      (SELECT count(*)::int FROM reach WHERE contacts > 0 AND working = 0) AS "noChannel",
      (SELECT count(*)::int FROM reminders r WHERE r.org_id = ${orgId}::uuid AND r.status = 'failed' AND r.created_at >= ${since}) AS failed`;
  const total =
    r.extensions + r.flaggedDuties + r.proposedUnits + r.proposedGroups + r.noContact + r.noChannel + r.failed;
  return { ...r, total };
}

/** The entries behind the counts, at most `limit` of each, each with where it is resolved. */
export async function inboxEntries(db: Db, orgId: string, now: Date, limit = 20) {
  const since = new Date(now.getTime() - FAILED_DAYS * 86_400_000);
  const [extensions, duties, units, groups, reach, failed] = await Promise.all([
    db.extensionRequest.findMany({
      where: { orgId, status: 'pending' },
      include: {
        contact: { select: { name: true } },
        obligation: { select: { id: true, duty: { select: { code: true } }, unit: { select: { name: true } } } },
      },
      orderBy: { createdAt: 'asc' },
      take: limit,
    }),
    db.duty.findMany({
      where: { orgId, active: true, NOT: { flags: { isEmpty: true } } },
      select: { id: true, code: true, title: true, flags: true, plan: { select: { code: true } } },
      orderBy: [{ plan: { code: 'asc' } }, { position: 'asc' }],
      take: limit,
    }),
    db.unit.findMany({
      where: { orgId, proposed: true },
      select: { id: true, name: true },
      orderBy: { name: 'asc' },
      take: limit,
    }),
    db.unitGroup.findMany({
      where: { orgId, proposed: true },
      select: { id: true, name: true },
      orderBy: { name: 'asc' },
      take: limit,
    }),
    db.$queryRaw<{ id: string; name: string; contacts: number; working: number }[]>`
      SELECT u.id, u.name, count(c.id)::int AS contacts,
             count(c.id) FILTER (WHERE EXISTS (SELECT 1 FROM unnest(c.channels) ch WHERE NOT ch = ANY(c.disabled_channels)))::int AS working
        FROM units u
        LEFT JOIN contacts c ON c.unit_id = u.id AND c.active AND c.role IN ('contact', 'head')
       WHERE u.org_id = ${orgId}::uuid AND u.active AND NOT u.proposed
       GROUP BY u.id, u.name
      HAVING count(c.id) FILTER (WHERE EXISTS (SELECT 1 FROM unnest(c.channels) ch WHERE NOT ch = ANY(c.disabled_channels))) = 0
       ORDER BY u.name
       LIMIT ${limit * 2}`,
    db.reminder.findMany({
      where: { orgId, status: 'failed', createdAt: { gte: since } },
      select: {
        id: true,
        channel: true,
        lastError: true,
        createdAt: true,
        contact: { select: { name: true, unitId: true, unit: { select: { name: true } } } },
        obligation: { select: { id: true, duty: { select: { code: true } } } },
      },
      orderBy: { createdAt: 'desc' },
      take: limit,
    }),
  ]);
  return {
    extensions,
    duties,
    units,
    groups,
    noContact: reach.filter((u) => u.contacts === 0).slice(0, limit),
    noChannel: reach.filter((u) => u.contacts > 0).slice(0, limit),
    failed,
  };
}
