import { fromZonedTime } from 'date-fns-tz/fromZonedTime';
import { boundedMemo } from '#root/lib/bounded-memo.js';
import type { ReminderPolicy } from './policy.js';
import type { IsoDate } from './types.js';
import type { WorkingCalendar } from './working-days.js';

export type StageKind = 'lead' | 'due' | 'overdue' | 'escalation';

/** One moment the policy says to remind about an obligation. */
export interface Stage {
  kind: StageKind;
  /** "lead-14", "due", "overdue-2", "escalation-1". */
  step: string;
  /** The working day it is sent on (organisation's zone). */
  day: IsoDate;
  /** The instant: the start of the sending window on that day, in UTC. */
  at: Date;
  /** Signed working days from `day` to the due date: 3 = "còn 3 ngày làm việc", -2 = 2 days overdue. */
  workingDaysLeft: number;
}

/** Between a stage id's step and its due day. */
const STAGE_SEP = '@';
/** How the step of a manual nudge starts ("nudge-<t>"). */
const NUDGE_PREFIX = 'nudge-';

/**
 * The stage id stored on a reminder: the step and the due day it counts from ("lead-7@20261115",
 * "nudge-mabc12@20261115"). Built here and read back only by {@link parseStageId}.
 */
export const stageId = (step: string, dueDate: IsoDate) => `${step}${STAGE_SEP}${dueDate.replace(/-/g, '')}`;

/** The step of a manual nudge made at `at`: unique to it, so that it is a message of its own. */
export const nudgeStep = (at: Date) => `${NUDGE_PREFIX}${at.getTime().toString(36)}`;

/**
 * The same readings of a stage id in SQL (PostgreSQL), for the statements that group or filter
 * reminders by it. `column` is a column reference written in code ("r.stage"), never input.
 */
export const stageSql = {
  /** Whether the stage id in `column` is a manual nudge's. */
  isNudge: (column: string) => `(${column} LIKE '${NUDGE_PREFIX}%')`,
  /** The step of the stage id in `column` ("lead-7", "nudge-mabc12"). */
  step: (column: string) => `split_part(${column}, '${STAGE_SEP}', 1)`,
};

/** A stage id read back: its step, what kind of step, and the due day it counts from. */
export interface ParsedStage {
  step: string;
  /** lead | due | overdue | escalation | nudge (an administrator's manual nudge). */
  kind: StageKind | 'nudge';
  /** The n of lead-n, overdue-n, escalation-n; null for due and nudges. */
  n: number | null;
  dueDate: IsoDate;
}

/**
 * Stage ids read, by id: a worker reads each item's twice per message (its staleness, its days
 * left), and a morning's items share a few ids. Bounded; a process that met more starts again.
 */
const parsedStages = boundedMemo<string, Readonly<ParsedStage> | null>(10_000);

/** Reads a {@link stageId}; null when it is not one. The answer is shared: not to be changed. */
export function parseStageId(id: string): Readonly<ParsedStage> | null {
  return parsedStages(id, () => readStageId(id));
}

function readStageId(id: string): ParsedStage | null {
  const m = /^((lead|overdue|escalation)-(\d+)|due|nudge-[^@]+)@(\d{4})(\d{2})(\d{2})$/.exec(id);
  if (!m) return null;
  const step = m[1]!;
  const kind = (m[2] ?? (step === 'due' ? 'due' : 'nudge')) as ParsedStage['kind'];
  return { step, kind, n: m[3] === undefined ? null : Number(m[3]), dueDate: `${m[4]}-${m[5]}-${m[6]}` };
}

/** Whether a stage id counts from `dueDate` (an extension moves the due date: the old stages are stale). */
export const stageCountsFrom = (id: string, dueDate: IsoDate) => parseStageId(id)?.dueDate === dueDate;

/**
 * Instants of local times read, by zone, day and time: every bundle of the day asks for the end of
 * its sending window (see `missedWindow`), and date-fns-tz's reading of one takes some 20 µs.
 * Bounded; a process that met more starts again.
 */
const localTimes = boundedMemo<string, number>(10_000);

/** The instant `hh:mm` on `day` in `zone`. */
export function atLocalTime(day: IsoDate, hhmm: string, zone: string): Date {
  return new Date(localTimes(`${zone} ${day}T${hhmm}`, () => fromZonedTime(`${day}T${hhmm}:00`, zone).getTime()));
}

/**
 * The reminder stages of one obligation due on `dueDate` (SPEC §4), in time order.
 *
 * 1. The due stage is on the last working day on or before the due date: the due date itself,
 *    or the working day before it when the due date is a weekend or holiday (a stage never moves
 *    later than the due date).
 * 2. Lead stages count back from that day: lead-n is `n` working days before it, so a report due
 *    on Sunday 15/11 gets lead-1 on Thursday 12/11 and the due stage on Friday 13/11 (counting from
 *    the Sunday put lead-1 on the Friday, where the due stage took its place). Two steps landing on
 *    one day (a duplicated lead day) keep one stage (the later step wins).
 * 3. Overdue nudges start on the first working day after the due date, then every
 *    `overdueEvery` working days, at most `overdueMax` of them.
 * 4. Escalation 1 (the unit head, or the next level when the unit has none) is `escalateAfter`
 *    working days after the due date; escalation 2 (the administrators and the supervising unit)
 *    twice that.
 * 5. Every stage is sent at the start of the sending window of its day.
 *
 * The stage ids ({@link stageId}) keep naming the due date itself, not the day the ladder counts from.
 */
export function reminderStages(
  dueDate: IsoDate,
  policy: ReminderPolicy,
  calendar: WorkingCalendar,
  zone: string,
): Stage[] {
  const stages: Stage[] = [];
  const dueDay = calendar.previousWorkingDay(dueDate);
  const at = (day: IsoDate) => atLocalTime(day, policy.windowStart, zone);
  const left = (day: IsoDate) =>
    day <= dueDate ? calendar.workingDaysBetween(day, dueDate) : -calendar.workingDaysBetween(dueDate, day);

  const taken = new Set<string>();
  if (policy.onDue) taken.add(dueDay);
  // Lead stages from the nearest to the farthest, so that of two landing on one day the later step stays.
  for (const n of [...policy.leadDays].sort((a, b) => a - b)) {
    const day = calendar.addWorkingDays(dueDay, -n);
    if (taken.has(day) || day >= dueDay) continue;
    taken.add(day);
    stages.push({ kind: 'lead', step: `lead-${n}`, day, at: at(day), workingDaysLeft: left(day) });
  }
  if (policy.onDue)
    stages.push({ kind: 'due', step: 'due', day: dueDay, at: at(dueDay), workingDaysLeft: left(dueDay) });
  for (let k = 1; k <= policy.overdueMax; k++) {
    const day = calendar.addWorkingDays(dueDate, 1 + (k - 1) * policy.overdueEvery);
    stages.push({ kind: 'overdue', step: `overdue-${k}`, day, at: at(day), workingDaysLeft: left(day) });
  }
  for (const k of [1, 2]) {
    const day = calendar.addWorkingDays(dueDate, k * policy.escalateAfter);
    stages.push({ kind: 'escalation', step: `escalation-${k}`, day, at: at(day), workingDaysLeft: left(day) });
  }
  return stages.sort((a, b) => a.at.getTime() - b.at.getTime() || a.step.localeCompare(b.step));
}
