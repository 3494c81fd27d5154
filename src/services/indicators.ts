import type { Db } from '#root/db/client.js';
import type { Prisma } from '#root/generated/prisma/client.js';
import {
  combinedValue,
  isRate,
  meets,
  parseIndicatorValue,
  readNumber,
  targetFor,
  viNumber,
  withUnit,
  type ValueProblem,
} from '#root/domain/indicators.js';
import { tidy } from '#root/domain/text.js';
import { yearBounds } from '#root/domain/zoned-day.js';
import { NotFoundError, UserError } from '#root/errors/index.js';
import type { IndicatorDraft } from '#root/import/indicators.js';
import { INDICATOR_WORDS } from '#root/messages/indicators.js';
import { audit } from './audit.js';
import { findUnit } from './units.js';
import { serviceWords } from '#root/messages/service-words.js';

/**
 * A plan's indicators (chỉ tiêu) and the values units report for them.
 *
 * Who reports an indicator: the units an administrator chose for it; when none were chosen, the
 * units bound that year by the plan's yearly report duty (the report "gửi về Sở TTTT trước ngày
 * 15/11" the import found in the plan's body); when the plan has no report duty, every unit with
 * a duty of the plan due that year. A unit reports one value per indicator and year; a new value
 * replaces the standing one, undo withdraws it and the one it replaced stands again. Every change
 * is audited; bad input changes nothing.
 */

const indicatorWords = serviceWords('indicators');

type Tx = Prisma.TransactionClient | Db;

/** Why a report or an undo was refused, for the reply in the person's language. */
export type IndicatorRefusal =
  | { kind: 'value'; problem: ValueProblem; typed: string }
  | { kind: 'not-own'; code: string; unit: string; year: number }
  | { kind: 'ambiguous'; code: string; refs: string[] }
  | { kind: 'nothing-to-undo'; code: string; year: number }
  | { kind: 'note-too-long' };

/** A refused report, in both languages (a page shows its own); `refusal` lets a chat reply in the contact's language. */
export class IndicatorInputError extends UserError {
  override name = 'IndicatorInputError';
  constructor(readonly refusal: IndicatorRefusal) {
    super({ vi: refusalText(refusal, 'vi'), en: refusalText(refusal, 'en') });
  }
}

/** A refusal in a language. */
export function refusalText(r: IndicatorRefusal, lang: 'vi' | 'en'): string {
  const w = INDICATOR_WORDS[lang];
  switch (r.kind) {
    case 'value':
      return w.problem[r.problem](r.typed.slice(0, 40));
    case 'not-own':
      return w.notOwn(r.code.slice(0, 40), r.unit, r.year);
    case 'ambiguous':
      return w.ambiguous(r.code.slice(0, 40), r.refs);
    case 'nothing-to-undo':
      return w.nothingToUndo(r.code.slice(0, 40), r.year);
    case 'note-too-long':
      return w.noteTooLong;
  }
}

/** The targets of a row (JSON) as numbers by year. */
export function targetsOf(json: Prisma.JsonValue): Record<string, number> {
  const out: Record<string, number> = {};
  if (json && typeof json === 'object' && !Array.isArray(json))
    for (const [k, v] of Object.entries(json)) if (/^\d{4}$/.test(k) && typeof v === 'number') out[k] = v;
  return out;
}

/** The short plan reference typed before an indicator's number when several plans have it: "3131". */
export const planRef = (planCode: string) => /^\d+/.exec(planCode)?.[0] ?? planCode;

// ---------------------------------------------------------------------------------------------
// Import and editing

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Stores a plan's indicators as an import read them (in the import's transaction): upsert by
 * (plan, code); an indicator the plan no longer has is retired, never deleted, its values kept.
 * An import that read no indicator table leaves the plan's indicators as they are (a duty
 * appendix imported alone says nothing about indicators).
 */
export async function storeIndicators(
  tx: Prisma.TransactionClient,
  orgId: string,
  planId: string,
  drafts: IndicatorDraft[],
): Promise<{ created: number; updated: number; unchanged: number; retired: number }> {
  const result = { created: 0, updated: 0, unchanged: 0, retired: 0 };
  if (!drafts.length) return result;
  const existing = await tx.indicator.findMany({ where: { planId } });
  const byCode = new Map(existing.map((i) => [i.code, i]));
  for (const [position, d] of drafts.entries()) {
    const fields = { title: d.title, unit: d.unit, targets: d.targets, position, active: true };
    const old = byCode.get(d.code);
    if (old) {
      byCode.delete(d.code);
      const was = {
        title: old.title,
        unit: old.unit,
        targets: targetsOf(old.targets),
        position: old.position,
        active: old.active,
      };
      if (sameJson(was, fields)) {
        result.unchanged++;
        continue;
      }
      result.updated++;
      await tx.indicator.update({ where: { id: old.id }, data: fields });
    } else {
      result.created++;
      await tx.indicator.create({ data: { orgId, planId, code: d.code, ...fields } });
    }
  }
  const retiring = [...byCode.values()].filter((i) => i.active);
  if (retiring.length) {
    await tx.indicator.updateMany({ where: { id: { in: retiring.map((i) => i.id) } }, data: { active: false } });
    result.retired = retiring.length;
  }
  return result;
}

export interface IndicatorInput {
  planId: string;
  code: string;
  title: string;
  unit: string;
  /** "2024: 90, 2025: 100" or "2024=90\n2025=100" (a % sign allowed). */
  targets: string;
  /** Unit names, one a line; empty: the units bound by the plan's yearly report duty. */
  units: string;
}

/** Reads targets typed by an administrator: "2024: 90%, 2025: 100". */
export function parseTargets(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text
    .split(/[,;\n]+/)
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(?:năm\s+)?(\d{4})\s*[:=]\s*(.+?)\s*%?$/iu.exec(part);
    const n = m ? readNumber(m[2]!) : null;
    if (!m || n === null || n < 0) throw new UserError(indicatorWords('invalidTarget', { part: part.slice(0, 40) }));
    out[m[1]!] = n;
  }
  return out;
}

/**
 * Adds an indicator to a plan, or edits one (`id`), from the administrator's form: code, title,
 * unit of measure, targets by year and the units that report it. Audited with what changed.
 */
export async function saveIndicator(db: Db, orgId: string, input: IndicatorInput, actor: string, id?: string) {
  const code = tidy(input.code).replace(/[.)]+$/, '');
  const title = tidy(input.title);
  if (!code || code.length > 20) throw new UserError(indicatorWords('indicatorNumberEmpty'));
  if (!title) throw new UserError(indicatorWords('indicatorTextEmpty'));
  const unit = tidy(input.unit) || null;
  const targets = parseTargets(input.targets);
  const names = input.units
    .split('\n')
    .map((n) => tidy(n))
    .filter(Boolean);
  return db.$transaction(async (tx) => {
    const plan = await tx.plan.findFirst({ where: { id: input.planId, orgId } });
    if (!plan) throw new NotFoundError(indicatorWords('noSuchPlanId'));
    const unitIds: string[] = [];
    for (const name of names) {
      const u = await findUnitByName(tx, orgId, name);
      if (!unitIds.includes(u.id)) unitIds.push(u.id);
    }
    const clash = await tx.indicator.findFirst({
      where: { planId: plan.id, code, ...(id ? { id: { not: id } } : {}) },
    });
    if (clash) throw new UserError(indicatorWords('indicatorNumberTaken', { planCode: plan.code, code }));
    let indicatorId = id;
    if (id) {
      const old = await tx.indicator.findFirst({ where: { id, orgId } });
      if (!old) throw new NotFoundError(indicatorWords('noSuchIndicator'));
      await tx.indicator.update({ where: { id }, data: { planId: plan.id, code, title, unit, targets, active: true } });
    } else {
      const position = await tx.indicator.count({ where: { planId: plan.id } });
      indicatorId = (
        await tx.indicator.create({ data: { orgId, planId: plan.id, code, title, unit, targets, position } })
      ).id;
    }
    await tx.indicatorUnit.deleteMany({ where: { indicatorId: indicatorId! } });
    if (unitIds.length)
      await tx.indicatorUnit.createMany({
        data: unitIds.map((unitId) => ({ indicatorId: indicatorId!, unitId, orgId })),
      });
    await audit(tx, {
      orgId,
      actor,
      action: id ? 'indicator.edit' : 'indicator.add',
      entity: 'indicator',
      entityId: indicatorId!,
      data: { plan: plan.code, code, title, unit, targets, units: names },
    });
    return indicatorId!;
  });
}

async function findUnitByName(tx: Tx, orgId: string, name: string) {
  try {
    return await findUnit(tx, orgId, name);
  } catch (error) {
    if (error instanceof UserError) throw new UserError(indicatorWords('noSuchUnitNamed', { name: name.slice(0, 80) }));
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Who reports what

interface IndicatorRow {
  id: string;
  planId: string;
  code: string;
  title: string;
  unit: string | null;
  targets: Prisma.JsonValue;
  position: number;
  plan: { code: string; title: string };
  units: { unitId: string }[];
}

/**
 * The units that report each indicator in a year (see the module's doc): the chosen ones, else the
 * units of the plan's report duty due that year, else every unit with a duty of the plan due that year.
 */
export async function indicatorOwners(
  db: Tx,
  orgId: string,
  indicators: Pick<IndicatorRow, 'id' | 'planId' | 'units'>[],
  year: number,
  zone: string,
): Promise<Map<string, Set<string>>> {
  const planIds = [...new Set(indicators.filter((i) => !i.units.length).map((i) => i.planId))];
  const byPlan = new Map<string, { report: Set<string>; any: Set<string> }>();
  if (planIds.length) {
    const { start, end } = yearBounds(year, zone);
    const rows = await db.$queryRaw<{ plan_id: string; unit_id: string; report: boolean }[]>`
      SELECT d.plan_id::text AS plan_id, o.unit_id::text AS unit_id, bool_or(d.origin = 'report') AS report
        FROM obligations o JOIN duties d ON d.id = o.duty_id
       WHERE o.org_id = ${orgId}::uuid AND o.current AND o.due_at >= ${start} AND o.due_at < ${end}
         AND d.plan_id = ANY(${planIds}::uuid[])
       GROUP BY d.plan_id, o.unit_id`;
    for (const r of rows) {
      const p = byPlan.get(r.plan_id) ?? { report: new Set<string>(), any: new Set<string>() };
      byPlan.set(r.plan_id, p);
      p.any.add(r.unit_id);
      if (r.report) p.report.add(r.unit_id);
    }
  }
  const out = new Map<string, Set<string>>();
  for (const i of indicators) {
    if (i.units.length) out.set(i.id, new Set(i.units.map((u) => u.unitId)));
    else {
      const p = byPlan.get(i.planId);
      out.set(i.id, p ? (p.report.size ? p.report : p.any) : new Set());
    }
  }
  return out;
}

const indicatorInclude = {
  plan: { select: { code: true, title: true } },
  units: { select: { unitId: true } },
} as const;

/** The organisation's active indicators (of one plan), in plan order. */
export async function listIndicators(db: Tx, orgId: string, planId?: string) {
  const rows = await db.indicator.findMany({
    where: { orgId, active: true, ...(planId ? { planId } : {}) },
    include: indicatorInclude,
    orderBy: [{ plan: { code: 'asc' } }, { position: 'asc' }],
  });
  return rows;
}

/** The value as people read it: "45/50 (90%)", "1.200 người". */
export function valueText(v: { numerator: number; denominator: number | null }, unit: string | null): string {
  if (v.denominator !== null && isRate(unit))
    return `${viNumber(v.numerator)}/${viNumber(v.denominator)} (${withUnit((v.numerator / v.denominator) * 100, '%')})`;
  return withUnit(v.numerator, unit);
}

export interface UnitIndicator {
  id: string;
  /** What to type: "1", or "3131:1" when two plans of the unit have an indicator 1. */
  ref: string;
  code: string;
  title: string;
  unit: string | null;
  plan: string;
  target: { value: number; year: number } | null;
  value: { numerator: number; denominator: number | null; note: string | null; at: Date; id: string } | null;
}

/** The indicators a unit reports in a year, with its standing value of each. */
export async function unitIndicators(db: Db, orgId: string, unitId: string, year: number): Promise<UnitIndicator[]> {
  const org = await db.organisation.findUniqueOrThrow({ where: { id: orgId }, select: { timeZone: true } });
  const all = await listIndicators(db, orgId);
  const owners = await indicatorOwners(db, orgId, all, year, org.timeZone);
  const mine = all.filter((i) => owners.get(i.id)?.has(unitId));
  const values = await db.indicatorValue.findMany({
    where: { unitId, year, endedAt: null, indicatorId: { in: mine.map((i) => i.id) } },
  });
  const valueOf = new Map(values.map((v) => [v.indicatorId, v]));
  const codeCount = new Map<string, number>();
  for (const i of mine) codeCount.set(i.code, (codeCount.get(i.code) ?? 0) + 1);
  return mine.map((i) => {
    const v = valueOf.get(i.id);
    return {
      id: i.id,
      ref: codeCount.get(i.code)! > 1 ? `${planRef(i.plan.code)}:${i.code}` : i.code,
      code: i.code,
      title: i.title,
      unit: i.unit,
      plan: i.plan.code,
      target: targetFor(targetsOf(i.targets), year),
      value: v ? { numerator: v.numerator, denominator: v.denominator, note: v.note, at: v.createdAt, id: v.id } : null,
    };
  });
}

/** The indicator a typed reference names among a unit's, or a refusal. */
async function pick(db: Db, orgId: string, unitId: string, typed: string, year: number) {
  const mine = await unitIndicators(db, orgId, unitId, year);
  const t = typed.trim().replace(/[.)]+$/, '');
  const [planPart, codePart] = t.includes(':') ? (t.split(/:(.*)/s) as [string, string]) : [null, t];
  const found = mine.filter(
    (i) =>
      i.code.toLowerCase() === codePart.toLowerCase() &&
      (planPart === null || planRef(i.plan) === planPart || i.plan.toLowerCase() === planPart.toLowerCase()),
  );
  if (found.length === 1) return found[0]!;
  if (found.length > 1)
    throw new IndicatorInputError({
      kind: 'ambiguous',
      code: t,
      refs: found.map((i) => `${planRef(i.plan)}:${i.code}`),
    });
  const unit = await db.unit.findUniqueOrThrow({ where: { id: unitId }, select: { name: true } });
  throw new IndicatorInputError({ kind: 'not-own', code: t, unit: unit.name, year });
}

export interface ReportInput {
  orgId: string;
  unitId: string;
  /** The contact reporting (chat, email link), or null (an administrator on the unit's behalf). */
  contactId: string | null;
  actor: string;
  via: 'chat' | 'web' | 'email' | 'cli';
  /** The indicator as typed: "1", "3131:1". */
  code: string;
  year: number;
  /** "45/50", "1200". */
  value: string;
  note: string | null;
  now: Date;
}

export interface ReportOutcome {
  indicator: UnitIndicator;
  text: string;
  replaced: boolean;
}

/**
 * Records a unit's value of one of its indicators for a year.
 *
 * 1. Check the input before anything is looked up: a number (a rate: numerator/denominator, the
 *    numerator at most the denominator), a note of at most 1,000 characters.
 * 2. Find the indicator among the unit's own of that year (another unit's is refused).
 * 3. In one transaction: end the standing value (it is replaced), insert the new one naming it,
 *    and one audit row. The partial unique index keeps one standing value per indicator, unit and year.
 *
 * @throws IndicatorInputError when refused; nothing is written then.
 */
export async function reportIndicatorValue(db: Db, input: ReportInput): Promise<ReportOutcome> {
  const note = input.note?.trim() || null;
  if (note && note.length > 1000) throw new IndicatorInputError({ kind: 'note-too-long' });
  const indicator = await pick(db, input.orgId, input.unitId, input.code, input.year);
  const parsed = parseIndicatorValue(input.value, isRate(indicator.unit));
  if (!parsed.ok) throw new IndicatorInputError({ kind: 'value', problem: parsed.problem, typed: input.value });
  const value = { numerator: parsed.numerator, denominator: parsed.denominator };
  const replaced = await db.$transaction(async (tx) => {
    const standing = await tx.indicatorValue.findFirst({
      where: { indicatorId: indicator.id, unitId: input.unitId, year: input.year, endedAt: null },
    });
    if (standing) await tx.indicatorValue.update({ where: { id: standing.id }, data: { endedAt: input.now } });
    const row = await tx.indicatorValue.create({
      data: {
        orgId: input.orgId,
        indicatorId: indicator.id,
        unitId: input.unitId,
        year: input.year,
        ...value,
        note,
        contactId: input.contactId,
        actor: input.actor,
        via: input.via,
        replacesId: standing?.id ?? null,
        createdAt: input.now,
      },
    });
    await audit(tx, {
      orgId: input.orgId,
      actor: input.actor,
      action: 'indicator.report',
      entity: 'indicator',
      entityId: indicator.id,
      data: {
        value: row.id,
        unitId: input.unitId,
        year: input.year,
        numerator: value.numerator,
        denominator: value.denominator,
        via: input.via,
        ...(note ? { note } : {}),
        ...(standing ? { replaces: standing.id } : {}),
      },
    });
    return standing !== null;
  });
  return { indicator, text: valueText(value, indicator.unit), replaced };
}

/**
 * Withdraws a unit's standing value of an indicator for a year (undo): the value it replaced, if
 * any, stands again. Audited.
 *
 * @returns the value standing now, as text, or null.
 * @throws IndicatorInputError when the unit does not report it or has no value to withdraw.
 */
export async function undoIndicatorValue(
  db: Db,
  input: { orgId: string; unitId: string; code: string; year: number; actor: string; now: Date },
): Promise<{ indicator: UnitIndicator; back: string | null }> {
  const indicator = await pick(db, input.orgId, input.unitId, input.code, input.year);
  const back = await db.$transaction(async (tx) => {
    const standing = await tx.indicatorValue.findFirst({
      where: { indicatorId: indicator.id, unitId: input.unitId, year: input.year, endedAt: null },
    });
    if (!standing) throw new IndicatorInputError({ kind: 'nothing-to-undo', code: input.code, year: input.year });
    await tx.indicatorValue.update({ where: { id: standing.id }, data: { endedAt: input.now, withdrawn: true } });
    const previous = standing.replacesId
      ? await tx.indicatorValue.findFirst({ where: { id: standing.replacesId, withdrawn: false } })
      : null;
    if (previous) await tx.indicatorValue.update({ where: { id: previous.id }, data: { endedAt: null } });
    await audit(tx, {
      orgId: input.orgId,
      actor: input.actor,
      action: 'indicator.undo',
      entity: 'indicator',
      entityId: indicator.id,
      data: {
        value: standing.id,
        unitId: input.unitId,
        year: input.year,
        ...(previous ? { restored: previous.id } : {}),
      },
    });
    return previous ? valueText(previous, indicator.unit) : null;
  });
  return { indicator, back };
}

// ---------------------------------------------------------------------------------------------
// The administrator's view and the report

export interface IndicatorYear {
  year: number;
  target: { value: number; year: number } | null;
  /** The province's value (Σ numerators / Σ denominators for a rate), null when nobody reported. */
  value: number | null;
  met: boolean | null;
  reported: { unitId: string; unit: string; numerator: number; denominator: number | null; note: string | null }[];
  missing: { unitId: string; unit: string }[];
}

export interface IndicatorSummary {
  id: string;
  planId: string;
  plan: string;
  code: string;
  title: string;
  unit: string | null;
  targets: Record<string, number>;
  /** The units chosen by an administrator (empty: the plan's yearly report duty decides). */
  chosenUnits: string[];
  years: IndicatorYear[];
}

/**
 * Every active indicator of the organisation (of one plan) with, for each year asked, its target,
 * the province's value, whether it is met, and which units reported and which did not.
 */
export async function indicatorSummaries(
  db: Db,
  orgId: string,
  years: number[],
  filter: { planId?: string | undefined; indicatorId?: string | undefined } = {},
): Promise<IndicatorSummary[]> {
  const org = await db.organisation.findUniqueOrThrow({ where: { id: orgId }, select: { timeZone: true } });
  const indicators = (await listIndicators(db, orgId, filter.planId)).filter(
    (i) => !filter.indicatorId || i.id === filter.indicatorId,
  );
  if (!indicators.length) return [];
  const [units, values] = await Promise.all([
    db.unit.findMany({ where: { orgId }, select: { id: true, name: true } }),
    db.indicatorValue.findMany({
      where: { orgId, endedAt: null, year: { in: years }, indicatorId: { in: indicators.map((i) => i.id) } },
    }),
  ]);
  const nameOf = new Map(units.map((u) => [u.id, u.name]));
  const collator = new Intl.Collator('vi');
  const owners = new Map<number, Map<string, Set<string>>>();
  for (const y of years) owners.set(y, await indicatorOwners(db, orgId, indicators, y, org.timeZone));
  const valuesOf = new Map<string, typeof values>();
  for (const v of values) {
    const k = `${v.indicatorId}|${v.year}`;
    valuesOf.set(k, [...(valuesOf.get(k) ?? []), v]);
  }
  return indicators.map((i) => {
    const targets = targetsOf(i.targets);
    const rate = isRate(i.unit);
    return {
      id: i.id,
      planId: i.planId,
      plan: i.plan.code,
      code: i.code,
      title: i.title,
      unit: i.unit,
      targets,
      chosenUnits: i.units.map((u) => nameOf.get(u.unitId) ?? '').sort(collator.compare),
      years: years.map((year) => {
        const own = owners.get(year)!.get(i.id) ?? new Set<string>();
        const vs = valuesOf.get(`${i.id}|${year}`) ?? [];
        const reportedIds = new Set(vs.map((v) => v.unitId));
        const target = targetFor(targets, year);
        const value = combinedValue(vs, rate);
        return {
          year,
          target,
          value,
          met: meets(value, target?.value ?? null),
          reported: vs
            .map((v) => ({
              unitId: v.unitId,
              unit: nameOf.get(v.unitId) ?? '',
              numerator: v.numerator,
              denominator: v.denominator,
              note: v.note,
            }))
            .sort((a, b) => collator.compare(a.unit, b.unit)),
          missing: [...own]
            .filter((u) => !reportedIds.has(u))
            .map((unitId) => ({ unitId, unit: nameOf.get(unitId) ?? '' }))
            .sort((a, b) => collator.compare(a.unit, b.unit)),
        };
      }),
    };
  });
}

/** The indicators a unit has not reported yet for a year (for its yearly report reminder). */
export async function missingIndicators(db: Db, orgId: string, unitId: string, year: number) {
  return (await unitIndicators(db, orgId, unitId, year)).filter((i) => !i.value);
}

/** What a reminder needs to know of an item to list the indicators still missing. */
export interface ReminderOfReport {
  kind: string;
  obligation: { dutyOrigin: string; periodKey: string; unitId: string };
}

/** The indicators part of a reminder's view: how many are missing, and each to report. */
export interface MissingIndicatorsView {
  indicatorsMissing: number | '';
  indicators: { ref: string; title: string; target: string; command: string }[];
}

export const NO_MISSING_INDICATORS: MissingIndicatorsView = { indicatorsMissing: '', indicators: [] };

/**
 * Whether a reminder lists its unit's indicators not reported yet: a lead, due or overdue reminder
 * of a yearly report duty. The others get {@link NO_MISSING_INDICATORS} without a read.
 */
export function listsIndicators(item: ReminderOfReport): boolean {
  const o = item.obligation;
  return (
    o.dutyOrigin === 'report' &&
    /^\d{4}$/.test(o.periodKey) &&
    item.kind !== 'escalation' &&
    item.kind !== 'cooperating'
  );
}

/**
 * The indicators the unit has not reported for the year, as a reminder (lead, due, overdue) of a
 * yearly report duty lists them, in the contact's language: the number, then each with its
 * reference, title, target and the command to type. Read only for those (a report duty's yearly
 * period); any other reminder gets {@link NO_MISSING_INDICATORS}. The one place a reminder's
 * indicators come from, whether it goes alone or in a day's bundle.
 */
export async function missingIndicatorsView(
  db: Db,
  orgId: string,
  item: ReminderOfReport,
  lang: 'vi' | 'en',
): Promise<MissingIndicatorsView> {
  if (!listsIndicators(item)) return NO_MISSING_INDICATORS;
  const o = item.obligation;
  const missing = await missingIndicators(db, orgId, o.unitId, Number(o.periodKey));
  if (!missing.length) return NO_MISSING_INDICATORS;
  const w = INDICATOR_WORDS[lang];
  return {
    indicatorsMissing: missing.length,
    indicators: missing.map((i) => ({
      ref: i.ref,
      title: i.title,
      target: i.target ? withUnit(i.target.value, i.unit) : '',
      command: w.typed(i.ref, i.unit === '%'),
    })),
  };
}
