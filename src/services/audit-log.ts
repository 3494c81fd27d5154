import { fromZonedTime } from 'date-fns-tz/fromZonedTime';
import type { Db } from '#root/db/client.js';
import type { Prisma } from '#root/generated/prisma/client.js';
import { UserError } from '#root/errors/index.js';
import { isoDay } from './preview.js';
import { serviceWords } from '#root/messages/service-words.js';

const auditWords = serviceWords('audit');

/** Rows per page of the audit log. */
export const AUDIT_PAGE_SIZE = 100;

export interface AuditQuery {
  /** Part of the actor ("web:", an email, "contact:…"), any case. */
  actor?: string;
  /** The exact action ("template.update"). */
  action?: string;
  /** Days in the organisation's zone, both included (YYYY-MM-DD). */
  from?: string;
  to?: string;
  /** Only rows older than this id (the "older" link). */
  before?: string;
  limit?: number;
}

/**
 * The organisation's audit log, newest first, filtered, one page at a time with the last row's id
 * as the cursor (ids only grow: a page stays the same while new rows are written). `next` is the
 * cursor of the following page, null on the last one. Bad dates or cursors are refused.
 */
export async function listAudit(db: Db, orgId: string, q: AuditQuery) {
  const org = await db.organisation.findUniqueOrThrow({ where: { id: orgId }, select: { timeZone: true } });
  const limit = q.limit ?? AUDIT_PAGE_SIZE;
  if (q.before !== undefined && !/^\d{1,18}$/.test(q.before))
    throw new UserError(auditWords('invalidPageLink', { before: q.before }));
  const from = q.from ? fromZonedTime(`${isoDay(q.from, auditWords('fromDay'))}T00:00:00`, org.timeZone) : undefined;
  const to = q.to ? fromZonedTime(`${isoDay(q.to, auditWords('toDay'))}T23:59:59.999`, org.timeZone) : undefined;
  if (from && to && from > to) throw new UserError(auditWords('fromAfterTo'));
  const where: Prisma.AuditEventWhereInput = {
    orgId,
    ...(q.actor ? { actor: { contains: q.actor, mode: 'insensitive' } } : {}),
    ...(q.action ? { action: q.action } : {}),
    ...(from || to ? { createdAt: { ...(from ? { gte: from } : {}), ...(to ? { lte: to } : {}) } } : {}),
    ...(q.before ? { id: { lt: BigInt(q.before) } } : {}),
  };
  const rows = await db.auditEvent.findMany({ where, orderBy: { id: 'desc' }, take: limit + 1 });
  const page = rows.slice(0, limit);
  return {
    rows: page,
    next: rows.length > limit ? page[page.length - 1]!.id.toString() : null,
    timeZone: org.timeZone,
  };
}

/** The actions written so far in the organisation's log (the action filter's choices). */
export async function auditActions(db: Db, orgId: string): Promise<string[]> {
  const rows = await db.auditEvent.findMany({
    where: { orgId },
    distinct: ['action'],
    select: { action: true },
    orderBy: { action: 'asc' },
  });
  return rows.map((r) => r.action);
}
