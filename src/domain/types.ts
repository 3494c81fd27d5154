/**
 * Shared domain types. Pure data: no Prisma, BullMQ, grammY or nodemailer here.
 */

/** A due day within a year, `MM-DD` (e.g. `11-15`). */
export type MonthDay = string;
/** A calendar date, `YYYY-MM-DD`, in the organisation's zone. */
export type IsoDate = string;

/**
 * What a timeframe phrase ("Thời gian thực hiện") means (SPEC §3).
 * This is also the `schedule` object of `dondoc import --json`.
 */
export type Schedule =
  /** Once, due at the end of `due` (YYYY-MM-DD). */
  | { kind: 'once'; due: IsoDate }
  /**
   * Every year (or every `everyYears` years), due at the end of `due` (MM-DD), optionally only
   * within the years `from`…`to`. `atLeastOnce`: "tối thiểu mỗi năm 1 lần", confirm any time in the year.
   */
  | { kind: 'yearly'; due: MonthDay; from?: number; to?: number; atLeastOnce?: boolean }
  /**
   * Every `months` months: periods are aligned on the calendar year (6 → H1/H2, 3 → quarters,
   * 1 → months, 24 → every other year counted from the schedule's start). `due` is the due day of the
   * first period of a year as MM-DD; a day past the end of a later month means its last day
   * (`03-31` + 3 months → 30/06).
   */
  | { kind: 'every'; months: number; due: MonthDay; from?: number; to?: number }
  /** "Thường xuyên": no deadline, a periodic check-in at the last working day of each period. */
  | { kind: 'ongoing'; checkIn: 'monthly' | 'quarterly' }
  /** Not understood: kept verbatim and flagged for the administrator. */
  | { kind: 'unparsed'; raw: string };

export type ScheduleKind = Schedule['kind'];

/** The result of parsing one timeframe phrase. */
export interface ParsedTimeframe {
  schedule: Schedule;
  /** Human-readable notes for the administrator (Vietnamese), empty when fully understood. */
  flags: string[];
}

/** One occurrence of a schedule: a period and the instant it is due. */
export interface Occurrence {
  /** "2026", "2026-Q4", "2026-H2", "2026-06", "2026-2027", "once". */
  periodKey: string;
  /** First day of the period (YYYY-MM-DD), in the organisation's zone. */
  periodStart: IsoDate;
  /** The due day (YYYY-MM-DD), in the organisation's zone. */
  dueDate: IsoDate;
  /** The due instant in UTC: 23:59:59 of `dueDate` in the zone, unless a time was given. */
  dueAt: Date;
}

/** A day that differs from the usual Monday–Friday week. */
export interface CalendarDay {
  date: IsoDate;
  kind: 'holiday' | 'workday';
  name: string;
}
