import type { Db } from '#root/db/client.js';
import { DUE_SOON_MS, OBLIGATION_STATES, type ObligationState } from '#root/domain/obligation-state.js';
import { yearBounds, zonedYear } from '#root/domain/zoned-day.js';
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
  state?: ObligationState | undefined;
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
  cellCounts: Record<ObligationState, number>;
}

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
 * 2. One statement reads every obligation of the year with its state at `now` (as a rank), its unit
 *    and duty as their index in (1), and for a done one its standing confirmation, filtered by plan
 *    and group there; it answers with one text, a line per obligation. (50,000 rows through the
 *    driver, or a GROUP BY per cell in PostgreSQL, each cost several times this: bench/web.ts.)
 * 3. Here the lines are added up per unit × duty (worst state, counts, the nearest open due
 *    instant, the latest confirmation) in typed arrays indexed by cell, then per unit and per duty.
 *    (An object per cell while adding up cost a third of the page in garbage collection.)
 * With many units the statement runs as two halves at once, on two connections: PostgreSQL works
 * on both cores while this process waits.
 * 4. The state filter (units having a cell in that state) applies last.
 */
export async function statusMatrix(
  db: Db,
  orgId: string,
  input: { year?: number | undefined; now: Date; filter?: MatrixFilter },
): Promise<StatusMatrix> {
  const org = await db.organisation.findUniqueOrThrow({ where: { id: orgId }, select: { timeZone: true } });
  const year = input.year ?? zonedYear(input.now, org.timeZone);
  const { start, end } = yearBounds(year, org.timeZone);
  const now = input.now;
  const soon = new Date(now.getTime() + DUE_SOON_MS);
  const planId = input.filter?.planId ?? null;
  const groupId = input.filter?.groupId ?? null;

  const [allUnits, allDuties, actorName] = await Promise.all([
    db.unit.findMany({ where: { orgId }, select: { id: true, name: true } }),
    db.duty.findMany({
      where: { orgId },
      select: { id: true, code: true, title: true, position: true, plan: { select: { code: true } } },
    }),
    actorNamer(db, orgId),
  ]);
  // Fields: unit index | duty index (1-based, in the arrays above) | obligation key (base64, cut to
  // 22 characters; made URL-safe here, for the cells' links only) | rank | due (s, after extension)
  // and, for a done one, | when confirmed (s) | who: "c" and the contact's name, or "a" and the
  // actor (an administrator, the CLI), last so that it may hold any character but a line break.
  // The rank is obligationState (domain/obligation-state.ts) said in SQL: keep the two in step.
  const read = async (from: number, to: number) => {
    const [{ lines }] = await db.$queryRaw<[{ lines: string | null }]>`
    SELECT string_agg((u.ix + ${from}) || '|' || d.ix || '|' || left(encode(uuid_send(o.id), 'base64'), 22) || '|' ||
             CASE WHEN o.status = 'waived' THEN 0
                  WHEN o.status = 'done' THEN 1
                  WHEN COALESCE(o.extended_to, o.due_at) < ${now} THEN 5
                  WHEN o.extended_to IS NOT NULL THEN 3
                  WHEN o.due_at <= ${soon} THEN 4
                  ELSE 2 END || '|' ||
             date_part('epoch', COALESCE(o.extended_to, o.due_at))::bigint ||
             CASE WHEN c.obligation_id IS NULL THEN ''
                  ELSE '|' || date_part('epoch', c.created_at)::bigint || '|' ||
                       CASE WHEN ct.id IS NULL THEN 'a' || replace(c.actor, E'\n', ' ') ELSE 'c' || replace(ct.name, E'\n', ' ') END END,
           E'\n') AS lines
      FROM obligations o
      JOIN unnest(${unitIds.slice(from, to)}::uuid[]) WITH ORDINALITY AS u(id, ix) ON u.id = o.unit_id
      JOIN unnest(${allDuties.map((d) => d.id)}::uuid[]) WITH ORDINALITY AS d(id, ix) ON d.id = o.duty_id
      LEFT JOIN confirmations c ON c.obligation_id = o.id AND o.status = 'done' AND c.withdrawn_at IS NULL
      LEFT JOIN contacts ct ON ct.id = c.contact_id
     WHERE o.org_id = ${orgId}::uuid AND o.current AND o.due_at >= ${start} AND o.due_at < ${end}
       -- An open period before the plan was tracked from is history: no lateness in the matrix.
       AND NOT (o.history AND o.status = 'open')
       AND (${planId}::uuid IS NULL OR o.duty_id IN (SELECT p.id FROM duties p WHERE p.plan_id = ${planId}::uuid))
       AND (${groupId}::uuid IS NULL OR o.unit_id IN (SELECT m.unit_id FROM unit_group_members m WHERE m.group_id = ${groupId}::uuid))`;
    return lines ?? '';
  };
  const unitIds = allUnits.map((u) => u.id);
  const half = Math.ceil(unitIds.length / 2);
  const texts =
    unitIds.length >= 200
      ? await Promise.all([read(0, half), read(half, unitIds.length)])
      : [await read(0, unitIds.length)];

  // Cell k = unit × D + duty. Due instants and confirmation times in seconds.
  const D = allDuties.length;
  const cellCount = allUnits.length * D;
  const ranks = new Int32Array(cellCount * 6);
  const worst = new Int8Array(cellCount).fill(-1);
  const worstDue = new Float64Array(cellCount);
  const nextDue = new Float64Array(cellCount).fill(Infinity);
  const confirmedAt = new Float64Array(cellCount);
  const keys: string[] = [];
  const who: string[] = [];
  const dutySeen = new Uint8Array(D);
  for (const lines of texts) {
    // By hand rather than split('|') per line: 50,000 lines, and only the key (and a confirmer) are kept as strings.
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
      const duty = num(a + 1, b) - 1;
      const k = (num(p, a) - 1) * D + duty;
      const rank = num(c + 1, d);
      const due = num(d + 1, e);
      dutySeen[duty] = 1;
      ranks[k * 6 + rank]!++;
      if (rank > worst[k]! || (rank === worst[k] && due < worstDue[k]!)) {
        worst[k] = rank;
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
    return { id: d.id, code: d.code, title: d.title, plan: d.plan.code, done: 0, total: 0 };
  });

  // Names read as people say them (an administrator's, not "web:<email>"); a few among 50,000 cells.
  const whoNames = new Map<string, string>();
  const whoName = (w: string) => {
    let name = whoNames.get(w);
    if (name === undefined) whoNames.set(w, (name = w[0] === 'c' ? w.slice(1) : actorName(w.slice(1))));
    return name;
  };
  const units: MatrixUnit[] = [];
  allUnits.forEach((u, unitIx) => {
    let cells: (MatrixCell | null)[] | null = null;
    const states = new Set<ObligationState>();
    let done = 0;
    let total = 0;
    order.forEach((duty, column) => {
      const k = unitIx * D + duty;
      if (worst[k]! < 0) return;
      const r = k * 6;
      const counts: Record<ObligationState, number> = {
        waived: ranks[r]!,
        done: ranks[r + 1]!,
        open: ranks[r + 2]!,
        extended: ranks[r + 3]!,
        soon: ranks[r + 4]!,
        overdue: ranks[r + 5]!,
      };
      const all = counts.waived + counts.done + counts.open + counts.extended + counts.soon + counts.overdue;
      const state = RANK_STATE[worst[k]!]!;
      states.add(state);
      cells ??= new Array<MatrixCell | null>(order.length).fill(null);
      const at = confirmedAt[k]!;
      cells[column] = {
        state,
        counts,
        total: all,
        obligationKey: urlSafe(keys[k]!),
        nextDue: nextDue[k] === Infinity ? null : nextDue[k]! * 1000,
        confirmedBy: at ? whoName(who[k]!) : null,
        confirmedAt: at ? at * 1000 : null,
      };
      done += counts.done;
      total += all - counts.waived;
    });
    if (cells) units.push({ id: u.id, name: u.name, done, total, complete: done === total, cells, states });
  });
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
  return {
    year,
    now,
    timeZone: org.timeZone,
    duties,
    units: shown,
    unitsComplete: shown.filter((u) => u.complete).length,
    cellCounts,
  };
}

/** What the matrix can be filtered by: the organisation's plans and unit groups. */
export async function matrixFilters(db: Db, orgId: string) {
  const [plans, groups] = await Promise.all([
    db.plan.findMany({ where: { orgId }, select: { id: true, code: true, title: true }, orderBy: { code: 'asc' } }),
    db.unitGroup.findMany({ where: { orgId }, select: { id: true, name: true }, orderBy: { name: 'asc' } }),
  ]);
  return { plans, groups };
}
