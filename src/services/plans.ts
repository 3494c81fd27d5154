import type { Db } from '#root/db/client.js';
import type { Prisma } from '#root/generated/prisma/client.js';
import type { IndicatorDraft } from '#root/import/indicators.js';
import type { DutyDraft, PlanDraft } from '#root/import/plan-document.js';
import { parseTimeframe, unparsedFlag } from '#root/domain/timeframe.js';
import type { IsoDate, MonthDay, Schedule } from '#root/domain/types.js';
import { tidy } from '#root/domain/text.js';
import { normalizeUnitName } from '#root/domain/units.js';
import { inBothLanguages, NotFoundError, oneLanguage, UserError, type Words } from '#root/errors/index.js';
import { audit } from './audit.js';
import { createAssignments } from './duty-units.js';
import { storeIndicators } from './indicators.js';
import { dateColumn, isoDate, scheduleColumns, scheduleFromRow } from './schedules.js';
import { loadDirectory, proposeEntry, resolveName, type DirectoryEntry, type Resolution } from './units.js';
import { serviceWords } from '#root/messages/service-words.js';

const planWords = serviceWords('plans');

/** What a plan's document said of a duty, as read (before any fix): kept to see, on re-import, what changed. */
export interface DocumentFields {
  title: string;
  timeframe: string;
  leads: string[];
  cooperating: string[];
}

/** A field of a duty an administrator may fix after the document said otherwise. */
export type FixedField = 'title' | 'timeframe' | 'flags';

/**
 * A field an administrator fixed whose cell in the document changed since the last import: the
 * review shows both values; `take` says which one the commit keeps (the administrator's unless
 * told otherwise).
 */
export interface FixConflict {
  field: 'title' | 'timeframe';
  admin: string;
  document: string;
  take: 'admin' | 'document';
}

/** A duty as the review shows it: the draft plus how each name was resolved. */
export interface ReviewedDuty extends DutyDraft {
  resolved: { leads: Resolution[]; cooperating: Resolution[] };
  /** What the document says of it (before any fix), stored to compare with at the next import. */
  document?: DocumentFields;
  /** The fields whose value is the administrator's, not the document's (kept by re-imports). */
  fixed?: FixedField[];
  /** The administrator's fixes kept because the document's cell did not change since. */
  kept?: FixedField[];
  /** The administrator's fixes whose document cell changed since: both values, and the choice. */
  conflicts?: FixConflict[];
}

export interface ImportReview {
  plan: PlanDraft['plan'] & { code: string };
  /**
   * From which day the plan's obligations are tracked (null: every period, the past included): a
   * period that ended and fell due before it is kept as history (see domain/occurrences.ts isHistory).
   */
  trackFrom: IsoDate | null;
  /** Where `trackFrom` comes from: given, the plan as imported before, or the default (today: the current period). */
  trackFromFrom: 'given' | 'existing' | 'default';
  format: string;
  /**
   * Where `plan.horizonYear` (the plan's last year) comes from: the plan's own title or text, the
   * administrator (`--horizon`, the review form), the plan as imported before, or nowhere.
   */
  horizonFrom: 'text' | 'given' | 'existing' | 'none';
  duties: ReviewedDuty[];
  /** The plan's indicators (its "chỉ tiêu" table), stored with it on commit. */
  indicators: IndicatorDraft[];
  /** Plan-level problems (no table found near a line, rows that could not be split…). */
  flags: string[];
  /** Names no unit or group answers to: they would be created, marked for review. */
  newNames: { name: string; kind: 'unit' | 'group' }[];
  /** Names that matched a unit or group already in the directory (by name or alias), each once. */
  matched: { name: string; kind: 'unit' | 'group'; entry: string; proposed: boolean }[];
}

export interface ImportResult {
  planId: string;
  created: number;
  updated: number;
  unchanged: number;
  retired: number;
  /** The units and groups created (marked proposed) for names nothing answered to. */
  newNames: { name: string; kind: 'unit' | 'group' }[];
  /** The plan's indicators: created, updated, unchanged, retired. */
  indicators: { created: number; updated: number; unchanged: number; retired: number };
}

const NO_PLAN_CODE: Words = planWords('noPlanCode');
const NOTHING_TO_IMPORT: Words = planWords('nothingToImport');

/** The flags a reviewer sees on a duty: the parser's, plus one per name that matched nothing. */
export function dutyFlags(d: ReviewedDuty): string[] {
  const unknown = [...d.resolved.leads, ...d.resolved.cooperating]
    .filter((r) => !r.matched || r.proposed)
    .map((r) => `Đơn vị chưa có trong danh mục (đề xuất tạo mới): «${r.name}»`);
  return [...d.flags, ...unknown];
}

/** The last day of a year, as the horizon's end (`endsOn` of schedules). */
const horizonEnd = (year: number): IsoDate => `${year}-12-31`;

/**
 * The last day a duty's own timeframe names, when it names one past the horizon's end: a deadline
 * ("Quý I/2027"), the last year of a range ("2026-2028"), or a first year after the horizon
 * ("hằng năm từ 2027"). `undefined` when the timeframe stays within the horizon (or has no end of
 * its own: "hằng năm", "thường xuyên"), `null` when it begins after the horizon and has no end.
 */
function beyondHorizon(schedule: Schedule, horizonYear: number): IsoDate | null | undefined {
  const end = horizonEnd(horizonYear);
  switch (schedule.kind) {
    case 'once':
      return schedule.due > end ? schedule.due : undefined;
    case 'yearly':
    case 'every':
      if (schedule.to !== undefined && schedule.to > horizonYear) return horizonEnd(schedule.to);
      if (schedule.to === undefined && schedule.from !== undefined && schedule.from > horizonYear) return null;
      return undefined;
    default:
      return undefined;
  }
}

/**
 * The end of a duty's schedule (`endsOn`): the plan's horizon, except that a duty's own dates past
 * it are never cut: its deadline (or its last year) is kept, and {@link horizonFlag} says so.
 */
export function dutyEndsOn(schedule: Schedule, horizonYear: number | null): IsoDate | null {
  if (horizonYear === null) return null;
  const own = beyondHorizon(schedule, horizonYear);
  return own === undefined ? horizonEnd(horizonYear) : own;
}

/** The flag of a duty whose own timeframe goes past the plan's horizon, or null. */
export function horizonFlag(schedule: Schedule, horizonYear: number | null): string | null {
  if (horizonYear === null || beyondHorizon(schedule, horizonYear) === undefined) return null;
  return inBothLanguages(planWords('pastEndYear', { horizonYear }));
}

/** A duty's flags with the horizon's flag (re)computed for its current schedule. */
function withHorizonFlag<T extends { schedule: Schedule; flags: string[] }>(d: T, horizonYear: number | null): T {
  const flags = d.flags.filter((f) => !f.startsWith('Thời hạn của nhiệm vụ vượt quá năm kết thúc'));
  const flag = horizonFlag(d.schedule, horizonYear);
  return { ...d, flags: flag ? [...flags, flag] : flags };
}

/** Reads a horizon year typed by an administrator ("2030"); empty means none. */
export function parseHorizonYear(input: string): number | null {
  const raw = input.trim();
  if (!raw) return null;
  const y = Number(raw);
  if (!/^\d{4}$/.test(raw) || y < 2000 || y > 2100) {
    throw new UserError(planWords('invalidEndYear', { raw }));
  }
  return y;
}

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const VN_DAY = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/;

/**
 * Reads the day from which to track a plan, as an administrator types it: `2026-12-06` or
 * `06/12/2026`; `all` (or «tất cả») for every period, the past included; empty for the default.
 *
 * @throws UserError when it is neither.
 */
export function parseTrackFrom(input: string): IsoDate | null | undefined {
  const raw = input.trim();
  if (!raw) return undefined;
  if (/^(all|tất cả|tat ca|tat-ca)$/i.test(raw)) return null;
  const iso = ISO_DAY.exec(raw);
  const vn = VN_DAY.exec(raw);
  const [y, m, d] = iso
    ? [Number(iso[1]), Number(iso[2]), Number(iso[3])]
    : vn
      ? [Number(vn[3]), Number(vn[2]), Number(vn[1])]
      : [NaN, NaN, NaN];
  const day = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  const check = new Date(`${day}T00:00:00Z`);
  if (!Number.isInteger(y) || y < 2000 || y > 2100 || Number.isNaN(check.getTime()) || isoDate(check) !== day) {
    throw new UserError(planWords('invalidTrackFrom', { raw }));
  }
  return day;
}

const FIELD_WORDS: Record<FixConflict['field'], [string, string]> = {
  title: ['tên nhiệm vụ', 'title'],
  timeframe: ['thời gian thực hiện', 'timeframe'],
};

/** A conflict in words: "4.2, tên nhiệm vụ: quản trị viên đã sửa «…», văn bản nay ghi «…»". */
export function conflictInWords(code: string, c: FixConflict): string {
  return `${code}, ${FIELD_WORDS[c.field][0]}: quản trị viên đã sửa «${c.admin}», văn bản nay ghi «${c.document}» — ${c.take === 'admin' ? 'giữ bản của quản trị viên' : 'lấy theo văn bản'} / ${FIELD_WORDS[c.field][1]}: the administrator's «${c.admin}», the document now «${c.document}» — ${c.take === 'admin' ? "keeping the administrator's" : "taking the document's"}`;
}

/** Which conflicts to settle for the document: "4.2" (every field of 4.2), "4.2:title" / "4.2:tên" / "4.2:timeframe" / "4.2:thời hạn". */
function takesDocument(entries: string[]): (code: string, field: FixConflict['field']) => boolean {
  const parsed = entries.map((e) => {
    const [code, field] = e.split(':').map((x) => x.trim()) as [string, string | undefined];
    const f =
      field === undefined || field === ''
        ? undefined
        : /^(title|ten|tên|tên nhiệm vụ)$/i.test(field)
          ? 'title'
          : 'timeframe';
    return { code, field: f };
  });
  return (code, field) => parsed.some((p) => p.code === code && (p.field === undefined || p.field === field));
}

const TIMEFRAME_FLAG = /thời hạn|ngày không hợp lệ|timeframe/i;

/** A stored `documentFields` value as {@link DocumentFields} (keys in one order), or null. */
function documentFieldsOf(v: unknown): DocumentFields | null {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  const list = (x: unknown) => (Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : []);
  return {
    title: typeof o.title === 'string' ? o.title : '',
    timeframe: typeof o.timeframe === 'string' ? o.timeframe : '',
    leads: list(o.leads),
    cooperating: list(o.cooperating),
  };
}

/** A committed duty as a re-import compares it with the document. */
interface CommittedDuty {
  code: string;
  title: string;
  timeframe: string;
  flags: string[];
  fixedFields: string[];
  documentFields: unknown;
  schedule: Parameters<typeof scheduleFromRow>[0] | null;
}

/**
 * A duty of the document merged with the administrator's fixes of the same duty as committed:
 * a fixed field keeps the administrator's value unless the document's cell for it changed since
 * the last import — then both are shown (a conflict), and the administrator's value is kept unless
 * `take` says the document's. Cleared flags stay cleared while nothing the document says of the
 * duty changed. A fixed field the document now agrees with is no longer a fix.
 */
function mergeFixes<T extends DutyDraft>(
  d: T,
  old: CommittedDuty | undefined,
  take: (code: string, field: FixConflict['field']) => boolean,
): T & Pick<ReviewedDuty, 'document' | 'fixed' | 'kept' | 'conflicts'> {
  const document: DocumentFields = {
    title: d.title,
    timeframe: d.timeframe,
    leads: [...d.leads],
    cooperating: [...d.cooperating],
  };
  const base = { ...d, document, fixed: [] as FixedField[], kept: [] as FixedField[], conflicts: [] as FixConflict[] };
  if (!old || old.fixedFields.length === 0) return base;
  const then = documentFieldsOf(old.documentFields);
  const out = base;
  let adminTimeframe = false;
  for (const field of ['title', 'timeframe'] as const) {
    if (!old.fixedFields.includes(field) || old[field] === d[field]) continue;
    // Unknown what the document said then (imported before this was recorded): the fix wins.
    const changed = then !== null && then[field] !== d[field];
    const conflict: FixConflict | null = changed
      ? { field, admin: old[field], document: d[field], take: take(d.code, field) ? 'document' : 'admin' }
      : null;
    if (conflict) out.conflicts.push(conflict);
    if (conflict?.take === 'document') continue;
    if (!conflict) out.kept.push(field);
    out.fixed.push(field);
    if (field === 'title') out.title = old.title;
    else if (old.schedule) {
      out.timeframe = old.timeframe;
      out.schedule = scheduleFromRow(old.schedule);
      adminTimeframe = true;
    }
  }
  if (adminTimeframe) {
    // The document's notes on its timeframe do not apply to the administrator's; theirs do.
    out.flags = [
      ...out.flags.filter((f) => !TIMEFRAME_FLAG.test(f)),
      ...old.flags.filter((f) => TIMEFRAME_FLAG.test(f)),
    ];
  }
  const unchanged = then === null || sameJson(then, document);
  if (old.fixedFields.includes('flags') && unchanged && !out.conflicts.some((c) => c.take === 'document')) {
    out.flags = [...old.flags];
    out.kept.push('flags');
    out.fixed.push('flags');
  }
  return out;
}

/**
 * Checks a draft against the organisation's units without writing anything. The horizon is the
 * one given (`options.horizonYear`, null for none), else the draft's, else that of the plan as it
 * is now (a table alone names none): the review shows the horizon the commit will apply.
 *
 * The day to track from is the one given (`options.trackFrom`, null for every period), else that
 * of the plan as imported before, else `options.today` (the current period of each duty), else
 * none. The administrator's fixes of the plan's duties as committed are kept (see mergeFixes);
 * `options.takeDocument` ("4.2", "4.2:title") settles conflicts for the document.
 *
 * @throws UserError when a `takeDocument` entry is not a conflict of this import.
 */
export async function reviewImport(
  db: Db,
  orgId: string,
  draft: PlanDraft & { indicators?: IndicatorDraft[] },
  planCode?: string,
  options: {
    horizonYear?: number | null;
    trackFrom?: IsoDate | null;
    today?: IsoDate;
    takeDocument?: string[];
    /** A dry run: a draft without a plan code is shown (with a plan flag) instead of refused. */
    codeOptional?: boolean;
  } = {},
): Promise<ImportReview> {
  const code = planCode ?? draft.plan.code ?? '';
  if (!code && !options.codeOptional) throw new UserError(NO_PLAN_CODE);
  // A draft with no duties is still shown (its header, the plan flag saying why); committing it is refused.
  const directory = await loadDirectory(db, orgId);
  let horizonYear = options.horizonYear !== undefined ? options.horizonYear : draft.plan.horizonYear;
  let horizonFrom: ImportReview['horizonFrom'] =
    options.horizonYear !== undefined ? 'given' : horizonYear !== null ? 'text' : 'none';
  const existing = await db.plan.findUnique({
    where: { orgId_code: { orgId, code } },
    select: {
      horizonYear: true,
      trackFrom: true,
      duties: {
        select: {
          code: true,
          title: true,
          timeframe: true,
          flags: true,
          fixedFields: true,
          documentFields: true,
          schedule: true,
        },
      },
    },
  });
  if (options.horizonYear === undefined && horizonYear === null && existing?.horizonYear) {
    horizonYear = existing.horizonYear;
    horizonFrom = 'existing';
  }
  const [trackFrom, trackFromFrom]: [IsoDate | null, ImportReview['trackFromFrom']] =
    options.trackFrom !== undefined
      ? [options.trackFrom, 'given']
      : existing
        ? [existing.trackFrom ? isoDate(existing.trackFrom) : null, 'existing']
        : [options.today ?? null, 'default'];
  const committed = new Map((existing?.duties ?? []).map((d) => [d.code, d]));
  const take = takesDocument(options.takeDocument ?? []);
  // Keyed by the matching key: "Sở TT&TT", "Sở TTTT" and "sở thông tin và truyền thông" are one
  // new unit (the commit creates one), shown under the first spelling read.
  const newNames = new Map<string, { name: string; kind: 'unit' | 'group' }>();
  const matched = new Map<string, ImportReview['matched'][number]>();
  // A table names a few dozen units over and over: each name is matched once.
  const resolutions = new Map<string, Resolution>();
  const resolve = (names: string[]) =>
    names.map((n) => {
      let r = resolutions.get(n);
      if (!r) {
        const found = resolveName(n, directory);
        resolutions.set(n, found);
        if (!found.matched) {
          const key = normalizeUnitName(found.name);
          if (!newNames.has(key)) newNames.set(key, { name: found.name, kind: found.kind });
        } else
          matched.set(found.name, {
            name: found.name,
            kind: found.kind,
            entry: directory.find((e) => e.id === found.id)?.name ?? found.name,
            proposed: found.proposed,
          });
        r = found;
      }
      return r;
    });
  const duties: ReviewedDuty[] = [];
  for (const [i, d] of draft.duties.entries()) {
    // A long table is reviewed in slices: the event loop serves other requests in between.
    if (i > 0 && i % 250 === 0) await new Promise((resolve) => setImmediate(resolve));
    duties.push(
      withHorizonFlag(
        {
          ...mergeFixes(d, committed.get(d.code), take),
          resolved: { leads: resolve(d.leads), cooperating: resolve(d.cooperating) },
        },
        horizonYear,
      ),
    );
  }
  const conflicts = duties.flatMap((d) => (d.conflicts ?? []).map((c) => ({ code: d.code, field: c.field })));
  for (const entry of options.takeDocument ?? []) {
    const one = takesDocument([entry]);
    if (!conflicts.some((c) => one(c.code, c.field))) {
      const places = conflicts.map((c) => `${c.code}:${c.field}`).join(', ');
      throw new UserError(
        conflicts.length ? planWords('notAConflict', { entry, places }) : planWords('notAConflictNone', { entry }),
      );
    }
  }
  return {
    plan: { ...draft.plan, code, horizonYear },
    trackFrom,
    trackFromFrom,
    horizonFrom,
    format: draft.format,
    duties,
    indicators: draft.indicators ?? [],
    flags: code ? draft.flags : [...draft.flags, inBothLanguages(NO_PLAN_CODE)],
    newNames: [...newNames.values()],
    matched: [...matched.values()],
  };
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Writes a reviewed import in one transaction: nothing is half-written.
 *
 * 1. Upsert the plan by (organisation, code).
 * 2. Create every unknown name as a unit or group marked `proposed`.
 * 3. Upsert each duty by (plan, code) with its schedule; replace its assignments with the draft's.
 * 4. Retire (never delete) the plan's duties the draft no longer has.
 * 5. One audit row with the counts.
 *
 * Re-importing the same plan changes nothing and duplicates nothing.
 */
export async function commitImport(
  db: Db,
  orgId: string,
  review: ImportReview,
  actor: string,
  /**
   * The codes, among the plan's active duties the review leaves out, to retire: the others stay
   * active (the review page asks for each, {@link retireCandidates}). Without it, every duty left
   * out is retired (the command line's re-import).
   */
  options: { retire?: readonly string[] } = {},
): Promise<ImportResult> {
  if (!review.plan.code) throw new UserError(NO_PLAN_CODE);
  // Nothing to import: committing would only retire the plan's duties (a re-import of a text that
  // lost its table). The review shows why (the plan flag); nothing is written.
  if (review.duties.length === 0) throw new UserError(NOTHING_TO_IMPORT);
  return db.$transaction(
    async (tx) => {
      const p = review.plan;
      const plan = await tx.plan.upsert({
        where: { orgId_code: { orgId, code: p.code } },
        update: {
          ...(p.title ? { title: p.title } : {}),
          ...(p.issuer ? { issuer: p.issuer } : {}),
          ...(p.issuedOn ? { issuedOn: dateColumn(p.issuedOn) } : {}),
          // The review's horizon is the one to apply (it fell back on this plan's when none was read or given).
          horizonYear: p.horizonYear,
          // Likewise the day to track from (the plan's own unless another was given).
          trackFrom: review.trackFrom ? dateColumn(review.trackFrom) : null,
        },
        create: {
          orgId,
          code: p.code,
          title: p.title ?? p.code,
          issuer: p.issuer,
          issuedOn: p.issuedOn ? dateColumn(p.issuedOn) : null,
          horizonYear: p.horizonYear,
          trackFrom: review.trackFrom ? dateColumn(review.trackFrom) : null,
        },
      });
      const directory = await loadDirectory(tx, orgId);
      // The units and groups this commit creates: fewer than the review's new names when two
      // spellings of one name (an abbreviation and its expansion) resolve to the same new unit.
      const proposed: { name: string; kind: 'unit' | 'group' }[] = [];
      const idOf = async (r: Resolution): Promise<DirectoryEntry> => {
        if (r.matched) return directory.find((d) => d.id === r.id)!;
        const again = resolveName(r.name, directory);
        if (again.matched) return directory.find((d) => d.id === again.id)!;
        const entry = await proposeEntry(tx, orgId, r.name, r.kind, directory);
        proposed.push({ name: entry.name, kind: entry.kind });
        return entry;
      };

      const existing = await tx.duty.findMany({
        where: { planId: plan.id },
        include: { schedule: true, assignments: { orderBy: { position: 'asc' } } },
      });
      const byCode = new Map(existing.map((d) => [d.code, d]));
      const startsOn = plan.issuedOn;
      let created = 0;
      let updated = 0;
      let unchanged = 0;

      for (const [position, d] of review.duties.entries()) {
        const assignments: {
          role: 'lead' | 'cooperating';
          entry: DirectoryEntry;
          rawName: string;
          position: number;
        }[] = [];
        for (const [role, list] of [
          ['lead', d.resolved.leads],
          ['cooperating', d.resolved.cooperating],
        ] as const) {
          for (const [i, r] of list.entries()) {
            const entry = await idOf(r);
            if (!assignments.some((a) => a.role === role && a.entry.id === entry.id)) {
              assignments.push({ role, entry, rawName: r.name, position: i });
            }
          }
        }
        const ends = dutyEndsOn(d.schedule, plan.horizonYear);
        const schedule = {
          ...scheduleColumns(d.schedule, d.timeframe),
          startsOn,
          endsOn: ends ? dateColumn(ends) : null,
        };
        const fields = {
          title: d.title,
          section: d.section,
          sectionTitle: d.sectionTitle,
          origin: d.origin,
          timeframe: d.timeframe,
          flags: d.flags,
          position,
          active: true,
          // What the document says now, and which fields stay the administrator's (see mergeFixes).
          documentFields: d.document ? documentFieldsOf(d.document) : null,
          fixedFields: d.fixed ?? [],
        };
        const assignmentKey = assignments.map((a) => `${a.role}:${a.entry.kind}:${a.entry.id}:${a.rawName}`);
        const old = byCode.get(d.code);
        if (old) {
          byCode.delete(d.code);
          const oldKey = old.assignments.map(
            (a) => `${a.role}:${a.unitId ? 'unit' : 'group'}:${a.unitId ?? a.groupId}:${a.rawName}`,
          );
          const oldFields = {
            title: old.title,
            section: old.section,
            sectionTitle: old.sectionTitle,
            origin: old.origin,
            timeframe: old.timeframe,
            flags: old.flags,
            position: old.position,
            active: old.active,
            documentFields: documentFieldsOf(old.documentFields),
            fixedFields: old.fixedFields,
          };
          const oldSchedule = old.schedule && {
            kind: old.schedule.kind,
            raw: old.schedule.raw,
            due: old.schedule.due,
            months: old.schedule.months,
            checkInMonths: old.schedule.checkInMonths,
            fromYear: old.schedule.fromYear,
            toYear: old.schedule.toYear,
            atLeastOnce: old.schedule.atLeastOnce,
            startsOn: old.schedule.startsOn,
            endsOn: old.schedule.endsOn,
          };
          if (
            sameJson(oldFields, fields) &&
            sameJson(oldSchedule, schedule) &&
            sameJson([...oldKey].sort(), [...assignmentKey].sort())
          ) {
            unchanged++;
            continue;
          }
          updated++;
          await tx.duty.update({ where: { id: old.id }, data: dutyData(fields) });
          await tx.schedule.upsert({
            where: { dutyId: old.id },
            update: schedule,
            create: { orgId, dutyId: old.id, ...schedule },
          });
          await tx.assignment.deleteMany({ where: { dutyId: old.id } });
          await createAssignments(tx, orgId, old.id, assignments);
        } else {
          created++;
          const duty = await tx.duty.create({ data: { orgId, planId: plan.id, code: d.code, ...dutyData(fields) } });
          await tx.schedule.create({ data: { orgId, dutyId: duty.id, ...schedule } });
          await createAssignments(tx, orgId, duty.id, assignments);
        }
      }

      const retiring = [...byCode.values()].filter(
        (d) => d.active && (options.retire === undefined || options.retire.includes(d.code)),
      );
      if (retiring.length) {
        await tx.duty.updateMany({ where: { id: { in: retiring.map((d) => d.id) } }, data: { active: false } });
      }
      // A review made before indicators were read (kept in a draft store) has none.
      const indicators = await storeIndicators(tx, orgId, plan.id, review.indicators ?? []);
      const result: ImportResult = {
        planId: plan.id,
        created,
        updated,
        unchanged,
        retired: retiring.length,
        newNames: proposed,
        indicators,
      };
      await audit(tx, {
        orgId,
        actor,
        action: 'plan.import',
        entity: 'plan',
        entityId: plan.id,
        data: {
          code: plan.code,
          format: review.format,
          created,
          updated,
          unchanged,
          retired: retiring.length,
          newNames: proposed.length,
          trackFrom: review.trackFrom,
          // Each fix of an administrator the document contradicted, and what was taken.
          conflicts: review.duties.flatMap((d) =>
            (d.conflicts ?? []).map((c) => ({
              code: d.code,
              field: c.field,
              take: c.take,
              admin: c.admin,
              document: c.document,
            })),
          ),
          kept: review.duties.filter((d) => d.kept?.length).map((d) => ({ code: d.code, fields: d.kept })),
          indicators,
        },
      });
      return result;
    },
    { timeout: 60_000, maxWait: 10_000 },
  );
}

/** A duty's columns for Prisma: without what the document said (a review made elsewhere), that column is left as it is. */
function dutyData<T extends { documentFields: DocumentFields | null }>(fields: T) {
  const { documentFields, ...rest } = fields;
  return { ...rest, ...(documentFields ? { documentFields: { ...documentFields } as Prisma.InputJsonObject } : {}) };
}

/** A duty of the plan as imported before that a commit of this review would leave out. */
export interface RetireCandidate {
  code: string;
  title: string;
  origin: 'appendix' | 'report' | 'manual';
  /**
   * The review page's default: retire it when the pasted text has that part of the plan (duties
   * of the same origin: the appendix's table, or the body's report duties) and this one is gone
   * from it; keep it when that part was not pasted at all (only the appendix: keep BC-15/11).
   */
  retire: boolean;
}

/** The plan's active duties the review does not mention, each with the default decision. */
export async function retireCandidates(db: Db, orgId: string, review: ImportReview): Promise<RetireCandidate[]> {
  const codes = new Set(review.duties.map((d) => d.code));
  const origins = new Set<string>(review.duties.map((d) => d.origin));
  const duties = await db.duty.findMany({
    where: { orgId, active: true, plan: { code: review.plan.code } },
    select: { code: true, title: true, origin: true },
    orderBy: { position: 'asc' },
  });
  return duties
    .filter((d) => !codes.has(d.code))
    .map((d) => ({ code: d.code, title: d.title, origin: d.origin, retire: origins.has(d.origin) }));
}

/** The JSON form of a review (`dondoc import --json`). */
export function reviewJson(review: ImportReview) {
  const conflicts = review.duties.flatMap((d) => (d.conflicts ?? []).map((c) => ({ code: d.code, ...c })));
  return {
    plan: {
      code: review.plan.code || null,
      title: review.plan.title,
      issuer: review.plan.issuer,
      issuedOn: review.plan.issuedOn,
      horizonYear: review.plan.horizonYear,
      horizonFrom: review.horizonFrom,
      trackFrom: review.trackFrom,
      trackFromFrom: review.trackFromFrom,
    },
    duties: review.duties.map((d) => ({
      code: d.code,
      title: d.title,
      section: d.section,
      leads: d.leads,
      cooperating: d.cooperating,
      timeframe: d.timeframe,
      schedule: d.schedule,
      flags: dutyFlags(d),
      where: d.where,
      source: d.source,
      ...(d.kept?.length ? { kept: d.kept } : {}),
      ...(d.conflicts?.length ? { conflicts: d.conflicts } : {}),
    })),
    indicators: (review.indicators ?? []).map((i) => ({
      code: i.code,
      title: i.title,
      unit: i.unit,
      targets: i.targets,
    })),
    flags: review.flags,
    newUnits: review.newNames,
    // The administrator's fixes the document now contradicts (each kept unless --take-document), when there are any.
    ...(conflicts.length ? { conflicts } : {}),
  };
}

async function findDuty(db: Db | Prisma.TransactionClient, orgId: string, planCode: string | undefined, code: string) {
  const duties = await db.duty.findMany({
    where: { orgId, code, ...(planCode ? { plan: { code: planCode } } : {}) },
    include: { plan: true, schedule: true },
  });
  if (duties.length === 0) throw new NotFoundError(planWords('noSuchDuty', { code }));
  if (duties.length > 1) {
    const plans = duties.map((d) => d.plan.code).join(', ');
    throw new UserError(planWords('dutyInSeveralPlans', { code, plans }));
  }
  return duties[0]!;
}

export interface DutyFix {
  timeframe?: string;
  title?: string;
  clearFlags?: boolean;
}

/**
 * A duty's timeframe phrase, parsed again: the tidied phrase, its schedule, and the duty's flags
 * with the old timeframe's flags dropped and the new phrase's notes added. Shared by the fix of a
 * committed duty ({@link fixDuty}) and of a duty still under review ({@link applyFix}).
 *
 * @throws UserError when the phrase is still not understood.
 */
export function retime(
  timeframe: string,
  flags: string[],
  defaultDue: MonthDay,
): { timeframe: string; schedule: Schedule; flags: string[] } {
  const raw = tidy(timeframe);
  const parsed = parseTimeframe(raw, { defaultDue });
  if (parsed.schedule.kind === 'unparsed') {
    // What is wrong, once: a date or a year the parser found bad says so itself (it names the
    // phrase or the date); a phrase not understood at all gets examples of what is.
    const reasons = parsed.flags.filter((f) => f !== unparsedFlag(raw));
    throw new UserError(
      reasons.length
        ? planWords('reasons', { reasons: (lang) => reasons.map((f) => oneLanguage(f, lang)).join('; ') })
        : planWords('timeframeStillNotUnderstood', { raw }),
    );
  }
  // The old timeframe's flags no longer apply; the new phrase's notes do.
  return {
    timeframe: raw,
    schedule: parsed.schedule,
    flags: [...flags.filter((f) => !/thời hạn|ngày không hợp lệ|timeframe/i.test(f)), ...parsed.flags],
  };
}

/**
 * Fixes a duty of a review before it is committed, with the semantics of {@link fixDuty}: a new
 * timeframe is parsed again (refused if still not understood), a new title is tidied, and
 * `clearFlags` clears the flags the administrator has looked at. Returns a new review; the
 * given one is not changed.
 *
 * @throws UserError when the review has no such duty, or the timeframe is still not understood.
 */
export function applyFix(review: ImportReview, code: string, fix: DutyFix, defaultDue: MonthDay): ImportReview {
  const i = review.duties.findIndex((d) => d.code === code);
  if (i < 0) throw new UserError(planWords('noSuchDutyInReview', { code }));
  let d: ReviewedDuty = { ...review.duties[i]! };
  if (fix.timeframe !== undefined)
    d = withHorizonFlag({ ...d, ...retime(fix.timeframe, d.flags, defaultDue) }, review.plan.horizonYear);
  if (fix.title !== undefined) {
    const title = tidy(fix.title);
    if (!title) throw new UserError(planWords('titleEmpty'));
    d = { ...d, title };
  }
  if (fix.clearFlags) d = { ...d, flags: [] };
  // The fixed fields are the administrator's from now on: a re-import of the same document keeps them.
  const fields: FixedField[] = [
    ...(fix.title !== undefined ? (['title'] as const) : []),
    ...(fix.timeframe !== undefined ? (['timeframe'] as const) : []),
    ...(fix.clearFlags ? (['flags'] as const) : []),
  ];
  d = {
    ...d,
    fixed: [...new Set([...(d.fixed ?? []), ...fields])],
    // A field fixed here is settled: no longer a conflict between the document and an older fix.
    conflicts: (d.conflicts ?? []).filter((c) => !fields.includes(c.field)),
  };
  const duties = [...review.duties];
  duties[i] = d;
  return { ...review, duties };
}

/**
 * Fixes what an import flagged on one duty: a new timeframe phrase is parsed again (and refused,
 * changing nothing, if it is still not understood); the flags it resolves are cleared.
 */
export async function fixDuty(
  db: Db,
  orgId: string,
  planCode: string | undefined,
  code: string,
  fix: DutyFix,
  actor: string,
) {
  return db.$transaction(async (tx) => {
    const duty = await findDuty(tx, orgId, planCode, code);
    const org = await tx.organisation.findUniqueOrThrow({ where: { id: orgId } });
    let flags = duty.flags;
    if (fix.timeframe !== undefined) {
      const fixed = withHorizonFlag(retime(fix.timeframe, flags, org.yearlyDue), duty.plan.horizonYear);
      const raw = fixed.timeframe;
      const ends = dutyEndsOn(fixed.schedule, duty.plan.horizonYear);
      // The horizon never cuts the new timeframe's own dates (see dutyEndsOn).
      const columns = { ...scheduleColumns(fixed.schedule, raw), endsOn: ends ? dateColumn(ends) : null };
      await tx.schedule.upsert({
        where: { dutyId: duty.id },
        update: columns,
        create: { orgId, dutyId: duty.id, ...columns, startsOn: duty.plan.issuedOn },
      });
      flags = fixed.flags;
      await tx.duty.update({ where: { id: duty.id }, data: { timeframe: raw } });
    }
    if (fix.title !== undefined) await tx.duty.update({ where: { id: duty.id }, data: { title: tidy(fix.title) } });
    if (fix.clearFlags) flags = [];
    // Recorded so that a re-import keeps the fix unless the document's own cell changed since.
    const fixedFields = [
      ...new Set([
        ...duty.fixedFields,
        ...(fix.title !== undefined ? ['title'] : []),
        ...(fix.timeframe !== undefined ? ['timeframe'] : []),
        ...(fix.clearFlags ? ['flags'] : []),
      ]),
    ];
    await tx.duty.update({ where: { id: duty.id }, data: { flags, fixedFields } });
    await audit(tx, {
      orgId,
      actor,
      action: 'duty.fix',
      entity: 'duty',
      entityId: duty.id,
      data: { plan: duty.plan.code, code, ...fix },
    });
    return tx.duty.findUniqueOrThrow({ where: { id: duty.id }, include: { schedule: true, plan: true } });
  });
}

/** The duties of the organisation's plans, with schedules and assignments, in plan order. */
export async function listDuties(db: Db, orgId: string, planCode?: string) {
  const duties = await db.duty.findMany({
    where: { orgId, active: true, ...(planCode ? { plan: { code: planCode } } : {}) },
    include: {
      plan: true,
      schedule: true,
      assignments: { include: { unit: true, group: true }, orderBy: [{ role: 'asc' }, { position: 'asc' }] },
    },
    orderBy: [{ plan: { code: 'asc' } }, { position: 'asc' }],
  });
  return duties.map((d) => ({ ...d, issuedOn: d.plan.issuedOn ? isoDate(d.plan.issuedOn) : null }));
}
