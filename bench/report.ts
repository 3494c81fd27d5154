import { yearWindow } from '#root/domain/zoned-day.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { reportData } from '#root/services/report.js';
import { reportDocx } from '#root/services/report-docx.js';
import { storeIndicators } from '#root/services/indicators.js';
import type { BenchEnv } from './env.js';
import { seedPlannerOrg } from './planner.js';
import type { Figure } from './run.js';
import { round, size } from './util.js';

/**
 * `report`: the consolidated yearly report (`dondoc report`) of U units × D duties (U × D
 * obligations this year, a third confirmed with a note, every tenth with a file, some extension
 * requests; seven indicators, half the units reporting each): the facts read from PostgreSQL and
 * the .docx written, end to end, as the command does. Target: under 10 s for 1,000 × 50.
 */
export async function benchReport(env: BenchEnv): Promise<Figure[]> {
  const units = size('REPORT_UNITS', 1_000);
  const duties = size('REPORT_DUTIES', 50);
  const year = 2026;
  const now = new Date(Date.UTC(year, 10, 20, 3));
  const orgId = await seedPlannerOrg(env, units, duties, year, 'bench-report');
  const { db } = env;
  await reconcileObligations(db, orgId, yearWindow(year), now);
  // A third confirmed with a note (the notes are quoted in the report), every tenth with a file.
  await db.$executeRaw`
    WITH picked AS (
      SELECT o.id, row_number() OVER (ORDER BY o.id) AS n FROM obligations o WHERE o.org_id = ${orgId}::uuid AND o.due_at < ${now})
    UPDATE obligations o SET status = 'done', completed_at = o.due_at - interval '1 day'
      FROM picked p WHERE p.id = o.id AND p.n % 3 = 0`;
  await db.$executeRaw`
    INSERT INTO confirmations (id, org_id, obligation_id, actor, via, note, created_at)
    SELECT gen_random_uuid(), o.org_id, o.id, 'cli:bench', 'cli', 'Đã hoàn thành, báo cáo số ' || left(o.id::text, 4), o.completed_at
      FROM obligations o WHERE o.org_id = ${orgId}::uuid AND o.status = 'done'`;
  await db.$executeRaw`
    INSERT INTO evidence (id, org_id, obligation_id, via, file_id, file_name, size)
    SELECT gen_random_uuid(), o.org_id, o.id, 'telegram', 'f', 'bao-cao-' || left(o.id::text, 8) || '.pdf', 1000
      FROM obligations o WHERE o.org_id = ${orgId}::uuid AND o.status = 'done' AND get_byte(uuid_send(o.id), 0) < 26`;
  await db.$executeRaw`
    INSERT INTO extension_requests (id, org_id, obligation_id, requested_due, reason)
    SELECT gen_random_uuid(), o.org_id, o.id, o.due_at + interval '30 days', 'Chờ số liệu'
      FROM obligations o WHERE o.org_id = ${orgId}::uuid AND o.status = 'open' AND get_byte(uuid_send(o.id), 0) < 3`;
  const plan = await db.plan.findFirstOrThrow({ where: { orgId } });
  await db.$transaction((tx) =>
    storeIndicators(
      tx,
      orgId,
      plan.id,
      Array.from({ length: 7 }, (_, i) => ({
        code: String(i + 1),
        title: `Tỷ lệ thử ${i + 1}`,
        unit: '%',
        targets: { [String(year)]: 90 },
        source: '',
      })),
    ),
  );
  // Every unit reports each indicator (no report duty: every unit with a duty of the plan), half of them do.
  await db.$executeRaw`
    INSERT INTO indicator_values (id, org_id, indicator_id, unit_id, year, numerator, denominator, actor, via)
    SELECT gen_random_uuid(), i.org_id, i.id, u.id, ${year}, 9, 10, 'cli:bench', 'cli'
      FROM indicators i JOIN units u ON u.org_id = i.org_id
     WHERE i.org_id = ${orgId}::uuid AND get_byte(uuid_send(u.id), 0) < 128`;

  // Wall time, and this process's CPU time: on a machine busy with other work the wall time mostly
  // measures waiting for a core (PostgreSQL's share is in the wall time only).
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const data = await reportData(db, orgId, { year, now });
  const t1 = performance.now();
  const c1 = process.cpuUsage(c0);
  const file = reportDocx(data);
  const t2 = performance.now();
  const cpu = process.cpuUsage(c0);
  const total = (t2 - t0) / 1000;
  return [
    {
      bench: 'report',
      figure: `yearly report .docx, ${units} units × ${duties} duties`,
      value: round(total, 2),
      unit: 's',
      target: '< 10 s',
      ok: total < 10,
    },
    { bench: 'report', figure: 'CPU time of this process', value: round((cpu.user + cpu.system) / 1e6, 2), unit: 's' },
    { bench: 'report', figure: 'of which reading the facts', value: round((t1 - t0) / 1000, 2), unit: 's' },
    {
      bench: 'report',
      figure: 'of which CPU time reading the facts',
      value: round((c1.user + c1.system) / 1e6, 2),
      unit: 's',
    },
    { bench: 'report', figure: 'of which writing the .docx', value: round((t2 - t1) / 1000, 2), unit: 's' },
    { bench: 'report', figure: 'file size', value: round(file.length / 1024 / 1024, 1), unit: 'MB' },
    {
      bench: 'report',
      figure: 'appendix rows',
      value: data.appendix.reduce((n, p) => n + p.rows.length, 0),
      unit: 'rows',
    },
  ];
}
