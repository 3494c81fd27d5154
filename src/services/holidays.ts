import type { Db } from '#root/db/client.js';
import type { Prisma } from '#root/generated/prisma/client.js';
import { vietnamHolidays } from '#root/domain/holidays.js';
import type { CalendarDay } from '#root/domain/types.js';
import { workingCalendarForYears, type WorkingCalendar } from '#root/domain/working-days.js';
import { UserError } from '#root/errors/index.js';
import { audit } from './audit.js';
import { dateColumn, isoDate } from './schedules.js';
import { serviceWords } from '#root/messages/service-words.js';

const policyWords = serviceWords('policies');

type Reader = Db | Prisma.TransactionClient;

/** The administrator's days: holidays the government announced and the Saturdays worked in exchange. */
export async function adminDays(db: Reader, orgId: string): Promise<CalendarDay[]> {
  const rows = await db.holiday.findMany({ where: { orgId }, orderBy: { date: 'asc' } });
  return rows.map((r) => ({ date: isoDate(r.date), kind: r.kind, name: r.name }));
}

/** The organisation's working calendar for these years: the law's holidays, then the administrator's days. */
export async function loadCalendar(db: Reader, orgId: string, years: number[]): Promise<WorkingCalendar> {
  // The years around the window too: counting working days back from early January reaches December.
  const span = [...new Set(years.flatMap((y) => [y - 1, y, y + 1]))];
  return workingCalendarForYears(span, await adminDays(db, orgId));
}

export interface HolidayListing extends CalendarDay {
  source: 'law' | 'admin';
}

/** Every day off and substitute working day of a year, marking which come from the administrator. */
export async function listHolidays(db: Db, orgId: string, year: number): Promise<HolidayListing[]> {
  const admin = (await adminDays(db, orgId)).filter((d) => d.date.startsWith(`${year}-`));
  const byDate = new Map<string, HolidayListing>();
  for (const d of vietnamHolidays(year)) byDate.set(d.date, { ...d, source: 'law' });
  for (const d of admin) byDate.set(d.date, { ...d, source: 'admin' });
  return [...byDate.values()].sort((a, b) => a.date.localeCompare(b.date));
}

/** A day as typed: YYYY-MM-DD, or the Vietnamese D/M/YYYY; returned as YYYY-MM-DD. */
function checkDate(input: string): string {
  const s = input.trim();
  if (!s) throw new UserError(policyWords('dayEmpty'));
  const vn = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(s);
  const date = vn ? `${vn[3]}-${vn[2]!.padStart(2, '0')}-${vn[1]!.padStart(2, '0')}` : s;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const d = m ? new Date(`${date}T00:00:00Z`) : null;
  if (!m || !d || Number.isNaN(d.getTime()) || isoDate(d) !== date) {
    throw new UserError(policyWords('invalidDay', { input: input.slice(0, 40) }));
  }
  return date;
}

/** Adds or replaces the administrator's entry for a day (a holiday, or a working Saturday). */
export async function setHoliday(
  db: Db,
  orgId: string,
  input: { date: string; name: string; kind: string },
  actor: string,
) {
  const date = checkDate(input.date);
  if (!input.name.trim()) throw new UserError(policyWords('dayNeedsName'));
  if (input.name.trim().length > 200) throw new UserError(policyWords('dayNameTooLong'));
  const kind = input.kind;
  if (kind !== 'holiday' && kind !== 'workday')
    throw new UserError(policyWords('invalidDayKind', { kind: kind.slice(0, 40) }));
  return db.$transaction(async (tx) => {
    const row = await tx.holiday.upsert({
      where: { orgId_date: { orgId, date: dateColumn(date) } },
      update: { name: input.name.trim(), kind, source: 'admin' },
      create: { orgId, date: dateColumn(date), name: input.name.trim(), kind, source: 'admin' },
    });
    await audit(tx, {
      orgId,
      actor,
      action: 'holiday.set',
      entity: 'holiday',
      entityId: row.id,
      data: { date, kind, name: input.name.trim() },
    });
    return row;
  });
}

/** Removes the administrator's entry for a day (the law's default applies again). */
export async function removeHoliday(db: Db, orgId: string, input: string, actor: string): Promise<boolean> {
  const date = checkDate(input);
  return db.$transaction(async (tx) => {
    const { count } = await tx.holiday.deleteMany({ where: { orgId, date: dateColumn(date) } });
    if (count) await audit(tx, { orgId, actor, action: 'holiday.remove', entity: 'holiday', data: { date } });
    return count > 0;
  });
}
