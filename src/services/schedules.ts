import type { Schedule } from '#root/domain/types.js';
import type { Schedule as ScheduleRow, ScheduleKind } from '#root/generated/prisma/client.js';

/** The columns of a `schedules` row for a parsed schedule. */
export function scheduleColumns(s: Schedule, raw: string) {
  const base = {
    kind: s.kind as ScheduleKind,
    raw,
    due: null as string | null,
    months: null as number | null,
    checkInMonths: null as number | null,
    fromYear: null as number | null,
    toYear: null as number | null,
    atLeastOnce: false,
  };
  switch (s.kind) {
    case 'once':
      return { ...base, due: s.due };
    case 'yearly':
      return {
        ...base,
        due: s.due,
        fromYear: s.from ?? null,
        toYear: s.to ?? null,
        atLeastOnce: s.atLeastOnce ?? false,
      };
    case 'every':
      return { ...base, due: s.due, months: s.months, fromYear: s.from ?? null, toYear: s.to ?? null };
    case 'ongoing':
      return { ...base, checkInMonths: s.checkIn === 'monthly' ? 1 : 3 };
    case 'unparsed':
      return base;
  }
}

/** The domain schedule of a `schedules` row. */
export function scheduleFromRow(
  row: Pick<ScheduleRow, 'kind' | 'due' | 'months' | 'checkInMonths' | 'fromYear' | 'toYear' | 'atLeastOnce' | 'raw'>,
): Schedule {
  const range = { ...(row.fromYear ? { from: row.fromYear } : {}), ...(row.toYear ? { to: row.toYear } : {}) };
  switch (row.kind) {
    case 'once':
      return { kind: 'once', due: row.due ?? '' };
    case 'yearly':
      return { kind: 'yearly', due: row.due ?? '11-15', ...range, ...(row.atLeastOnce ? { atLeastOnce: true } : {}) };
    case 'every':
      return { kind: 'every', months: row.months ?? 12, due: row.due ?? '12-31', ...range };
    case 'ongoing':
      return { kind: 'ongoing', checkIn: row.checkInMonths === 1 ? 'monthly' : 'quarterly' };
    case 'unparsed':
      return { kind: 'unparsed', raw: row.raw };
  }
}

/** A Date column (`@db.Date`) from a YYYY-MM-DD string, and back. */
export function dateColumn(iso: string): Date {
  return new Date(`${iso}T00:00:00.000Z`);
}
export function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}
