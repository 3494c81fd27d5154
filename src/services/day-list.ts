import type { Db } from '#root/db/client.js';
import { obligationCode } from '#root/domain/obligation-code.js';
import { dueInstant } from '#root/domain/obligation-state.js';
import type { IsoDate } from '#root/domain/types.js';
import { shortDate } from '#root/domain/wording.js';
import { zonedDay } from '#root/domain/zoned-day.js';
import type { Channel } from '#root/generated/prisma/client.js';

/** One item of a day's message as it stands now: what a reply or a page lists after a confirmation. */
export interface DayListItem {
  obligationId: string;
  /** The code people type ("4.2-2026Q4"). */
  code: string;
  title: string;
  /** The due day after any extension, "13/11/2026". */
  due: string;
  /** The same day, YYYY-MM-DD (for a reply that names its weekday). */
  dueDate: IsoDate;
  /** Still open (not confirmed, waived or retired). */
  open: boolean;
}

/**
 * The items to act on (overdue, due, due soon: not the "để phối hợp" ones, nor a supervisor's
 * late units) of the latest message sent to a contact on a channel that carried `obligationId`,
 * as they stand now, in the message's order of urgency (earliest due first, then by code); null
 * when no such message was sent (on `day`, when given). Where a channel cannot edit the message
 * in place (Zalo, email), the reply to a confirmation or the link's page lists them instead.
 */
export async function dayListOf(
  db: Db,
  input: { contactId: string; obligationId: string; channel: Channel; day?: IsoDate },
): Promise<DayListItem[] | null> {
  const bundle = await db.bundle.findFirst({
    where: {
      contactId: input.contactId,
      channel: input.channel,
      status: 'sent',
      ...(input.day ? { day: new Date(`${input.day}T00:00:00Z`) } : {}),
      items: { some: { obligationId: input.obligationId } },
    },
    orderBy: { sentAt: 'desc' },
    select: {
      org: { select: { timeZone: true } },
      items: {
        where: { kind: { in: ['lead', 'due', 'overdue'] } },
        select: {
          obligation: {
            select: {
              id: true,
              status: true,
              current: true,
              periodKey: true,
              dueAt: true,
              extendedTo: true,
              duty: { select: { code: true, title: true } },
            },
          },
        },
      },
    },
  });
  if (!bundle) return null;
  const seen = new Map<string, DayListItem & { at: number }>();
  for (const { obligation: o } of bundle.items) {
    if (seen.has(o.id)) continue;
    const due = dueInstant(o);
    const dueDate = zonedDay(due, bundle.org.timeZone);
    seen.set(o.id, {
      obligationId: o.id,
      code: obligationCode(o.duty.code, o.periodKey),
      title: o.duty.title,
      due: shortDate(dueDate),
      dueDate,
      open: o.status === 'open' && o.current,
      at: due.getTime(),
    });
  }
  return [...seen.values()]
    .sort((a, b) => a.at - b.at || a.code.localeCompare(b.code, undefined, { numeric: true }))
    .map(({ at: _, ...item }) => item);
}
