import type { Db } from '#root/db/client.js';
import type { IsoDate } from '#root/domain/types.js';
import { yearBounds, zonedDay } from '#root/domain/zoned-day.js';
import { NotFoundError } from '#root/errors/index.js';
import { yearlyStatus, type PlanStatus, type StatusRow } from './exports.js';
import { indicatorSummaries, unitIndicators, type IndicatorSummary, type UnitIndicator } from './indicators.js';
import { isUuid } from './units.js';
import { serviceWords } from '#root/messages/service-words.js';

/**
 * The facts of the yearly report ("Báo cáo kết quả thực hiện Kế hoạch … năm …"), for the
 * organisation (the consolidated report the Sở TTTT sends before 30/11) or for one unit (its own
 * report, due 15/11). Read only; rendering is report-docx.ts.
 */

const indicatorWords = serviceWords('indicators');

/** Counts of a year's obligations at `now`. */
export interface Totals {
  total: number;
  done: number;
  /** Done by their due instant (after an approved extension). */
  doneOnTime: number;
  /** Open, not yet due. */
  open: number;
  overdue: number;
  waived: number;
}

export interface DutyReport {
  plan: string;
  code: string;
  title: string;
  /** The duty's state in words ("Đã hoàn thành", "Đang thực hiện: 3/5 đơn vị đã hoàn thành"…). */
  stateText: string;
  /** `none`: no deadline in the year. */
  none: boolean;
  done: string[];
  notDone: { unit: string; state: string }[];
  waived: string[];
  notes: { unit: string; note: string }[];
  files: { unit: string; name: string }[];
}

export interface Difficulty {
  unit: string;
  items: string[];
}

export interface ReportData {
  org: { code: string; name: string };
  /** Set for a unit's own report. */
  unit: { id: string; name: string } | null;
  year: number;
  asOf: IsoDate;
  plans: { code: string; title: string; issuer: string | null; issuedOn: IsoDate | null }[];
  totals: Totals;
  previous: Totals;
  duties: DutyReport[];
  /** The organisation's indicators for the year (the consolidated report). */
  indicators: IndicatorSummary[];
  /** The unit's own indicators with its values (a unit's report). */
  unitIndicators: UnitIndicator[];
  difficulties: Difficulty[];
  appendix: PlanStatus[];
}

export interface ReportOptions {
  year: number;
  now: Date;
  /** A plan's code: only this plan. */
  planCode?: string | undefined;
  /** A unit's id: that unit's own report. */
  unitId?: string | undefined;
}

async function totalsOf(
  db: Db,
  orgId: string,
  zone: string,
  year: number,
  now: Date,
  planId: string | null,
  unitId: string | null,
): Promise<Totals> {
  const { start, end } = yearBounds(year, zone);
  const [r] = await db.$queryRaw<
    [{ total: number; done: number; on_time: number; open: number; overdue: number; waived: number }]
  >`
    SELECT count(*)::int AS total,
           count(*) FILTER (WHERE o.status = 'done')::int AS done,
           count(*) FILTER (WHERE o.status = 'done' AND o.completed_at <= COALESCE(o.extended_to, o.due_at))::int AS on_time,
           count(*) FILTER (WHERE o.status = 'open' AND COALESCE(o.extended_to, o.due_at) >= ${now})::int AS open,
           count(*) FILTER (WHERE o.status = 'open' AND COALESCE(o.extended_to, o.due_at) < ${now})::int AS overdue,
           count(*) FILTER (WHERE o.status = 'waived')::int AS waived
      FROM obligations o JOIN duties d ON d.id = o.duty_id
     WHERE o.org_id = ${orgId}::uuid AND o.current AND o.due_at >= ${start} AND o.due_at < ${end}
       AND (${planId}::uuid IS NULL OR d.plan_id = ${planId}::uuid)
       AND (${unitId}::uuid IS NULL OR o.unit_id = ${unitId}::uuid)`;
  return { total: r.total, done: r.done, doneOnTime: r.on_time, open: r.open, overdue: r.overdue, waived: r.waived };
}

/** A duty's state in words, from its rows (one per lead unit). */
function dutyState(rows: StatusRow[], year: number): { text: string; none: boolean } {
  if (rows.every((r) => r.state === 'none')) return { text: `Không có kỳ hạn trong năm ${year}`, none: true };
  const counted = rows.filter((r) => r.state !== 'none' && r.state !== 'waived');
  const done = counted.filter((r) => r.state === 'done').length;
  const overdue = counted.filter((r) => r.state === 'overdue').length;
  if (!counted.length) return { text: 'Được miễn', none: false };
  if (done === counted.length) return { text: 'Đã hoàn thành', none: false };
  const parts = [`${done}/${counted.length} đơn vị đã hoàn thành`];
  if (overdue) parts.push(`${overdue} đơn vị quá hạn`);
  return { text: `${done ? 'Đang thực hiện' : 'Chưa hoàn thành'}: ${parts.join(', ')}`, none: false };
}

/**
 * Gathers the report's facts.
 *
 * 1. The plans (one, with `planCode`) and the status of each duty × lead unit of the year, as the
 *    XLSX export has it ({@link yearlyStatus}); for a unit's report, its own rows.
 * 2. The year's counts and the year before's, in SQL.
 * 3. The units' notes (standing confirmations) and evidence file names, by duty.
 * 4. The indicators of the year: the organisation's, or the unit's own with its values.
 * 5. Difficulties: extension requests' reasons, waivers' reasons and indicator notes, by unit.
 */
export async function reportData(db: Db, orgId: string, o: ReportOptions): Promise<ReportData> {
  const org = await db.organisation.findUniqueOrThrow({ where: { id: orgId } });
  const plan = o.planCode ? await db.plan.findFirst({ where: { orgId, code: o.planCode } }) : null;
  if (o.planCode && !plan) throw new NotFoundError(indicatorWords('noSuchPlan', { planCode: o.planCode }));
  const unit =
    o.unitId && isUuid(o.unitId)
      ? await db.unit.findFirst({ where: { id: o.unitId, orgId }, select: { id: true, name: true } })
      : null;
  if (o.unitId && !unit) throw new NotFoundError(indicatorWords('noSuchUnit'));
  const zone = org.timeZone;
  const { start, end } = yearBounds(o.year, zone);

  // The status of every duty × unit and the counts of this year and the last, at once: PostgreSQL
  // works on the counts while this process adds up the status.
  const [status, totals, previous] = await Promise.all([
    yearlyStatus(db, orgId, o.year, o.now),
    totalsOf(db, orgId, zone, o.year, o.now, plan?.id ?? null, unit?.id ?? null),
    totalsOf(db, orgId, zone, o.year - 1, o.now, plan?.id ?? null, unit?.id ?? null),
  ]);
  const appendix = status.plans
    .filter((p) => !plan || p.code === plan.code)
    .map((p) => ({ ...p, rows: unit ? p.rows.filter((r) => r.unit === unit.name) : p.rows }))
    .filter((p) => !unit || p.rows.length);
  const planRows = await db.plan.findMany({
    where: { orgId, code: { in: appendix.map((p) => p.code) } },
    orderBy: { code: 'asc' },
  });

  const inYear = {
    orgId,
    current: true,
    dueAt: { gte: start, lt: end },
    ...(plan ? { duty: { planId: plan.id } } : {}),
    ...(unit ? { unitId: unit.id } : {}),
  };
  const dutyKey = (planCode: string, code: string) => `${planCode}|${code}`;
  const planId = plan?.id ?? null;
  const unitId = unit?.id ?? null;
  // In SQL: a third of 50,000 obligations confirmed with a note is too many ids for Prisma's
  // includes (sent back as parameters, past PostgreSQL's limit).
  const [confirmations, evidence, extensions] = await Promise.all([
    db.$queryRaw<{ note: string | null; fileName: string | null; unit: string; duty: string; plan: string }[]>`
      SELECT c.note, c.file_name AS "fileName", u.name AS unit, d.code AS duty, p.code AS plan
        FROM confirmations c JOIN obligations o ON o.id = c.obligation_id
        JOIN units u ON u.id = o.unit_id JOIN duties d ON d.id = o.duty_id JOIN plans p ON p.id = d.plan_id
       WHERE c.org_id = ${orgId}::uuid AND c.withdrawn_at IS NULL AND (c.note IS NOT NULL OR c.file_name IS NOT NULL)
         AND o.current AND o.due_at >= ${start} AND o.due_at < ${end}
         AND (${planId}::uuid IS NULL OR d.plan_id = ${planId}::uuid)
         AND (${unitId}::uuid IS NULL OR o.unit_id = ${unitId}::uuid)
       ORDER BY c.created_at, c.id`,
    db.$queryRaw<{ fileName: string; unit: string; duty: string; plan: string }[]>`
      SELECT e.file_name AS "fileName", u.name AS unit, d.code AS duty, p.code AS plan
        FROM evidence e JOIN obligations o ON o.id = e.obligation_id
        JOIN units u ON u.id = o.unit_id JOIN duties d ON d.id = o.duty_id JOIN plans p ON p.id = d.plan_id
       WHERE e.org_id = ${orgId}::uuid AND o.current AND o.due_at >= ${start} AND o.due_at < ${end}
         AND (${planId}::uuid IS NULL OR d.plan_id = ${planId}::uuid)
         AND (${unitId}::uuid IS NULL OR o.unit_id = ${unitId}::uuid)
       ORDER BY e.created_at, e.id`,
    db.extensionRequest.findMany({
      where: { orgId, obligation: inYear },
      select: {
        reason: true,
        status: true,
        obligation: { select: { unit: { select: { name: true } }, duty: { select: { code: true } } } },
      },
      orderBy: { createdAt: 'asc' },
    }),
  ]);
  const notesOf = new Map<string, { unit: string; note: string }[]>();
  const filesOf = new Map<string, { unit: string; name: string }[]>();
  const push = <T>(m: Map<string, T[]>, k: string, v: T) => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  // A file named by a confirmation and stored as evidence is listed once.
  const seenFile = new Set<string>();
  for (const c of confirmations) {
    const k = dutyKey(c.plan, c.duty);
    if (c.note?.trim()) push(notesOf, k, { unit: c.unit, note: c.note.trim() });
    if (c.fileName && !seenFile.has(`${k}|${c.unit}|${c.fileName}`)) {
      seenFile.add(`${k}|${c.unit}|${c.fileName}`);
      push(filesOf, k, { unit: c.unit, name: c.fileName });
    }
  }
  for (const e of evidence) {
    const k = dutyKey(e.plan, e.duty);
    const id = `${k}|${e.unit}|${e.fileName}`;
    if (seenFile.has(id)) continue;
    seenFile.add(id);
    push(filesOf, k, { unit: e.unit, name: e.fileName });
  }

  const duties: DutyReport[] = [];
  for (const p of appendix) {
    const byCode = new Map<string, StatusRow[]>();
    for (const r of p.rows) push(byCode, r.tt, r);
    for (const [code, rows] of byCode) {
      const k = dutyKey(p.code, code);
      const state = dutyState(rows, o.year);
      duties.push({
        plan: p.code,
        code,
        title: rows[0]!.duty,
        stateText: state.text,
        none: state.none,
        done: rows.filter((r) => r.state === 'done').map((r) => r.unit),
        notDone: rows
          .filter((r) => r.state === 'overdue' || r.state === 'open' || r.state === 'extended')
          .map((r) => ({ unit: r.unit, state: r.stateText })),
        waived: rows.filter((r) => r.state === 'waived').map((r) => r.unit),
        notes: notesOf.get(k) ?? [],
        files: filesOf.get(k) ?? [],
      });
    }
  }

  const indicators = unit
    ? []
    : (await indicatorSummaries(db, orgId, [o.year], plan ? { planId: plan.id } : {})).filter(
        (i) => !plan || i.planId === plan.id,
      );
  const mine = unit
    ? (await unitIndicators(db, orgId, unit.id, o.year)).filter((i) => !plan || i.plan === plan.code)
    : [];

  // Difficulties, by unit: what units wrote when asking for more time, why duties were waived, and
  // the notes of their indicator values.
  const difficulties = new Map<string, string[]>();
  const STATUS = { pending: 'đang chờ duyệt', approved: 'đã được duyệt', refused: 'không được duyệt' } as const;
  for (const e of extensions)
    push(
      difficulties,
      e.obligation.unit.name,
      `Xin gia hạn nhiệm vụ ${e.obligation.duty.code} (${STATUS[e.status]}): ${e.reason.trim()}`,
    );
  for (const p of appendix)
    for (const r of p.rows)
      if (r.state === 'waived' && r.note) push(difficulties, r.unit, `Nhiệm vụ ${r.tt} được miễn: ${r.note}`);
  if (unit) {
    for (const i of mine)
      if (i.value?.note) push(difficulties, unit.name, `Chỉ tiêu ${i.ref} (${i.title}): ${i.value.note}`);
  } else {
    for (const i of indicators)
      for (const r of i.years[0]?.reported ?? [])
        if (r.note) push(difficulties, r.unit, `Chỉ tiêu ${i.code} (${i.title}): ${r.note}`);
  }
  const collator = new Intl.Collator('vi');

  return {
    org: { code: org.code, name: org.name },
    unit,
    year: o.year,
    asOf: zonedDay(o.now, zone),
    plans: planRows.map((p) => ({
      code: p.code,
      title: p.title,
      issuer: p.issuer,
      issuedOn: p.issuedOn ? (p.issuedOn.toISOString().slice(0, 10) as IsoDate) : null,
    })),
    totals,
    previous,
    duties,
    indicators,
    unitIndicators: mine,
    difficulties: [...difficulties]
      .map(([u, items]) => ({ unit: u, items }))
      .sort((a, b) => collator.compare(a.unit, b.unit)),
    appendix,
  };
}
