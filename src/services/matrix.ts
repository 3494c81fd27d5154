import { fromZonedTime } from 'date-fns-tz';
import type { Db } from '#root/db/client.js';
import { zonedDay } from './planner.js';

/** The state of one obligation, or of one cell (the worst of its obligations). */
export type CellState = 'overdue' | 'soon' | 'extended' | 'open' | 'done' | 'waived';

/** Worst first: a cell shows the first of these that any of its obligations is in. */
export const CELL_STATES: readonly CellState[] = ['overdue', 'soon', 'extended', 'open', 'done', 'waived'];

/** "Due soon": open and due within this long of now. */
export const DUE_SOON_MS = 7 * 86_400_000;

/**
 * The state of one obligation at `now`: done and waived as stored; an open one is overdue once its
 * due instant (`extendedTo ?? dueAt`) has passed, else extended if an extension was approved, else
 * due soon within {@link DUE_SOON_MS}, else open.
 */
export function obligationState(o: { status: 'open' | 'done' | 'waived'; dueAt: Date; extendedTo: Date | null }, now: Date): CellState {
  if (o.status !== 'open') return o.status;
  const due = (o.extendedTo ?? o.dueAt).getTime();
  if (due < now.getTime()) return 'overdue';
  if (o.extendedTo) return 'extended';
  return due - now.getTime() <= DUE_SOON_MS ? 'soon' : 'open';
}

/** One unit × duty: its obligations of the year, aggregated. */
export interface MatrixCell {
  state: CellState;
  /** Obligations of the cell (several for monthly or quarterly check-ins), by state. */
  counts: Record<CellState, number>;
  total: number;
  /** The obligation the cell links to: the most urgent one (worst state, nearest due). */
  obligationId: string;
  /** The nearest due instant of its open obligations (after extension), or null. */
  nextDue: Date | null;
  /** The latest confirmation of a done obligation: who (contact name or administrator) and when. */
  confirmedBy: string | null;
  confirmedAt: Date | null;
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
  states: Set<CellState>;
}

export interface MatrixDuty {
  id: string;
  code: string;
  title: string;
  plan: string;
  done: number;
  total: number;
}

export interface MatrixFilter {
  planId?: string | undefined;
  groupId?: string | undefined;
  /** Only units having at least one cell in this state. */
  state?: CellState | undefined;
}

export interface StatusMatrix {
  year: number;
  now: Date;
  timeZone: string;
  duties: MatrixDuty[];
  units: MatrixUnit[];
  /** Units shown that have done (or been excused) every obligation of the year. */
  unitsComplete: number;
  /** Cells by state, over the units shown. */
  cellCounts: Record<CellState, number>;
}

const zeroCounts = (): Record<CellState, number> => ({ overdue: 0, soon: 0, extended: 0, open: 0, done: 0, waived: 0 });

/** The first instant of `year` in the zone, and of the next year: the year's due window. */
export function yearBounds(year: number, timeZone: string): { start: Date; end: Date } {
  return { start: fromZonedTime(`${year}-01-01T00:00:00`, timeZone), end: fromZonedTime(`${year + 1}-01-01T00:00:00`, timeZone) };
}

/** The current year in the organisation's zone (the matrix's default). */
export const currentYear = (now: Date, timeZone: string) => Number(zonedDay(now, timeZone).slice(0, 4));

// Ranks, worst highest: waived 0, done 1, open 2, extended 3, soon 4, overdue 5.
const RANK_STATE: readonly CellState[] = ['waived', 'done', 'open', 'extended', 'soon', 'overdue'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A cell being added up, obligation by obligation. */
interface CellSum {
  duty: number;
  ranks: number[];
  worst: number;
  /** The due instant (s) of the obligation the cell links to. */
  worstDue: number;
  obligationId: string;
  nextDue: number;
  who: string;
  at: number;
}

/**
 * The status matrix of an organisation for one year: its units × the duties of their current
 * obligations due that year (in the organisation's zone), each cell in the worst state of its
 * obligations, with the counts; totals per unit and per duty; the share of units done. Without a
 * year: the current one in the organisation's zone.
 *
 * 1. The organisation's units and duties (names, order), small.
 * 2. One statement reads every obligation of the year with its state at `now` (as a rank), its unit
 *    and duty as their index in (1), and for a done one its standing confirmation, filtered by plan
 *    and group there; it answers with one text, a line per obligation. (50,000 rows through the
 *    driver, or a GROUP BY per cell in PostgreSQL, each cost several times this: bench/web.ts.)
 * 3. Here the lines are added up per unit × duty (worst state, counts, the nearest open due
 *    instant, the latest confirmation), then per unit and per duty; the confirming contacts' names
 *    are read once.
 * 4. The state filter (units having a cell in that state) applies last.
 */
export async function statusMatrix(db: Db, orgId: string, input: { year?: number | undefined; now: Date; filter?: MatrixFilter }): Promise<StatusMatrix> {
  const org = await db.organisation.findUniqueOrThrow({ where: { id: orgId }, select: { timeZone: true } });
  const year = input.year ?? currentYear(input.now, org.timeZone);
  const { start, end } = yearBounds(year, org.timeZone);
  const now = input.now;
  const soon = new Date(now.getTime() + DUE_SOON_MS);
  const planId = input.filter?.planId ?? null;
  const groupId = input.filter?.groupId ?? null;

  const [allUnits, allDuties] = await Promise.all([
    db.unit.findMany({ where: { orgId }, select: { id: true, name: true } }),
    db.duty.findMany({ where: { orgId }, select: { id: true, code: true, title: true, position: true, plan: { select: { code: true } } } }),
  ]);
  // Fields: unit index | duty index (1-based, in the arrays above) | obligation | rank | due (s, after
  // extension) and, for a done one, | who confirmed (contact id or actor) | when (s).
  const [{ lines }] = await db.$queryRaw<[{ lines: string | null }]>`
    SELECT string_agg(u.ix || '|' || d.ix || '|' || o.id::text || '|' ||
             CASE WHEN o.status = 'waived' THEN 0
                  WHEN o.status = 'done' THEN 1
                  WHEN COALESCE(o.extended_to, o.due_at) < ${now} THEN 5
                  WHEN o.extended_to IS NOT NULL THEN 3
                  WHEN o.due_at <= ${soon} THEN 4
                  ELSE 2 END || '|' ||
             date_part('epoch', COALESCE(o.extended_to, o.due_at))::bigint ||
             CASE WHEN c.obligation_id IS NULL THEN ''
                  ELSE '|' || COALESCE(c.contact_id::text, translate(c.actor, E'|\n', '  ')) || '|' || date_part('epoch', c.created_at)::bigint END,
           E'\n') AS lines
      FROM obligations o
      JOIN unnest(${allUnits.map((u) => u.id)}::uuid[]) WITH ORDINALITY AS u(id, ix) ON u.id = o.unit_id
      JOIN unnest(${allDuties.map((d) => d.id)}::uuid[]) WITH ORDINALITY AS d(id, ix) ON d.id = o.duty_id
      LEFT JOIN confirmations c ON c.obligation_id = o.id AND o.status = 'done' AND c.withdrawn_at IS NULL
     WHERE o.org_id = ${orgId}::uuid AND o.current AND o.due_at >= ${start} AND o.due_at < ${end}
       AND (${planId}::uuid IS NULL OR o.duty_id IN (SELECT p.id FROM duties p WHERE p.plan_id = ${planId}::uuid))
       AND (${groupId}::uuid IS NULL OR o.unit_id IN (SELECT m.unit_id FROM unit_group_members m WHERE m.group_id = ${groupId}::uuid))`;

  const byUnit = new Map<number, CellSum[]>();
  const dutiesSeen = new Set<number>();
  const contactIds = new Set<string>();
  if (lines) {
    // By hand rather than split('|') per line: 50,000 lines, and only the id (and a confirmer) are kept as strings.
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
      const unit = num(p, a) - 1;
      const duty = num(a + 1, b) - 1;
      const rank = num(c + 1, d);
      const due = num(d + 1, e);
      let cells = byUnit.get(unit);
      if (!cells) byUnit.set(unit, (cells = []));
      let cell = cells[duty];
      if (!cell) {
        cells[duty] = cell = { duty, ranks: [0, 0, 0, 0, 0, 0], worst: -1, worstDue: 0, obligationId: '', nextDue: Infinity, who: '', at: 0 };
        dutiesSeen.add(duty);
      }
      cell.ranks[rank]!++;
      if (rank > cell.worst || (rank === cell.worst && due < cell.worstDue)) {
        cell.worst = rank;
        cell.worstDue = due;
        cell.obligationId = lines.slice(b + 1, c);
      }
      if (rank >= 2 && due < cell.nextDue) cell.nextDue = due;
      if (e < eol) {
        // Confirmed: who | when. A confirmation withdrawn and made again: the latest stands.
        const f = lines.lastIndexOf('|', eol);
        const at = num(f + 1, eol);
        if (at > cell.at) {
          cell.at = at;
          cell.who = lines.slice(e + 1, f);
          if (UUID.test(cell.who)) contactIds.add(cell.who);
        }
      }
      p = eol + 1;
    }
  }
  const contactName = new Map<string, string>(
    contactIds.size ? (await db.contact.findMany({ where: { id: { in: [...contactIds] } }, select: { id: true, name: true } })).map((c) => [c.id, c.name]) : [],
  );

  const order = [...dutiesSeen].sort((a, b) => {
    const x = allDuties[a]!;
    const y = allDuties[b]!;
    return x.plan.code.localeCompare(y.plan.code) || x.position - y.position || x.code.localeCompare(y.code, undefined, { numeric: true });
  });
  const duties: MatrixDuty[] = order.map((k) => {
    const d = allDuties[k]!;
    return { id: d.id, code: d.code, title: d.title, plan: d.plan.code, done: 0, total: 0 };
  });
  const column = new Map(order.map((k, i) => [k, i]));

  const units: MatrixUnit[] = [];
  for (const [unitIx, sums] of byUnit) {
    const cells: (MatrixCell | null)[] = new Array<MatrixCell | null>(duties.length).fill(null);
    const states = new Set<CellState>();
    let done = 0;
    let total = 0;
    for (const c of sums) {
      if (!c) continue;
      const r = c.ranks;
      const counts: Record<CellState, number> = { waived: r[0]!, done: r[1]!, open: r[2]!, extended: r[3]!, soon: r[4]!, overdue: r[5]! };
      const all = r[0]! + r[1]! + r[2]! + r[3]! + r[4]! + r[5]!;
      const state = RANK_STATE[c.worst]!;
      states.add(state);
      cells[column.get(c.duty)!] = {
        state,
        counts,
        total: all,
        obligationId: c.obligationId,
        nextDue: c.nextDue === Infinity ? null : new Date(c.nextDue * 1000),
        confirmedBy: c.at ? (contactName.get(c.who) ?? c.who) : null,
        confirmedAt: c.at ? new Date(c.at * 1000) : null,
      };
      done += counts.done;
      total += all - counts.waived;
    }
    const u = allUnits[unitIx]!;
    units.push({ id: u.id, name: u.name, done, total, complete: done === total, cells, states });
  }
  const wanted = input.filter?.state;
  const shown = wanted ? units.filter((u) => u.states.has(wanted)) : units;
  const cellCounts = zeroCounts();
  for (const u of shown) {
    u.cells.forEach((c, i) => {
      if (!c) return;
      cellCounts[c.state]++;
      duties[i]!.done += c.counts.done;
      duties[i]!.total += c.total - c.counts.waived;
    });
  }
  const collator = new Intl.Collator('vi');
  shown.sort((a, b) => collator.compare(a.name, b.name));
  return { year, now, timeZone: org.timeZone, duties, units: shown, unitsComplete: shown.filter((u) => u.complete).length, cellCounts };
}

/** What the matrix can be filtered by: the organisation's plans and unit groups. */
export async function matrixFilters(db: Db, orgId: string) {
  const [plans, groups] = await Promise.all([
    db.plan.findMany({ where: { orgId }, select: { id: true, code: true, title: true }, orderBy: { code: 'asc' } }),
    db.unitGroup.findMany({ where: { orgId }, select: { id: true, name: true }, orderBy: { name: 'asc' } }),
  ]);
  return { plans, groups };
}
