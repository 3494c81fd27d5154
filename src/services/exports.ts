import ExcelJS from 'exceljs';
import type { Db } from '#root/db/client.js';
import { dueInstant, obligationState, type ObligationState } from '#root/domain/obligation-state.js';
import type { IsoDate } from '#root/domain/types.js';
import { shortDate } from '#root/domain/wording.js';
import { yearBounds, yearWindow, zonedDay, zonedYear } from '#root/domain/zoned-day.js';
import { actorNamer } from './actors.js';

/** The columns of the plan's appendix table that the 30/11 report fills in, in the plan's words. */
export const STATUS_COLUMNS = ['TT', 'Nhiệm vụ', 'Đơn vị chủ trì', 'Trạng thái', 'Ngày hoàn thành', 'Ghi chú'] as const;
/** The CSV has every plan in one file: the plan first. */
export const CSV_COLUMNS = ['Kế hoạch', ...STATUS_COLUMNS] as const;

/** One line's state, as the status matrix colours it. `none`: no deadline in the year. */
export type ExportState = Exclude<ObligationState, 'soon'> | 'none';

/** One row of the report: a duty and one of its lead units, over the whole year. */
export interface StatusRow {
  /** The duty's number in the plan ("1.1", "BC-15/11"). */
  tt: string;
  duty: string;
  unit: string;
  state: ExportState;
  /** "Đã hoàn thành", "Đang thực hiện", "Quá hạn", "Miễn", "Gia hạn đến 20/12/2026"; "" for `none`. */
  stateText: string;
  /** When the unit finished everything of the year (the last confirmation), in the organisation's zone. */
  completedOn: IsoDate | null;
  note: string;
}

export interface PlanStatus {
  code: string;
  title: string;
  rows: StatusRow[];
}

export interface YearlyStatus {
  org: { code: string; name: string };
  year: number;
  /** The day the report was made, in the organisation's zone ("tình hình đến ngày …"). */
  asOf: IsoDate;
  plans: PlanStatus[];
}

/** "Quý 2", "Tháng 6", "6 tháng cuối năm", "Năm 2026": how the report names a period. */
export function periodLabel(key: string): string {
  let m: RegExpExecArray | null;
  if ((m = /^\d{4}-Q([1-4])$/.exec(key))) return `Quý ${m[1]}`;
  if ((m = /^\d{4}-H([12])$/.exec(key))) return m[1] === '1' ? '6 tháng đầu năm' : '6 tháng cuối năm';
  if ((m = /^\d{4}-(\d{2})$/.exec(key))) return `Tháng ${Number(m[1])}`;
  if (/^\d{4}$/.test(key)) return `Năm ${key}`;
  return key;
}

interface ObligationData {
  periodKey: string;
  dueAt: Date;
  extendedTo: Date | null;
  status: 'open' | 'done' | 'waived';
  completedAt: Date | null;
  /** Who confirmed and what they wrote (the first confirmation not withdrawn). */
  confirmedBy: string | null;
  confirmNote: string | null;
  /** Why and by whom it was waived (from the audit log). */
  waiver: { by: string; reason: string } | null;
}

/**
 * One row from the obligations of a duty for one unit in the year.
 *
 * - State: any period overdue → "Quá hạn"; nothing left open → "Đã hoàn thành" (or "Miễn" when
 *   every period was waived); an open period with an approved extension → "Gia hạn đến …" (the
 *   earliest such date); otherwise "Đang thực hiện".
 * - Completion date: the last completion, only when every period is finished and at least one was done.
 * - Note: for several periods "k/n kỳ đã hoàn thành" and the overdue and waived counts; then the
 *   deadline still ahead (a single obligation's deadline even when passed); then who confirmed (and their note), per period when there are several;
 *   then waivers with their reason.
 */
export function summarise(
  obligations: ObligationData[],
  now: Date,
  zone: string,
): Pick<StatusRow, 'state' | 'stateText' | 'completedOn' | 'note'> {
  const day = (d: Date) => shortDate(zonedDay(d, zone));
  const sorted = [...obligations].sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
  const done = sorted.filter((o) => o.status === 'done');
  const waived = sorted.filter((o) => o.status === 'waived');
  const open = sorted.filter((o) => o.status === 'open');
  const states = new Map(sorted.map((o) => [o, obligationState(o, now)]));
  const overdue = open.filter((o) => states.get(o) === 'overdue');
  const extended = open.filter((o) => states.get(o) === 'extended');
  const several = sorted.length > 1;

  const { state, stateText }: { state: ExportState; stateText: string } = overdue.length
    ? { state: 'overdue', stateText: 'Quá hạn' }
    : !open.length
      ? done.length
        ? { state: 'done', stateText: 'Đã hoàn thành' }
        : { state: 'waived', stateText: 'Miễn' }
      : extended.length
        ? { state: 'extended', stateText: `Gia hạn đến ${day(extended[0]!.extendedTo!)}` }
        : { state: 'open', stateText: 'Đang thực hiện' };

  const last = done.reduce<Date | null>(
    (max, o) => (o.completedAt && (!max || o.completedAt > max) ? o.completedAt : max),
    null,
  );
  const completedOn = !open.length && last ? zonedDay(last, zone) : null;

  const notes: string[] = [];
  if (several) {
    const counts = [`${done.length}/${sorted.length} kỳ đã hoàn thành`];
    if (overdue.length)
      counts.push(`${overdue.length} kỳ quá hạn (${overdue.map((o) => periodLabel(o.periodKey)).join(', ')})`);
    if (waived.length) counts.push(`${waived.length} kỳ miễn`);
    notes.push(counts.join(', '));
  }
  // The deadline still ahead (for a single obligation, its deadline even when passed).
  const next = several ? open.find((o) => !overdue.includes(o)) : open[0];
  if (next)
    notes.push(
      `${several ? `${periodLabel(next.periodKey)}: h` : 'H'}ạn ${day(dueInstant(next))}${next.extendedTo ? ' (đã gia hạn)' : ''}`,
    );
  for (const o of done) {
    if (!o.confirmedBy && !o.confirmNote) continue;
    const who = o.confirmedBy ? `xác nhận: ${o.confirmedBy}` : 'đã xác nhận';
    const text = `${who}${o.confirmNote ? ` – “${o.confirmNote}”` : ''}`;
    notes.push(several ? `${periodLabel(o.periodKey)}: ${text}` : text.charAt(0).toUpperCase() + text.slice(1));
  }
  for (const o of waived) {
    if (o.waiver)
      notes.push(`${several ? `${periodLabel(o.periodKey)}: m` : 'M'}iễn – ${o.waiver.reason} (${o.waiver.by})`);
  }
  return { state, stateText, completedOn, note: notes.join('; ') };
}

const byCode = (a: string, b: string) => a.localeCompare(b, 'vi', { numeric: true });

/**
 * The yearly consolidated status of every plan of an organisation (the report due on 30/11): per
 * plan, one row per duty and lead unit, in the plan's order.
 *
 * 1. Load the year's current obligations (due in the year in the organisation's zone, as
 *    {@link listObligations} counts them) with their first standing confirmation, and the reasons
 *    of waivers from the audit log.
 * 2. Group them by duty and unit; order units as the plan lists its leads (a group's members
 *    together, by name), then any other unit that had obligations.
 * 3. Active duties without any deadline in the year ("2023-2025", or no lead yet) still get a row,
 *    so the table has every line of the plan's appendix.
 */
export async function yearlyStatus(db: Db, orgId: string, year: number, now: Date): Promise<YearlyStatus> {
  const org = await db.organisation.findUniqueOrThrow({ where: { id: orgId } });
  const window = yearWindow(year);
  const from = new Date(`${window.from}T00:00:00Z`);
  const to = new Date(`${window.to}T23:59:59.999Z`);
  // The zone's year starts and ends up to a day away from UTC's: widen, then filter by zoned day.
  from.setUTCDate(from.getUTCDate() - 1);
  to.setUTCDate(to.getUTCDate() + 1);

  const [obligations, duties, actorName] = await Promise.all([
    // One statement with the first standing confirmation joined in: Prisma's include sends the
    // obligations' ids back as parameters, past PostgreSQL's 32,767 beyond ~30,000 obligations.
    db.$queryRaw<
      {
        id: string;
        dutyId: string;
        unitId: string;
        periodKey: string;
        dueAt: Date;
        extendedTo: Date | null;
        status: 'open' | 'done' | 'waived';
        completedAt: Date | null;
        unitName: string;
        cNote: string | null;
        cActor: string | null;
        cContact: string | null;
        confirmed: boolean;
      }[]
    >`
      SELECT o.id::text AS id, o.duty_id::text AS "dutyId", o.unit_id::text AS "unitId", o.period_key AS "periodKey",
             o.due_at AS "dueAt", o.extended_to AS "extendedTo", o.status::text AS status, o.completed_at AS "completedAt",
             u.name AS "unitName", c.note AS "cNote", c.actor AS "cActor", ct.name AS "cContact", c.id IS NOT NULL AS confirmed
        FROM obligations o
        JOIN units u ON u.id = o.unit_id
        LEFT JOIN LATERAL (
          SELECT x.id, x.note, x.actor, x.contact_id FROM confirmations x
           WHERE x.obligation_id = o.id AND x.withdrawn_at IS NULL ORDER BY x.created_at ASC LIMIT 1) c ON true
        LEFT JOIN contacts ct ON ct.id = c.contact_id
       -- An open period before its plan was tracked from is history, not "Quá hạn".
       WHERE o.org_id = ${orgId}::uuid AND o.current AND o.due_at >= ${from} AND o.due_at <= ${to}
         AND NOT (o.history AND o.status = 'open')`.then((rows) =>
      rows.map((r) => ({
        ...r,
        unit: { name: r.unitName },
        confirmations: r.confirmed
          ? [{ note: r.cNote, actor: r.cActor, contact: r.cContact === null ? null : { name: r.cContact } }]
          : [],
      })),
    ),
    db.duty.findMany({
      where: { orgId },
      include: {
        plan: true,
        assignments: {
          where: { role: 'lead' },
          orderBy: { position: 'asc' },
          include: {
            unit: { select: { id: true, name: true } },
            group: { include: { members: { include: { unit: { select: { id: true, name: true, active: true } } } } } },
          },
        },
      },
    }),
    actorNamer(db, orgId),
  ]);
  // Due on a day of the year in the organisation's zone: within the year's instants there.
  const { start, end } = yearBounds(year, org.timeZone);
  const inYear = obligations.filter((o) => o.dueAt >= start && o.dueAt < end);
  const waivedIds = inYear.filter((o) => o.status === 'waived').map((o) => o.id);
  const waivers = waivedIds.length
    ? await db.auditEvent.findMany({
        where: { orgId, action: 'obligation.waive', entity: 'obligation', entityId: { in: waivedIds } },
        orderBy: { id: 'desc' },
      })
    : [];

  const waiverOf = new Map<string, { by: string; reason: string }>();
  for (const e of waivers) {
    const reason =
      e.data && typeof e.data === 'object' && !Array.isArray(e.data) && typeof e.data.reason === 'string'
        ? e.data.reason
        : '';
    if (e.entityId && !waiverOf.has(e.entityId)) waiverOf.set(e.entityId, { by: actorName(e.actor), reason });
  }

  // (duty → unit → obligations)
  const grouped = new Map<string, Map<string, { unit: string; items: ObligationData[] }>>();
  for (const o of inYear) {
    const c = o.confirmations[0];
    const units = grouped.get(o.dutyId) ?? new Map<string, { unit: string; items: ObligationData[] }>();
    grouped.set(o.dutyId, units);
    const entry = units.get(o.unitId) ?? { unit: o.unit.name, items: [] };
    units.set(o.unitId, entry);
    entry.items.push({
      periodKey: o.periodKey,
      dueAt: o.dueAt,
      extendedTo: o.extendedTo,
      status: o.status,
      completedAt: o.completedAt,
      confirmedBy: c ? (c.contact?.name ?? (c.actor ? actorName(c.actor) : null)) : null,
      confirmNote: c?.note?.trim() || null,
      waiver: waiverOf.get(o.id) ?? null,
    });
  }

  const plans = new Map<string, PlanStatus>();
  const sortedDuties = duties
    .filter((d) => d.active || grouped.has(d.id))
    .sort((a, b) => a.position - b.position || byCode(a.code, b.code));
  for (const d of sortedDuties) {
    const plan = plans.get(d.planId) ?? { code: d.plan.code, title: d.plan.title, rows: [] };
    plans.set(d.planId, plan);
    // Rank of each lead unit: the assignment's place in the plan, a group's members by name.
    const rank = new Map<string, number>();
    d.assignments.forEach((a, i) => {
      if (a.unit && !rank.has(a.unit.id)) rank.set(a.unit.id, i);
      for (const m of a.group?.members ?? []) if (!rank.has(m.unitId)) rank.set(m.unitId, i);
    });
    const units = [
      ...(grouped.get(d.id) ?? new Map<string, { unit: string; items: ObligationData[] }>()).entries(),
    ].sort(
      ([ua, a], [ub, b]) =>
        (rank.get(ua) ?? Infinity) - (rank.get(ub) ?? Infinity) || a.unit.localeCompare(b.unit, 'vi'),
    );
    if (!units.length) {
      const leads = d.assignments.map((a) => a.unit?.name ?? a.group?.name ?? a.rawName);
      plan.rows.push({
        tt: d.code,
        duty: d.title,
        unit: leads.join('; '),
        state: 'none',
        stateText: '',
        completedOn: null,
        note: leads.length
          ? `Không có kỳ hạn nào trong năm ${year} (thời gian thực hiện: ${d.timeframe})`
          : 'Chưa giao đơn vị chủ trì',
      });
      continue;
    }
    for (const [, u] of units)
      plan.rows.push({ tt: d.code, duty: d.title, unit: u.unit, ...summarise(u.items, now, org.timeZone) });
  }
  return {
    org: { code: org.code, name: org.name },
    year,
    asOf: zonedDay(now, org.timeZone),
    plans: [...plans.values()].sort((a, b) => byCode(a.code, b.code)),
  };
}

/** The years an organisation has obligations in (and this year), newest first. */
export async function exportYears(db: Db, orgId: string, now: Date): Promise<number[]> {
  const org = await db.organisation.findUniqueOrThrow({ where: { id: orgId } });
  const rows = await db.$queryRaw<{ year: number }[]>`
    SELECT DISTINCT EXTRACT(YEAR FROM due_at AT TIME ZONE ${org.timeZone})::int AS year
      FROM obligations WHERE org_id = ${orgId}::uuid AND current`;
  const years = new Set(rows.map((r) => r.year));
  years.add(zonedYear(now, org.timeZone));
  return [...years].sort((a, b) => b - a);
}

/**
 * A valid Excel sheet name for each plan code: at most 31 characters, none of `[]:*?/\`, not
 * starting or ending with an apostrophe, unique regardless of case ("3131/KH-UBND" → "3131-KH-UBND").
 */
export function sheetNames(codes: string[]): string[] {
  const taken = new Set<string>();
  return codes.map((code) => {
    const base =
      code
        .replace(/[[\]:*?/\\]/g, '-')
        .replace(/\p{Cc}/gu, ' ')
        .trim()
        .replace(/^'+|'+$/g, '')
        .slice(0, 31) || 'Kế hoạch';
    let name = base;
    // "History" is reserved by Excel.
    for (let n = 2; taken.has(name.toLowerCase()) || name.toLowerCase() === 'history'; n++) {
      const suffix = ` (${n})`;
      name = base.slice(0, 31 - suffix.length) + suffix;
    }
    taken.add(name.toLowerCase());
    return name;
  });
}

const FILLS: Partial<Record<ExportState, string>> = {
  done: 'FFCDECCF',
  overdue: 'FFF7C3C0',
  waived: 'FFE3E3E3',
  extended: 'FFCFE3F7',
};

/** The calendar day as an Excel date (midnight UTC of that day: Excel has no time zones). */
const excelDay = (d: IsoDate) => new Date(`${d}T00:00:00Z`);

/**
 * The report as an XLSX workbook: one sheet per plan, a title, the table's header frozen with a
 * filter on it, completion dates as real dates shown dd/mm/yyyy (they sort and filter as dates).
 * Cells are written as strings or dates, never formulas, so a title starting with "=" is text.
 */
export async function statusXlsx(status: YearlyStatus): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'dondoc';
  wb.created = excelDay(status.asOf);
  const names = sheetNames(status.plans.map((p) => p.code));
  const asOf = shortDate(status.asOf);
  status.plans.forEach((plan, i) => {
    const HEADER_ROW = 3;
    const ws = wb.addWorksheet(names[i]!, {
      views: [
        {
          state: 'frozen',
          xSplit: 0,
          ySplit: HEADER_ROW,
          topLeftCell: `A${HEADER_ROW + 1}`,
          activeCell: `A${HEADER_ROW + 1}`,
        },
      ],
      pageSetup: {
        orientation: 'landscape',
        fitToPage: true,
        fitToWidth: 1,
        fitToHeight: 0,
        paperSize: 9,
        printTitlesRow: `${HEADER_ROW}:${HEADER_ROW}`,
      },
    });
    ws.columns = [
      { key: 'tt', width: 10 },
      { key: 'duty', width: 60 },
      { key: 'unit', width: 32 },
      { key: 'state', width: 24 },
      { key: 'completedOn', width: 16, style: { numFmt: 'dd/mm/yyyy' } },
      { key: 'note', width: 55 },
    ];
    ws.mergeCells(1, 1, 1, STATUS_COLUMNS.length);
    ws.getCell('A1').value =
      `Tình hình thực hiện Kế hoạch ${plan.code} năm ${status.year} – tình hình đến ngày ${asOf}`;
    ws.getCell('A1').font = { bold: true, size: 13 };
    ws.mergeCells(2, 1, 2, STATUS_COLUMNS.length);
    ws.getCell('A2').value = `${plan.title} (${status.org.name})`;
    ws.getCell('A2').alignment = { wrapText: true, vertical: 'top' };
    ws.getCell('A2').font = { italic: true };
    ws.getRow(2).height = 32;
    const header = ws.getRow(HEADER_ROW);
    header.values = [...STATUS_COLUMNS];
    header.font = { bold: true };
    header.alignment = { vertical: 'middle', horizontal: 'center', wrapText: true };
    header.eachCell((cell) => {
      cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFEEF1F5' } };
      cell.border = { bottom: { style: 'thin' } };
    });
    for (const r of plan.rows) {
      const row = ws.addRow({
        tt: r.tt,
        duty: r.duty,
        unit: r.unit,
        state: r.stateText,
        completedOn: r.completedOn ? excelDay(r.completedOn) : null,
        note: r.note,
      });
      row.alignment = { vertical: 'top', wrapText: true };
      row.getCell('completedOn').alignment = { vertical: 'top', horizontal: 'center' };
      const fill = FILLS[r.state];
      if (fill) row.getCell('state').fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: fill } };
    }
    ws.autoFilter = {
      from: { row: HEADER_ROW, column: 1 },
      to: { row: HEADER_ROW + Math.max(plan.rows.length, 1), column: STATUS_COLUMNS.length },
    };
  });
  if (!status.plans.length) wb.addWorksheet('Kế hoạch').addRow([`Chưa có kế hoạch nào (${status.year}).`]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes doubled.
 *
 * Formula injection: Excel and LibreOffice run a cell that starts with `=`, `+`, `-` or `@` (and,
 * after a tab or carriage return, the same) as a formula, so a duty title or a confirmation note
 * typed by anyone could become `=HYPERLINK(…)` or a DDE command on the administrator's machine.
 * Such a field is prefixed with `'` (OWASP's advice): spreadsheets show it as text, and a person
 * reading the file sees the original after the apostrophe.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The report as one CSV for every plan: UTF-8 with a BOM (Excel reads Vietnamese right), CRLF line ends. */
export function statusCsv(status: YearlyStatus): string {
  const lines = [CSV_COLUMNS.map(csvField).join(',')];
  for (const plan of status.plans) {
    for (const r of plan.rows) {
      lines.push(
        [plan.code, r.tt, r.duty, r.unit, r.stateText, r.completedOn ? shortDate(r.completedOn) : '', r.note]
          .map(csvField)
          .join(','),
      );
    }
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** The download's file name, ASCII only: "tinh-hinh-hcm-2026.xlsx". */
export function exportFileName(orgCode: string, year: number, ext: 'xlsx' | 'csv'): string {
  const org =
    orgCode
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/đ/gi, 'd')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'org';
  return `tinh-hinh-${org}-${year}.${ext}`;
}
