import { randomUUID } from 'node:crypto';
import { normalizeUnitName } from '#root/domain/units.js';
import { yearWindow } from '#root/domain/zoned-day.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { materialize, planWindow } from '#root/services/planner.js';
import type { BenchEnv } from './env.js';
import type { Figure } from './run.js';
import { round, size } from './util.js';

const slices = <T>(rows: T[], n: number) =>
  Array.from({ length: Math.ceil(rows.length / n) }, (_, i) => rows.slice(i * n, (i + 1) * n));

/**
 * An organisation of `units` units (one sandbox contact each) and one plan of `duties` duties, each
 * due once in `year` (spread over the year) and led by every unit: units × duties obligations.
 * Written in bulk (createMany, one INSERT … SELECT for the assignments).
 */
export async function seedPlannerOrg(
  env: BenchEnv,
  units: number,
  duties: number,
  year: number,
  code = 'bench-planner',
) {
  const { db } = env;
  const org = await db.organisation.create({ data: { code, name: `Tổ chức thử (${code})` } });
  const plan = await db.plan.create({ data: { orgId: org.id, code: '1/KH-BENCH', title: 'Kế hoạch thử' } });
  const unitRows = Array.from({ length: units }, (_, i) => {
    const name = `Đơn vị thử ${i + 1}`;
    return { id: randomUUID(), orgId: org.id, name, normalized: normalizeUnitName(name) };
  });
  for (const s of slices(unitRows, 1_000)) await db.unit.createMany({ data: s });
  const contactRows = unitRows.map((u, i) => ({
    orgId: org.id,
    unitId: u.id,
    name: `Người ${i + 1}`,
    channels: ['sandbox' as const],
  }));
  for (const s of slices(contactRows, 1_000)) await db.contact.createMany({ data: s });
  const first = Date.UTC(year, 0, 1);
  const dutyRows = Array.from({ length: duties }, (_, k) => {
    const due = new Date(first + Math.floor(((k + 0.5) * 365) / duties) * 86_400_000).toISOString().slice(0, 10);
    return {
      id: randomUUID(),
      orgId: org.id,
      planId: plan.id,
      code: `D${k + 1}`,
      title: `Nhiệm vụ ${k + 1}`,
      timeframe: due,
      position: k,
      due,
    };
  });
  await db.duty.createMany({ data: dutyRows.map(({ due: _due, ...d }) => d) });
  await db.schedule.createMany({
    data: dutyRows.map((d) => ({ orgId: org.id, dutyId: d.id, kind: 'once' as const, due: d.due, raw: d.due })),
  });
  await db.$executeRaw`
    INSERT INTO assignments (id, org_id, duty_id, role, unit_id, target, raw_name, position)
    SELECT gen_random_uuid(), d.org_id, d.id, 'lead', u.id, 'u:' || u.id, u.name, row_number() OVER (PARTITION BY d.id ORDER BY u.name)
      FROM duties d JOIN units u ON u.org_id = d.org_id
     WHERE d.org_id = ${org.id}::uuid`;
  return org.id;
}

/** The current transaction id (each call takes a new one). */
async function currentXid(env: BenchEnv): Promise<bigint> {
  const r = await env.pool.query<{ x: string }>('SELECT txid_current()::text AS x');
  return BigInt(r.rows[0]!.x);
}

/**
 * Row versions written, in any table of the bench's database, by transactions that started after
 * `before` (a {@link currentXid}): every inserted or updated row carries its writer's id in `xmin`.
 * Exact, and independent of what the functions measured report about themselves (PostgreSQL's
 * statistics views lag by up to seconds). The planner deletes nothing, so nothing escapes it.
 */
async function rowsWrittenSince(env: BenchEnv, before: bigint): Promise<number> {
  const client = await env.pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ x: string }>('SELECT txid_current()::text AS x');
    // age(xmin) = this transaction's id − xmin (wraparound-safe): below the span, written after `before`.
    const span = Number(BigInt(rows[0]!.x) - before);
    const tables = await client.query<{ t: string }>(
      "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'",
    );
    let written = 0;
    for (const { t } of tables.rows) {
      const r = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${t}" WHERE age(xmin) < $1`, [span]);
      written += r.rows[0]!.n;
    }
    await client.query('COMMIT');
    return written;
  } finally {
    client.release();
  }
}

/**
 * The reference: a bulk INSERT … SELECT generate_series of `n` rows into a table shaped like
 * `obligations` (same columns and indexes, no foreign keys). Median of three, in seconds.
 */
async function bulkInsertSeconds(env: BenchEnv, n: number): Promise<number> {
  await env.pool.query('CREATE TABLE bench_insert_reference (LIKE obligations INCLUDING DEFAULTS INCLUDING INDEXES)');
  const times: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      await env.pool.query('TRUNCATE bench_insert_reference');
      const t0 = performance.now();
      await env.pool.query(
        `INSERT INTO bench_insert_reference (id, org_id, duty_id, unit_id, period_key, due_at, status, current, created_at, updated_at)
         SELECT gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'once', now() + g * interval '1 minute',
                'open'::"ObligationStatus", true, now(), now()
           FROM generate_series(1, $1::int) g`,
        [n],
      );
      times.push((performance.now() - t0) / 1000);
    }
  } finally {
    await env.pool.query('DROP TABLE bench_insert_reference');
  }
  return times.sort((a, b) => a - b)[1]!;
}

/**
 * `planner`: a year of obligations and reminders for U units × D duties (one obligation each, due
 * once in the year), from an empty database: obligations reconciled (`reconcileObligations`), then
 * the reminders of the whole year planned and written (`planWindow` + `materialize`). Then the same
 * again with nothing changed, which must write no row. Both times against a bulk INSERT of U × D
 * rows shaped like obligations, in the same run.
 */
export async function benchPlanner(env: BenchEnv): Promise<Figure[]> {
  const U = size('BENCH_PLANNER_UNITS', 1_000);
  const D = size('BENCH_PLANNER_DUTIES', 50);
  // Next year: every stage is after the obligations are created (none is backdated away).
  const year = new Date().getUTCFullYear() + 1;
  const from = new Date(Date.UTC(year, 0, 1));
  const to = new Date(Date.UTC(year + 1, 0, 1));
  const orgId = await seedPlannerOrg(env, U, D, year);
  const reference = await bulkInsertSeconds(env, U * D);

  const planYear = async () => {
    const now = new Date();
    const t0 = performance.now();
    const obligations = await reconcileObligations(env.db, orgId, yearWindow(year), now);
    const t1 = performance.now();
    const plan = await planWindow(env.db, orgId, from, to);
    const t2 = performance.now();
    const written = await materialize(env.db, orgId, plan, now, { from, to });
    const t3 = performance.now();
    process.stderr.write(
      `  planner: reconcile ${round((t1 - t0) / 1000)} s, plan ${round((t2 - t1) / 1000)} s (${plan.reminders.length} reminders), write ${round((t3 - t2) / 1000)} s\n`,
    );
    return { seconds: (t3 - t0) / 1000, obligations, written };
  };

  const scratch = await planYear();
  const before = await currentXid(env);
  const again = await planYear();
  const rewritten = await rowsWrittenSince(env, before);
  const reported =
    again.obligations.created +
    again.obligations.updated +
    again.obligations.retired +
    again.written.reminders +
    again.written.cancelled +
    again.written.digests +
    again.written.unreachable;

  const label = `${U} units × ${D} duties`;
  return [
    {
      bench: 'planner',
      figure: `obligations written from scratch (${label})`,
      value: scratch.obligations.created,
      unit: '',
      target: String(U * D),
      ok: scratch.obligations.created === U * D,
    },
    { bench: 'planner', figure: 'reminders written from scratch (a year)', value: scratch.written.reminders, unit: '' },
    { bench: 'planner', figure: 'a year from scratch', value: round(scratch.seconds, 2), unit: 's' },
    { bench: 'planner', figure: 'the same again, nothing changed', value: round(again.seconds, 2), unit: 's' },
    {
      bench: 'planner',
      figure: `bulk INSERT of ${U * D} obligation-shaped rows (reference)`,
      value: round(reference, 3),
      unit: 's',
    },
    {
      bench: 'planner',
      figure: 'ratio from scratch / bulk INSERT',
      value: round(scratch.seconds / reference, 1),
      unit: '×',
    },
    { bench: 'planner', figure: 'ratio again / bulk INSERT', value: round(again.seconds / reference, 1), unit: '×' },
    {
      bench: 'planner',
      figure: `rows written by the second run (new row versions, any table; functions report ${reported})`,
      value: rewritten,
      unit: '',
      target: '0',
      ok: rewritten === 0 && reported === 0,
    },
  ];
}
