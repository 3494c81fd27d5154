import ExcelJS from 'exceljs';
import { channelLabel } from '#root/channels/registry.js';
import type { Db } from '#root/db/client.js';
import { dueInstant } from '#root/domain/obligation-state.js';
import { shortDate } from '#root/domain/wording.js';
import { yearBounds, zonedDay, zonedYear } from '#root/domain/zoned-day.js';
import { NotFoundError, UserError } from '#root/errors/index.js';
import { audit } from './audit.js';
import { loadCalendar } from './holidays.js';
import { channelFailureReasons } from './channel-failures.js';
import { csvField } from './exports.js';
import { nudge } from './nudge.js';
import { isUuid } from './units.js';
import { serviceWords } from '#root/messages/service-words.js';

const obligationWords = serviceWords('obligations');

/** How far back and ahead of now a deadline counts as one of the current period. */
export const PERIOD_DAYS = 31;
const DAY_MS = 86_400_000;

/** One deadline: a duty's due day, and how its units stand on it. */
export interface DeadlineSummary {
  dutyId: string;
  code: string;
  title: string;
  plan: string;
  /** The due instant as the schedule says it (before any extension). */
  due: Date;
  /** Units with an obligation that is not waived. */
  required: number;
  done: number;
  /** Not done: open (late, extended or still to come). */
  notDone: number;
  /** Open and past its due instant (after extension) at `now`. */
  late: number;
  passed: boolean;
}

/** Done of what was due so far (due instant, as scheduled, at or before now; waived ones not counted). */
export interface Progress {
  dueSoFar: number;
  doneSoFar: number;
  late: number;
  /** Obligations of the year (not waived), due so far or not. */
  yearTotal: number;
}

export interface DutyProgress extends Progress {
  dutyId: string;
  code: string;
  title: string;
  plan: string;
  planId: string;
}

export interface PlanProgress extends Progress {
  planId: string;
  code: string;
  title: string;
}

export interface OrgSummary {
  year: number;
  now: Date;
  timeZone: string;
  /** Deadlines within PERIOD_DAYS of now: passed ones (latest first), then coming ones (nearest first). */
  deadlines: DeadlineSummary[];
  plans: PlanProgress[];
  duties: DutyProgress[];
  /** Units having an obligation this year. */
  units: number;
}

/**
 * What needs the administrator now: the deadlines around today (how many units have not reported),
 * and per plan and per duty the share done of what was due so far. One grouped statement over the
 * year's obligations (per duty and due instant), the rest added up here.
 */
export async function orgSummary(db: Db, orgId: string, now: Date): Promise<OrgSummary> {
  const org = await db.organisation.findUniqueOrThrow({ where: { id: orgId }, select: { timeZone: true } });
  const year = zonedYear(now, org.timeZone);
  const { start, end } = yearBounds(year, org.timeZone);
  const [rows, units, duties] = await Promise.all([
    db.$queryRaw<{ duty_id: string; due_at: Date; required: number; done: number; late: number }[]>`
      SELECT o.duty_id, o.due_at,
             count(*) FILTER (WHERE o.status <> 'waived')::int AS required,
             count(*) FILTER (WHERE o.status = 'done')::int AS done,
             count(*) FILTER (WHERE o.status = 'open' AND COALESCE(o.extended_to, o.due_at) < ${now})::int AS late
        FROM obligations o
       WHERE o.org_id = ${orgId}::uuid AND o.current AND o.due_at >= ${start} AND o.due_at < ${end}
         -- An open period before its plan was tracked from is history: neither owed nor late (as the matrix).
         AND NOT (o.history AND o.status = 'open')
       GROUP BY o.duty_id, o.due_at`,
    db.$queryRaw<[{ n: number }]>`
      SELECT count(DISTINCT o.unit_id)::int AS n FROM obligations o
       WHERE o.org_id = ${orgId}::uuid AND o.current AND o.due_at >= ${start} AND o.due_at < ${end}`,
    db.duty.findMany({
      where: { orgId },
      select: {
        id: true,
        code: true,
        title: true,
        position: true,
        plan: { select: { id: true, code: true, title: true } },
      },
    }),
  ]);
  const dutyById = new Map(duties.map((d) => [d.id, d]));
  const progress = new Map<string, DutyProgress>();
  const deadlines: DeadlineSummary[] = [];
  const t = now.getTime();
  for (const r of rows) {
    const d = dutyById.get(r.duty_id);
    if (!d) continue;
    let p = progress.get(d.id);
    if (!p)
      progress.set(
        d.id,
        (p = {
          dutyId: d.id,
          code: d.code,
          title: d.title,
          plan: d.plan.code,
          planId: d.plan.id,
          dueSoFar: 0,
          doneSoFar: 0,
          late: 0,
          yearTotal: 0,
        }),
      );
    const due = r.due_at.getTime();
    p.yearTotal += r.required;
    p.late += r.late;
    if (due <= t) {
      p.dueSoFar += r.required;
      p.doneSoFar += r.done;
    }
    if (Math.abs(due - t) <= PERIOD_DAYS * DAY_MS && r.required > 0)
      deadlines.push({
        dutyId: d.id,
        code: d.code,
        title: d.title,
        plan: d.plan.code,
        due: r.due_at,
        required: r.required,
        done: r.done,
        notDone: r.required - r.done,
        late: r.late,
        passed: due <= t,
      });
  }
  // Passed deadlines first (the latest first), then coming ones (the nearest first); on one day the
  // one with most units not done first.
  deadlines.sort(
    (a, b) =>
      Number(b.passed) - Number(a.passed) ||
      (a.passed ? b.due.getTime() - a.due.getTime() : a.due.getTime() - b.due.getTime()) ||
      b.notDone - a.notDone ||
      a.code.localeCompare(b.code, 'vi', { numeric: true }),
  );
  const order = (x: DutyProgress, y: DutyProgress) => {
    const a = dutyById.get(x.dutyId)!;
    const b = dutyById.get(y.dutyId)!;
    return (
      a.plan.code.localeCompare(b.plan.code) ||
      a.position - b.position ||
      a.code.localeCompare(b.code, undefined, { numeric: true })
    );
  };
  const dutyList = [...progress.values()].sort(order);
  const plans = new Map<string, PlanProgress>();
  for (const p of dutyList) {
    const plan = dutyById.get(p.dutyId)!.plan;
    let q = plans.get(plan.id);
    if (!q)
      plans.set(
        plan.id,
        (q = { planId: plan.id, code: plan.code, title: plan.title, dueSoFar: 0, doneSoFar: 0, late: 0, yearTotal: 0 }),
      );
    q.dueSoFar += p.dueSoFar;
    q.doneSoFar += p.doneSoFar;
    q.late += p.late;
    q.yearTotal += p.yearTotal;
  }
  return {
    year,
    now,
    timeZone: org.timeZone,
    deadlines,
    plans: [...plans.values()],
    duties: dutyList,
    units: units[0].n,
  };
}

export type ChannelState = 'ok' | 'no-contact' | 'no-channel';

export interface LateUnit {
  unitId: string;
  unit: string;
  /** The most overdue of its late obligations of the duty. */
  obligationId: string;
  /** Due instant after extension. */
  due: Date;
  /**
   * Working days late: the organisation's working days (its calendar, holidays and worked
   * Saturdays) after the due day up to today, in its zone; the number the reminders and the digest
   * say ("quá hạn 16 ngày làm việc"). 0 when no working day has passed since the due day.
   */
  workingDaysLate: number;
  /** Late obligations of the duty (several for a monthly one). */
  lateCount: number;
  lastReminder: Date | null;
  /** The latest thing a contact of the unit sent: a confirmation, an extension request, evidence. */
  lastReply: Date | null;
  /**
   * Its active contacts and heads; `failures` are their disabled channels, each with the reason it
   * failed as the channel answered (for `failureInWords` to word; empty when none was kept).
   */
  contacts: {
    name: string;
    email: string | null;
    working: string[];
    disabled: string[];
    failures: { channel: string; reason: string }[];
  }[];
  channelState: ChannelState;
}

export interface LateList {
  duty: { id: string; code: string; title: string; plan: string; planTitle: string; timeframe: string };
  timeZone: string;
  now: Date;
  units: LateUnit[];
  /** Units with an obligation of the duty this year (not waived). */
  required: number;
}

/** The units late for one duty at `now`, most overdue first, with what was sent to them and what they answered. */
export async function lateList(db: Db, orgId: string, dutyId: string, now: Date): Promise<LateList> {
  const missing = () => new NotFoundError(obligationWords('noSuchDuty'));
  if (!isUuid(dutyId)) throw missing();
  const duty = await db.duty.findFirst({ where: { id: dutyId, orgId }, include: { plan: true, org: true } });
  if (!duty) throw missing();
  const zone = duty.org.timeZone;
  const { start, end } = yearBounds(zonedYear(now, zone), zone);
  const [open, required] = await Promise.all([
    db.obligation.findMany({
      where: {
        orgId,
        dutyId,
        current: true,
        status: 'open',
        history: false,
        OR: [{ extendedTo: null, dueAt: { lt: now } }, { extendedTo: { lt: now } }],
      },
      include: { unit: { select: { id: true, name: true } } },
      orderBy: { dueAt: 'asc' },
    }),
    db.obligation.count({
      where: {
        orgId,
        dutyId,
        current: true,
        status: { not: 'waived' },
        dueAt: { gte: start, lt: end },
        NOT: { history: true, status: 'open' },
      },
    }),
  ]);
  const byUnit = new Map<string, (typeof open)[number][]>();
  for (const o of open) byUnit.set(o.unitId, [...(byUnit.get(o.unitId) ?? []), o]);
  const unitIds = [...byUnit.keys()];
  const obligationIds = open.map((o) => o.id);
  const [reminders, replies, contacts] = await Promise.all([
    unitIds.length
      ? db.$queryRaw<{ unit_id: string; at: Date }[]>`
          SELECT o.unit_id, max(r.sent_at) AS at FROM reminders r JOIN obligations o ON o.id = r.obligation_id
           WHERE r.obligation_id = ANY(${obligationIds}::uuid[]) AND r.sent_at IS NOT NULL GROUP BY o.unit_id`
      : [],
    unitIds.length
      ? db.$queryRaw<{ unit_id: string; at: Date }[]>`
          SELECT ct.unit_id, max(x.at) AS at FROM (
              SELECT contact_id, created_at AS at FROM confirmations WHERE contact_id IS NOT NULL
              UNION ALL SELECT contact_id, created_at FROM extension_requests WHERE contact_id IS NOT NULL
              UNION ALL SELECT contact_id, created_at FROM evidence WHERE contact_id IS NOT NULL) x
            JOIN contacts ct ON ct.id = x.contact_id
           WHERE ct.unit_id = ANY(${unitIds}::uuid[]) GROUP BY ct.unit_id`
      : [],
    db.contact.findMany({
      where: { orgId, unitId: { in: unitIds }, active: true, role: { in: ['contact', 'head'] } },
      orderBy: { name: 'asc' },
    }),
  ]);
  const failures = await channelFailureReasons(db, orgId, contacts);
  const lastReminder = new Map(reminders.map((r) => [r.unit_id, r.at]));
  const lastReply = new Map(replies.map((r) => [r.unit_id, r.at]));
  const today = zonedDay(now, zone);
  const dueYears = open.map((o) => zonedYear(dueInstant(o), zone));
  const thisYear = zonedYear(now, zone);
  const calendar = await loadCalendar(
    db,
    orgId,
    Array.from({ length: thisYear - Math.min(thisYear, ...dueYears) + 1 }, (_, i) => thisYear - i),
  );
  const units: LateUnit[] = [...byUnit.values()].map((list) => {
    const first = list.reduce((a, b) => (dueInstant(b) < dueInstant(a) ? b : a));
    const cs = contacts
      .filter((c) => c.unitId === first.unitId)
      .map((c) => ({
        name: c.name,
        email: c.email,
        working: c.channels.filter((ch) => !c.disabledChannels.includes(ch)),
        disabled: c.disabledChannels,
        failures: c.channels
          .filter((ch) => c.disabledChannels.includes(ch))
          .map((channel) => ({
            channel,
            reason: failures.get(c.id)?.get(channel) ?? '',
          })),
      }));
    return {
      unitId: first.unitId,
      unit: first.unit.name,
      obligationId: first.id,
      due: dueInstant(first),
      workingDaysLate: calendar.workingDaysBetween(zonedDay(dueInstant(first), zone), today),
      lateCount: list.length,
      lastReminder: lastReminder.get(first.unitId) ?? null,
      lastReply: lastReply.get(first.unitId) ?? null,
      contacts: cs,
      channelState: !cs.length ? 'no-contact' : cs.some((c) => c.working.length) ? 'ok' : 'no-channel',
    };
  });
  const collator = new Intl.Collator('vi');
  units.sort(
    (a, b) =>
      b.workingDaysLate - a.workingDaysLate || a.due.getTime() - b.due.getTime() || collator.compare(a.unit, b.unit),
  );
  return {
    duty: {
      id: duty.id,
      code: duty.code,
      title: duty.title,
      plan: duty.plan.code,
      planTitle: duty.plan.title,
      timeframe: duty.timeframe,
    },
    timeZone: zone,
    now,
    units,
    required,
  };
}

/**
 * "Nhắc tất cả": the nudge service once per unit late for the duty (its overdue obligations and
 * next due date, to each contact), with the one reason, then the organisation's due reminders
 * queued once by `queueDue`. A unit nobody can reach is named, not counted as nudged. One audit row
 * for the whole action besides each unit's own.
 */
export async function nudgeLateUnits(
  db: Db,
  orgId: string,
  queueDue: (orgId: string, now: Date) => Promise<number>,
  input: { dutyId: string; actor: string; reason: string; now: Date },
) {
  if (input.reason.trim().length < 3) throw new UserError(obligationWords('reasonTooShort'));
  const list = await lateList(db, orgId, input.dutyId, input.now);
  const nudged: { unit: string; reminders: number }[] = [];
  const refused: { unit: string; why: string }[] = [];
  for (const u of list.units) {
    try {
      const r = await nudge(db, orgId, {
        unitId: u.unitId,
        actor: input.actor,
        now: input.now,
        reason: input.reason,
      });
      nudged.push({ unit: u.unit, reminders: r.reminders });
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      refused.push({ unit: u.unit, why: error.message });
    }
  }
  const queued = nudged.length ? await queueDue(orgId, input.now) : 0;
  await audit(db, {
    orgId,
    actor: input.actor,
    action: 'duty.nudge-late',
    entity: 'duty',
    entityId: list.duty.id,
    data: {
      reason: input.reason,
      units: nudged.length,
      reminders: nudged.reduce((n, u) => n + u.reminders, 0),
      unreachable: refused.map((r) => r.unit),
    },
  });
  return { duty: list.duty, nudged, refused, queued };
}

/** The late list's columns, in both exports. */
export const LATE_COLUMNS = [
  'Đơn vị',
  'Hạn',
  'Số ngày làm việc quá hạn',
  'Số kỳ trễ',
  'Nhắc gần nhất',
  'Trả lời gần nhất',
  'Đầu mối',
  'Kênh',
] as const;

const CHANNEL_STATE_TEXT: Record<ChannelState, string> = {
  ok: 'Liên lạc được',
  'no-contact': 'Chưa có đầu mối',
  'no-channel': 'Không có kênh gửi được',
};

/** The late list as rows of text (dates dd/mm/yyyy in the organisation's zone). */
export function lateRows(list: LateList): string[][] {
  const d = (x: Date | null) => (x ? shortDate(zonedDay(x, list.timeZone)) : '');
  return list.units.map((u) => [
    u.unit,
    d(u.due),
    String(u.workingDaysLate),
    String(u.lateCount),
    d(u.lastReminder),
    d(u.lastReply),
    u.contacts.map((c) => c.name + (c.email ? ` <${c.email}>` : '')).join('; '),
    u.channelState === 'ok'
      ? [...new Set(u.contacts.flatMap((c) => c.working))].map((c) => channelLabel(c, 'vi')).join(', ')
      : CHANNEL_STATE_TEXT[u.channelState],
  ]);
}

/** The late list as CSV: UTF-8 with a BOM, CRLF, formula-safe fields (as the status export). */
export function lateCsv(list: LateList): string {
  const lines = [LATE_COLUMNS.map(csvField).join(','), ...lateRows(list).map((r) => r.map(csvField).join(','))];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** The late list as an XLSX sheet: a title, the header frozen with a filter, text cells only. */
export async function lateXlsx(list: LateList): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'dondoc';
  const ws = wb.addWorksheet('Đơn vị trễ hạn', { views: [{ state: 'frozen', xSplit: 1, ySplit: 2 }] });
  ws.columns = [40, 12, 10, 8, 14, 14, 40, 20].map((width) => ({ width }));
  ws.mergeCells(1, 1, 1, LATE_COLUMNS.length);
  ws.getCell('A1').value =
    `Đơn vị trễ hạn nhiệm vụ ${list.duty.code} (${list.duty.plan}) – đến ngày ${shortDate(zonedDay(list.now, list.timeZone))}`;
  ws.getCell('A1').font = { bold: true };
  const header = ws.getRow(2);
  header.values = [...LATE_COLUMNS];
  header.font = { bold: true };
  for (const r of lateRows(list)) ws.addRow(r).alignment = { vertical: 'top', wrapText: true };
  ws.autoFilter = {
    from: { row: 2, column: 1 },
    to: { row: 2 + Math.max(list.units.length, 1), column: LATE_COLUMNS.length },
  };
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** "don-vi-tre-bc-15-11.csv": the download's name, ASCII only. */
export function lateFileName(code: string, ext: 'csv' | 'xlsx'): string {
  const slug =
    code
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/đ/gi, 'd')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'nhiem-vu';
  return `don-vi-tre-${slug}.${ext}`;
}
