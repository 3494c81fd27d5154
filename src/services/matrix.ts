import type { Db } from '#root/db/client.js';
import { Prisma } from '#root/generated/prisma/client.js';
import { DUE_SOON_MS, OBLIGATION_STATES, type ObligationState } from '#root/domain/obligation-state.js';
import { yearBounds, zonedYear } from '#root/domain/zoned-day.js';
import type { Lang } from '#root/domain/wording.js';
import { actorNamer } from './actors.js';

/** One unit × duty: its obligations of the year, aggregated. */
export interface MatrixCell {
  state: ObligationState;
  /** Obligations of the cell (several for monthly or quarterly check-ins), by state. */
  counts: Record<ObligationState, number>;
  total: number;
  /**
   * The obligation the cell links to, the most urgent one (worst state, nearest due), as its short
   * key ({@link obligationKey}): 50,000 links on a page, 22 characters each rather than 36.
   */
  obligationKey: string;
  /** The nearest due instant of its open obligations (after extension), in epoch ms, or null. */
  nextDue: number | null;
  /** The latest confirmation of a done obligation: who (contact or administrator) and when (epoch ms). */
  confirmedBy: string | null;
  confirmedAt: number | null;
}

export interface MatrixUnit {
  id: string;
  name: string;
  /** Done obligations / obligations not waived (a waived obligation is not required). */
  done: number;
  total: number;
  /** Every obligation done or waived. */
  complete: boolean;
  /** Cells by duty index (the matrix's `duties` order); null where the unit has no obligation of that duty. */
  cells: (MatrixCell | null)[];
  states: Set<ObligationState>;
  /** Overdue obligations of the unit (the lateness it is sorted by). */
  overdue: number;
}

export interface MatrixDuty {
  id: string;
  code: string;
  title: string;
  plan: string;
  planTitle: string;
  done: number;
  total: number;
}

export interface MatrixFilter {
  planId?: string | undefined;
  groupId?: string | undefined;
  /** Only units having at least one cell in this state. */
  state?: ObligationState | undefined;
  /** One duty's column only. */
  dutyId?: string | undefined;
  /** Units whose name holds this text (any case, with or without diacritics). */
  unitQuery?: string | undefined;
  /** 'late': the most overdue obligations first (else by name). */
  sort?: 'name' | 'late' | undefined;
}

/** Text folded for a search: lower case, no diacritics, đ as d. */
export const foldText = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/gi, 'd')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();

export interface StatusMatrix {
  year: number;
  now: Date;
  timeZone: string;
  duties: MatrixDuty[];
  /** The units of this page ({@link MATRIX_PAGE_SIZE} at most), in the order asked. */
  units: MatrixUnit[];
  /** The units matching the filters, on every page. */
  unitCount: number;
  /** Units matching that have done (or been excused) every obligation of the year. */
  unitsComplete: number;
  /** Cells by state, over the units matching (every page). */
  cellCounts: Record<ObligationState, number>;
  /** This page (1-based, within 1..pages), the number of pages, their size, the index of this page's first unit. */
  page: number;
  pages: number;
  pageSize: number;
  firstIndex: number;
}

/** Units a page of the matrix shows: 100 × 50 duties are 5,000 cells, about 0.5 MB of HTML. */
export const MATRIX_PAGE_SIZE = 100;

const zeroCounts = (): Record<ObligationState, number> => ({
  overdue: 0,
  soon: 0,
  extended: 0,
  open: 0,
  done: 0,
  waived: 0,
});

// Ranks, worst highest: waived 0, done 1, open 2, extended 3, soon 4, overdue 5.
const RANK_STATE: readonly ObligationState[] = [...OBLIGATION_STATES].reverse();
/** Base64 made URL-safe (PostgreSQL's translate() cost a quarter of the statement's time). */
const urlSafe = (key: string) =>
  key.includes('+') || key.includes('/') ? key.replace(/\+/g, '-').replace(/\//g, '_') : key;

/** An obligation's id in 22 characters (its 16 bytes in base64url), for links. */
export const obligationKey = (id: string): string => Buffer.from(id.replace(/-/g, ''), 'hex').toString('base64url');

/** The obligation id of a key made by {@link obligationKey}, or null if it is not one. */
export function obligationIdOfKey(key: string): string | null {
  if (!/^[A-Za-z0-9_-]{21}[AQgw]$/.test(key)) return null;
  const hex = Buffer.from(key, 'base64url').toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The status matrix of an organisation for one year: its units × the duties of their current
 * obligations due that year (in the organisation's zone), each cell in the worst state of its
 * obligations, with the counts; totals per unit and per duty; the share of units done. Without a
 * year: the current one in the organisation's zone.
 *
 * 1. The organisation's units and duties (names, order), small.
 * 2. Every obligation of the year of the units matching (name search, plan, group, duty), as one
 *    number each (its unit × duty cell and its state's rank): per cell the worst state and the
 *    counts by state, then per unit (done, required, overdue) and per duty, the state filter, the
 *    sort (by name, or the most overdue first) and the legend's counts, over every unit matching.
 * 3. Only the units of the page asked (a hundred), in detail: the key each cell links to, due
 *    instants, the standing confirmations.
 * With many units each statement runs as two halves at once, on two connections: PostgreSQL works
 * on both cores while this process waits.
 */
export async function statusMatrix(
  db: Db,
  orgId: string,
  input: {
    year?: number | undefined;
    now: Date;
    filter?: MatrixFilter;
    page?: number;
    pageSize?: number;
    /** The reader's language: who confirmed a cell ("… (quản trị viên)" / "… (administrator)"). */
    lang?: Lang;
  },
): Promise<StatusMatrix> {
  // The lists (small) at once, on as many connections.
  const [org, everyUnit, allDuties, actorName] = await Promise.all([
    db.organisation.findUniqueOrThrow({ where: { id: orgId }, select: { timeZone: true } }),
    db.unit.findMany({ where: { orgId }, select: { id: true, name: true } }),
    db.duty.findMany({
      where: { orgId },
      select: { id: true, code: true, title: true, position: true, plan: { select: { code: true, title: true } } },
    }),
    actorNamer(db, orgId, input.lang ?? 'vi'),
  ]);
  const year = input.year ?? zonedYear(input.now, org.timeZone);
  const { start, end } = yearBounds(year, org.timeZone);
  const now = input.now;
  const soon = new Date(now.getTime() + DUE_SOON_MS);
  const planId = input.filter?.planId ?? null;
  const groupId = input.filter?.groupId ?? null;
  const dutyId = input.filter?.dutyId ?? null;
  const query = input.filter?.unitQuery ? foldText(input.filter.unitQuery) : '';

  const allUnits = query ? everyUnit.filter((u) => foldText(u.name).includes(query)) : everyUnit;
  const D = allDuties.length;
  const dutyIds = allDuties.map((d) => d.id);
  // The filters and the rank of an obligation's state at `now` (obligationState in
  // domain/obligation-state.ts said in SQL: keep the two in step), shared by both reads.
  const rank = Prisma.sql`CASE WHEN o.status = 'waived' THEN 0
                  WHEN o.status = 'done' THEN 1
                  WHEN COALESCE(o.extended_to, o.due_at) < ${now} THEN 5
                  WHEN o.extended_to IS NOT NULL THEN 3
                  WHEN o.due_at <= ${soon} THEN 4
                  ELSE 2 END`;
  const where = Prisma.sql`o.org_id = ${orgId}::uuid AND o.current AND o.due_at >= ${start} AND o.due_at < ${end}
       -- An open period before the plan was tracked from is history: no lateness in the matrix.
       AND NOT (o.history AND o.status = 'open')
       AND (${dutyId}::uuid IS NULL OR o.duty_id = ${dutyId}::uuid)
       AND (${planId}::uuid IS NULL OR o.duty_id IN (SELECT p.id FROM duties p WHERE p.plan_id = ${planId}::uuid))
       AND (${groupId}::uuid IS NULL OR o.unit_id IN (SELECT m.unit_id FROM unit_group_members m WHERE m.group_id = ${groupId}::uuid))`;
  /** `read` over the units in two halves at once on two connections when there are many: PostgreSQL works on both cores. */
  const halves = (ids: string[], read: (ids: string[], from: number) => Promise<string>) => {
    const half = Math.ceil(ids.length / 2);
    return ids.length >= 200
      ? Promise.all([read(ids.slice(0, half), 0), read(ids.slice(half), half)])
      : Promise.all([read(ids, 0)]);
  };

  // 1. Every unit's state per duty, for the totals, the state filter and the sort: one number per
  //    obligation, (unit index × D + duty index) × 6 + rank, nothing else (no key, no confirmation).
  const counted = await halves(
    allUnits.map((u) => u.id),
    async (ids, from) => {
      const [{ lines }] = await db.$queryRaw<[{ lines: string | null }]>`
    SELECT string_agg((((u.ix - 1 + ${from}) * ${D} + d.ix - 1) * 6 + ${rank})::text, E'\n') AS lines
      FROM obligations o
      JOIN unnest(${ids}::uuid[]) WITH ORDINALITY AS u(id, ix) ON u.id = o.unit_id
      JOIN unnest(${dutyIds}::uuid[]) WITH ORDINALITY AS d(id, ix) ON d.id = o.duty_id
     WHERE ${where}`;
      return lines ?? '';
    },
  );
  // Cell k = unit × D + duty: its obligations by rank; its worst rank (-1: none).
  const cellCount = allUnits.length * D;
  const ranks = new Int32Array(cellCount * 6);
  const worst = new Int8Array(cellCount).fill(-1);
  const dutySeen = new Uint8Array(D);
  for (const lines of counted) {
    if (!lines) continue;
    let n = 0;
    for (let p = 0; p <= lines.length; p++) {
      const c = p < lines.length ? lines.charCodeAt(p) : 10;
      if (c !== 10) {
        n = n * 10 + c - 48;
        continue;
      }
      const r = n % 6;
      const k = (n - r) / 6;
      ranks[n]!++;
      if (r > worst[k]!) worst[k] = r;
      dutySeen[k % D] = 1;
      n = 0;
    }
  }

  const order: number[] = [];
  dutySeen.forEach((seen, k) => seen && order.push(k));
  order.sort((a, b) => {
    const x = allDuties[a]!;
    const y = allDuties[b]!;
    return (
      x.plan.code.localeCompare(y.plan.code) ||
      x.position - y.position ||
      x.code.localeCompare(y.code, undefined, { numeric: true })
    );
  });
  const duties: MatrixDuty[] = order.map((k) => {
    const d = allDuties[k]!;
    return { id: d.id, code: d.code, title: d.title, plan: d.plan.code, planTitle: d.plan.title, done: 0, total: 0 };
  });

  // Per unit: done, required, overdue, the states of its cells; the units with a cell at all.
  const wanted = input.filter?.state;
  const cellCounts = zeroCounts();
  interface Row {
    ix: number;
    id: string;
    name: string;
    done: number;
    total: number;
    overdue: number;
    states: Set<ObligationState>;
  }
  const rows: Row[] = [];
  allUnits.forEach((u, ix) => {
    const states = new Set<ObligationState>();
    let done = 0;
    let total = 0;
    let overdue = 0;
    for (const duty of order) {
      const k = ix * D + duty;
      if (worst[k]! < 0) continue;
      states.add(RANK_STATE[worst[k]!]!);
      const r = k * 6;
      done += ranks[r + 1]!;
      total += ranks[r + 1]! + ranks[r + 2]! + ranks[r + 3]! + ranks[r + 4]! + ranks[r + 5]!;
      overdue += ranks[r + 5]!;
    }
    if (states.size && (!wanted || states.has(wanted)))
      rows.push({ ix, id: u.id, name: u.name, done, total, overdue, states });
  });
  for (const row of rows)
    order.forEach((duty, column) => {
      const k = row.ix * D + duty;
      if (worst[k]! < 0) return;
      cellCounts[RANK_STATE[worst[k]!]!]++;
      const r = k * 6;
      duties[column]!.done += ranks[r + 1]!;
      duties[column]!.total += ranks[r + 1]! + ranks[r + 2]! + ranks[r + 3]! + ranks[r + 4]! + ranks[r + 5]!;
    });
  const collator = new Intl.Collator('vi');
  if (input.filter?.sort === 'late') rows.sort((a, b) => b.overdue - a.overdue || collator.compare(a.name, b.name));
  else rows.sort((a, b) => collator.compare(a.name, b.name));
  const pageSize = input.pageSize ?? MATRIX_PAGE_SIZE;
  const pages = Math.max(1, Math.ceil(rows.length / pageSize));
  const page = Math.min(pages, Math.max(1, Math.floor(input.page ?? 1)));
  const shown = rows.slice((page - 1) * pageSize, page * pageSize);

  // 2. The page's units only, in detail: each obligation's short key, state, due instant and, for a
  //    done one, its standing confirmation, as one text, a line per obligation. (50,000 rows through
  //    the driver, or a GROUP BY per cell in PostgreSQL, each cost several times this: bench/web.ts.)
  //    Fields: unit index (1-based, in the page) | duty index (1-based) | obligation key (base64,
  //    cut to 22 characters; made URL-safe here, for the cells' links only) | rank | due (s, after
  //    extension) and, for a done one, | when confirmed (s) | who: "c" and the contact's name, or
  //    "a" and the actor (an administrator, the CLI), last so that it may hold any character but a
  //    line break.
  const texts = shown.length
    ? await halves(
        shown.map((u) => u.id),
        async (ids, from) => {
          const [{ lines }] = await db.$queryRaw<[{ lines: string | null }]>`
    SELECT string_agg((u.ix + ${from}) || '|' || d.ix || '|' || left(encode(uuid_send(o.id), 'base64'), 22) || '|' ||
             ${rank} || '|' || date_part('epoch', COALESCE(o.extended_to, o.due_at))::bigint ||
             CASE WHEN c.obligation_id IS NULL THEN ''
                  ELSE '|' || date_part('epoch', c.created_at)::bigint || '|' ||
                       CASE WHEN ct.id IS NULL THEN 'a' || replace(c.actor, E'\n', ' ') ELSE 'c' || replace(ct.name, E'\n', ' ') END END,
           E'\n') AS lines
      FROM obligations o
      JOIN unnest(${ids}::uuid[]) WITH ORDINALITY AS u(id, ix) ON u.id = o.unit_id
      JOIN unnest(${dutyIds}::uuid[]) WITH ORDINALITY AS d(id, ix) ON d.id = o.duty_id
      LEFT JOIN confirmations c ON c.obligation_id = o.id AND o.status = 'done' AND c.withdrawn_at IS NULL
      LEFT JOIN contacts ct ON ct.id = c.contact_id
     -- Said twice so that PostgreSQL reads these units' rows by index, not the whole year's.
     WHERE o.unit_id = ANY(${ids}::uuid[]) AND ${where}`;
          return lines ?? '';
        },
      )
    : [];

  // 3. Added up per unit × duty of the page (worst state and its nearest due, the nearest open due
  //    instant, the latest confirmation) in typed arrays indexed by cell. (An object per cell while
  //    adding up cost a third of the page in garbage collection.) Cell k = page unit × D + duty.
  const pageCells = shown.length * D;
  const worstRank = new Int8Array(pageCells).fill(-1);
  const worstDue = new Float64Array(pageCells);
  const nextDue = new Float64Array(pageCells).fill(Infinity);
  const confirmedAt = new Float64Array(pageCells);
  const keys: string[] = [];
  const who: string[] = [];
  for (const lines of texts) {
    // By hand rather than split('|') per line: only the key (and a confirmer) are kept as strings.
    const num = (from: number, to: number) => {
      let n = 0;
      for (let k = from; k < to; k++) n = n * 10 + lines.charCodeAt(k) - 48;
      return n;
    };
    let p = 0;
    while (p < lines.length) {
      let eol = lines.indexOf('\n', p);
      if (eol < 0) eol = lines.length;
      const a = lines.indexOf('|', p);
      const b = lines.indexOf('|', a + 1);
      const c = lines.indexOf('|', b + 1);
      const d = lines.indexOf('|', c + 1);
      let e = lines.indexOf('|', d + 1);
      if (e < 0 || e > eol) e = eol;
      const k = (num(p, a) - 1) * D + num(a + 1, b) - 1;
      const rank = num(c + 1, d);
      const due = num(d + 1, e);
      if (rank > worstRank[k]! || (rank === worstRank[k] && due < worstDue[k]!)) {
        worstRank[k] = rank;
        worstDue[k] = due;
        keys[k] = lines.slice(b + 1, c);
      }
      if (rank >= 2 && due < nextDue[k]!) nextDue[k] = due;
      if (e < eol) {
        // Confirmed: when | who. A confirmation withdrawn and made again: the latest stands.
        const f = lines.indexOf('|', e + 1);
        const at = num(e + 1, f);
        if (at > confirmedAt[k]!) {
          confirmedAt[k] = at;
          who[k] = lines.slice(f + 1, eol);
        }
      }
      p = eol + 1;
    }
  }

  // Names read as people say them (an administrator's, not "web:<email>"); a few among the cells.
  const whoNames = new Map<string, string>();
  const whoName = (w: string) => {
    let name = whoNames.get(w);
    if (name === undefined) whoNames.set(w, (name = w[0] === 'c' ? w.slice(1) : actorName(w.slice(1))));
    return name;
  };
  const units: MatrixUnit[] = shown.map((u, pageIx) => {
    const cells = new Array<MatrixCell | null>(order.length).fill(null);
    order.forEach((duty, column) => {
      const all = u.ix * D + duty;
      if (worst[all]! < 0) return;
      const k = pageIx * D + duty;
      const r = all * 6;
      const counts: Record<ObligationState, number> = {
        waived: ranks[r]!,
        done: ranks[r + 1]!,
        open: ranks[r + 2]!,
        extended: ranks[r + 3]!,
        soon: ranks[r + 4]!,
        overdue: ranks[r + 5]!,
      };
      const at = confirmedAt[k]!;
      cells[column] = {
        state: RANK_STATE[worst[all]!]!,
        counts,
        total: counts.waived + counts.done + counts.open + counts.extended + counts.soon + counts.overdue,
        obligationKey: urlSafe(keys[k] ?? ''),
        nextDue: nextDue[k] === Infinity ? null : nextDue[k]! * 1000,
        confirmedBy: at ? whoName(who[k]!) : null,
        confirmedAt: at ? at * 1000 : null,
      };
    });
    return {
      id: u.id,
      name: u.name,
      done: u.done,
      total: u.total,
      complete: u.done === u.total,
      cells,
      states: u.states,
      overdue: u.overdue,
    };
  });
  return {
    year,
    now,
    timeZone: org.timeZone,
    duties,
    units,
    unitCount: rows.length,
    unitsComplete: rows.filter((u) => u.done === u.total).length,
    cellCounts,
    page,
    pages,
    pageSize,
    firstIndex: (page - 1) * pageSize,
  };
}

/** What the matrix can be filtered by: the organisation's plans and unit groups. */
export async function matrixFilters(db: Db, orgId: string) {
  const [plans, groups, duties] = await Promise.all([
    db.plan.findMany({ where: { orgId }, select: { id: true, code: true, title: true }, orderBy: { code: 'asc' } }),
    db.unitGroup.findMany({ where: { orgId }, select: { id: true, name: true }, orderBy: { name: 'asc' } }),
    db.duty.findMany({
      where: { orgId, active: true },
      select: { id: true, code: true, title: true, plan: { select: { code: true } } },
      orderBy: [{ plan: { code: 'asc' } }, { position: 'asc' }],
    }),
  ]);
  return { plans, groups, duties };
}
